/**
 * Where the Firehose's buffers go. The buffering (partitions.ts) hands each full or expired
 * buffer to a destination as one DeliveryBatch; the destination delivers it its own way (S3: one
 * object, s3.ts), retrying as Firehose does for that kind of destination, and reports back.
 * A new kind of destination (an HTTP endpoint) is one more implementation of this interface.
 */

/** One buffer's records, ready to deliver. */
export interface DeliveryBatch {
  /** The evaluated prefix; `!{firehose:random-string}` is still the placeholder (prefix.ts, resolveRandomString). */
  prefix: string;
  /** The records, concatenated as buffered (uncompressed). */
  body: Buffer;
  /** How many records `body` holds. */
  records: number;
  /** An error output's records (processing-failed, partitioning-failed) rather than data. */
  isError: boolean;
  /** Arrival time of the buffer's oldest record (epoch ms). */
  oldestArrival: number;
}

/** What a destination tells the Firehose about one delivery; each call is made once, in this order. */
export interface DeliveryReport {
  /** Delivered: `bytes` stored (after compression) under `key` (S3: the object's key). */
  delivered(result: { key: string; bytes: number }): void;
  /** Attempt `attempt` (from 1) failed and the delivery will be tried again; `key` is where it goes. */
  retrying(error: Error, attempt: number, key: string): void;
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
  /** Delivers one batch, retrying as the destination does; resolves when delivered, rejects when given up. */
  deliver(batch: DeliveryBatch, report: DeliveryReport): Promise<void>;
  /** Records of deliveries under way: being sent, or waiting for a retry. */
  readonly inFlightRecords: number;
  /** Stops retrying: deliveries waiting for a retry give up at once. */
  stop(): void;
  /** The destination's entry in DescribeDeliveryStream's `Destinations`. */
  describe(context: DestinationContext): Record<string, unknown>;
}
