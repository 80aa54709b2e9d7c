/**
 * An API destination as a rule target (`type: http` routes): what EventBridge does for one
 * attempt ("API destinations", https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-api-destinations.html).
 *
 * - The request: the destination's HTTP method and endpoint, the target's HttpParameters
 *   (HeaderParameters, QueryStringParameters), the connection's authorization, and the headers
 *   EventBridge adds to each request ("Headers included in requests to API destinations":
 *   User-Agent `Amazon/EventBridge/ApiDestinations`, Content-Type `application/json;
 *   charset=utf-8`, Range `bytes=0-1048575`, Accept-Encoding `gzip,deflate`, Connection `close`);
 *   the body is the rendered input.
 * - InvocationRateLimitPerSecond: invocations past the rate wait (./rate-limiter.ts).
 * - The timeout: "If the target endpoint takes longer than 5 seconds to respond, EventBridge
 *   times out the request. EventBridge retries timed out requests".
 * - Responses ("API destination error codes"): EventBridge retries 401, 407, 409, 429 and 5xx and
 *   does not retry 1xx, 2xx, 3xx or any other 4xx; Retry-After is read (../retry.ts). A 401 or 407
 *   refreshes an OAuth token. Connection errors are retried, except a name that does not resolve
 *   ("errors that result from ... the target can't be found because of an invalid address or DNS
 *   lookup failure" go straight to the DLQ, "Event retry policy and using dead-letter queues").
 *
 * What is logged names the route, the status and the error code; never a header or the body.
 */
import type { HttpTarget, Route } from '../../../../shared/routes/routes-file';
import { apiDestinationArn } from '../../runtime/aws';
import { errorMessage } from '../../runtime/errors';
import { parseRetryAfter } from '../retry';
import type { EventEnvelope } from '../types';
import { AuthorizationFailure, type Connection, connectionOf } from './connection';
import { HttpConnectionError, HttpTimeoutError, sendHttp } from './http-request';
import { InvocationRateLimiter } from './rate-limiter';
import type { AttemptOutcome, RetryPolicy, Target, TargetContext, TargetFactory } from './target';

/** The headers EventBridge includes in every request to an API destination. */
export const API_DESTINATION_HEADERS: Readonly<Record<string, string>> = {
  'User-Agent': 'Amazon/EventBridge/ApiDestinations',
  'Content-Type': 'application/json; charset=utf-8',
  Range: 'bytes=0-1048575',
  'Accept-Encoding': 'gzip,deflate',
  Connection: 'close',
};

/** Statuses EventBridge retries besides 5xx ("API destination error codes"). */
const RETRIED_STATUSES: ReadonlySet<number> = new Set([401, 407, 409, 429]);

export const isRetriedStatus = (status: number): boolean =>
  RETRIED_STATUSES.has(status) || (status >= 500 && status <= 599);

/** What an API destination's response means for the event: delivered, retried (and not before when), or dead-lettered. */
export const responseOutcome = (
  status: number,
  retryAfterHeader: string | readonly string[] | undefined,
  nowMs: number,
): AttemptOutcome => {
  if (status >= 200 && status <= 299) return { ok: true, status };
  const errorMessage = `The API destination answered ${status}`;
  if (!isRetriedStatus(status))
    return { ok: false, retryable: false, errorCode: 'ERROR_FROM_TARGET', errorMessage, status };
  const retryAfter = parseRetryAfter(retryAfterHeader, nowMs);
  if (retryAfter === 'stop') {
    return {
      ok: false,
      retryable: false,
      errorCode: 'ERROR_FROM_TARGET',
      errorMessage: `${errorMessage} with a negative Retry-After: EventBridge stops retrying`,
      status,
    };
  }
  return {
    ok: false,
    retryable: true,
    errorCode: 'ERROR_FROM_TARGET',
    errorMessage,
    status,
    ...(retryAfter !== undefined && { retryAfterMs: retryAfter }),
  };
};

/** Route headers over EventBridge's, then the connection's authorization; names compared case-insensitively. */
export const requestHeaders = (...layers: Readonly<Record<string, string>>[]): Record<string, string> => {
  const merged = new Map<string, [string, string]>();
  for (const layer of layers)
    for (const [name, value] of Object.entries(layer)) merged.set(name.toLowerCase(), [name, value]);
  return Object.fromEntries(merged.values());
};

/** The endpoint with the target's QueryStringParameters added. */
export const invocationUrl = (endpoint: string, query: Readonly<Record<string, string>>): URL => {
  const url = new URL(endpoint);
  for (const [key, value] of Object.entries(query)) url.searchParams.append(key, value);
  return url;
};

class ApiDestinationTarget implements Target {
  readonly arn: string;
  readonly retryPolicy: RetryPolicy;
  private readonly target: HttpTarget;
  private readonly url: URL;
  private readonly connection: Connection;
  private readonly limiter: InvocationRateLimiter;

  constructor(
    route: Route & { target: HttpTarget },
    private readonly context: TargetContext,
  ) {
    this.target = route.target;
    this.arn = apiDestinationArn(context.region, context.accountId, route.name);
    this.retryPolicy = {
      maximumAttempts: this.target.retry.maximumAttempts,
      maximumEventAgeSeconds: this.target.retry.maximumEventAgeSeconds,
    };
    this.url = invocationUrl(context.url, this.target.query);
    this.connection = connectionOf(route, context.secrets, {
      timeoutMs: context.timing.requestTimeoutMs,
      now: context.now,
    });
    this.limiter = new InvocationRateLimiter(this.target.rateLimitPerSecond);
  }

  async deliver(_envelope: EventEnvelope, input: string): Promise<AttemptOutcome> {
    const { signal, timing } = this.context;
    let authorization: Record<string, string>;
    try {
      authorization = await this.connection.authorize(signal);
    } catch (error) {
      if (error instanceof AuthorizationFailure) return error.failure;
      throw error;
    }
    try {
      await this.limiter.acquire(signal);
    } catch (error) {
      return {
        ok: false,
        retryable: false,
        errorCode: 'INTERNAL_ERROR',
        errorMessage: `not sent: ${errorMessage(error)}`,
      };
    }
    const withBody = this.target.method !== 'GET' && this.target.method !== 'HEAD';
    const headers = requestHeaders(API_DESTINATION_HEADERS, this.target.headers, authorization);
    if (withBody) headers['Content-Length'] = String(Buffer.byteLength(input));
    try {
      const response = await sendHttp({
        url: this.url,
        method: this.target.method,
        headers,
        ...(withBody && { body: input }),
        timeoutMs: timing.requestTimeoutMs,
        signal,
      });
      if (response.status === 401 || response.status === 407) this.connection.refresh();
      return responseOutcome(response.status, response.headers['retry-after'], this.context.now());
    } catch (error) {
      if (error instanceof HttpTimeoutError) {
        return {
          ok: false,
          retryable: true,
          errorCode: 'TIMEOUT',
          errorMessage: `The API destination did not answer within ${timing.requestTimeoutMs} ms`,
        };
      }
      if (error instanceof HttpConnectionError) {
        return {
          ok: false,
          retryable: error.code !== 'ENOTFOUND',
          errorCode: 'CONNECTION_FAILURE',
          errorMessage: `The API destination could not be reached (${error.code ?? 'connection error'})`,
        };
      }
      throw error;
    }
  }

  close(): void {
    this.limiter.close();
  }
}

export const apiDestinationTarget: TargetFactory = (route, context) => {
  if (route.target.type !== 'http')
    throw new Error(`route "${route.name}": an API destination needs a target of type http, not ${route.target.type}`);
  return new ApiDestinationTarget(route as Route & { target: HttpTarget }, context);
};
