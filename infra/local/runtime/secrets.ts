/**
 * A local stand-in for the Secrets Manager secrets routes.yml names (README "Routes" → "Auth"):
 * `.local/secrets.json` (git-ignored, mode 0600), `{ "<secret name>": { "<key>": "<value>" } }`,
 * with the keys each auth type's secret holds (SECRET_KEYS). `ensureLocalSecrets` creates what
 * the routes name and the file lacks, with random values, so `npm start` needs no setup and no
 * credential is ever in the repository; edit the file to use real ones.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { SECRET_KEYS } from '../../../shared/routes/cloudformation';
import type { Route } from '../../../shared/routes/routes-file';
import { LOCAL_STATE_DIR } from './paths';

export const LOCAL_SECRETS_PATH = join(LOCAL_STATE_DIR, 'secrets.json');

export type LocalSecrets = Record<string, Record<string, string>>;
export type SecretLookup = (name: string) => Record<string, string> | undefined;

/** The secret a route's connection reads, and the JSON keys it must hold; undefined for a route without auth. */
export const routeSecret = (route: Route): { name: string; keys: readonly string[] } | undefined => {
  const target = route.target;
  if (target.type === 'firehose-http') return { name: target.auth.secret, keys: SECRET_KEYS['firehose-http'] };
  return target.auth ? { name: target.auth.secret, keys: SECRET_KEYS[target.auth.type] } : undefined;
};

/** A secrets file that is not `{ name: { key: string } }`. */
export class LocalSecretsError extends Error {
  override readonly name = 'LocalSecretsError';
  constructor(
    readonly file: string,
    detail: string,
  ) {
    super(`${file}: ${detail}`);
  }
}

const readSecrets = (file: string): LocalSecrets | undefined => {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new LocalSecretsError(file, `not valid JSON: ${(error as Error).message}`);
  }
  const isObject = (value: unknown): value is Record<string, unknown> =>
    typeof value === 'object' && value !== null && !Array.isArray(value);
  if (!isObject(parsed))
    throw new LocalSecretsError(file, 'must be an object of secret names to { key: value } objects');
  for (const [name, secret] of Object.entries(parsed)) {
    if (!isObject(secret))
      throw new LocalSecretsError(file, `secret "${name}" must be an object of keys to string values`);
    for (const [key, value] of Object.entries(secret)) {
      if (typeof value !== 'string')
        throw new LocalSecretsError(file, `secret "${name}": key "${key}" must be a string`);
    }
  }
  return parsed as LocalSecrets;
};

/** A value for a key: a readable user name, random bytes for everything else. */
const randomValue = (key: string): string =>
  key === 'username' || key === 'clientId'
    ? `local-${randomBytes(6).toString('hex')}`
    : randomBytes(24).toString('base64url');

/** Writes the file whole (a temporary file renamed into place), readable by its owner only. */
const writeSecrets = (file: string, secrets: LocalSecrets): void => {
  mkdirSync(dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}.${randomUUID()}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(secrets, null, 2)}\n`, { mode: 0o600 });
  renameSync(temporary, file);
};

/**
 * Makes sure every secret the routes name exists in `file` with every key its auth type needs,
 * adding the missing ones with random values (existing values are kept), and returns a lookup
 * over the result. The file is written only when something was added (0600); an existing one is made 0600.
 */
export const ensureLocalSecrets = (routes: readonly Route[], file: string = LOCAL_SECRETS_PATH): SecretLookup => {
  const existing = readSecrets(file);
  const secrets: LocalSecrets = structuredClone(existing ?? {});
  let added = false;
  for (const route of routes) {
    const needed = routeSecret(route);
    if (!needed) continue;
    const secret = secrets[needed.name] ?? {};
    for (const key of needed.keys) {
      if (secret[key] === undefined) {
        secret[key] = randomValue(key);
        added = true;
      }
    }
    secrets[needed.name] = secret;
  }
  if (added) writeSecrets(file, secrets);
  else if (existing !== undefined) chmodSync(file, 0o600);
  return (name) => {
    const secret = secrets[name];
    return secret === undefined ? undefined : { ...secret };
  };
};
