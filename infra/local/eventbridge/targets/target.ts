/**
 * A rule's target, as the bus sees it. The bus (../delivery.ts) owns what EventBridge owns for
 * every kind of target: it renders the input, calls `deliver()` once per attempt, and applies the
 * rule target's RetryPolicy (retry or not, backoff and jitter, Retry-After, maximum attempts and
 * event age) and its dead-letter queue ("Event retry policy and using dead-letter queues",
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rule-dlq.html). A target only makes
 * one attempt and says what happened:
 *
 * - `deliver(envelope, input)`: one attempt with `input` (the rendered input: the request body of
 *   an API destination, the record of a Firehose stream). It resolves, never rejects, for a failed
 *   delivery: `{ ok: true }`, or `{ ok: false, retryable, errorCode, errorMessage, retryAfterMs? }`
 *   where `retryable` says whether EventBridge would retry this failure, `errorCode` is the
 *   dead letter's ERROR_CODE (CONNECTION_FAILURE, TIMEOUT, ERROR_FROM_TARGET, ...) and
 *   `retryAfterMs` is the least wait before the next attempt the target asked for. A rejection
 *   is a bug in the target: the event is dead-lettered with INTERNAL_ERROR and not retried.
 *   Waiting for the target's own limits (an API destination's invocation rate) happens inside.
 * - `arn`: the dead letter's TARGET_ARN. `retryPolicy`: the rule target's RetryPolicy.
 * - `close()`: stop (requests in flight and waits are aborted through `context.signal` too).
 *
 * Targets are made by type (`route.target.type`) from a TargetRegistry: `http` is
 * ./api-destination.ts; another kind (`firehose-http`: ./firehose.ts) is one more factory, given
 * in LocalEventBridgeOptions.targets. Nothing else changes.
 */
import type { Route, RouteTarget } from '../../../../shared/routes/routes-file';
import type { DeliveryTiming, EventBridgeLogger, EventEnvelope, SecretLookup } from '../types';

/** A rule target's RetryPolicy (PutTargets RetryPolicy: MaximumRetryAttempts 0–185, MaximumEventAgeInSeconds 60–86400). */
export interface RetryPolicy {
  maximumAttempts: number;
  maximumEventAgeSeconds: number;
}

export interface AttemptFailure {
  ok: false;
  /** Whether EventBridge retries this failure (else the event goes straight to the dead-letter queue). */
  retryable: boolean;
  /** The dead letter's ERROR_CODE. */
  errorCode: string;
  /** The dead letter's ERROR_MESSAGE: no credential, no request header. */
  errorMessage: string;
  /** The HTTP status, when there was a response (for logs and stats). */
  status?: number;
  /** The least wait before the next attempt (a Retry-After), in ms. */
  retryAfterMs?: number;
}

export type AttemptOutcome = { ok: true; status?: number } | AttemptFailure;

export interface Target {
  readonly arn: string;
  readonly retryPolicy: RetryPolicy;
  deliver(envelope: EventEnvelope, input: string): Promise<AttemptOutcome>;
  close?(): void | Promise<void>;
}

/** What a target factory gets besides its route. */
export interface TargetContext {
  region: string;
  accountId: string;
  busName: string;
  /** The rule's ARN (RULE_ARN). */
  ruleArn: string;
  /** Where to deliver locally (LocalEventBridgeOptions.urlOf, else `target.url`). */
  url: string;
  secrets: SecretLookup;
  logger: Required<EventBridgeLogger>;
  timing: DeliveryTiming;
  now: () => number;
  /** Aborted when the bus stops. */
  signal: AbortSignal;
}

export type TargetFactory = (route: Route, context: TargetContext) => Target;

export type TargetRegistry = { [Type in RouteTarget['type']]?: TargetFactory };

/** Thrown when a route's target type has no local implementation. */
export class UnsupportedTargetError extends Error {
  override readonly name = 'UnsupportedTargetError';
  constructor(
    readonly route: string,
    readonly type: string,
  ) {
    super(`route "${route}": target type "${type}" has no local implementation (LocalEventBridgeOptions.targets)`);
  }
}

export const createTarget = (registry: TargetRegistry, route: Route, context: TargetContext): Target => {
  const factory = registry[route.target.type];
  if (!factory) throw new UnsupportedTargetError(route.name, route.target.type);
  return factory(route, context);
};
