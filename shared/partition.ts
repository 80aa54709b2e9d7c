import { InvalidRecordError } from './errors';
import { normalizeEventTime } from './event-time';

// A type alias (not an interface) so it fits Firehose's `{ [name: string]: string }` metadata as is.
export type PartitionKeys = {
  clientId: string;
  eventType: string;
  year: string;
  month: string;
  day: string;
  hour: string;
};

export interface PartitionInput {
  clientId: string;
  eventType: string;
  /** ISO 8601 event time with a zone. */
  time: string;
}

export const MAX_PARTITION_VALUE_LENGTH = 64;
export const UNKNOWN_PARTITION_VALUE = '_unknown';
export const OTHER_EVENT_TYPE = '_other';

const UNSAFE_CHARS = /[^A-Za-z0-9_.-]/g;
const DOT_RUNS = /\.{2,}/g;
const HASH_LENGTH = 8;

// FNV-1a: cheap, stable across runs, enough to keep truncated values apart.
const shortHash = (value: string): string => {
  let hash = 0x811c9dc5;
  for (let i = 0; i < value.length; i++) {
    hash ^= value.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0).toString(16).padStart(HASH_LENGTH, '0');
};

/**
 * Makes a value safe as one S3 key segment and one Hive partition value: only
 * `[A-Za-z0-9_.-]`, no `..`, no leading dot, at most 64 characters (long values keep
 * a hash of the original so two long values stay apart).
 */
export const sanitizePartitionValue = (raw: string): string => {
  let value = raw.replace(UNSAFE_CHARS, '_').replace(DOT_RUNS, '_');
  if (value.startsWith('.')) value = `_${value.slice(1)}`;
  if (value.length > MAX_PARTITION_VALUE_LENGTH) {
    value = `${value.slice(0, MAX_PARTITION_VALUE_LENGTH - HASH_LENGTH - 1)}-${shortHash(raw)}`;
  }
  return value === '' ? UNKNOWN_PARTITION_VALUE : value;
};

// Partition values repeat heavily (a few clients, a few event types), so memoize.
const SANITIZE_CACHE_LIMIT = 10_000;
const sanitizeCache = new Map<string, string>();
const sanitizeCached = (raw: string): string => {
  let value = sanitizeCache.get(raw);
  if (value === undefined) {
    if (sanitizeCache.size >= SANITIZE_CACHE_LIMIT) sanitizeCache.clear();
    value = sanitizePartitionValue(raw);
    sanitizeCache.set(raw, value);
  }
  return value;
};

const UTC_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):\d{2}(:\d{2}(\.\d{1,9})?)?Z$/;

const utcHourParts = (time: string): [string, string, string, string] => {
  const match = UTC_TIME.exec(time) ?? UTC_TIME.exec(normalizeEventTime(time));
  const [, year, month, day, hour] = match ?? [];
  if (
    year === undefined ||
    month === undefined ||
    day === undefined ||
    hour === undefined ||
    month < '01' ||
    month > '12' ||
    day < '01' ||
    day > '31' ||
    hour > '23'
  ) {
    throw new InvalidRecordError('INVALID_EVENT_TIME', `Event time is not a valid UTC time: ${time.slice(0, 64)}`);
  }
  return [year, month, day, hour];
};

/** Dynamic-partitioning keys for Firehose: `clientId=/eventType=/year=/month=/day=/hour=` (UTC). */
export const partitionKeys = (input: PartitionInput): PartitionKeys => {
  const [year, month, day, hour] = utcHourParts(input.time);
  return {
    clientId: sanitizeCached(input.clientId),
    eventType: sanitizeCached(input.eventType),
    year,
    month,
    day,
    hour,
  };
};

/**
 * Bounds the distinct eventType partitions per client so one client cannot exhaust
 * Firehose's active-partition limit: past `maxPerClient` distinct types, the rest share
 * `_other`. State is per process (a Lambda instance), so the bound is per instance; the
 * event itself always keeps its real type.
 */
export class EventTypeLimiter {
  private readonly seen = new Map<string, Set<string>>();

  constructor(
    private readonly maxPerClient: number,
    private readonly maxClients = 10_000,
  ) {}

  limit(clientId: string, eventType: string): string {
    let types = this.seen.get(clientId);
    if (types === undefined) {
      if (this.seen.size >= this.maxClients) this.seen.clear();
      types = new Set();
      this.seen.set(clientId, types);
    }
    if (types.has(eventType)) return eventType;
    if (types.size >= this.maxPerClient) return OTHER_EVENT_TYPE;
    types.add(eventType);
    return eventType;
  }
}
