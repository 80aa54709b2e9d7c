/** The HTTP endpoint response contract (httpdeliveryrequestresponse.html, http_troubleshooting.html): judging a response or a connection failure, and the retry back-off. */
import type { IncomingMessage } from 'node:http';
import { FIREHOSE_HTTP_BACKOFF } from '../../runtime/aws';
import { errorMessage } from '../../runtime/errors';

/** One failed request: Firehose's error code (HttpEndpoint.*) and message; `permanent` is not retried (a 413). */
export class HttpEndpointDeliveryError extends Error {
  override readonly name = 'HttpEndpointDeliveryError';
  constructor(
    readonly errorCode: string,
    message: string,
    readonly permanent = false,
  ) {
    super(message);
  }
}

/** The back-off before retry `retry` (from 1): initial × multiplier^(retry−1) × random(1 ± jitter), at most `maxMs`. */
export const backoffMs = (
  retry: number,
  backoff: { initialMs: number; maxMs: number; jitter: number; multiplier?: number } = FIREHOSE_HTTP_BACKOFF,
  random: () => number = Math.random,
): number => {
  const base = backoff.initialMs * (backoff.multiplier ?? FIREHOSE_HTTP_BACKOFF.multiplier) ** (retry - 1);
  const jittered = base * (1 - backoff.jitter + 2 * backoff.jitter * random());
  return Math.min(backoff.maxMs, jittered);
};

/** What a response body says in an error message: its text, cut at 1,024 characters. */
const excerpt = (body: Buffer): string => {
  const text = body.toString('utf8');
  return text.length > 1024 ? `${text.slice(0, 1024)}…` : text;
};

const RESPONSE_FIELDS = new Set(['requestId', 'timestamp', 'errorMessage']);

/** The reason a response does not conform to the response format, or undefined when it does. */
const nonConformance = (response: IncomingMessage, body: Buffer, requestId: string): string | undefined => {
  const type = response.headers['content-type'];
  if (type === undefined) return 'Missing Content-Type Header';
  if (type.split(';')[0]?.trim().toLowerCase() !== 'application/json')
    return `Content-Type ${type} is not application/json`;
  const encoding = response.headers['content-encoding'];
  if (encoding !== undefined && encoding.toLowerCase() !== 'identity')
    return `the response is content-encoded (${encoding})`;
  if (body.length > 0 && response.headers['content-length'] === undefined)
    return 'the response has a body but no Content-Length header';
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    return 'Invalid JSON';
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return 'the body is not a JSON object';
  const fields = parsed as Record<string, unknown>;
  const unexpected = Object.keys(fields).filter((key) => !RESPONSE_FIELDS.has(key));
  if (unexpected.length > 0) return `Unexpected Fields: ${unexpected.join(', ')}`;
  if (typeof fields.requestId !== 'string') return 'Missing RequestId';
  if (fields.requestId !== requestId) return 'RequestId does not match';
  if (typeof fields.timestamp !== 'number' || !Number.isInteger(fields.timestamp))
    return 'Missing Timestamp (it must be a number)';
  if (
    fields.errorMessage !== undefined &&
    (typeof fields.errorMessage !== 'string' || fields.errorMessage.length > 8192)
  ) {
    return 'errorMessage is not a string of at most 8,192 characters';
  }
  return undefined;
};

/** A response as Firehose judges it: undefined when the records were delivered, else the attempt's failure. */
export const judgeResponse = (
  response: IncomingMessage,
  body: Buffer,
  requestId: string,
): HttpEndpointDeliveryError | undefined => {
  const status = response.statusCode ?? 0;
  const invalid = nonConformance(response, body, requestId);
  const received = `The following response was received from the endpoint destination. ${status}: ${excerpt(body)}`;
  if (status !== 200) {
    // 413 is a permanent failure (not retried, not backed up), if the response conforms; a
    // response that does not conform is treated as a 500 with no body.
    return new HttpEndpointDeliveryError(
      'HttpEndpoint.DestinationException',
      received,
      status === 413 && invalid === undefined,
    );
  }
  if (invalid !== undefined) {
    return new HttpEndpointDeliveryError(
      'HttpEndpoint.InvalidResponseFromDestination',
      `The response received from the specified endpoint is invalid. Contact the owner of the endpoint to resolve the issue. Response for request ${requestId} is not recognized as valid JSON or has unexpected fields (${invalid}). Raw response received: ${status} ${excerpt(body)}`,
    );
  }
  const { errorMessage: message } = JSON.parse(body.toString('utf8')) as { errorMessage?: string };
  if (message !== undefined) return new HttpEndpointDeliveryError('HttpEndpoint.DestinationException', received);
  return undefined;
};

/** A request that failed before a complete response: Firehose's connection error codes. */
export const connectionError = (error: unknown): HttpEndpointDeliveryError => {
  const code = (error as { code?: unknown }).code;
  const text = errorMessage(error);
  if (code === 'ECONNRESET' || code === 'EPIPE' || code === 'ERR_STREAM_PREMATURE_CLOSE') {
    return new HttpEndpointDeliveryError(
      'HttpEndpoint.ConnectionReset',
      `The connection was reset or closed by the endpoint: ${text}`,
    );
  }
  if (
    typeof code === 'string' &&
    (code.startsWith('ERR_TLS') || code.startsWith('ERR_SSL') || code.includes('CERT') || code === 'EPROTO')
  ) {
    return new HttpEndpointDeliveryError(
      'HttpEndpoint.SSLHandshakeFailure',
      `The SSL handshake with the endpoint failed: ${text}`,
    );
  }
  return new HttpEndpointDeliveryError('HttpEndpoint.ConnectionFailed', `Could not connect to the endpoint: ${text}`);
};
