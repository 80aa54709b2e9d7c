import type { Route } from '../../../shared/routes/routes-file';
import type { SecretLookup } from '../runtime/secrets';
import type { DeadLetterQueue } from './dead-letter';
import type { TargetRegistry } from './targets/target';

/** A secret's JSON keys by secret name (Secrets Manager locally: runtime/secrets.ts), or undefined when there is none. */
export type { SecretLookup } from '../runtime/secrets';

/**
 * The event EventBridge matches and delivers: what a PutEvents entry becomes on the bus
 * ("Amazon EventBridge events", https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-events-structure.html).
 */
export interface EventEnvelope {
  version: '0';
  id: string;
  'detail-type': string;
  source: string;
  account: string;
  /** ISO 8601 to the second, UTC: `2026-03-14T15:09:26Z`. */
  time: string;
  region: string;
  resources: string[];
  detail: Record<string, unknown>;
}

export type LogFn = (message: string, details?: Record<string, unknown>) => void;

/**
 * Where the emulator says what it does. Details name the route, the event id, the attempt, the
 * HTTP status and the error code: never a header, a body or a secret.
 */
export interface EventBridgeLogger {
  debug?: LogFn;
  info?: LogFn;
  warn?: LogFn;
  error?: LogFn;
}

/** Local timing of deliveries (AWS's own are not configurable; these keep local runs and tests short). */
export interface DeliveryTiming {
  /** The first retry waits up to this long (equal jitter: half to all of it); each retry doubles it. Default 1 s. */
  backoffBaseMs: number;
  /** The most a retry waits, before Retry-After (default 30 s). */
  backoffMaxMs: number;
  /** An API destination request's timeout: 5 s, as on AWS (ROUTE_LIMITS.apiDestinationTimeoutSeconds). */
  requestTimeoutMs: number;
}

export interface LocalEventBridgeOptions {
  /** The bus PutEvents entries name (EventBusName, or its ARN); the routes' rules are on it. */
  busName: string;
  region: string;
  /** routes.yml: one rule per route, its target by `target.type`. */
  routes: readonly Route[];
  /** The connections' secrets (`route.target.auth.secret`); a route whose secret is missing fails the constructor. */
  secrets: SecretLookup;
  /** Each route's dead-letter queue (asked once per route, when constructed). */
  deadLetters: (route: string) => DeadLetterQueue;
  /** The URL to call for a route locally (`target.localUrl` resolved by the caller); default `target.url`. */
  urlOf?: (route: Route) => string;
  /** Overrides of the local retry backoff and request timeout (tests use milliseconds). */
  timing?: Partial<DeliveryTiming>;
  /** Target implementations by `target.type`, over the built-in ones (`http`: API destinations). */
  targets?: TargetRegistry;
  /** The clock for envelopes' `time`, ingestion times and event age (epoch ms); timers always use real time. */
  now?: () => number;
  /** Jitter source (default Math.random). */
  random?: () => number;
  logger?: EventBridgeLogger;
  host?: string;
  port?: number;
}

export interface RouteStats {
  /** Events the route's rule matched. */
  matched: number;
  /** Delivered: the target took the event (an API destination answered 2xx). */
  delivered: number;
  /** Retries made (attempts after an event's first). */
  retried: number;
  /** Given up on and written to the route's dead-letter queue. */
  deadLettered: number;
  /** Given up on and not dead-lettered (the queue refused it), or still unsettled when stop() ran. */
  dropped: number;
  /** Queued, in flight or waiting for a retry. matched = delivered + deadLettered + dropped + pending. */
  pending: number;
}

export interface LocalEventBridgeStats {
  /** PutEvents calls answered (including refused ones). */
  putEvents: number;
  /** Entries accepted (given an EventId). */
  entries: number;
  /** Entries refused one by one (an ErrorCode in the response). */
  failedEntries: number;
  routes: Record<string, RouteStats>;
}
