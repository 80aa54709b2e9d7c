/**
 * When EventBridge retries a failed delivery to a rule target, and when it gives up.
 *
 * "How EventBridge retries delivering events" / "Event retry policy and using dead-letter queues"
 * (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rule-retry-policy.html,
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rule-dlq.html): retriable errors are
 * retried "with an exponential back off and jitter" until the target's RetryPolicy is used up —
 * "Retry attempts continue until either the maximum number of attempts is made or until the
 * duration of the MaximumEventAgeInSeconds is met" (API RetryPolicy) — then the event goes to the
 * dead-letter queue, whose EXHAUSTED_RETRY_CONDITION names the limit reached. Errors that are not
 * retriable go to the dead-letter queue at once, without that attribute.
 *
 * API destinations ("API destinations", https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-api-destinations.html):
 * EventBridge "reads the standard HTTP response header Retry-After to find out how long to wait
 * before making a follow-up request", "chooses the more conservative value between the defined
 * retry policy and the Retry-After header", and "If Retry-After value is negative, EventBridge
 * stops retrying delivery for that event".
 *
 * AWS does not publish its backoff's base or cap; locally they are options (DeliveryTiming).
 */

import type { RetryPolicy } from './targets/target';
import type { DeliveryTiming } from './types';

/** EXHAUSTED_RETRY_CONDITION values: the RetryPolicy limit that ended the retries. */
export const EXHAUSTED_RETRY_CONDITION = {
  attempts: 'MaximumRetryAttempts',
  age: 'MaximumEventAgeInSeconds',
} as const;
export type ExhaustedRetryCondition = (typeof EXHAUSTED_RETRY_CONDITION)[keyof typeof EXHAUSTED_RETRY_CONDITION];

export const DEFAULT_DELIVERY_TIMING: Omit<DeliveryTiming, 'requestTimeoutMs'> = {
  backoffBaseMs: 1_000,
  backoffMaxMs: 30_000,
};

/** The most retry number `retry` (1-based) waits: the base doubled per retry, capped. */
export const backoffCeiling = (retry: number, timing: Pick<DeliveryTiming, 'backoffBaseMs' | 'backoffMaxMs'>): number =>
  Math.min(timing.backoffMaxMs, timing.backoffBaseMs * 2 ** Math.max(0, retry - 1));

/**
 * The wait before retry number `retry`: exponential backoff with "equal" jitter, between half the
 * ceiling and the ceiling, so retries are spread out yet never back to back.
 */
export const backoffDelay = (
  retry: number,
  timing: Pick<DeliveryTiming, 'backoffBaseMs' | 'backoffMaxMs'>,
  random: () => number = Math.random,
): number => {
  const ceiling = backoffCeiling(retry, timing);
  return Math.round(ceiling / 2 + (ceiling / 2) * Math.min(1, Math.max(0, random())));
};

/** A Retry-After header: a wait in ms, `'stop'` when it is negative, undefined when absent or unreadable. */
export type RetryAfter = number | 'stop' | undefined;

/**
 * Reads Retry-After as RFC 9110 §10.2.3 defines it (delay-seconds or an HTTP-date). A date in the
 * past is no wait; a negative number of seconds stops the retries (the API destinations page).
 */
export const parseRetryAfter = (value: string | readonly string[] | undefined, nowMs: number): RetryAfter => {
  const text = (Array.isArray(value) ? value[0] : value)?.trim();
  if (!text) return undefined;
  if (/^-\d+$/.test(text)) return 'stop';
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, date - nowMs);
};

export interface RetryState {
  /** Retries made so far (0 after the first attempt). */
  retries: number;
  policy: RetryPolicy;
  /** When the bus took the event in (epoch ms): its age is counted from here. */
  ingestedAtMs: number;
  nowMs: number;
  /** The backoff the next retry would wait. */
  backoffMs: number;
  /** The wait the target asked for (Retry-After), if any. */
  retryAfterMs?: number;
}

export type RetryDecision = { retry: true; delayMs: number } | { retry: false; condition: ExhaustedRetryCondition };

/**
 * After a retriable failure: retry after the longer of the backoff and Retry-After, unless the
 * retries are used up or the retry would start after the event's maximum age.
 */
export const decideRetry = (state: RetryState): RetryDecision => {
  if (state.retries >= state.policy.maximumAttempts)
    return { retry: false, condition: EXHAUSTED_RETRY_CONDITION.attempts };
  const delayMs = Math.max(state.backoffMs, state.retryAfterMs ?? 0);
  if (state.nowMs + delayMs - state.ingestedAtMs > state.policy.maximumEventAgeSeconds * 1000) {
    return { retry: false, condition: EXHAUSTED_RETRY_CONDITION.age };
  }
  return { retry: true, delayMs };
};
