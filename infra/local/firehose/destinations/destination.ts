/**
 * Where the Firehose's buffers go. The buffering (partitions.ts) hands each full or expired
 * buffer to a destination as one DeliveryBatch; the destination delivers it its own way (S3: one
 * object, s3.ts; an HTTP endpoint: one request of separate records, http-endpoint.ts), retrying
 * as Firehose does for that kind of destination, and reports back.
 */

/** One record of a batch, as the buffering holds it. */
export interface DeliveryRecord {
  /** The record's bytes (after processing, when there is a processor). */
  data: Buffer;
  /** Its arrival time (epoch ms). */
  arrival: number;
  /** Its RecordId (PutRecord / PutRecordBatch); undefined for error records. */
  recordId: string | undefined;
}

/** One buffer's records, ready to deliver. */
export interface DeliveryBatch {
  /** The evaluated prefix; `!{firehose:random-string}` is still the placeholder (prefix.ts, resolveRandomString). */
  prefix: string;
  /** The records, concatenated as buffered (uncompressed). */
  body: Buffer;
  /** How many records `body` holds. */
  records: number;
  /** The same records one by one, in buffer order (`body` is their data concatenated). */
  entries: readonly DeliveryRecord[];
  /** An error output's records (processing-failed, partitioning-failed) rather than data. */
  isError: boolean;
  /** Arrival time of the buffer's oldest record (epoch ms). */
  oldestArrival: number;
}

/** One request to the destination, finished (HTTP endpoint: one POST and its response). */
export type DeliveryAttempt = { ok: true } | { ok: false; error: Error; willRetry: boolean };

/**
 * What a destination tells the Firehose about one delivery. `attempted` and `retrying` may be
 * called any number of times; then exactly one of `delivered`, `backedUp` or `gaveUp`, last.
 */
export interface DeliveryReport {
  /** Delivered: S3, `bytes` stored (after compression) under `key`; HTTP endpoint, `bytes` sent in the acknowledged request `key` (its request ID). */
  delivered(result: { key: string; bytes: number }): void;
  /** An S3 write (S3: the object; HTTP endpoint: the backup object) failed at attempt `attempt` (from 1) and will be tried again; `key` is where it goes. */
  retrying(error: Error, attempt: number, key: string): void;
  /** A request to the destination finished (HTTP endpoint only). */
  attempted(attempt: DeliveryAttempt): void;
  /** Not delivered, but kept: the records were written to the S3 backup (`bytes` under `key`); deliver() resolves (HTTP endpoint only). */
  backedUp(result: { key: string; bytes: number; records: number }): void;
  /** The destination gave up: the records are discarded, and deliver() rejects with `error`. */
  gaveUp(error: Error): void;
}

/** What DescribeDeliveryStream shows of the stream around its destination. */
export interface DestinationContext {
  /** The `ProcessingConfiguration` the destination's description carries. */
  processingConfiguration: Record<string, unknown>;
  dynamicPartitioning: boolean;
}

export interface Destination {
  /** Delivers one batch, retrying as the destination does; resolves when delivered (or backed up), rejects when given up. */
  deliver(batch: DeliveryBatch, report: DeliveryReport): Promise<void>;
  /** Records of deliveries under way: being sent, or waiting for a retry. */
  readonly inFlightRecords: number;
  /** Stops retrying: deliveries waiting for a retry give up at once. */
  stop(): void;
  /** The destination's entry in DescribeDeliveryStream's `Destinations`. */
  describe(context: DestinationContext): Record<string, unknown>;
}
