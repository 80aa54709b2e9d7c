import type { S3Client } from '@aws-sdk/client-s3';
import type { FirehoseTransformationEvent } from 'aws-lambda';
import type { FirehoseSettings } from '../pipeline/serverless-config';

export interface RecordFailure {
  errorCode: string;
  errorMessage: string;
}

/**
 * The processor Lambda. Anything may come back (it is validated like Firehose does), so a
 * middy or `aws-lambda` `Handler` can be passed through `(event) => handler(event, context)`.
 */
export type TransformFunction = (event: FirehoseTransformationEvent) => unknown;

export interface LocalFirehoseOptions {
  settings: FirehoseSettings;
  /** Destination bucket (must exist). */
  bucket: string;
  region: string;
  s3: S3Client;
  /** The processor; required when `settings.processor` is set (processor defaults apply if it is not). */
  transform?: TransformFunction;
  /** `lambdaArn` written into processing-failed records. */
  processorArn?: string;
  /** Clock for arrival timestamps (epoch ms); timers always use real time. */
  now?: () => number;
  /**
   * Fault injection: called for every incoming record (`index` within its PutRecordBatch, 0 for
   * PutRecord); a returned failure rejects that record (PutRecordBatch reports it in
   * RequestResponses, PutRecord answers with it as the call's error).
   */
  failRecord?: (data: Buffer, index: number) => RecordFailure | undefined;
  /** Past this many partitions buffered at once, new partitions' records go to `partitioning-failed`. */
  maxActivePartitions?: number;
  /** Processor invocations in flight at once (default 2). */
  transformConcurrency?: number;
  /** S3 PutObject calls in flight at once (default 4). */
  writeConcurrency?: number;
  /** Called for background failures (an S3 write given up on); flush() also rejects with them. */
  onError?: (error: Error) => void;
  /** Called when an S3 write fails and will be retried (once per object, on its first failure). */
  onRetry?: (error: Error, key: string) => void;
  /** Wait between S3 write attempts; default 5 s, as Firehose. */
  s3RetryIntervalMs?: number;
  /** How long an object's S3 write is retried before its records are discarded; default 24 h, as Firehose. */
  s3RetryDurationMs?: number;
  host?: string;
  port?: number;
}

export interface LocalFirehoseStats {
  /** Records accepted by PutRecord/PutRecordBatch. */
  received: number;
  /** Records refused per record (fault injection). */
  rejected: number;
  invocations: number;
  /** Invocation attempts that threw or returned an invalid response. */
  invocationErrors: number;
  /** Records the processor returned a valid result for (Ok + Dropped + ProcessingFailed). */
  transformed: number;
  ok: number;
  dropped: number;
  /** Records written to the `processing-failed` error output (status or failed invocations). */
  processingFailed: number;
  /** Records written to the `partitioning-failed` error output. */
  partitioningFailed: number;
  /** Records written into data objects. */
  delivered: number;
  /** Most data partitions buffered at once (what Firehose's active-partition quota counts). */
  peakActivePartitions: number;
  /** The quota this Firehose enforces. */
  maxActivePartitions: number;
  /** Error records written into error objects. */
  errorRecordsWritten: number;
  objectsWritten: number;
  /** Bytes stored (after compression). */
  bytesWritten: number;
  /** Records still buffered (processor or destination). */
  buffered: number;
  /** S3 writes given up on (retried past `s3RetryDurationMs`, or cut short by stop()). */
  deliveryErrors: number;
  /** S3 write attempts that failed and were retried. */
  s3Retries: number;
  /** Records in S3 writes given up on: accepted by this Firehose and in no object. */
  discardedRecords: number;
  /** Records in S3 writes not finished yet (being written or waiting for a retry). */
  writing: number;
  /** Every object key written, in write order. */
  keys: string[];
}

/** The counters the stages update; stats() adds the quota, what is buffered or being written, and the keys. */
export type FirehoseCounters = Omit<LocalFirehoseStats, 'maxActivePartitions' | 'buffered' | 'writing' | 'keys'>;

/** A record as the processor stage holds it. */
export interface BufferedRecord {
  recordId: string;
  arrival: number;
  data: Buffer;
}

export type Json = Record<string, unknown>;

export const isObject = (value: unknown): value is Json => value !== null && typeof value === 'object' && !Array.isArray(value);
