import { z } from 'zod';
import { InvalidRecordError } from '../errors';
import { normalizeEventTime } from '../event-time';
import { PRODUCER_KINDS } from './api-call';
import { parseWith, type SourceAdapter } from './source-adapter';

/**
 * Product actions: `{action_name, company_id, user_id?, transaction_id, request:{time, uri?,
 * ip_address?, user_agent_string?}, metadata?:{…}}`.
 *
 * Mapping: id = transaction_id (lower-cased, the dedup key), clientId = company_id,
 * `detail-type` = detail.eventType = action_name (the lake partition), time = request.time,
 * source `product.actions`, detail = {eventType, user_id?, transaction_id, request, metadata}
 * (metadata `{}` when absent). Keys outside this shape are dropped.
 *
 * Limits:
 * - company_id missing, null or blank → MISSING_CLIENT_ID; longer than 256 → SCHEMA_VIOLATION.
 * - transaction_id missing or not a UUID (8-4-4-4-12 hex, any version) → INVALID_TRANSACTION_ID.
 * - action_name, user_id: 1–256 characters; request.uri ≤ 2048, request.ip_address ≤ 256,
 *   request.user_agent_string ≤ 1024 characters → SCHEMA_VIOLATION. user_id and the optional
 *   request fields may be null (treated as absent for user_id, kept as sent in request).
 * - metadata: a JSON object of at most 64 KiB (65,536 bytes of UTF-8) serialized →
 *   SCHEMA_VIOLATION when not an object, PAYLOAD_TOO_LARGE when bigger.
 * - request.time: ISO 8601 with a zone → INVALID_EVENT_TIME. The accepted skew is the
 *   consumer's window ([arrival − 7 days, arrival + 15 minutes] → EVENT_TIME_OUT_OF_RANGE).
 */
export const PRODUCT_ACTION_LIMITS = {
  maxFieldLength: 256,
  maxUriLength: 2048,
  maxIpAddressLength: 256,
  maxUserAgentLength: 1024,
  maxMetadataBytes: 64 * 1024,
} as const;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const text = z.string().min(1).max(PRODUCT_ACTION_LIMITS.maxFieldLength);

export const productActionSchema = z.object({
  action_name: text,
  company_id: z.string().max(PRODUCT_ACTION_LIMITS.maxFieldLength),
  user_id: text.nullish(),
  transaction_id: z.string(),
  request: z.object({
    // Checked by normalizeEventTime, so a missing or bad time is INVALID_EVENT_TIME.
    time: z.unknown().optional(),
    uri: z.string().max(PRODUCT_ACTION_LIMITS.maxUriLength).nullish(),
    ip_address: z.string().max(PRODUCT_ACTION_LIMITS.maxIpAddressLength).nullish(),
    user_agent_string: z.string().max(PRODUCT_ACTION_LIMITS.maxUserAgentLength).nullish(),
  }),
  metadata: z.record(z.string(), z.unknown()).nullish(),
});

export const productActionAdapter: SourceAdapter = {
  name: 'product-action',

  // Not ours when the payload also carries another source's marker (never guess).
  matches: (payload) =>
    'action_name' in payload &&
    !('meterApiName' in payload) &&
    !('detail-type' in payload) &&
    !PRODUCER_KINDS.has(payload.kind),

  toCanonical(payload) {
    const companyId = payload.company_id;
    if (companyId === undefined || companyId === null || (typeof companyId === 'string' && companyId.trim() === '')) {
      throw new InvalidRecordError('MISSING_CLIENT_ID', 'Product action has no company_id');
    }
    const transactionId = payload.transaction_id;
    if (typeof transactionId !== 'string' || !UUID.test(transactionId)) {
      throw new InvalidRecordError(
        'INVALID_TRANSACTION_ID',
        `Product action transaction_id must be a UUID, got ${JSON.stringify(transactionId)?.slice(0, 64)}`,
      );
    }
    const action = parseWith(productActionSchema, payload, 'product action');
    const metadata = action.metadata ?? {};
    const metadataBytes = Buffer.byteLength(JSON.stringify(metadata), 'utf8');
    if (metadataBytes > PRODUCT_ACTION_LIMITS.maxMetadataBytes) {
      throw new InvalidRecordError(
        'PAYLOAD_TOO_LARGE',
        `Product action metadata is ${metadataBytes} bytes serialized; the limit is ${PRODUCT_ACTION_LIMITS.maxMetadataBytes}`,
      );
    }
    const time = normalizeEventTime(action.request.time);
    const id = transactionId.toLowerCase();
    const detail: Record<string, unknown> = { eventType: action.action_name };
    if (action.user_id !== undefined && action.user_id !== null) detail.user_id = action.user_id;
    detail.transaction_id = id;
    detail.request = action.request;
    detail.metadata = metadata;
    return {
      id,
      source: 'product.actions',
      'detail-type': action.action_name,
      time,
      clientId: action.company_id,
      detail,
    };
  },
};
