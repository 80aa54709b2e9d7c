/**
 * The records the capture library puts on the stream (one JSON object per Kinesis record,
 * partition key = clientId). The consumer's `api-call` and profile adapters
 * (`shared/sources`) read exactly these shapes.
 */

/** How a captured body is stored: parsed JSON, UTF-8 text, or base64 of the raw bytes. */
export type TransferEncoding = 'json' | 'text' | 'base64';

/** Lower-cased header names; a header sent several times keeps every value (an array). */
export type HeaderMap = Record<string, string | string[]>;

export interface CapturedBodyFields {
  /** A JSON value when `transfer_encoding` is `json`, else a string. Absent when there is no body or `logBody` is false. */
  body?: unknown;
  transfer_encoding?: TransferEncoding;
  /** Set when the body was over the size cap and was cut (then `transfer_encoding` is `text` or `base64`). */
  body_truncated?: true;
  /** The body's full size in bytes, set with `body_truncated`. */
  body_size?: number;
}

export interface ApiCallRequest extends CapturedBodyFields {
  /** ISO 8601 UTC: when the invocation started. */
  time: string;
  /** `https://host/path?query` (path and query alone when the Host header is missing). */
  uri: string;
  verb: string;
  headers: HeaderMap;
  ip_address?: string;
}

export interface ApiCallResponse extends CapturedBodyFields {
  /** ISO 8601 UTC: when the handler returned or threw. */
  time: string;
  status: number;
  headers: HeaderMap;
}

/** One captured API call: what `maskEvent` receives and returns, and `ApiCallRecord.apiCall`. */
export interface ApiCallEvent {
  request: ApiCallRequest;
  response: ApiCallResponse;
  duration_ms: number;
  user_id?: string;
  company_id?: string;
  session_token?: string;
  api_version?: string;
  metadata?: Record<string, unknown>;
  /** The Lambda request id (`context.awsRequestId`); absent on outgoing calls made outside an invocation. */
  request_id?: string;
  /** `incoming`: a call to your Lambda API; `outgoing`: a call your function made (`captureOutgoing`). */
  direction: ApiCallDirection;
  /** How many calls this record stands for: `round(100 / sampleRate)` (1 when everything is captured). */
  weight: number;
  /** The caller's `X-Moesif-Transaction-Id` / `X-Transaction-Id` header when valid, else a new UUID v4. */
  transaction_id: string;
}

export type ApiCallDirection = 'incoming' | 'outgoing';

export interface ApiCallRecord {
  kind: 'api-call';
  id: string;
  /** company_id, else the configured default client id. */
  clientId: string;
  apiCall: ApiCallEvent;
}

/** Campaign (attribution) fields of a profile; any other key is kept as well. */
export interface Campaign {
  utm_source?: string;
  utm_medium?: string;
  utm_campaign?: string;
  utm_term?: string;
  utm_content?: string;
  referrer?: string;
  referring_domain?: string;
  gclid?: string;
  [key: string]: unknown;
}

/** Fields every profile may carry besides its id (snake_case on the stream; camelCase accepted as input). */
export interface ProfileCommonFields {
  ip_address?: string;
  session_token?: string;
  user_agent_string?: string;
  /** ISO 8601 (a Date or epoch milliseconds are accepted as input). */
  modified_time?: string;
  metadata?: Record<string, unknown>;
  campaign?: Campaign;
}

export interface UserProfile extends ProfileCommonFields {
  user_id: string;
  company_id?: string;
}

export interface CompanyProfile extends ProfileCommonFields {
  company_id: string;
  company_domain?: string;
}

export interface UserProfileRecord {
  kind: 'user-profile';
  id: string;
  /** The profile's company_id, else the configured default client id. */
  clientId: string;
  time: string;
  profile: UserProfile;
}

export interface CompanyProfileRecord {
  kind: 'company-profile';
  id: string;
  /** The profile's company_id. */
  clientId: string;
  time: string;
  profile: CompanyProfile;
}

export type CaptureRecord = ApiCallRecord | UserProfileRecord | CompanyProfileRecord;

/** What the consumer accepts (shared/sources api-call and profile adapters); the library stays inside it. */
export const CAPTURE_LIMITS = {
  /** ids, user_id, company_id, api_version, clientId. */
  maxFieldLength: 256,
  maxUriLength: 8192,
  maxSessionTokenLength: 4096,
  /** metadata and campaign, serialized. */
  maxObjectBytes: 64 * 1024,
  /** Default body cap (each of request and response). */
  defaultMaxBodyBytes: 64 * 1024,
} as const;

export const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
