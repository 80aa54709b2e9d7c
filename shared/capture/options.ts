import { Logger } from '@aws-lambda-powertools/logger';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import type { Context } from 'aws-lambda';
import type { Env } from '../config';
import type { PipelineMetrics } from '../metrics';
import { CaptureMetrics } from './capture-metrics';
import { type ApiCallEvent, CAPTURE_LIMITS } from './records';

/** Where the library logs: a Powertools Logger fits; so does anything with these four methods. */
export interface CaptureLogger {
  debug(message: string, ...attributes: Record<string, unknown>[]): void;
  info(message: string, ...attributes: Record<string, unknown>[]): void;
  warn(message: string, ...attributes: Record<string, unknown>[]): void;
  error(message: string, ...attributes: Record<string, unknown>[]): void;
}

type MaybePromise<T> = T | Promise<T>;

/** Options shared by the middleware and the profile calls: where records go. */
export interface CaptureTransportOptions {
  /** Kinesis stream name or ARN; default env `CAPTURE_STREAM_NAME` (read when sending, not at import). */
  streamName?: string;
  /** Default: one client per process, created on first send from the environment (`AWS_ENDPOINT_URL_KINESIS` honoured). */
  kinesisClient?: KinesisClient;
  /**
   * clientId when there is no company id; default env `CAPTURE_DEFAULT_CLIENT_ID`, else
   * `DEFAULT_CLIENT_ID` (`unidentified`). `false` (or the env set to `false`): no default, such
   * calls are dropped (counted as NoClientId) and such profiles rejected.
   */
  defaultClientId?: string | false;
  /** Time budget for sending (and, for API calls, for the options' callbacks). Default 200 ms for API calls, 1000 ms for profiles. */
  flushTimeoutMs?: number;
  /** Log lines about what the library does (at info level) when true. */
  debug?: boolean;
  /** Default: a Powertools Logger with serviceName `api-call-capture`. */
  logger?: CaptureLogger;
  /** Environment to read defaults from; default `process.env`. */
  env?: Env;
  /**
   * Where `CaptureRecordsDropped` (by `Reason`) is counted. Default: Powertools EMF metrics of the
   * library's own (namespace `UsagePipeline`, function `apiCallCapture`; one stdout line, no API
   * call). Either way it is flushed at the end of each invocation (each profile call) that dropped something.
   */
  metrics?: PipelineMetrics;
}

/**
 * A sampling rate in percent (0–100; 100 = every call, 0 = none). Per user / per company: a
 * map from id to rate, or a function of the id (undefined: no rate for this id).
 */
export type SampleRateMap<TArgs extends unknown[]> =
  | Readonly<Record<string, number>>
  | ((id: string, ...args: TArgs) => MaybePromise<number | undefined | null>);

/** Sampling options shared by incoming and outgoing capture: the user's rate, else the company's, else the global one. */
export interface SamplingOptions<TArgs extends unknown[]> {
  /** Global rate in percent, or a function giving it per call; default 100. */
  sampleRate?: number | ((...args: TArgs) => MaybePromise<number | undefined | null>);
  /** Rate per user id (wins over the company's and the global rate). */
  sampleRateByUser?: SampleRateMap<TArgs>;
  /** Rate per company id (wins over the global rate). */
  sampleRateByCompany?: SampleRateMap<TArgs>;
}

/**
 * Options of `apiCallCapture` / `withApiCallCapture`. Every callback runs after the handler
 * (so a slow or failing callback never delays or breaks it), may be async, and is guarded:
 * when it throws, the field is left out (for `skip`: the call is captured; for `maskEvent`:
 * the call is dropped rather than sent unmasked) and a warning is logged.
 */
export interface ApiCallCaptureOptions<TEvent = unknown>
  extends CaptureTransportOptions,
    SamplingOptions<[event: TEvent, context: Context]> {
  /**
   * Default: `requestContext.authorizer.principalId` (REST Lambda authorizer), a Lambda
   * authorizer's context (`authorizer.lambda.principalId` / `userId` / `user_id` / `sub`), the
   * JWT `sub` claim (HTTP API jwt authorizer, REST Cognito authorizer), else the Cognito identity id.
   */
  identifyUser?: (event: TEvent, context: Context) => MaybePromise<string | undefined | null>;
  /** Default: none (the record's clientId is then `defaultClientId`). */
  identifyCompany?: (event: TEvent, context: Context) => MaybePromise<string | undefined | null>;
  /**
   * Default: SHA-256 (hex) of `requestContext.identity.apiKey` (REST API key) when present, else
   * of the Authorization header's credentials (scheme dropped), else of x-api-key.
   */
  getSessionToken?: (event: TEvent, context: Context) => MaybePromise<string | undefined | null>;
  /** Default: `context.functionVersion` (`$LATEST` or the published version). */
  getApiVersion?: (event: TEvent, context: Context) => MaybePromise<string | undefined | null>;
  /**
   * A JSON object (at most 64 KiB serialized) stored as the call's metadata. Default
   * `{trace_id, function_name}`: the X-Ray trace id (`_X_AMZN_TRACE_ID`, else the request's
   * X-Amzn-Trace-Id header) and `context.functionName`.
   */
  getMetadata?: (event: TEvent, context: Context) => MaybePromise<Record<string, unknown> | undefined | null>;
  /** Return true to not capture this call. Gets the handler's result (undefined when it threw). */
  skip?: (event: TEvent, context: Context, result: unknown) => MaybePromise<boolean>;
  /**
   * Applied last, just before sending (after default header masking): return the event to
   * send (or change it in place and return nothing).
   */
  // biome-ignore lint/suspicious/noConfusingVoidType: lets a block-bodied callback that edits in place return nothing.
  maskEvent?: (apiCallEvent: ApiCallEvent) => MaybePromise<ApiCallEvent | undefined | void>;
  /** Capture request and response bodies; default true. */
  logBody?: boolean;
  /** Body cap in bytes (each of request and response); default 64 KiB. */
  maxBodyBytes?: number;
  /**
   * Header names (any case) whose values are replaced by `*****`; default authorization,
   * cookie, set-cookie, x-api-key, proxy-authorization. `[]` masks none.
   */
  maskHeaders?: readonly string[];
}

export const DEFAULT_MASKED_HEADERS: readonly string[] = [
  'authorization',
  'cookie',
  'set-cookie',
  'x-api-key',
  'proxy-authorization',
];
export const HEADER_MASK = '*****';
export const DEFAULT_API_CALL_FLUSH_TIMEOUT_MS = 200;
export const DEFAULT_PROFILE_FLUSH_TIMEOUT_MS = 1000;

let defaultLogger: CaptureLogger | undefined;
const getDefaultLogger = (): CaptureLogger => {
  defaultLogger ??= new Logger({ serviceName: 'api-call-capture' });
  return defaultLogger;
};

/** A logger that never throws (a broken logger must not break the handler either). */
export class SafeLogger {
  constructor(
    private readonly target: CaptureLogger | undefined,
    readonly debugEnabled: boolean,
  ) {}

  private call(level: keyof CaptureLogger, message: string, attributes?: Record<string, unknown>): void {
    try {
      const logger = this.target ?? getDefaultLogger();
      if (attributes === undefined) logger[level](message);
      else logger[level](message, attributes);
    } catch {
      // Nothing left to tell.
    }
  }

  /** Only when `debug` is on, at info level (so it shows with the default log level). */
  debug(message: string, attributes?: Record<string, unknown>): void {
    if (this.debugEnabled) this.call('info', message, attributes);
  }
  info(message: string, attributes?: Record<string, unknown>): void {
    this.call('info', message, attributes);
  }
  warn(message: string, attributes?: Record<string, unknown>): void {
    this.call('warn', message, attributes);
  }
  error(message: string, attributes?: Record<string, unknown>): void {
    this.call('error', message, attributes);
  }
}

const positiveNumber = (value: unknown, fallback: number): number =>
  typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : fallback;

export interface ResolvedTransport {
  logger: SafeLogger;
  metrics: CaptureMetrics;
  flushTimeoutMs: number;
  env: Env;
  kinesisClient: KinesisClient | undefined;
  /** Read when sending, so the environment may be set after import. */
  streamName(): string | undefined;
  defaultClientId(): string | undefined;
}

/** The clientId of calls and user profiles without a company, unless `defaultClientId` says otherwise. */
export const DEFAULT_CLIENT_ID = 'unidentified';

export const resolveTransport = (
  options: CaptureTransportOptions,
  defaultFlushTimeoutMs: number,
): ResolvedTransport => {
  const env = options.env ?? process.env;
  const logger = new SafeLogger(options.logger, options.debug === true);
  return {
    logger,
    metrics: new CaptureMetrics(options.metrics, env, (message, attributes) => logger.warn(message, attributes)),
    flushTimeoutMs: positiveNumber(options.flushTimeoutMs, defaultFlushTimeoutMs),
    env,
    kinesisClient: options.kinesisClient,
    streamName: () => options.streamName?.trim() || env.CAPTURE_STREAM_NAME?.trim() || undefined,
    defaultClientId: () => {
      if (options.defaultClientId === false) return undefined;
      const configured = options.defaultClientId?.trim() || env.CAPTURE_DEFAULT_CLIENT_ID?.trim();
      if (configured === 'false') return undefined;
      return configured || DEFAULT_CLIENT_ID;
    },
  };
};

export interface ResolvedApiCallOptions<TEvent> {
  transport: ResolvedTransport;
  options: ApiCallCaptureOptions<TEvent>;
  logBody: boolean;
  maxBodyBytes: number;
  maskedHeaders: ReadonlySet<string>;
}

export const resolveApiCallOptions = <TEvent>(
  input: ApiCallCaptureOptions<TEvent> | undefined,
): ResolvedApiCallOptions<TEvent> => {
  const options = input ?? {};
  const masked = Array.isArray(options.maskHeaders) ? options.maskHeaders : DEFAULT_MASKED_HEADERS;
  return {
    transport: resolveTransport(options, DEFAULT_API_CALL_FLUSH_TIMEOUT_MS),
    options,
    logBody: options.logBody !== false,
    maxBodyBytes: Math.floor(positiveNumber(options.maxBodyBytes, CAPTURE_LIMITS.defaultMaxBodyBytes)),
    maskedHeaders: new Set(masked.filter((name) => typeof name === 'string').map((name) => name.toLowerCase())),
  };
};
