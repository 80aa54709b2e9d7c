import { type KinesisClient, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { chunkIndexes } from '../batching';
import { backoffDelay, sleep } from '../concurrency';
import { toError } from '../errors';

/** PutRecords limits (Kinesis quotas). */
export const MAX_RECORDS_PER_PUT = 500;
export const MAX_BYTES_PER_PUT = 5 * 1024 * 1024;
/** A record's data plus its partition key. */
export const MAX_RECORD_BYTES = 1024 * 1024;

export interface StreamRecordInput {
  partitionKey: string;
  data: Uint8Array;
}

export type WriteOutcome =
  | { ok: true; sequenceNumber: string; shardId: string }
  | { ok: false; errorCode: string; errorMessage: string };

export interface StreamWriterOptions {
  streamName: string;
  maxAttempts?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
}

export interface WriteOptions {
  /** Stops further attempts and aborts the in-flight PutRecords call (unsent records stay NotAttempted or failed). */
  abortSignal?: AbortSignal;
}

const recordBytes = (record: StreamRecordInput): number =>
  record.data.byteLength + Buffer.byteLength(record.partitionKey);

/**
 * Writes records to a Kinesis stream with PutRecords (≤ 500 records / 5 MiB per call),
 * retrying only the entries Kinesis reports failed, with capped exponential backoff and
 * jitter. Outcomes are per record, in input order; oversized records fail without a call.
 */
export class KinesisStreamWriter {
  constructor(
    private readonly client: KinesisClient,
    private readonly options: StreamWriterOptions,
  ) {}

  async write(records: readonly StreamRecordInput[], writeOptions: WriteOptions = {}): Promise<WriteOutcome[]> {
    const { abortSignal } = writeOptions;
    const sizes = records.map(recordBytes);
    const outcomes: WriteOutcome[] = sizes.map((size) =>
      size > MAX_RECORD_BYTES
        ? { ok: false, errorCode: 'RecordTooLarge', errorMessage: `Record is over ${MAX_RECORD_BYTES} bytes` }
        : { ok: false, errorCode: 'NotAttempted', errorMessage: 'not attempted' },
    );
    let pending = sizes.flatMap((size, index) => (size > MAX_RECORD_BYTES ? [] : [index]));
    const maxAttempts = this.options.maxAttempts ?? 5;
    const backoff = { baseDelayMs: this.options.baseDelayMs ?? 100, maxDelayMs: this.options.maxDelayMs ?? 2_000 };
    for (let attempt = 1; pending.length > 0 && attempt <= maxAttempts && !abortSignal?.aborted; attempt++) {
      if (attempt > 1) await (this.options.sleep ?? sleep)(backoffDelay(attempt - 1, backoff, this.options.random));
      const retry: number[] = [];
      // Sequential calls keep each partition key's records in order.
      for (const chunk of chunkIndexes(sizes, pending, {
        maxCount: MAX_RECORDS_PER_PUT,
        maxBytes: MAX_BYTES_PER_PUT,
      })) {
        if (abortSignal?.aborted) break;
        retry.push(...(await this.put(records, chunk, outcomes, abortSignal)));
      }
      pending = retry;
    }
    return outcomes;
  }

  private async put(
    records: readonly StreamRecordInput[],
    chunk: readonly number[],
    outcomes: WriteOutcome[],
    abortSignal?: AbortSignal,
  ): Promise<number[]> {
    try {
      const command = new PutRecordsCommand({
        StreamName: this.options.streamName,
        Records: chunk.map((index) => {
          const record = records[index] as StreamRecordInput;
          return { PartitionKey: record.partitionKey, Data: record.data };
        }),
      });
      const response = await (abortSignal ? this.client.send(command, { abortSignal }) : this.client.send(command));
      const failed: number[] = [];
      chunk.forEach((index, position) => {
        const entry = response.Records?.[position];
        if (entry?.SequenceNumber && entry.ShardId && !entry.ErrorCode) {
          outcomes[index] = { ok: true, sequenceNumber: entry.SequenceNumber, shardId: entry.ShardId };
        } else {
          outcomes[index] = {
            ok: false,
            errorCode: entry?.ErrorCode ?? 'MissingResponse',
            errorMessage: entry?.ErrorMessage ?? 'Kinesis returned no result for this record',
          };
          failed.push(index);
        }
      });
      return failed;
    } catch (caught) {
      const error = toError(caught);
      for (const index of chunk) outcomes[index] = { ok: false, errorCode: error.name, errorMessage: error.message };
      return [...chunk];
    }
  }
}
