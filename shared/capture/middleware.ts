import { createHash, randomUUID } from 'node:crypto';
import type { MiddlewareObj } from '@middy/core';
import type { Context } from 'aws-lambda';
import { toError } from '../errors';
import { flushActiveOutgoing } from './active-outgoing';
import {
  errorResponse,
  eventHeaders,
  headerValue,
  maskHeaders,
  type RequestSnapshot,
  type ResponseSnapshot,
  snapshotRequest,
  snapshotResponse,
} from './api-call-event';
import { CaptureBuffer } from './capture-buffer';
import { CAPTURE_DROP_REASONS, type CaptureDropReason } from './capture-metrics';
import { type ApiCallCaptureOptions, HEADER_MASK, type ResolvedApiCallOptions, resolveApiCallOptions } from './options';
import { type ApiCallEvent, type ApiCallRecord, CAPTURE_LIMITS, type HeaderMap, isPlainObject } from './records';
import { sampled, sampleRateFor, weightFor } from './sampling';

/** What the capture keeps between the start of an invocation and its end. */
export interface PendingCapture<TEvent> {
  event: TEvent;
  context: Context;
  request: RequestSnapshot;
  startedAt: number;
}

/** How the invocation ended: a result (possibly set by an error-handling middleware), an error, or both. */
export interface InvocationOutcome {
  result?: unknown;
  error?: unknown;
}

const path = (value: unknown, ...keys: string[]): unknown => {
  let current = value;
  for (const key of keys) {
    if (!isPlainObject(current)) return undefined;
    current = current[key];
  }
  return current;
};

const nonEmpty = (value: unknown): string | undefined =>
  typeof value === 'string' && value.trim() !== '' ? value : undefined;

const LAMBDA_AUTHORIZER_USER_KEYS = ['principalId', 'userId', 'user_id', 'sub'] as const;

/**
 * `requestContext.authorizer.principalId` (REST Lambda authorizer), a Lambda authorizer's
 * context (HTTP API: `authorizer.lambda.{principalId, userId, user_id, sub}`), the JWT `sub`
 * (v2 jwt authorizer, v1 Cognito user pool authorizer), else the Cognito identity id.
 */
export const defaultUserId = (event: unknown): string | undefined =>
  nonEmpty(path(event, 'requestContext', 'authorizer', 'principalId')) ??
  LAMBDA_AUTHORIZER_USER_KEYS.map((key) => nonEmpty(path(event, 'requestContext', 'authorizer', 'lambda', key))).find(
    (value) => value !== undefined,
  ) ??
  nonEmpty(path(event, 'requestContext', 'authorizer', 'jwt', 'claims', 'sub')) ??
  nonEmpty(path(event, 'requestContext', 'authorizer', 'claims', 'sub')) ??
  nonEmpty(path(event, 'requestContext', 'identity', 'cognitoIdentityId')) ??
  nonEmpty(path(event, 'requestContext', 'authorizer', 'iam', 'cognitoIdentity', 'identityId'));

/**
 * SHA-256 (hex) of the REST API key (`requestContext.identity.apiKey`) when present, else of
 * the Authorization credentials (the scheme dropped), else of x-api-key: stable per token, not the secret.
 */
export const defaultSessionToken = (event: unknown): string | undefined => {
  const apiKey = nonEmpty(path(event, 'requestContext', 'identity', 'apiKey'))?.trim();
  const headers = eventHeaders(event);
  const authorization = nonEmpty(headerValue(headers, 'authorization'))?.trim();
  const credentials =
    apiKey ||
    authorization?.replace(/^[A-Za-z][\w-]*\s+(?=\S)/, '') ||
    nonEmpty(headerValue(headers, 'x-api-key'))?.trim();
  return credentials ? hashToken(credentials) : undefined;
};

export const hashToken = (credentials: string): string => createHash('sha256').update(credentials).digest('hex');

/** The X-Ray trace id: `Root=…` of `_X_AMZN_TRACE_ID`, else of the X-Amzn-Trace-Id header (the whole value when it has no Root). */
export const traceId = (env: Readonly<Record<string, string | undefined>>, headers: HeaderMap): string | undefined => {
  const raw = nonEmpty(env._X_AMZN_TRACE_ID) ?? nonEmpty(headerValue(headers, 'x-amzn-trace-id'));
  if (raw === undefined) return undefined;
  const root = /(?:^|;)\s*Root=([^;]+)/.exec(raw)?.[1]?.trim();
  return (root || raw.trim()).slice(0, CAPTURE_LIMITS.maxFieldLength);
};

/** `{trace_id, function_name}`, each when known. */
export const defaultMetadata = (
  env: Readonly<Record<string, string | undefined>>,
  headers: HeaderMap,
  context: Context | undefined,
): Record<string, unknown> | undefined => {
  const metadata: Record<string, unknown> = {};
  const trace = traceId(env, headers);
  if (trace !== undefined) metadata.trace_id = trace;
  const functionName = nonEmpty(context?.functionName);
  if (functionName !== undefined) metadata.function_name = functionName;
  return Object.keys(metadata).length > 0 ? metadata : undefined;
};

/** A caller-chosen transaction id (`X-Moesif-Transaction-Id`, `X-Transaction-Id`) when 1–256 characters, else a new UUID. */
export const transactionId = (headers: HeaderMap): string => {
  const given = (headerValue(headers, 'x-moesif-transaction-id') ?? headerValue(headers, 'x-transaction-id'))?.trim();
  return given && given.length <= CAPTURE_LIMITS.maxFieldLength ? given : randomUUID();
};

const TIMED_OUT = Symbol('timed out');

/** API Gateway gives up on an integration well before this: an older receive time is not this call's. */
export const MAX_RECEIVE_LAG_MS = 5 * 60 * 1000;

/** The capture core behind both the middy middleware and the plain wrapper. Never throws. */
export class ApiCallCapturer<TEvent> {
  private readonly resolved: ResolvedApiCallOptions<TEvent>;
  private readonly buffer: CaptureBuffer;

  constructor(options?: ApiCallCaptureOptions<TEvent>) {
    this.resolved = resolveApiCallOptions(options);
    this.buffer = new CaptureBuffer(this.resolved.transport);
  }

  private get logger() {
    return this.resolved.transport.logger;
  }

  private dropped(reason: CaptureDropReason): void {
    this.resolved.transport.metrics.dropped(reason);
  }

  /** At the end of every invocation (captured or not): emits the drops counted in it. Never throws. */
  flushMetrics(): void {
    this.resolved.transport.metrics.flush();
  }

  /** Finishes the capture, if one was started, then flushes the metrics. Never throws. */
  async complete(pending: PendingCapture<TEvent> | undefined, outcome: InvocationOutcome): Promise<void> {
    try {
      const outgoingDeadline = Date.now() + this.resolved.transport.flushTimeoutMs;
      if (pending !== undefined) await this.finish(pending, outcome);
      // Outgoing calls made during the invocation go out before it returns, within the same budget.
      await flushActiveOutgoing(outgoingDeadline - Date.now());
    } finally {
      this.flushMetrics();
    }
  }

  /** Snapshots the request before the handler runs; undefined when the event is not an HTTP event (or on any failure). */
  start(event: TEvent, context: Context): PendingCapture<TEvent> | undefined {
    try {
      const startedAt = Date.now();
      const request = snapshotRequest(event, {
        logBody: this.resolved.logBody,
        maxBodyBytes: this.resolved.maxBodyBytes,
      });
      if (request === undefined) {
        this.logger.debug('Capture: not an API Gateway or ALB event, not captured');
        return undefined;
      }
      return { event, context, request, startedAt };
    } catch (caught) {
      this.logger.warn('Capture: could not read the request, call not captured', { error: toError(caught).message });
      this.dropped(CAPTURE_DROP_REASONS.requestUnreadable);
      return undefined;
    }
  }

  /**
   * Builds the API-call record and sends it, all within `flushTimeoutMs` (the callbacks
   * included). Never throws; never touches the handler's result or error.
   */
  async finish(pending: PendingCapture<TEvent>, outcome: InvocationOutcome): Promise<void> {
    try {
      const endedAt = Date.now();
      const deadline = endedAt + this.resolved.transport.flushTimeoutMs;
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timeout = new Promise<typeof TIMED_OUT>((resolve) => {
        timer = setTimeout(() => resolve(TIMED_OUT), this.resolved.transport.flushTimeoutMs);
      });
      const building = this.build(pending, outcome, endedAt);
      building.catch(() => undefined);
      let record: ApiCallRecord | undefined | typeof TIMED_OUT;
      try {
        record = await Promise.race([building, timeout]);
      } finally {
        clearTimeout(timer);
      }
      if (record === TIMED_OUT) {
        this.logger.warn('Capture: options took longer than the time budget, call not captured', {
          notSent: 1,
          flushTimeoutMs: this.resolved.transport.flushTimeoutMs,
        });
        this.dropped(CAPTURE_DROP_REASONS.optionsTimeout);
        return;
      }
      if (record === undefined) return;
      if (!this.buffer.add(record)) return;
      this.logger.debug('Capture: API call captured', {
        id: record.id,
        clientId: record.clientId,
        status: record.apiCall.response.status,
      });
      await this.buffer.flush(deadline - Date.now());
    } catch (caught) {
      this.logger.error('Capture: call not captured', { error: toError(caught).message });
      this.dropped(CAPTURE_DROP_REASONS.captureError);
    }
  }

  /** Runs a user callback; on a throw, logs which option failed and returns undefined. */
  private async guarded<T>(name: string, fn: (() => T | Promise<T>) | undefined): Promise<T | undefined> {
    if (fn === undefined) return undefined;
    try {
      return await fn();
    } catch (caught) {
      this.logger.warn(`Capture: option ${name} threw; ignored`, { error: toError(caught).message });
      return undefined;
    }
  }

  private async build(
    pending: PendingCapture<TEvent>,
    outcome: InvocationOutcome,
    endedAt: number,
  ): Promise<ApiCallRecord | undefined> {
    const { options } = this.resolved;
    const { event, context } = pending;
    const skip = await this.guarded('skip', options.skip && (() => options.skip?.(event, context, outcome.result)));
    if (skip === true) {
      this.logger.debug('Capture: call skipped');
      return undefined;
    }
    const apiCall = await this.apiCallEvent(pending, outcome, endedAt);
    const rate = await sampleRateFor(
      options,
      { userId: apiCall.user_id, companyId: apiCall.company_id },
      [event, context],
      (name, caught) => this.logger.warn(`Capture: option ${name} threw; ignored`, { error: toError(caught).message }),
    );
    if (!sampled(rate)) {
      this.logger.debug('Capture: call not sampled', { sampleRate: rate });
      return undefined;
    }
    apiCall.weight = weightFor(rate);
    let masked: ApiCallEvent | undefined = apiCall;
    if (options.maskEvent) {
      try {
        const returned = await options.maskEvent(apiCall);
        masked = returned ?? apiCall;
      } catch (caught) {
        // Sending the unmasked call would leak what maskEvent is there to hide.
        this.logger.warn('Capture: option maskEvent threw; call dropped', {
          error: toError(caught).message,
          dropped: 1,
        });
        this.dropped(CAPTURE_DROP_REASONS.maskEventFailed);
        return undefined;
      }
    }
    if (!isPlainObject(masked) || !isPlainObject(masked.request) || !isPlainObject(masked.response)) {
      this.logger.warn('Capture: maskEvent returned something other than an API-call event; call dropped', {
        dropped: 1,
      });
      this.dropped(CAPTURE_DROP_REASONS.maskEventInvalid);
      return undefined;
    }
    const safe = withinLimits(masked, this.logger);
    const clientId = safe.company_id ?? this.resolved.transport.defaultClientId();
    if (clientId === undefined || clientId.length > CAPTURE_LIMITS.maxFieldLength) {
      this.logger.warn('Capture: no clientId (no company id and the default client id disabled); call dropped', {
        dropped: 1,
      });
      this.dropped(CAPTURE_DROP_REASONS.noClientId);
      return undefined;
    }
    return { kind: 'api-call', id: randomUUID(), clientId, apiCall: safe };
  }

  private async apiCallEvent(
    pending: PendingCapture<TEvent>,
    outcome: InvocationOutcome,
    endedAt: number,
  ): Promise<ApiCallEvent> {
    const { options, maskedHeaders, logBody, maxBodyBytes } = this.resolved;
    const { event, context, request } = pending;
    const hasResult = outcome.result !== undefined || !('error' in outcome);
    let response: ResponseSnapshot;
    try {
      response = hasResult
        ? snapshotResponse(request.kind, outcome.result, { logBody, maxBodyBytes })
        : errorResponse();
    } catch {
      response = errorResponse();
    }
    const userId = options.identifyUser
      ? await this.guarded('identifyUser', () => options.identifyUser?.(event, context))
      : defaultUserId(event);
    const companyId = await this.guarded(
      'identifyCompany',
      options.identifyCompany && (() => options.identifyCompany?.(event, context)),
    );
    const sessionToken = options.getSessionToken
      ? await this.guarded('getSessionToken', () => options.getSessionToken?.(event, context))
      : defaultSessionToken(event);
    const apiVersion = options.getApiVersion
      ? await this.guarded('getApiVersion', () => options.getApiVersion?.(event, context))
      : context?.functionVersion;
    let metadata = options.getMetadata
      ? await this.guarded('getMetadata', () => options.getMetadata?.(event, context))
      : defaultMetadata(this.resolved.transport.env, request.headers, context);
    if (metadata !== undefined && metadata !== null && !isPlainObject(metadata)) {
      this.logger.warn('Capture: getMetadata did not return a JSON object; ignored');
      metadata = undefined;
    }
    if ('error' in outcome) {
      const errorName = outcome.error instanceof Error ? outcome.error.name : typeof outcome.error;
      metadata = { ...(metadata ?? {}), handler_error: errorName };
    }
    // API Gateway's receive time, so the time before the function ran (cold start, queueing) shows;
    // the function's own start when it is missing, ahead of the function's clock, or older than
    // MAX_RECEIVE_LAG_MS (a replayed or sample event: its time would be out of the consumer's window).
    const lag = request.receivedAt !== undefined ? pending.startedAt - request.receivedAt : -1;
    const requestAt =
      lag >= 0 && lag <= MAX_RECEIVE_LAG_MS && request.receivedAt !== undefined
        ? request.receivedAt
        : pending.startedAt;
    const requestId =
      typeof context?.awsRequestId === 'string' && context.awsRequestId !== '' ? context.awsRequestId : undefined;
    const call: ApiCallEvent = {
      request: {
        time: new Date(requestAt).toISOString(),
        uri: request.uri,
        verb: request.verb,
        headers: maskHeaders(request.headers, maskedHeaders, HEADER_MASK),
        ...(request.ip_address !== undefined && { ip_address: request.ip_address }),
        ...request.body,
      },
      response: {
        time: new Date(endedAt).toISOString(),
        status: response.status,
        headers: maskHeaders(response.headers, maskedHeaders, HEADER_MASK),
        ...response.body,
      },
      duration_ms: Math.max(0, endedAt - requestAt),
      ...(requestId !== undefined && { request_id: requestId }),
      direction: 'incoming',
      weight: 1,
      transaction_id: transactionId(request.headers),
    };
    const text = (value: unknown): string | undefined =>
      typeof value === 'string' && value.trim() !== '' ? value : undefined;
    const user = text(userId);
    const company = text(companyId);
    const session = text(sessionToken);
    const version = text(apiVersion);
    if (user !== undefined) call.user_id = user;
    if (company !== undefined) call.company_id = company;
    if (session !== undefined) call.session_token = session;
    if (version !== undefined) call.api_version = version;
    if (metadata) call.metadata = metadata;
    return call;
  }
}

/** Keeps the call inside what the consumer accepts, dropping (with a warning) what would get it quarantined. */
export const withinLimits = (
  call: ApiCallEvent,
  logger: { warn(message: string, attributes?: Record<string, unknown>): void },
): ApiCallEvent => {
  const out: ApiCallEvent = { ...call };
  if (typeof out.request.uri === 'string' && out.request.uri.length > CAPTURE_LIMITS.maxUriLength) {
    out.request = { ...out.request, uri: out.request.uri.slice(0, CAPTURE_LIMITS.maxUriLength) };
  }
  const limits = {
    user_id: CAPTURE_LIMITS.maxFieldLength,
    company_id: CAPTURE_LIMITS.maxFieldLength,
    api_version: CAPTURE_LIMITS.maxFieldLength,
    session_token: CAPTURE_LIMITS.maxSessionTokenLength,
  } as const;
  for (const [field, max] of Object.entries(limits) as [keyof typeof limits, number][]) {
    const value: unknown = out[field];
    if (value === undefined) continue;
    if (typeof value !== 'string' || value.length === 0 || value.length > max) {
      logger.warn(`Capture: ${field} is not a string of 1 to ${max} characters; left out`);
      delete out[field];
    }
  }
  if (out.metadata !== undefined) {
    let bytes: number | undefined;
    try {
      bytes = isPlainObject(out.metadata) ? Buffer.byteLength(JSON.stringify(out.metadata), 'utf8') : undefined;
    } catch {
      bytes = undefined;
    }
    if (bytes === undefined || bytes > CAPTURE_LIMITS.maxObjectBytes) {
      logger.warn('Capture: metadata is not a JSON object of at most 64 KiB; left out', { bytes });
      delete out.metadata;
    }
  }
  if (
    out.request_id !== undefined &&
    (typeof out.request_id !== 'string' ||
      out.request_id === '' ||
      out.request_id.length > CAPTURE_LIMITS.maxFieldLength)
  ) {
    delete out.request_id;
  }
  if (out.direction !== 'incoming' && out.direction !== 'outgoing') out.direction = 'incoming';
  if (typeof out.weight !== 'number' || !Number.isInteger(out.weight) || out.weight < 1) out.weight = 1;
  if (
    typeof out.transaction_id !== 'string' ||
    out.transaction_id === '' ||
    out.transaction_id.length > CAPTURE_LIMITS.maxFieldLength
  ) {
    out.transaction_id = randomUUID();
  }
  return out;
};

/**
 * Middy middleware capturing each API Gateway (REST v1, HTTP API v2) or ALB invocation as
 * an API-call record on the stream, sent before the invocation returns. Register it first
 * (`.use(apiCallCapture())` before the others) so it sees the request before body parsers
 * change it and the final response after the other middlewares. The handler's response and
 * errors pass through untouched. Records it drops are counted (CaptureRecordsDropped, by
 * Reason) and the metrics flushed at the end of the invocation.
 */
export const apiCallCapture = <TEvent = unknown, TResult = unknown>(
  options?: ApiCallCaptureOptions<TEvent>,
): MiddlewareObj<TEvent, TResult> => {
  const capturer = new ApiCallCapturer<TEvent>(options);
  const pending = new WeakMap<object, PendingCapture<TEvent>>();
  const take = (request: object): PendingCapture<TEvent> | undefined => {
    const found = pending.get(request);
    pending.delete(request);
    return found;
  };
  // Each hook returns undefined: a value would be an early response for middy.
  return {
    name: 'apiCallCapture',
    before: (request) => {
      const started = capturer.start(request.event, request.context);
      if (started !== undefined) pending.set(request, started);
    },
    after: async (request) => {
      await capturer.complete(take(request), { result: request.response });
    },
    onError: async (request) => {
      // An error-handling middleware that ran before this one may have set the response.
      const outcome: InvocationOutcome =
        request.response !== undefined && request.response !== null
          ? { result: request.response, error: request.error }
          : { error: request.error };
      await capturer.complete(take(request), outcome);
    },
  };
};

/**
 * The same capture for a handler that does not use middy: the returned handler resolves to
 * the very object the handler returned and rethrows the very error it threw.
 */
export const withApiCallCapture = <TEvent, TResult>(
  handler: (event: TEvent, context: Context) => TResult | Promise<TResult>,
  options?: ApiCallCaptureOptions<TEvent>,
): ((event: TEvent, context: Context) => Promise<TResult>) => {
  const capturer = new ApiCallCapturer<TEvent>(options);
  return async (event: TEvent, context: Context): Promise<TResult> => {
    const started = capturer.start(event, context);
    let result: TResult;
    try {
      result = await handler(event, context);
    } catch (error) {
      await capturer.complete(started, { error });
      throw error;
    }
    await capturer.complete(started, { result });
    return result;
  };
};
