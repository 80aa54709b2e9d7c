import { z } from 'zod';
import { InvalidRecordError } from '../errors';
import { normalizeEventTime } from '../event-time';
import { exceedsJsonDepth, jsonTooDeepMessage } from '../json-depth';
import { parseWith, type SourceAdapter } from './source-adapter';

/**
 * Client events from the HTTP ingest API (`POST {"entries":[{"entry":"<escaped JSON>"}]}`).
 * The API parses each entry, validates it, and puts one `ClientEventRecord` per entry on the
 * stream. The clientId is the API's (the JWT authorizer's `custom:clientId`), never the body's.
 *
 * Limits (enforced by the API through `toClientEventRecord` and again by the adapter):
 * - `id`, `clientId`, `entry.eventType`, string `entry.schemaVersion`: 1–256 characters
 *   (SCHEMA_VIOLATION); a missing or blank clientId is MISSING_CLIENT_ID.
 * - `entry.schemaVersion`: a string or a finite number (SCHEMA_VIOLATION).
 * - `entry.data`: any JSON, at most 64 KiB (65,536 bytes of UTF-8) serialized
 *   (PAYLOAD_TOO_LARGE); a value JSON cannot serialize is SCHEMA_VIOLATION.
 * - Keys beyond eventType, schemaVersion, data and time (the AWS sample's `loyaltypurchase`
 *   carries a `ticket` object) are kept in `detail` next to `data`, and count with it: data and
 *   the extra keys together at most 64 KiB serialized (PAYLOAD_TOO_LARGE). `clientId` (the
 *   pipeline's, set from the authorizer) and `__proto__` are not allowed (SCHEMA_VIOLATION).
 * - The entry text given to `parseClientEventEntry`: at most 96 KiB (PAYLOAD_TOO_LARGE),
 *   valid JSON (MALFORMED_JSON).
 * - `entry.time` (optional) and `receivedAt`: ISO 8601 with a zone (INVALID_EVENT_TIME).
 *   Event time = `entry.time ?? receivedAt`. The accepted skew is the consumer's window
 *   ([arrival − 7 days, arrival + 15 minutes] → EVENT_TIME_OUT_OF_RANGE), not checked here.
 */
export const CLIENT_EVENT_LIMITS = {
  maxFieldLength: 256,
  maxDataBytes: 64 * 1024,
  maxEntryTextBytes: 96 * 1024,
} as const;

export const CLIENT_EVENT_KIND = 'client-event';

const text = z.string().min(1).max(CLIENT_EVENT_LIMITS.maxFieldLength);

/** Entry keys the pipeline owns in `detail`: an entry may not carry them as extra keys. */
const RESERVED_ENTRY_KEYS = new Set(['clientId', '__proto__']);

export const clientEventEntrySchema = z
  .looseObject({
    eventType: text,
    schemaVersion: z.union([text, z.number()]).optional(),
    data: z.unknown().optional(),
    time: z.string().optional(),
  })
  .refine((entry) => !Object.keys(entry).some((key) => RESERVED_ENTRY_KEYS.has(key)), {
    message: `an entry may not carry ${[...RESERVED_ENTRY_KEYS].join(' or ')}: the pipeline sets it`,
  });

export type ClientEventEntry = z.output<typeof clientEventEntrySchema>;

/** One entry of the HTTP API, as the API writes it to the stream. */
export interface ClientEventRecord {
  kind: 'client-event';
  id: string;
  clientId: string;
  receivedAt: string;
  /** The entry as the caller sent it, extra keys (kept in `detail`) included. */
  entry: { eventType: string; schemaVersion?: string | number; data?: unknown; time?: string; [key: string]: unknown };
}

const ENTRY_FIELDS = new Set(['eventType', 'schemaVersion', 'data', 'time']);

/** The entry's keys beyond eventType, schemaVersion, data and time, in the caller's order. */
const extraKeysOf = (entry: Record<string, unknown>): [string, unknown][] =>
  Object.entries(entry).filter(([key, value]) => !ENTRY_FIELDS.has(key) && value !== undefined);

const clientEventRecordSchema = z.object({
  kind: z.literal(CLIENT_EVENT_KIND),
  id: text,
  clientId: z.string().max(CLIENT_EVENT_LIMITS.maxFieldLength),
  receivedAt: z.string(),
  entry: clientEventEntrySchema,
});

const serializedBytes = (value: unknown, what: string): number => {
  let serialized: string | undefined;
  try {
    serialized = JSON.stringify(value);
  } catch (error) {
    throw new InvalidRecordError(
      'SCHEMA_VIOLATION',
      `Client event ${what} is not JSON-serializable: ${(error as Error).message}`,
      {
        cause: error,
      },
    );
  }
  return serialized === undefined ? 0 : Buffer.byteLength(serialized, 'utf8');
};

/** data alone, and data with the extra keys, within maxDataBytes serialized. */
const assertDataSize = (entry: { data?: unknown; [key: string]: unknown }): void => {
  const dataBytes = entry.data === undefined ? 0 : serializedBytes(entry.data, 'data');
  const extras = extraKeysOf(entry);
  const extraBytes = extras.length === 0 ? 0 : serializedBytes(Object.fromEntries(extras), 'entry');
  const bytes = dataBytes + extraBytes;
  if (bytes > CLIENT_EVENT_LIMITS.maxDataBytes) {
    throw new InvalidRecordError(
      'PAYLOAD_TOO_LARGE',
      `Client event data${extras.length > 0 ? ' and extra keys are' : ' is'} ${bytes} bytes serialized; the limit is ${CLIENT_EVENT_LIMITS.maxDataBytes}`,
    );
  }
};

/** Schema, data size and (when given) event time of one entry. */
const validateEntry = (entry: unknown): ClientEventEntry => {
  const parsed = parseWith(clientEventEntrySchema, entry, 'client event entry');
  assertDataSize(parsed);
  if (parsed.time !== undefined) normalizeEventTime(parsed.time);
  return parsed;
};

const assertClientId = (clientId: unknown): string => {
  if (typeof clientId !== 'string' || clientId.trim() === '') {
    throw new InvalidRecordError(
      'MISSING_CLIENT_ID',
      'Client event has no clientId (it comes from the API authorizer)',
    );
  }
  if (clientId.length > CLIENT_EVENT_LIMITS.maxFieldLength) {
    throw new InvalidRecordError(
      'SCHEMA_VIOLATION',
      `clientId is longer than ${CLIENT_EVENT_LIMITS.maxFieldLength} characters`,
    );
  }
  return clientId;
};

/**
 * Parses the escaped JSON of one API entry into the entry object and validates it.
 * Takes the value of `entry` (`{"eventType":"searching","schemaVersion":1,"data":{…}}`);
 * the whole item text (`{"entry":"{…}"}`) is unwrapped once too.
 * Throws MALFORMED_JSON, PAYLOAD_TOO_LARGE, SCHEMA_VIOLATION or INVALID_EVENT_TIME.
 */
export const parseClientEventEntry = (entryText: string): ClientEventEntry => {
  if (typeof entryText !== 'string') {
    throw new InvalidRecordError('SCHEMA_VIOLATION', 'Client event entry must be a string of escaped JSON');
  }
  const parseText = (candidate: string): unknown => {
    const bytes = Buffer.byteLength(candidate, 'utf8');
    if (bytes > CLIENT_EVENT_LIMITS.maxEntryTextBytes) {
      throw new InvalidRecordError(
        'PAYLOAD_TOO_LARGE',
        `Client event entry is ${bytes} bytes; the limit is ${CLIENT_EVENT_LIMITS.maxEntryTextBytes}`,
      );
    }
    if (exceedsJsonDepth(candidate))
      throw new InvalidRecordError('JSON_TOO_DEEP', jsonTooDeepMessage('Client event entry'));
    try {
      return JSON.parse(candidate);
    } catch (error) {
      throw new InvalidRecordError(
        'MALFORMED_JSON',
        `Client event entry is not valid JSON: ${(error as Error).message}`,
        {
          cause: error,
        },
      );
    }
  };
  let parsed = parseText(entryText);
  if (
    parsed !== null &&
    typeof parsed === 'object' &&
    !Array.isArray(parsed) &&
    Object.keys(parsed).length === 1 &&
    typeof (parsed as { entry?: unknown }).entry === 'string'
  ) {
    parsed = parseText((parsed as { entry: string }).entry);
  }
  return validateEntry(parsed);
};

/**
 * The stream record for one API entry. `clientId` is the authorizer's, `id` the API's
 * (e.g. a UUID per entry, the dedup key), `receivedAt` when the API received the request.
 * Throws InvalidRecordError (see the limits above) so the API can answer per entry.
 */
export const toClientEventRecord = (
  entry: unknown,
  clientId: string,
  id: string,
  receivedAt: Date,
): ClientEventRecord => {
  const validated = validateEntry(entry);
  const owner = assertClientId(clientId);
  if (typeof id !== 'string' || id.length === 0 || id.length > CLIENT_EVENT_LIMITS.maxFieldLength) {
    throw new InvalidRecordError(
      'SCHEMA_VIOLATION',
      `Client event id must be 1-${CLIENT_EVENT_LIMITS.maxFieldLength} characters`,
    );
  }
  if (!(receivedAt instanceof Date) || Number.isNaN(receivedAt.getTime())) {
    throw new InvalidRecordError('INVALID_EVENT_TIME', 'Client event receivedAt is not a valid date');
  }
  const recordEntry: ClientEventRecord['entry'] = { eventType: validated.eventType };
  if (validated.schemaVersion !== undefined) recordEntry.schemaVersion = validated.schemaVersion;
  if (validated.data !== undefined) recordEntry.data = validated.data;
  if (validated.time !== undefined) recordEntry.time = validated.time;
  for (const [key, value] of extraKeysOf(validated)) recordEntry[key] = value;
  return { kind: CLIENT_EVENT_KIND, id, clientId: owner, receivedAt: receivedAt.toISOString(), entry: recordEntry };
};

export const clientEventAdapter: SourceAdapter = {
  name: 'client-event',

  // Not ours when the payload also carries another source's marker (never guess).
  matches: (payload) =>
    payload.kind === CLIENT_EVENT_KIND &&
    !('action_name' in payload) &&
    !('meterApiName' in payload) &&
    !('detail-type' in payload),

  toCanonical(payload) {
    const record = parseWith(clientEventRecordSchema, payload, 'client event');
    const clientId = assertClientId(record.clientId);
    assertDataSize(record.entry);
    const receivedAt = normalizeEventTime(record.receivedAt);
    const time = record.entry.time === undefined ? receivedAt : normalizeEventTime(record.entry.time);
    const detail: Record<string, unknown> = { eventType: record.entry.eventType };
    if (record.entry.schemaVersion !== undefined) detail.schemaVersion = record.entry.schemaVersion;
    if (record.entry.data !== undefined) detail.data = record.entry.data;
    // Extra keys as sent (`ticket`, …); the reserved names were refused by the schema.
    for (const [key, value] of extraKeysOf(record.entry)) detail[key] = value;
    return {
      id: record.id,
      source: 'client.events',
      'detail-type': 'ClientEvent',
      time,
      clientId,
      detail,
    };
  },
};
