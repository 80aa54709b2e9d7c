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
const eventBridgeSchema = z.object({
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

export const eventBridgeAdapter: SourceAdapter = {
  name: 'eventbridge',

  matches: (payload) => 'detail-type' in payload && 'detail' in payload,

  toCanonical(payload) {
    const envelope = parseWith(eventBridgeSchema, payload, 'EventBridge');
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
