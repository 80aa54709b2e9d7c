import type { SampleRateMap, SamplingOptions } from './options';

/** A rate in percent clamped to [0, 100]; undefined when it is not a finite number. */
const asRate = (value: unknown): number | undefined =>
  typeof value === 'number' && Number.isFinite(value) ? Math.min(100, Math.max(0, value)) : undefined;

const fromMap = async <TArgs extends unknown[]>(
  map: SampleRateMap<TArgs> | undefined,
  id: string | undefined,
  args: TArgs,
): Promise<number | undefined> => {
  if (map === undefined || id === undefined) return undefined;
  if (typeof map === 'function') return asRate(await map(id, ...args));
  return Object.hasOwn(map, id) ? asRate(map[id]) : undefined;
};

/**
 * The rate that applies to a call: the user's, else the company's, else the global one
 * (default 100). A callback that throws counts as no rate at that level.
 */
export const sampleRateFor = async <TArgs extends unknown[]>(
  options: SamplingOptions<TArgs>,
  ids: { userId?: string | undefined; companyId?: string | undefined },
  args: TArgs,
  onError: (option: string, caught: unknown) => void,
): Promise<number> => {
  const attempt = async (option: string, fn: () => Promise<number | undefined>): Promise<number | undefined> => {
    try {
      return await fn();
    } catch (caught) {
      onError(option, caught);
      return undefined;
    }
  };
  const user = await attempt('sampleRateByUser', () => fromMap(options.sampleRateByUser, ids.userId, args));
  if (user !== undefined) return user;
  const company = await attempt('sampleRateByCompany', () => fromMap(options.sampleRateByCompany, ids.companyId, args));
  if (company !== undefined) return company;
  const global = options.sampleRate;
  if (global === undefined) return 100;
  const rate = await attempt('sampleRate', async () =>
    asRate(typeof global === 'function' ? await global(...args) : global),
  );
  return rate ?? 100;
};

/** `round(100 / rate)`: how many calls one captured record stands for. */
export const weightFor = (rate: number): number => (rate > 0 ? Math.max(1, Math.round(100 / rate)) : 1);

/** Whether to keep a call sampled at `rate` percent (`random` in [0, 1)). */
export const sampled = (rate: number, random: () => number = Math.random): boolean =>
  rate >= 100 ? true : rate <= 0 ? false : random() * 100 < rate;
