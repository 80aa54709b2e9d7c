import { randomUUID } from 'node:crypto';
import { toError } from '../errors';
import { isOwnCall, setActiveOutgoing } from './active-outgoing';
import { maskHeaders } from './api-call-event';
import { CaptureBuffer, type FlushResult } from './capture-buffer';
import { CAPTURE_DROP_REASONS } from './capture-metrics';
import { hashToken, transactionId, withinLimits } from './middleware';
import {
  type CaptureTransportOptions,
  DEFAULT_API_CALL_FLUSH_TIMEOUT_MS,
  DEFAULT_MASKED_HEADERS,
  HEADER_MASK,
  type ResolvedTransport,
  resolveTransport,
  type SamplingOptions,
} from './options';
import { patchAll } from './outgoing-intercept';
import { headerText, type RawCall } from './outgoing-raw-call';
import { type ApiCallEvent, type ApiCallRecord, CAPTURE_LIMITS, type HeaderMap } from './records';
import { sampled, sampleRateFor, weightFor } from './sampling';

type MaybePromise<T> = T | Promise<T>;

/** What the outgoing callbacks see of one call your function made. */
export interface OutgoingCall {
  url: string;
  method: string;
  requestHeaders: HeaderMap;
  status: number;
  responseHeaders: HeaderMap;
}

export interface OutgoingCaptureOptions extends CaptureTransportOptions, SamplingOptions<[call: OutgoingCall]> {
  /** Return true to not capture this call. */
  skipOutgoing?: (call: OutgoingCall) => MaybePromise<boolean>;
  /** Default: none. */
  identifyUserOutgoing?: (call: OutgoingCall) => MaybePromise<string | undefined | null>;
  /** Default: none (the record's clientId is then the default client id). */
  identifyCompanyOutgoing?: (call: OutgoingCall) => MaybePromise<string | undefined | null>;
  /** Default: none. */
  getMetadataOutgoing?: (call: OutgoingCall) => MaybePromise<Record<string, unknown> | undefined | null>;
  /** Default: SHA-256 (hex) of the request's Authorization credentials (scheme dropped), else of x-api-key. */
  getSessionTokenOutgoing?: (call: OutgoingCall) => MaybePromise<string | undefined | null>;
  /** Capture request and response bodies (up to `maxBodyBytes` each); default true. */
  logBodyOutgoing?: boolean;
  /** Default 64 KiB. */
  maxBodyBytes?: number;
  /** Header names masked as `*****`; default as for incoming calls. */
  maskHeaders?: readonly string[];
}

/** The handle `captureOutgoing` returns. */
export interface OutgoingCapture {
  /** Sends what was captured so far (waiting for calls still being recorded), within `budgetMs`. Never throws. */
  flush(budgetMs?: number): Promise<FlushResult>;
  /** Puts `fetch` and `http(s).request/get` back as they were. */
  stop(): void;
}

const AWS_HOST = /(^|\.)(amazonaws\.com|amazonaws\.com\.cn|api\.aws|on\.aws)$/i;

/** Hosts (with port) of the AWS endpoints configured in the environment (`AWS_ENDPOINT_URL`, `AWS_ENDPOINT_URL_*`). */
const configuredAwsHosts = (env: Readonly<Record<string, string | undefined>>): Set<string> => {
  const hosts = new Set<string>();
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined || !(name === 'AWS_ENDPOINT_URL' || name.startsWith('AWS_ENDPOINT_URL_'))) continue;
    try {
      hosts.add(new URL(value).host.toLowerCase());
    } catch {
      // Not a URL: nothing to match.
    }
  }
  return hosts;
};

/** The pipeline's own AWS calls (SDK requests signed with SigV4, AWS endpoints, AWS_ENDPOINT_URL_*) and the capture's own sends. */
export const isAwsCall = (url: URL, headers: HeaderMap, env: Readonly<Record<string, string | undefined>>): boolean => {
  if (isOwnCall()) return true;
  if (/^AWS4-HMAC-SHA256\b/i.test(headerText(headers.authorization) ?? '')) return true;
  if (headers['x-amz-security-token'] !== undefined || headers['x-amz-date'] !== undefined) return true;
  if (AWS_HOST.test(url.hostname)) return true;
  return configuredAwsHosts(env).has(url.host.toLowerCase());
};

let running: OutgoingCaptureImpl | undefined;

class OutgoingCaptureImpl implements OutgoingCapture {
  readonly transport: ResolvedTransport;
  private readonly buffer: CaptureBuffer;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly maskedHeaders: ReadonlySet<string>;
  readonly logBody: boolean;
  readonly maxBodyBytes: number;
  private restore: (() => void) | undefined;

  constructor(private readonly options: OutgoingCaptureOptions) {
    this.transport = resolveTransport(options, DEFAULT_API_CALL_FLUSH_TIMEOUT_MS);
    this.buffer = new CaptureBuffer(this.transport);
    const masked = Array.isArray(options.maskHeaders) ? options.maskHeaders : DEFAULT_MASKED_HEADERS;
    this.maskedHeaders = new Set(masked.filter((name) => typeof name === 'string').map((name) => name.toLowerCase()));
    this.logBody = options.logBodyOutgoing !== false;
    const max = options.maxBodyBytes;
    this.maxBodyBytes =
      typeof max === 'number' && Number.isFinite(max) && max > 0 ? Math.floor(max) : CAPTURE_LIMITS.defaultMaxBodyBytes;
  }

  start(): void {
    this.restore = patchAll(this);
  }

  stop(): void {
    this.restore?.();
    this.restore = undefined;
    if (running === this) {
      running = undefined;
      setActiveOutgoing(undefined);
    }
  }

  excluded(url: URL, headers: HeaderMap): boolean {
    try {
      return isAwsCall(url, headers, this.transport.env);
    } catch {
      return true;
    }
  }

  /** Called once per finished call, off the call's own path: builds and queues its record. */
  record(raw: RawCall): void {
    const work = this.build(raw)
      .then((record) => {
        if (record !== undefined) this.buffer.add(record);
      })
      .catch((caught: unknown) => {
        this.transport.logger.error('Capture: outgoing call not captured', { error: toError(caught).message });
        this.transport.metrics.dropped(CAPTURE_DROP_REASONS.captureError);
      })
      .finally(() => this.inFlight.delete(work));
    this.inFlight.add(work);
  }

  /** Waits (in `flush`) for a call still being copied before it is recorded. */
  hold(work: Promise<unknown>): void {
    const held: Promise<void> = work
      .then(
        () => undefined,
        () => undefined,
      )
      .finally(() => this.inFlight.delete(held));
    this.inFlight.add(held);
  }

  private async guarded<T>(name: string, fn: (() => MaybePromise<T>) | undefined): Promise<T | undefined> {
    if (fn === undefined) return undefined;
    try {
      return await fn();
    } catch (caught) {
      this.transport.logger.warn(`Capture: option ${name} threw; ignored`, { error: toError(caught).message });
      return undefined;
    }
  }

  private async build(raw: RawCall): Promise<ApiCallRecord | undefined> {
    const { options } = this;
    const call: OutgoingCall = {
      url: raw.url.toString(),
      method: raw.method,
      requestHeaders: raw.requestHeaders,
      status: raw.status,
      responseHeaders: raw.responseHeaders,
    };
    if ((await this.guarded('skipOutgoing', options.skipOutgoing && (() => options.skipOutgoing?.(call)))) === true)
      return undefined;
    const text = (value: unknown): string | undefined =>
      typeof value === 'string' && value.trim() !== '' ? value : undefined;
    const user = text(
      await this.guarded(
        'identifyUserOutgoing',
        options.identifyUserOutgoing && (() => options.identifyUserOutgoing?.(call)),
      ),
    );
    const company = text(
      await this.guarded(
        'identifyCompanyOutgoing',
        options.identifyCompanyOutgoing && (() => options.identifyCompanyOutgoing?.(call)),
      ),
    );
    const session = text(
      options.getSessionTokenOutgoing
        ? await this.guarded('getSessionTokenOutgoing', () => options.getSessionTokenOutgoing?.(call))
        : defaultOutgoingSessionToken(raw.requestHeaders),
    );
    const metadata = await this.guarded(
      'getMetadataOutgoing',
      options.getMetadataOutgoing && (() => options.getMetadataOutgoing?.(call)),
    );
    const rate = await sampleRateFor(options, { userId: user, companyId: company }, [call], (name, caught) =>
      this.transport.logger.warn(`Capture: option ${name} threw; ignored`, { error: toError(caught).message }),
    );
    if (!sampled(rate)) return undefined;
    const requestType = headerText(raw.requestHeaders['content-type']);
    const responseType = headerText(raw.responseHeaders['content-type']);
    const event: ApiCallEvent = {
      request: {
        time: new Date(raw.startedAt).toISOString(),
        uri: call.url,
        verb: raw.method,
        headers: maskHeaders(raw.requestHeaders, this.maskedHeaders, HEADER_MASK),
        ...(raw.requestBody?.fields(requestType, this.maxBodyBytes) ?? {}),
      },
      response: {
        time: new Date(raw.endedAt).toISOString(),
        status: raw.status >= 100 && raw.status <= 599 ? raw.status : 502,
        headers: maskHeaders(raw.responseHeaders, this.maskedHeaders, HEADER_MASK),
        ...(raw.responseBody?.fields(responseType, this.maxBodyBytes) ?? {}),
      },
      duration_ms: Math.max(0, raw.endedAt - raw.startedAt),
      direction: 'outgoing',
      weight: weightFor(rate),
      transaction_id: transactionId(raw.requestHeaders),
      ...(user !== undefined && { user_id: user }),
      ...(company !== undefined && { company_id: company }),
      ...(session !== undefined && { session_token: session }),
      ...(metadata !== undefined && metadata !== null && { metadata }),
    };
    const safe = withinLimits(event, this.transport.logger);
    const clientId = safe.company_id ?? this.transport.defaultClientId();
    if (clientId === undefined || clientId.length > CAPTURE_LIMITS.maxFieldLength) {
      this.transport.logger.warn(
        'Capture: no clientId (no company id and the default client id disabled); call dropped',
        { dropped: 1 },
      );
      this.transport.metrics.dropped(CAPTURE_DROP_REASONS.noClientId);
      return undefined;
    }
    return { kind: 'api-call', id: randomUUID(), clientId, apiCall: safe };
  }

  async flush(budgetMs: number = this.transport.flushTimeoutMs): Promise<FlushResult> {
    const deadline = Date.now() + Math.max(0, budgetMs);
    try {
      if (this.inFlight.size > 0) {
        let timer: ReturnType<typeof setTimeout> | undefined;
        await Promise.race([
          Promise.allSettled([...this.inFlight]),
          new Promise((resolve) => {
            timer = setTimeout(resolve, Math.max(0, deadline - Date.now()));
          }),
        ]);
        clearTimeout(timer);
      }
      return await this.buffer.flush(deadline - Date.now());
    } catch (caught) {
      this.transport.logger.error('Capture: outgoing calls not sent', { error: toError(caught).message });
      return { sent: 0, notSent: 0 };
    } finally {
      this.transport.metrics.flush();
    }
  }
}

const defaultOutgoingSessionToken = (headers: HeaderMap): string | undefined => {
  const authorization = headerText(headers.authorization)?.trim();
  const credentials =
    authorization?.replace(/^[A-Za-z][\w-]*\s+(?=\S)/, '') || headerText(headers['x-api-key'])?.trim();
  return credentials ? hashToken(credentials) : undefined;
};

/**
 * Records the function's outbound HTTP calls (global `fetch`, `http`/`https` `request` and
 * `get`) as `api-call` records with `direction: "outgoing"`. The calls themselves are
 * untouched: same arguments, same results, same errors, no listener added, no stream read
 * (bodies are copied as they pass, up to the cap); the record is built after the call ended.
 * Never captured: the capture's own PutRecords, requests signed with SigV4 (the AWS SDK), AWS
 * endpoints (`*.amazonaws.com`, `*.api.aws`) and the hosts of `AWS_ENDPOINT_URL` /
 * `AWS_ENDPOINT_URL_*`. A call that fails without a response is not recorded. With
 * `apiCallCapture`, what was captured goes out at the end of each invocation (within its
 * budget); otherwise call `flush()` before your handler returns. One capture per process:
 * calling it again stops the previous one.
 */
export const captureOutgoing = (options?: OutgoingCaptureOptions): OutgoingCapture => {
  running?.stop();
  const capture = new OutgoingCaptureImpl(options ?? {});
  capture.start();
  running = capture;
  setActiveOutgoing(capture);
  return capture;
};
