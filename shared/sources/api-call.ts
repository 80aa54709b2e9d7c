import { z } from 'zod';
import { InvalidRecordError } from '../errors';
import { normalizeEventTime } from '../event-time';
import { parseWith, type SourceAdapter } from './source-adapter';

/**
 * API calls captured by the `apiCallCapture` middleware (`shared/capture`) in a user's own
 * Lambda API (API Gateway REST v1, HTTP API v2, ALB):
 * `{kind: "api-call", id, clientId, apiCall: {request: {time, uri, verb, headers, ip_address,
 * body, transfer_encoding}, response: {time, status, headers, body, transfer_encoding},
 * duration_ms, user_id?, company_id?, session_token?, api_version?, metadata?, request_id?,
 * direction?, weight?, transaction_id?}}`.
 *
 * Mapping: id = `id` (the middleware's UUID, the dedup key), clientId = `clientId` (the
 * company_id, else the middleware's defaultClientId), time = apiCall.request.time, source
 * `api.calls`, `detail-type` `ApiCall`, detail = {eventType: "api_call", ...apiCall} (the lake
 * partition is `eventType=api_call`). Keys outside this shape are dropped.
 *
 * Limits:
 * - clientId missing, null or blank → MISSING_CLIENT_ID; longer than 256 → SCHEMA_VIOLATION.
 * - direction: `incoming` | `outgoing`; weight: an integer ≥ 1; transaction_id 1–256 characters.
 * - id, user_id, company_id, api_version, request_id: 1–256 characters; session_token ≤ 4096;
 *   request.uri 1–8192; verb 1–32; ip_address ≤ 256; transfer_encoding ≤ 32 → SCHEMA_VIOLATION.
 * - headers: an object of string (or string array) values → SCHEMA_VIOLATION.
 * - response.status: an integer in [100, 599]; duration_ms: a finite number ≥ 0 → SCHEMA_VIOLATION.
 * - metadata: a JSON object of at most 64 KiB serialized → SCHEMA_VIOLATION when not an
 *   object, PAYLOAD_TOO_LARGE when bigger.
 * - request.time and response.time: ISO 8601 with a zone → INVALID_EVENT_TIME. The accepted
 *   skew is the consumer's window ([arrival − 7 days, arrival + 15 minutes]).
 * - Bodies are any JSON; `body_truncated` a boolean, `body_size` an integer ≥ 0 (set by the
 *   library when it cut a body over its cap) → SCHEMA_VIOLATION. The whole record is bounded
 *   by the consumer (RECORD_TOO_LARGE).
 */
export const API_CALL_LIMITS = {
  maxFieldLength: 256,
  maxUriLength: 8192,
  maxVerbLength: 32,
  maxIpAddressLength: 256,
  maxSessionTokenLength: 4096,
  maxTransferEncodingLength: 32,
  maxMetadataBytes: 64 * 1024,
} as const;

export const API_CALL_KIND = 'api-call';

/** The `kind` values of records written by this project's producers; other adapters decline them. */
export const PRODUCER_KINDS: ReadonlySet<unknown> = new Set([
  'client-event',
  API_CALL_KIND,
  'user-profile',
  'company-profile',
]);

const text = z.string().min(1).max(API_CALL_LIMITS.maxFieldLength);
const headers = z.record(z.string(), z.union([z.string(), z.array(z.string())]));
const transferEncoding = z.string().max(API_CALL_LIMITS.maxTransferEncodingLength);
/** Set by the library when a body was over its size cap and was cut. */
const bodyTruncated = z.boolean().nullish();
const bodySize = z.number().int().min(0).nullish();

const apiCallSchema = z.object({
  request: z.object({
    // Checked by normalizeEventTime, so a missing or bad time is INVALID_EVENT_TIME.
    time: z.unknown().optional(),
    uri: z.string().min(1).max(API_CALL_LIMITS.maxUriLength),
    verb: z.string().min(1).max(API_CALL_LIMITS.maxVerbLength),
    headers: headers.optional(),
    ip_address: z.string().max(API_CALL_LIMITS.maxIpAddressLength).nullish(),
    body: z.unknown().optional(),
    transfer_encoding: transferEncoding.nullish(),
    body_truncated: bodyTruncated,
    body_size: bodySize,
  }),
  response: z.object({
    time: z.unknown().optional(),
    status: z.number().int().min(100).max(599),
    headers: headers.optional(),
    body: z.unknown().optional(),
    transfer_encoding: transferEncoding.nullish(),
    body_truncated: bodyTruncated,
    body_size: bodySize,
  }),
  duration_ms: z.number().finite().min(0),
  user_id: text.nullish(),
  company_id: text.nullish(),
  session_token: z.string().min(1).max(API_CALL_LIMITS.maxSessionTokenLength).nullish(),
  api_version: text.nullish(),
  metadata: z.record(z.string(), z.unknown()).nullish(),
  request_id: text.nullish(),
  direction: z.enum(['incoming', 'outgoing']).nullish(),
  weight: z.number().int().min(1).nullish(),
  transaction_id: text.nullish(),
});

const apiCallRecordSchema = z.object({
  kind: z.literal(API_CALL_KIND),
  id: text,
  clientId: z.string().max(API_CALL_LIMITS.maxFieldLength),
  apiCall: apiCallSchema,
});

/** The `clientId` of a profile or API-call record: MISSING_CLIENT_ID when absent or blank. */
export const assertRecordClientId = (clientId: unknown, what: string): void => {
  if (clientId === undefined || clientId === null || (typeof clientId === 'string' && clientId.trim() === '')) {
    throw new InvalidRecordError('MISSING_CLIENT_ID', `${what} has no clientId`);
  }
};

/** A metadata-like object's serialized size: PAYLOAD_TOO_LARGE above `maxMetadataBytes`. */
export const assertObjectSize = (value: unknown, field: string, what: string): void => {
  if (value === undefined || value === null) return;
  const bytes = Buffer.byteLength(JSON.stringify(value), 'utf8');
  if (bytes > API_CALL_LIMITS.maxMetadataBytes) {
    throw new InvalidRecordError(
      'PAYLOAD_TOO_LARGE',
      `${what} ${field} is ${bytes} bytes serialized; the limit is ${API_CALL_LIMITS.maxMetadataBytes}`,
    );
  }
};

/** Copies the keys whose value is neither undefined nor null. */
const defined = (value: Record<string, unknown>): Record<string, unknown> => {
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) if (item !== undefined && item !== null) out[key] = item;
  return out;
};

export const apiCallAdapter: SourceAdapter = {
  name: 'api-call',

  // Not ours when the payload also carries another source's marker (never guess).
  matches: (payload) =>
    payload.kind === API_CALL_KIND &&
    !('action_name' in payload) &&
    !('meterApiName' in payload) &&
    !('detail-type' in payload),

  toCanonical(payload) {
    assertRecordClientId(payload.clientId, 'API call');
    const record = parseWith(apiCallRecordSchema, payload, 'API call');
    const { apiCall } = record;
    assertObjectSize(apiCall.metadata, 'metadata', 'API call');
    const time = normalizeEventTime(apiCall.request.time);
    normalizeEventTime(apiCall.response.time);
    const detail: Record<string, unknown> = {
      eventType: 'api_call',
      request: defined(apiCall.request),
      response: defined(apiCall.response),
      ...defined({
        duration_ms: apiCall.duration_ms,
        user_id: apiCall.user_id,
        company_id: apiCall.company_id,
        session_token: apiCall.session_token,
        api_version: apiCall.api_version,
        metadata: apiCall.metadata,
        request_id: apiCall.request_id,
        direction: apiCall.direction,
        weight: apiCall.weight,
        transaction_id: apiCall.transaction_id,
      }),
    };
    return {
      id: record.id,
      source: 'api.calls',
      'detail-type': 'ApiCall',
      time,
      clientId: record.clientId,
      detail,
    };
  },
};
