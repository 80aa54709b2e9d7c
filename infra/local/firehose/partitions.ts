import type { FirehoseSettings } from '../pipeline/serverless-config';
import type { DeliveryBatch, DeliveryRecord } from './destinations/destination';
import { activePartitionsExceeded, errorRecordLine } from './error-records';
import {
  type CompiledPrefix,
  type ErrorOutputType,
  evaluatePrefix,
  PrefixEvaluationError,
  RANDOM_PLACEHOLDER,
} from './prefix';
import type { FirehoseCounters, Json, RecordFailure } from './types';

/** Where a record goes when its destination buffer is appended: flush before, after, or neither. */
export interface AppendPlan {
  flushBefore: boolean;
  flushAfter: boolean;
}

/**
 * Size-based buffering decision. A buffer is delivered once it holds `limit` bytes; a record that
 * would overflow a non-empty buffer first delivers what is there, so objects stay within the
 * hint unless a single record is larger than it.
 */
export const planAppend = (bufferedBytes: number, recordBytes: number, limit: number): AppendPlan => {
  const flushBefore = bufferedBytes > 0 && bufferedBytes + recordBytes > limit;
  const after = (flushBefore ? 0 : bufferedBytes) + recordBytes;
  return { flushBefore, flushAfter: after >= limit };
};

/** The records buffered under one evaluated prefix. */
export interface PartitionBuffer {
  /** Evaluated prefix; `!{firehose:random-string}` is still the placeholder. */
  prefix: string;
  isError: boolean;
  entries: DeliveryRecord[];
  bytes: number;
  records: number;
  oldestArrival: number;
  timer?: NodeJS.Timeout;
}

/** A flushed buffer as its destination gets it. */
export const deliveryBatch = (partition: PartitionBuffer): DeliveryBatch => ({
  prefix: partition.prefix,
  body: Buffer.concat(
    partition.entries.map((entry) => entry.data),
    partition.bytes,
  ),
  records: partition.records,
  entries: partition.entries,
  isError: partition.isError,
  oldestArrival: partition.oldestArrival,
});

export interface PartitionsOptions {
  settings: Pick<FirehoseSettings, 'bufferSizeBytes' | 'bufferIntervalSeconds' | 'dynamicPartitioning'>;
  /** The destination's prefix and error prefix, compiled. */
  prefix: CompiledPrefix;
  errorPrefix: CompiledPrefix;
  maxActivePartitions: number;
  /** Records per buffer, at most (an HTTP endpoint request holds at most 10,000); no limit when absent. */
  maxRecords?: number;
  /** Written into processing-failed records. */
  lambdaArn: string;
  now: () => number;
  counters: FirehoseCounters;
  /** True once the Firehose is stopping: no new interval timers. */
  isStopping: () => boolean;
  /** A buffer that is full, or whose interval passed, or that flushAll() flushed (never empty). */
  deliver: (partition: PartitionBuffer) => void;
}

/**
 * The destination stage's buffering: one buffer per evaluated prefix (a partition, or an error
 * output), delivered by size and interval; dynamic partitioning's active-partition quota.
 */
export class Partitions {
  private readonly buffers = new Map<string, PartitionBuffer>();
  private activeDataPartitions = 0;

  constructor(private readonly options: PartitionsOptions) {}

  /** Buffers being filled. */
  get size(): number {
    return this.buffers.size;
  }

  /** Records in the buffers. */
  get bufferedRecords(): number {
    let records = 0;
    for (const partition of this.buffers.values()) records += partition.records;
    return records;
  }

  /** Sends a processed record to its partition buffer, or to partitioning-failed. */
  route(data: Buffer, arrival: number, partitionKeys: Json | undefined, recordId?: string): void {
    const { settings, maxActivePartitions } = this.options;
    let evaluated: string;
    try {
      evaluated = evaluatePrefix(this.options.prefix, {
        arrivalTimestamp: arrival,
        ...(partitionKeys && { partitionKeys }),
        randomString: RANDOM_PLACEHOLDER,
      });
    } catch (error) {
      if (!(error instanceof PrefixEvaluationError)) throw error;
      this.routeError(
        'partitioning-failed',
        data,
        arrival,
        { errorCode: error.errorCode, errorMessage: error.message },
        1,
        false,
      );
      return;
    }
    if (
      settings.dynamicPartitioning &&
      !this.buffers.has(evaluated) &&
      this.activeDataPartitions >= maxActivePartitions
    ) {
      this.routeError('partitioning-failed', data, arrival, activePartitionsExceeded(maxActivePartitions), 1, false);
      return;
    }
    this.append(evaluated, false, data, arrival, recordId);
  }

  /** Writes one Firehose error record (a JSON line) to the error output. */
  routeError(
    type: ErrorOutputType,
    rawData: Buffer,
    arrival: number,
    failure: RecordFailure,
    attemptsMade: number,
    withLambdaArn: boolean,
  ): void {
    const { counters } = this.options;
    if (type === 'processing-failed') counters.processingFailed++;
    else counters.partitioningFailed++;
    const line = errorRecordLine({
      attemptsMade,
      arrivalTimestamp: arrival,
      failure,
      attemptEndingTimestamp: this.options.now(),
      rawData,
      ...(withLambdaArn && { lambdaArn: this.options.lambdaArn }),
    });
    const evaluated = evaluatePrefix(this.options.errorPrefix, {
      arrivalTimestamp: arrival,
      errorOutputType: type,
      randomString: RANDOM_PLACEHOLDER,
    });
    this.append(evaluated, true, line, arrival, undefined);
  }

  /** Delivers every buffer now, as if every interval had passed. */
  flushAll(): void {
    for (const partition of [...this.buffers.values()]) this.flush(partition);
  }

  /** Clears every interval timer (stopping: what is buffered stays, undelivered). */
  clearTimers(): void {
    for (const partition of this.buffers.values()) clearTimeout(partition.timer);
  }

  private append(prefix: string, isError: boolean, data: Buffer, arrival: number, recordId: string | undefined): void {
    const limit = this.options.settings.bufferSizeBytes;
    let partition = this.buffers.get(prefix);
    if (partition) {
      const plan = planAppend(partition.bytes, data.length, limit);
      if (plan.flushBefore) {
        this.flush(partition);
        partition = undefined;
      }
    }
    if (!partition) partition = this.open(prefix, isError, arrival);
    partition.entries.push({ data, arrival, recordId });
    partition.bytes += data.length;
    partition.records++;
    if (partition.bytes >= limit || partition.records >= (this.options.maxRecords ?? Number.POSITIVE_INFINITY))
      this.flush(partition);
  }

  private open(prefix: string, isError: boolean, arrival: number): PartitionBuffer {
    const { counters, isStopping } = this.options;
    const partition: PartitionBuffer = { prefix, isError, entries: [], bytes: 0, records: 0, oldestArrival: arrival };
    if (!isError) {
      this.activeDataPartitions++;
      counters.peakActivePartitions = Math.max(counters.peakActivePartitions, this.activeDataPartitions);
    }
    this.buffers.set(prefix, partition);
    if (!isStopping()) {
      partition.timer = setTimeout(() => {
        if (!isStopping() && this.buffers.get(prefix) === partition) this.flush(partition);
      }, this.options.settings.bufferIntervalSeconds * 1000);
      partition.timer.unref();
    }
    return partition;
  }

  private flush(partition: PartitionBuffer): void {
    if (this.buffers.get(partition.prefix) !== partition) return;
    this.buffers.delete(partition.prefix);
    if (!partition.isError) this.activeDataPartitions--;
    clearTimeout(partition.timer);
    if (partition.records === 0) return;
    this.options.deliver(partition);
  }
}
