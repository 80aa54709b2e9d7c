import { type FirehoseClient, PutRecordBatchCommand } from '@aws-sdk/client-firehose';
import { chunkIndexes } from '../batching';
import { backoffDelay, mapWithConcurrency, sleep } from '../concurrency';
import { toError } from '../errors';
import type { DeliverOptions, DeliveryOutcome, EventSink } from './event-sink';

/** PutRecordBatch limits (Firehose quotas). */
export const MAX_RECORDS_PER_CALL = 500;
export const MAX_BYTES_PER_CALL = 4 * 1024 * 1024;
export const MAX_RECORD_BYTES = 1_000 * 1024;

export interface FirehoseSinkOptions {
  deliveryStreamName: string;
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** Calls in flight at once when a batch needs several. */
  concurrency?: number;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
}

/** Splits record indexes into PutRecordBatch calls of ≤ 500 records and ≤ 4 MiB. */
export const chunkForPutRecordBatch = (sizes: readonly number[], indexes: readonly number[]): number[][] =>
  chunkIndexes(sizes, indexes, { maxCount: MAX_RECORDS_PER_CALL, maxBytes: MAX_BYTES_PER_CALL });

/**
 * Delivers with PutRecordBatch and retries only the entries Firehose reports failed
 * (or every entry of a call that failed as a whole), with capped exponential backoff and
 * full jitter. What still fails after `maxAttempts` is returned as a failed outcome.
 */
export class FirehoseSink implements EventSink {
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly random: () => number;

  constructor(
    private readonly client: FirehoseClient,
    private readonly options: FirehoseSinkOptions,
  ) {
    this.sleep = options.sleep ?? sleep;
    this.random = options.random ?? Math.random;
  }

  async deliver(records: readonly Uint8Array[], options: DeliverOptions = {}): Promise<DeliveryOutcome[]> {
    const outcomes: DeliveryOutcome[] = records.map(() => ({
      ok: false,
      errorCode: 'NotAttempted',
      errorMessage: 'not attempted',
    }));
    const sizes = records.map((record) => record.byteLength);
    let pending = records.map((_, index) => index);

    for (let attempt = 1; pending.length > 0 && attempt <= this.options.maxAttempts; attempt++) {
      if (attempt > 1) await this.sleep(backoffDelay(attempt - 1, this.options, this.random));
      if (options.canAttempt?.() === false) break;
      const chunks = chunkForPutRecordBatch(sizes, pending);
      const failedPerChunk = await mapWithConcurrency(chunks, this.options.concurrency ?? 4, (chunk) =>
        this.putChunk(records, chunk, outcomes),
      );
      pending = failedPerChunk.flat();
    }
    return outcomes;
  }

  /** Sends one call; records outcomes; returns the indexes to retry. */
  private async putChunk(
    records: readonly Uint8Array[],
    chunk: readonly number[],
    outcomes: DeliveryOutcome[],
  ): Promise<number[]> {
    try {
      const response = await this.client.send(
        new PutRecordBatchCommand({
          DeliveryStreamName: this.options.deliveryStreamName,
          Records: chunk.map((index) => ({ Data: records[index] })),
        }),
      );
      const failed: number[] = [];
      chunk.forEach((index, position) => {
        const entry = response.RequestResponses?.[position];
        if (entry?.RecordId && !entry.ErrorCode) {
          outcomes[index] = { ok: true };
        } else {
          outcomes[index] = {
            ok: false,
            errorCode: entry?.ErrorCode ?? 'MissingResponse',
            errorMessage: entry?.ErrorMessage ?? 'Firehose returned no result for this record',
          };
          failed.push(index);
        }
      });
      return failed;
    } catch (caught) {
      const error = toError(caught);
      for (const index of chunk) {
        outcomes[index] = { ok: false, errorCode: error.name, errorMessage: error.message };
      }
      return [...chunk];
    }
  }
}
