import { MAX_BYTES_PER_CALL, MAX_RECORDS_PER_CALL } from '../delivery/firehose-sink';

/** The partition a record will land in once the transformer has seen it (undefined is one value too). */
export type PartitionOf = (data: Buffer) => string | undefined;

/** Firehose's default active-partition quota per delivery stream. */
export const DEFAULT_MAX_PARTITIONS = 500;

export interface ChunkLimits {
  maxRecords: number;
  maxBytes: number;
}

export const PUT_RECORD_BATCH_LIMITS: ChunkLimits = { maxRecords: MAX_RECORDS_PER_CALL, maxBytes: MAX_BYTES_PER_CALL };

/**
 * The distinct partitions one wave of records touches. A partition Firehose has open stays
 * active until its buffer interval expires, so a wave may open at most `maxPartitions`; the
 * next wave starts once the previous one's partitions have been delivered and closed.
 */
export class PartitionWave {
  private readonly partitions = new Set<string | undefined>();

  constructor(readonly maxPartitions: number) {
    if (!Number.isInteger(maxPartitions) || maxPartitions < 1)
      throw new RangeError('maxPartitions must be a positive integer');
  }

  get size(): number {
    return this.partitions.size;
  }

  admits(partition: string | undefined): boolean {
    return this.partitions.has(partition) || this.partitions.size < this.maxPartitions;
  }

  add(partition: string | undefined): void {
    this.partitions.add(partition);
  }

  reset(): void {
    this.partitions.clear();
  }
}

/**
 * The end (exclusive) of the next PutRecordBatch call from `start`: records in order while the
 * call stays within `limits` and the wave admits each one's partition (which it then holds).
 * Returns `start` when the wave is full for the first record: time for the next wave. A record
 * larger than maxBytes still gets a call of its own (Firehose's per-record limit is lower).
 */
export const nextChunkEnd = (
  sizes: readonly number[],
  partitions: readonly (string | undefined)[],
  start: number,
  wave: PartitionWave,
  limits: ChunkLimits = PUT_RECORD_BATCH_LIMITS,
): number => {
  let end = start;
  let bytes = 0;
  while (end < sizes.length && end - start < limits.maxRecords) {
    const size = sizes[end] ?? 0;
    if (end > start && bytes + size > limits.maxBytes) break;
    const partition = partitions[end];
    if (!wave.admits(partition)) break;
    wave.add(partition);
    bytes += size;
    end++;
  }
  return end;
};

/** Stable grouping: every record of the first partition seen, then of the second, and so on. */
export const groupByPartition = (records: readonly Buffer[], partitionOf: PartitionOf): Buffer[] => {
  const groups = new Map<string | undefined, Buffer[]>();
  for (const record of records) {
    const partition = partitionOf(record);
    const group = groups.get(partition);
    if (group) group.push(record);
    else groups.set(partition, [record]);
  }
  return [...groups.values()].flat();
};
