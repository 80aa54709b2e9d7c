import { createHash } from 'node:crypto';
import { z } from 'zod';
import { InvalidRecordError } from '../errors';
import { normalizeEventTime } from '../event-time';
import { DERIVED_ID_PREFIX } from '../identifier';
import { PRODUCER_KINDS } from './api-call';
import { parseWith, type SourceAdapter } from './source-adapter';

/**
 * Product actions, as Moesif's Actions API accepts them: `{action_name, company_id, user_id?,
 * transaction_id?, session_token?, subscription_id?, request?:{time?, uri?, ip_address?,
 * user_agent_string?}, metadata?:{…}}`.
 *
 * Mapping: clientId = company_id, `detail-type` = detail.eventType = action_name (the lake
 * partition), source `product.actions`, detail = {eventType, user_id?, transaction_id?,
 * session_token?, subscription_id?, request, metadata} (request and metadata `{}` when absent;
 * request as sent, so a time-less action keeps no time there: the envelope's `time` has it).
 * Keys outside this shape are dropped.
 *
 * id = transaction_id (lower-cased, the dedup key) when the producer sent one; otherwise
 * `derived:action:` + the first 32 hex characters of the SHA-256 of the action's identity:
 * canonical JSON of company_id, action_name, user_id, session_token, subscription_id,
 * request.time (normalized to UTC, or null when absent), request.uri, request.ip_address,
 * request.user_agent_string and metadata (object keys sorted at every depth; absent and null
 * are the same). So two identical actions are one and count once, whatever their key order;
 * any difference in those fields makes them two. An action with neither transaction_id nor
 * request.time is identified by its content alone: repeats of it count once (send either to
 * count them).
 *
 * time = request.time, else the record's arrival (`context.receivedAt`: the Kinesis arrival in
 * the consumer, the request's in the HTTP API). An ISO time without a zone is UTC, as the
 * Actions API reads it (`2024-03-01T04:45:42.914`).
 *
 * Limits:
 * - company_id missing, null or blank → MISSING_CLIENT_ID; longer than 256 → SCHEMA_VIOLATION.
 * - transaction_id, when present (not null), not a UUID (8-4-4-4-12 hex, any version) →
 *   INVALID_TRANSACTION_ID.
 * - action_name, user_id, subscription_id: 1–256 characters; session_token ≤ 1024,
 *   request.uri ≤ 2048, request.ip_address ≤ 256, request.user_agent_string ≤ 1024 characters
 *   → SCHEMA_VIOLATION. The optional fields may be null (treated as absent for user_id,
 *   session_token and subscription_id, kept as sent in request).
 * - metadata: a JSON object of at most 64 KiB (65,536 bytes of UTF-8) serialized →
 *   SCHEMA_VIOLATION when not an object, PAYLOAD_TOO_LARGE when bigger.
 * - request.time: ISO 8601, UTC when it has no zone → INVALID_EVENT_TIME; absent with no
 *   arrival known → INVALID_EVENT_TIME. The accepted skew is the consumer's window
 *   ([arrival − 7 days, arrival + 15 minutes] → EVENT_TIME_OUT_OF_RANGE).
 */
export const PRODUCT_ACTION_LIMITS = {
  maxFieldLength: 256,
  maxUriLength: 2048,
  maxIpAddressLength: 256,
  maxUserAgentLength: 1024,
  maxSessionTokenLength: 1024,
  maxMetadataBytes: 64 * 1024,
} as const;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const text = z.string().min(1).max(PRODUCT_ACTION_LIMITS.maxFieldLength);

export const productActionSchema = z.object({
  action_name: text,
  company_id: z.string().max(PRODUCT_ACTION_LIMITS.maxFieldLength),
  user_id: text.nullish(),
  transaction_id: z.string().nullish(),
  session_token: z.string().min(1).max(PRODUCT_ACTION_LIMITS.maxSessionTokenLength).nullish(),
  subscription_id: text.nullish(),
  request: z
    .object({
      // Checked by normalizeEventTime, so a bad time is INVALID_EVENT_TIME.
      time: z.unknown().optional(),
      uri: z.string().max(PRODUCT_ACTION_LIMITS.maxUriLength).nullish(),
      ip_address: z.string().max(PRODUCT_ACTION_LIMITS.maxIpAddressLength).nullish(),
      user_agent_string: z.string().max(PRODUCT_ACTION_LIMITS.maxUserAgentLength).nullish(),
    })
    .nullish(),
  metadata: z.record(z.string(), z.unknown()).nullish(),
});

type ProductAction = z.output<typeof productActionSchema>;

/** JSON with object keys sorted at every depth: the same value whatever the producer's key order. */
const canonicalJson = (value: unknown): unknown => {
  if (Array.isArray(value)) return value.map(canonicalJson);
  if (value !== null && typeof value === 'object') {
    // fromEntries defines own properties (an own `__proto__` stays data); integer-like keys
    // come first whatever the order, which is as deterministic.
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((key) => [key, canonicalJson((value as Record<string, unknown>)[key])]),
    );
  }
  return value;
};

/**
 * The id of an action without transaction_id: stable over key order, different for any other
 * identity field. `time` is request.time normalized, or null when the producer sent none (never
 * the arrival, so a re-sent action keeps its id).
 */
export const actionIdentityId = (
  action: ProductAction,
  time: string | null,
  metadata: Record<string, unknown>,
): string => {
  const request = action.request ?? {};
  const canonical = JSON.stringify([
    action.company_id,
    action.action_name,
    action.user_id ?? null,
    action.session_token ?? null,
    action.subscription_id ?? null,
    time,
    request.uri ?? null,
    request.ip_address ?? null,
    request.user_agent_string ?? null,
    canonicalJson(metadata),
  ]);
  return `${DERIVED_ID_PREFIX}action:${createHash('sha256').update(canonical).digest('hex').slice(0, 32)}`;
};

export const productActionAdapter: SourceAdapter = {
  name: 'product-action',
  derivesIds: true,

  // Not ours when the payload also carries another source's marker (never guess).
  matches: (payload) =>
    'action_name' in payload &&
    !('meterApiName' in payload) &&
    !('detail-type' in payload) &&
    !PRODUCER_KINDS.has(payload.kind),

  toCanonical(payload, context) {
    const companyId = payload.company_id;
    if (companyId === undefined || companyId === null || (typeof companyId === 'string' && companyId.trim() === '')) {
      throw new InvalidRecordError('MISSING_CLIENT_ID', 'Product action has no company_id');
    }
    const transactionId = payload.transaction_id;
    if (
      transactionId !== undefined &&
      transactionId !== null &&
      (typeof transactionId !== 'string' || !UUID.test(transactionId))
    ) {
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
    const request = action.request ?? {};
    const sentTime =
      request.time === undefined || request.time === null
        ? null
        : normalizeEventTime(request.time, { zonelessIsUtc: true });
    if (sentTime === null && context === undefined) {
      throw new InvalidRecordError(
        'INVALID_EVENT_TIME',
        'Product action has no request.time and its arrival time is unknown',
      );
    }
    const time = sentTime ?? normalizeEventTime(context?.receivedAt);
    const id =
      typeof action.transaction_id === 'string'
        ? action.transaction_id.toLowerCase()
        : actionIdentityId(action, sentTime, metadata);
    const detail: Record<string, unknown> = { eventType: action.action_name };
    if (action.user_id !== undefined && action.user_id !== null) detail.user_id = action.user_id;
    if (typeof action.transaction_id === 'string') detail.transaction_id = id;
    if (action.session_token !== undefined && action.session_token !== null)
      detail.session_token = action.session_token;
    if (action.subscription_id !== undefined && action.subscription_id !== null)
      detail.subscription_id = action.subscription_id;
    detail.request = request;
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
