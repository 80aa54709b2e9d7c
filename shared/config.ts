import { ConfigError } from './errors';

export type Env = Readonly<Record<string, string | undefined>>;

export const requireEnv = (env: Env, name: string): string => {
  const value = env[name]?.trim();
  if (!value) {
    throw new ConfigError(name, `Missing required environment variable ${name}`);
  }
  return value;
};

export const optionalEnv = (env: Env, name: string, fallback: string): string => env[name]?.trim() || fallback;

export const intEnv = (env: Env, name: string, fallback: number, bounds: { min: number; max: number }): number => {
  const raw = env[name]?.trim();
  if (!raw) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < bounds.min || value > bounds.max) {
    throw new ConfigError(
      name,
      `Environment variable ${name} must be an integer in [${bounds.min}, ${bounds.max}], got "${raw}"`,
    );
  }
  return value;
};

export const boolEnv = (env: Env, name: string, fallback: boolean): boolean => {
  const raw = env[name]?.trim().toLowerCase();
  if (!raw) return fallback;
  if (raw === 'true' || raw === '1') return true;
  if (raw === 'false' || raw === '0') return false;
  throw new ConfigError(name, `Environment variable ${name} must be true or false, got "${raw}"`);
};
