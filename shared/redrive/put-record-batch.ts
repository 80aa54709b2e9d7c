import { type FirehoseClient, PutRecordBatchCommand } from '@aws-sdk/client-firehose';
import { backoffDelay, sleep as defaultSleep } from '../concurrency';
import { describeError } from './redrive-error';

export interface RetryOptions {
  /** Attempts per chunk, the first included (default 8). */
  maxAttempts?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
}

export const DEFAULT_RETRY = { maxAttempts: 8, baseDelayMs: 200, maxDelayMs: 10_000 } as const;

export interface BatchPutResult {
  /** Per record, in input order: whether Firehose accepted it. */
  accepted: boolean[];
  attempts: number;
  /** The last error seen (`Code: message`), when records are still not accepted. */
  lastFailure?: string;
}

// Firehose's own throttling and transient failures; a client error (bad stream name, access
// denied, validation) cannot get better by retrying.
const RETRYABLE_CALL_ERRORS = new Set([
  'ServiceUnavailableException',
  'ThrottlingException',
  'LimitExceededException',
  'InternalFailure',
  'InternalServerError',
  'RequestTimeout',
  'TimeoutError',
]);

export const isRetryableCallError = (caught: unknown): boolean => {
  // Structural, not instanceof: network errors come from Node's realm.
  const error = (typeof caught === 'object' && caught !== null ? caught : {}) as {
    name?: unknown;
    $metadata?: { httpStatusCode?: number };
  };
  const status = error.$metadata?.httpStatusCode;
  // No HTTP status: the request never got an answer (connection reset, timeout).
  return status === undefined || status >= 500 || status === 429 || RETRYABLE_CALL_ERRORS.has(String(error.name));
};

/**
 * One chunk (≤ 500 records, ≤ 4 MiB) with PutRecordBatch, retrying only the entries Firehose
 * reports failed (or the whole chunk after a transient call failure) with capped exponential
 * backoff and full jitter, up to `maxAttempts`. Never throws: the result says what was accepted.
 */
export const putRecordBatchWithRetry = async (
  client: FirehoseClient,
  deliveryStreamName: string,
  records: readonly Uint8Array[],
  options: RetryOptions = {},
): Promise<BatchPutResult> => {
  const maxAttempts = options.maxAttempts ?? DEFAULT_RETRY.maxAttempts;
  const backoff = {
    baseDelayMs: options.baseDelayMs ?? DEFAULT_RETRY.baseDelayMs,
    maxDelayMs: options.maxDelayMs ?? DEFAULT_RETRY.maxDelayMs,
  };
  const sleep = options.sleep ?? defaultSleep;
  const accepted = records.map(() => false);
  let pending = records.map((_, index) => index);
  let lastFailure: string | undefined;
  let attempts = 0;
  while (pending.length > 0 && attempts < maxAttempts) {
    if (attempts > 0) await sleep(backoffDelay(attempts, backoff, options.random));
    attempts++;
    try {
      const response = await client.send(
        new PutRecordBatchCommand({
          DeliveryStreamName: deliveryStreamName,
          Records: pending.map((index) => ({ Data: records[index] })),
        }),
      );
      const failed: number[] = [];
      pending.forEach((index, position) => {
        const entry = response.RequestResponses?.[position];
        if (entry?.RecordId && !entry.ErrorCode) {
          accepted[index] = true;
        } else {
          failed.push(index);
          lastFailure = `${entry?.ErrorCode ?? 'MissingResponse'}: ${entry?.ErrorMessage ?? 'Firehose returned no result for this record'}`;
        }
      });
      pending = failed;
    } catch (caught) {
      lastFailure = describeError(caught);
      if (!isRetryableCallError(caught)) break;
    }
  }
  return { accepted, attempts, ...(pending.length > 0 && { lastFailure }) };
};
