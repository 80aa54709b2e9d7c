/** What happens to records after a failed invocation: bisect, retry (and when), or discard. */

/** Splits a batch in two (the first half gets the extra record). */
export const bisect = <T>(items: readonly T[]): [T[], T[]] => {
  const middle = Math.ceil(items.length / 2);
  return [items.slice(0, middle), items.slice(middle)];
};

/**
 * How many leading records are older than `maxAgeSeconds` at `nowMs` (−1 = no limit).
 * Arrival times in a shard are non-decreasing, so the expired records are a prefix.
 */
export const countExpired = (
  records: readonly { kinesis: { approximateArrivalTimestamp: number } }[],
  nowMs: number,
  maxAgeSeconds: number,
): number => {
  if (maxAgeSeconds < 0) return 0;
  const oldestAllowedMs = nowMs - maxAgeSeconds * 1000;
  let count = 0;
  for (const record of records) {
    if (record.kinesis.approximateArrivalTimestamp * 1000 >= oldestAllowedMs) break;
    count++;
  }
  return count;
};

export type FailureKind = 'partialFailure' | 'batchFailure' | 'functionError';

export type FailureDecision =
  | { action: 'bisect' }
  | { action: 'retry'; retries: number; delayMs: number }
  | { action: 'discard'; retries: number };

export interface RetryPolicy {
  bisectBatchOnFunctionError: boolean;
  maximumRetryAttempts: number;
  retryDelayMs: number;
  maxRetryDelayMs: number;
}

/** Delay before retry number `retry` (1-based). */
export const retryDelay = (retry: number, baseMs: number, maxMs: number): number =>
  Math.min(maxMs, baseMs * 2 ** Math.max(0, retry - 1));

/**
 * What happens to the records still to be retried after a failed invocation, given how many
 * retries they have had. Bisecting is free; every other retry counts.
 */
export const decideAfterFailure = (
  failure: { kind: FailureKind; size: number; retries: number },
  policy: RetryPolicy,
): FailureDecision => {
  if (failure.kind === 'functionError' && policy.bisectBatchOnFunctionError && failure.size > 1)
    return { action: 'bisect' };
  const retries = failure.retries + 1;
  if (policy.maximumRetryAttempts >= 0 && retries > policy.maximumRetryAttempts) return { action: 'discard', retries };
  return { action: 'retry', retries, delayMs: retryDelay(retries, policy.retryDelayMs, policy.maxRetryDelayMs) };
};
