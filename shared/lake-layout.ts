import { createHash } from 'node:crypto';
import { type Env, intEnv, optionalEnv } from './config';
import { ConfigError } from './errors';

/**
 * The lake's partition layout, configured in one place: the Firehose prefix in serverless.yml
 * (`custom.lake.prefix`). The transformer, the local Firehose, the lake check, the re-drive and
 * the partition bound all read the keys from that one string.
 */

/** Keys the transformer can return; a prefix may use any subset that includes `dt`. */
export const LAYOUT_KEYS = ['client_id', 'event_type', 'dt', 'hour'] as const;
export type LayoutKey = (typeof LAYOUT_KEYS)[number];
export type PartitionKeys = Partial<Record<LayoutKey, string>>;

export const OTHER_EVENT_TYPE = '_other';
/** Firehose's default quota of active partitions per delivery stream (raisable to 5,000). */
export const DEFAULT_MAX_ACTIVE_PARTITIONS = 500;

export interface LakeWindow {
  /** How far before its stream arrival an event may be (the consumer's MAX_EVENT_AGE_SECONDS). */
  maxEventAgeSeconds: number;
  /** How far after its stream arrival an event may be (MAX_FUTURE_SKEW_SECONDS). */
  maxFutureSkewSeconds: number;
  /** How long a record may wait in the stream before the consumer delivers it (maximumRecordAgeInSeconds). */
  maxRecordAgeSeconds: number;
  /** Firehose buffering: processor interval + destination interval. */
  bufferSeconds: number;
}

export interface LakeLayout {
  prefix: string;
  /** The `partitionKeyFromLambda` keys the prefix uses, in order. */
  keys: LayoutKey[];
  /** Event types that get their own partition; every other type shares `_other`. */
  eventTypes: ReadonlySet<string>;
  window: LakeWindow;
  maxActivePartitions: number;
}

const KEY_EXPRESSION = /!\{partitionKeyFromLambda:([^}]*)\}/g;

/** Parses and checks the prefix: known keys only, `dt` required, `hour` only with `dt`. */
export const layoutKeysOf = (prefix: string): LayoutKey[] => {
  const keys: LayoutKey[] = [];
  for (const match of prefix.matchAll(KEY_EXPRESSION)) {
    const key = match[1] as LayoutKey;
    if (!LAYOUT_KEYS.includes(key)) {
      throw new ConfigError(
        'LAKE_PREFIX',
        `LAKE_PREFIX uses an unknown partition key "${match[1]}" (known: ${LAYOUT_KEYS.join(', ')})`,
      );
    }
    if (keys.includes(key)) throw new ConfigError('LAKE_PREFIX', `LAKE_PREFIX uses the partition key ${key} twice`);
    keys.push(key);
  }
  if (!keys.includes('dt')) {
    throw new ConfigError('LAKE_PREFIX', 'LAKE_PREFIX must partition by event day: !{partitionKeyFromLambda:dt}');
  }
  return keys;
};

export const parseEventTypes = (list: string): Set<string> => {
  const types = new Set(
    list
      .split(',')
      .map((type) => type.trim())
      .filter((type) => type !== ''),
  );
  if (types.has(OTHER_EVENT_TYPE))
    throw new ConfigError('LAKE_EVENT_TYPES', `LAKE_EVENT_TYPES may not list ${OTHER_EVENT_TYPE}`);
  return types;
};

// Kept as is: S3- and Hive-safe, never contains `--` (the marker of an encoded value), so an
// unchanged value can never equal an encoded one.
const SAFE_VALUE = /^(?!\.)(?!.*\.\.)(?!.*--)[A-Za-z0-9_.-]{1,64}$/;
const UNSAFE_CHARS = /[^A-Za-z0-9_.-]/g;
const KEPT_CHARS = 40;
const HASH_CHARS = 12;

/**
 * Injective partition value: a safe value stays as it is; any other becomes a readable,
 * safe stem plus `--` and 12 hex of the SHA-256 of the original, so `acme/corp` and
 * `acme_corp` (or `日本語` and `   `) never share a partition.
 */
export const encodePartitionValue = (raw: string): string => {
  if (SAFE_VALUE.test(raw)) return raw;
  const stem = raw
    .slice(0, KEPT_CHARS)
    .replace(UNSAFE_CHARS, '_')
    .replace(/\.{2,}/g, '_')
    .replace(/^\./, '_');
  const hash = createHash('sha256').update(raw, 'utf8').digest('hex').slice(0, HASH_CHARS);
  return `${stem}--${hash}`;
};

// Values repeat heavily (a few clients, a few event types), so memoize.
const CACHE_LIMIT = 10_000;
const cache = new Map<string, string>();
export const encodePartitionValueCached = (raw: string): string => {
  let value = cache.get(raw);
  if (value === undefined) {
    if (cache.size >= CACHE_LIMIT) cache.clear();
    value = encodePartitionValue(raw);
    cache.set(raw, value);
  }
  return value;
};

/** The event_type partition value: listed types keep their (encoded) name, the rest share `_other`. */
export const eventTypePartition = (layout: Pick<LakeLayout, 'eventTypes'>, eventType: string): string =>
  layout.eventTypes.has(eventType) ? encodePartitionValueCached(eventType) : OTHER_EVENT_TYPE;

/** Partition keys for one event, only those the layout uses. `time` must be ISO 8601 UTC (`…Z`). */
export const layoutPartitionKeys = (
  layout: Pick<LakeLayout, 'keys' | 'eventTypes'>,
  event: { clientId: string; eventType: string; utcTime: string },
): PartitionKeys => {
  const keys: PartitionKeys = {};
  for (const key of layout.keys) {
    if (key === 'client_id') keys.client_id = encodePartitionValueCached(event.clientId);
    else if (key === 'event_type') keys.event_type = eventTypePartition(layout, event.eventType);
    else if (key === 'dt') keys.dt = event.utcTime.slice(0, 10);
    else keys.hour = event.utcTime.slice(11, 13);
  }
  return keys;
};

/** The object key prefix Firehose evaluates for these keys. */
export const evaluateLayoutPrefix = (prefix: string, keys: PartitionKeys): string =>
  prefix.replace(KEY_EXPRESSION, (_, name: string) => keys[name as LayoutKey] ?? '');

const DAY = 86_400;
const HOUR = 3_600;

export interface PartitionBound {
  /** Worst-case active partitions, or undefined when the layout is unbounded (client_id). */
  bound: number | undefined;
  /** Time buckets (days or hours) one buffer interval can touch. */
  timeBuckets: number;
  /** Event-type values: listed types + `_other` (1 when the layout has no event_type). */
  typeValues: number;
  /** The formula with this configuration's numbers. */
  formula: string;
  /** Set when the configuration can pass the quota: a line to print. */
  warning?: string;
}

/**
 * Worst case of active partitions: records reaching Firehose within one buffer interval carry
 * event times in [t − maxRecordAge − buffer − maxEventAge, t + maxFutureSkew] (the consumer's
 * window, checked against stream arrival, and the transformer's, against `receivedAt`), so they
 * touch at most ceil(L / bucket) + 1 days (or hours); times the event-type values; times the
 * number of clients when client_id is a key (unbounded).
 */
export const partitionBound = (
  layout: Pick<LakeLayout, 'keys' | 'eventTypes' | 'window' | 'maxActivePartitions'>,
): PartitionBound => {
  const { window } = layout;
  const span =
    window.maxEventAgeSeconds + window.maxFutureSkewSeconds + window.maxRecordAgeSeconds + window.bufferSeconds;
  const bucket = layout.keys.includes('hour') ? HOUR : DAY;
  const timeBuckets = Math.ceil(span / bucket) + 1;
  const typeValues = layout.keys.includes('event_type') ? layout.eventTypes.size + 1 : 1;
  const perClient = timeBuckets * typeValues;
  const unit = bucket === DAY ? 'days' : 'hours';
  const spanText = `ceil((${window.maxEventAgeSeconds} + ${window.maxFutureSkewSeconds} + ${window.maxRecordAgeSeconds} + ${window.bufferSeconds}) s / ${bucket} s) + 1 = ${timeBuckets} ${unit}`;
  const typesText = `(${layout.eventTypes.size} listed event types + ${OTHER_EVENT_TYPE})`;
  if (layout.keys.includes('client_id')) {
    const clients = Math.floor(layout.maxActivePartitions / perClient);
    return {
      bound: undefined,
      timeBuckets,
      typeValues,
      formula: `clients × ${typeValues} ${typesText} × ${spanText} = clients × ${perClient}`,
      warning:
        `Lake layout: client_id is a partition key, so active Firehose partitions grow with the number of clients ` +
        `(clients × ${perClient}); past ${clients} clients sending at once they can pass the quota of ` +
        `${layout.maxActivePartitions} and Firehose writes the overflow to errors/partitioning-failed/.`,
    };
  }
  const bound = perClient;
  return {
    bound,
    timeBuckets,
    typeValues,
    formula: `${typeValues} ${typesText} × ${spanText} = ${bound}`,
    ...(bound > layout.maxActivePartitions && {
      warning:
        `Lake layout: up to ${bound} active Firehose partitions (${typeValues} event types × ${timeBuckets} ${unit}), ` +
        `more than the quota of ${layout.maxActivePartitions}: list fewer event types, narrow the lateness window, ` +
        `partition by day rather than hour, or raise the quota (up to 5,000).`,
    }),
  };
};

/**
 * The bucket's other fixed roots (serverless.yml custom.lake.errorPrefix and quarantinePrefix):
 * Firehose's error outputs and the consumer's quarantine.
 */
export const DEFAULT_ERROR_ROOT = 'errors/';
export const DEFAULT_QUARANTINE_ROOT = 'quarantine/';

export const DEFAULT_LAKE_PREFIX =
  'events/event_type=!{partitionKeyFromLambda:event_type}/dt=!{partitionKeyFromLambda:dt}/';

/** Read once at cold start (transformer, re-drive, local stack); a bad value fails naming its variable. */
export const loadLakeLayout = (env: Env): LakeLayout => {
  const prefix = optionalEnv(env, 'LAKE_PREFIX', DEFAULT_LAKE_PREFIX);
  return {
    prefix,
    keys: layoutKeysOf(prefix),
    eventTypes: parseEventTypes(env.LAKE_EVENT_TYPES ?? ''),
    window: {
      maxEventAgeSeconds: intEnv(env, 'MAX_EVENT_AGE_SECONDS', 7 * DAY, { min: 60, max: 365 * DAY }),
      maxFutureSkewSeconds: intEnv(env, 'MAX_FUTURE_SKEW_SECONDS', 900, { min: 0, max: DAY }),
      maxRecordAgeSeconds: intEnv(env, 'MAX_RECORD_AGE_SECONDS', DAY, { min: 0, max: 7 * DAY }),
      bufferSeconds: intEnv(env, 'LAKE_BUFFER_SECONDS', 120, { min: 0, max: 1_800 }),
    },
    maxActivePartitions: intEnv(env, 'LAKE_MAX_ACTIVE_PARTITIONS', DEFAULT_MAX_ACTIVE_PARTITIONS, {
      min: 1,
      max: 5_000,
    }),
  };
};

/** The fixed part of a prefix, up to the last `/` before its first expression: `events/`, `errors/`. */
export const prefixRoot = (prefix: string): string => {
  const expression = prefix.indexOf('!{');
  return expression === -1 ? prefix : prefix.slice(0, prefix.lastIndexOf('/', expression) + 1);
};
