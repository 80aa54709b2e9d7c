import type { S3Client } from '@aws-sdk/client-s3';
import type { FirehoseTransformationEvent } from 'aws-lambda';
import type { FirehoseSettings } from '../pipeline/serverless-config';
import type { HttpEndpointDestinationSettings } from './destinations/http-endpoint';

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
  /**
   * The stream. With an HTTP endpoint `destination`, `bufferSizeBytes` / `bufferIntervalSeconds`
   * are its BufferingHints (SizeInMBs 1–64, IntervalInSeconds 0–900), `dynamicPartitioning` must
   * be false, and `prefix`, `errorOutputPrefix` and `compression` are not used (the backup's are
   * in `destination.backup`).
   */
  settings: FirehoseSettings;
  /** The S3 destination's bucket (must exist); required unless `destination` is an HTTP endpoint. */
  bucket?: string;
  /** The destination: absent, the extended S3 destination (`bucket`); or an HTTP endpoint, without a processor. */
  destination?: HttpEndpointDestinationSettings;
  region: string;
  /** Writes the S3 destination's objects, or the HTTP endpoint destination's backup objects. */
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
  /** Deliveries in flight at once: S3 PutObject calls, or HTTP endpoint requests (default 4). */
  writeConcurrency?: number;
  /** Called for background failures (a delivery given up on); flush() also rejects with them. */
  onError?: (error: Error) => void;
  /** Called when an S3 write fails and will be retried (once per object, on its first failure). */
  onRetry?: (error: Error, key: string) => void;
  /** HTTP endpoint destination: called for every failed request (`willRetry` false: the records go to the S3 backup, or are discarded). */
  onEndpointError?: (error: Error, willRetry: boolean) => void;
  /** Wait between S3 write attempts (HTTP endpoint destination: backup objects); default 5 s, as Firehose. */
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
  /** Records delivered: written into data objects (S3), or acknowledged by the endpoint (HTTP endpoint). */
  delivered: number;
  /** Most data partitions buffered at once (what Firehose's active-partition quota counts). */
  peakActivePartitions: number;
  /** The quota this Firehose enforces. */
  maxActivePartitions: number;
  /** Error records written into error objects. */
  errorRecordsWritten: number;
  /** S3 objects written (HTTP endpoint destination: backup objects). */
  objectsWritten: number;
  /** Bytes stored in S3 (after compression). */
  bytesWritten: number;
  /** Records still buffered (processor or destination). */
  buffered: number;
  /** Deliveries given up on: S3 writes retried past `s3RetryDurationMs` or cut short by stop(); HTTP endpoint requests answered 413 or cut short by stop(). */
  deliveryErrors: number;
  /** S3 write attempts that failed and were retried. */
  s3Retries: number;
  /** Records in deliveries given up on: accepted by this Firehose and neither delivered nor in any object. */
  discardedRecords: number;
  /** Records in deliveries not finished yet (being written or sent, or waiting for a retry). */
  writing: number;
  /** Every S3 object key written, in write order. */
  keys: string[];
  /** The HTTP endpoint destination's counts (present only with that destination). */
  endpoint?: HttpEndpointStats;
}

export interface HttpEndpointStats {
  /** Records the endpoint acknowledged (also in `delivered`). */
  deliveredRecords: number;
  /** Requests the endpoint acknowledged (one per delivered buffer). */
  requestsDelivered: number;
  /** Requests sent: first attempts and retries. */
  attempts: number;
  /** Requests that failed: another status, an invalid, late or too large response, a connection failure or reset. */
  failedAttempts: number;
  /** Records written to the S3 backup (`http-endpoint-failed`) once the retry duration was spent. */
  backedUpRecords: number;
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

export const isObject = (value: unknown): value is Json =>
  value !== null && typeof value === 'object' && !Array.isArray(value);
