import { z } from 'zod';
import { InvalidRecordError } from '../errors';
import { normalizeEventTime } from '../event-time';
import { parseWith, type SourceAdapter } from './source-adapter';

const MAX_FIELD_LENGTH = 256;
const text = z.string().min(1).max(MAX_FIELD_LENGTH);

/**
 * An EventBridge envelope as the reference client-event flow produces it: the clientId
 * travels in `resources[0]`; a top-level `clientId` (our own canonical events) wins.
 */
export const eventBridgeSchema = z.object({
  version: z.string().optional(),
  id: text,
  'detail-type': text,
  source: text,
  account: z.string().optional(),
  time: z.string(),
  region: z.string().optional(),
  resources: z.array(z.string()).optional(),
  clientId: text.optional(),
  detail: z.record(z.string(), z.unknown()),
});

/** The fields of a parsed envelope that toCanonical reads. */
type EnvelopeFields = Pick<
  z.output<typeof eventBridgeSchema>,
  'id' | 'detail-type' | 'source' | 'time' | 'resources' | 'clientId' | 'detail'
>;

const isText = (value: unknown): value is string =>
  typeof value === 'string' && value.length >= 1 && value.length <= MAX_FIELD_LENGTH;
const isOptionalString = (value: unknown): boolean => value === undefined || typeof value === 'string';
const isStringArray = (value: unknown): value is string[] => {
  if (!Array.isArray(value)) return false;
  for (let i = 0; i < value.length; i++) if (typeof value[i] !== 'string') return false;
  return true;
};

/**
 * The valid case without zod's per-field machinery (zod was most of the consumer's CPU
 * above a bare decode/parse/serialize loop). It accepts only payloads `eventBridgeSchema`
 * certainly accepts, and returns the same values for the fields toCanonical reads (detail
 * copied the way z.record copies it); anything else returns undefined and goes through
 * zod, so what is rejected, and every error message, stays exactly the schema's.
 * Keep the two in step when the schema changes.
 */
export const parseValid = (payload: Record<string, unknown>): EnvelopeFields | undefined => {
  const { id, source, time, resources, clientId, detail } = payload;
  const detailType = payload['detail-type'];
  if (
    !isText(id) ||
    !isText(detailType) ||
    !isText(source) ||
    typeof time !== 'string' ||
    !isOptionalString(payload.version) ||
    !isOptionalString(payload.account) ||
    !isOptionalString(payload.region) ||
    !(resources === undefined || isStringArray(resources)) ||
    !(clientId === undefined || isText(clientId)) ||
    // zod's isPlainObject, for the objects JSON.parse makes: Object prototype, no own
    // `constructor`, no symbol keys.
    typeof detail !== 'object' ||
    detail === null ||
    Object.getPrototypeOf(detail) !== Object.prototype ||
    (detail as { constructor?: unknown }).constructor !== Object ||
    Object.getOwnPropertySymbols(detail).length > 0
  ) {
    return undefined;
  }
  // z.record(z.string(), z.unknown()) returns a copy of the enumerable own keys, minus __proto__.
  const detailCopy: Record<string, unknown> = {};
  for (const key of Object.keys(detail)) {
    if (key !== '__proto__') detailCopy[key] = (detail as Record<string, unknown>)[key];
  }
  return { id, 'detail-type': detailType, source, time, resources, clientId, detail: detailCopy };
};

export const eventBridgeAdapter: SourceAdapter = {
  name: 'eventbridge',

  matches: (payload) => 'detail-type' in payload && 'detail' in payload,

  toCanonical(payload) {
    const envelope = parseValid(payload) ?? parseWith(eventBridgeSchema, payload, 'EventBridge');
    const clientId = envelope.clientId ?? envelope.resources?.[0];
    if (clientId === undefined || clientId.trim() === '') {
      throw new InvalidRecordError(
        'MISSING_CLIENT_ID',
        'EventBridge event has no clientId: expected a top-level clientId or resources[0]',
      );
    }
    if (clientId.length > MAX_FIELD_LENGTH) {
      throw new InvalidRecordError('SCHEMA_VIOLATION', `clientId is longer than ${MAX_FIELD_LENGTH} characters`);
    }
    return {
      id: envelope.id,
      source: envelope.source,
      'detail-type': envelope['detail-type'],
      time: normalizeEventTime(envelope.time),
      clientId,
      detail: envelope.detail,
    };
  },
};
