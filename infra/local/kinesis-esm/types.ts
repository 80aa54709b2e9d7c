import type { KinesisClient, Shard, ShardIteratorType } from '@aws-sdk/client-kinesis';
import type { KinesisStreamEvent, KinesisStreamRecord } from 'aws-lambda';
import type { HandlerInvoker, LambdaHandler } from '../lambda/invoker';
import type { StreamEventSettings } from '../pipeline/serverless-config';

/** A handler as the Lambda Node.js runtime calls it: promise-returning, or callback-style (3 parameters). */
export type KinesisHandler = LambdaHandler<KinesisStreamEvent, unknown>;

export type DiscardCondition = 'RetryAttemptsExhausted' | 'RecordAgeExceeded';

/** What Lambda sends to a Kinesis mapping's on-failure destination (metadata, not the records). */
export interface OnFailureRecord {
  requestContext: {
    requestId: string;
    functionArn: string;
    condition: DiscardCondition;
    approximateInvokeCount: number;
  };
  /** Absent when the records were discarded before any invocation. */
  responseContext?: {
    statusCode: number;
    executedVersion: string;
    /** `Unhandled` when the last invocation was a function error (throw or timeout). */
    functionError?: string;
  };
  version: '1.0';
  timestamp: string;
  KinesisBatchInfo: {
    shardId: string;
    startSequenceNumber: string;
    endSequenceNumber: string;
    approximateArrivalOfFirstRecord: string;
    approximateArrivalOfLastRecord: string;
    batchSize: number;
    streamArn: string;
  };
}

export type InvocationOutcomeKind = 'success' | 'partialFailure' | 'batchFailure' | 'functionError';

export interface BatchProgress {
  shardId: string;
  requestId: string;
  /** Records in the invocation. */
  records: number;
  /** Records not checkpointed by this invocation (0 on success). */
  failures: number;
  outcome: InvocationOutcomeKind;
  durationMs: number;
}

export interface EventSourceStats {
  /** Handler invocations. */
  invocations: number;
  /** Unique records handed to the handler (counted on their first delivery). */
  recordsIn: number;
  /** Deliveries of records that had been delivered before. */
  redelivered: number;
  /** Records checkpointed after a successful (or partially successful) invocation. */
  succeeded: number;
  /** Invocations that threw, timed out, or reported failures. */
  failedInvocations: number;
  /** Batches split in two after a function error. */
  bisections: number;
  /** Records discarded (retries exhausted or too old). */
  discarded: number;
  /** On-failure records delivered to `onFailure`. */
  onFailureRecords: number;
}

export type LogFn = (message: string, details?: Record<string, unknown>) => void;
export interface EventSourceLogger {
  debug?: LogFn;
  info?: LogFn;
  warn?: LogFn;
  error?: LogFn;
}

export interface KinesisEventSourceOptions {
  kinesis: KinesisClient;
  streamName: string;
  region: string;
  functionName: string;
  timeoutSeconds: number;
  /** The handler, called in this thread (a timed-out invocation runs on: see inProcessInvoker). */
  handler?: KinesisHandler;
  /** Or an invoker that runs it elsewhere (WorkerInvoker stops a timed-out invocation). One of the two. */
  invoker?: HandlerInvoker<KinesisStreamEvent, unknown>;
  settings: StreamEventSettings;
  /** The on-failure destination; without it, discarded records are only logged. */
  /** The record Lambda sends to the destination, and (locally only) the discarded records' sequence numbers. */
  onFailure?: (record: OnFailureRecord, sequenceNumbers: readonly string[]) => Promise<void>;
  /** First retry delay; doubles per retry up to `maxRetryDelayMs`. Default 100 ms. */
  retryDelayMs?: number;
  /** Default 2,000 ms. */
  maxRetryDelayMs?: number;
  /** Wait between GetRecords calls when a shard is caught up. Default 100 ms. */
  pollIntervalMs?: number;
  /**
   * While drain() waits, invoke a partial batch as soon as its shard is caught up instead of
   * waiting out the batching window (so a drained run does not end with a `batchWindow` wait
   * per shard). Batch boundaries then differ from AWS at the tail. Default true.
   */
  flushOnDrain?: boolean;
  /** Default 1024. */
  memoryLimitInMB?: number;
  /** With `handler`: treat an invocation running past `timeoutSeconds` as a function error (Lambda's timeout). Default true. */
  enforceTimeout?: boolean;
  /** Clock for record age and on-failure timestamps (epoch ms). Default `Date.now`. */
  now?: () => number;
  /** Role ARN put in each record's `invokeIdentityArn`. Default `arn:aws:iam::<account>:role/<functionName>-role`. */
  invokeIdentityArn?: string;
  logger?: EventSourceLogger;
  onBatch?: (info: BatchProgress) => void;
}

/** Where a record was read: what its Lambda event record says about its source. */
export interface RecordSource {
  shardId: string;
  streamArn: string;
  region: string;
  invokeIdentityArn: string;
}

// --- The runner's own state, shared by its parts ---------------------------------------------------

export interface BufferedRecord {
  readonly record: KinesisStreamRecord;
  readonly bytes: number;
  deliveries: number;
}

/** Records still to be settled, with their retry history. */
export interface PendingBatch {
  records: BufferedRecord[];
  retries: number;
  invokeCount: number;
  lastRequestId?: string;
  lastInvocation?: { functionError: boolean };
}

export interface ShardWorker {
  shard: Shard;
  shardId: string;
  state: 'waiting' | 'running' | 'finished' | 'failed';
  iteratorType: ShardIteratorType;
  iterator?: string;
  closed: boolean;
  lastFetchedSequence?: string;
  /** LATEST only: when the first iterator was asked for (epoch ms, the server's clock), to resume from if it expires before a record is fetched. */
  latestSince?: number;
  /** Records that arrived before this (epoch ms) precede the starting position and are skipped (see ShardPoller.getIterator). */
  skipArrivalsBefore?: number;
  buffer: BufferedRecord[];
  /** Ticket of the last GetRecords that found the shard caught up with nothing buffered or pending; −1 when busy. */
  idleTicket: number;
  consecutiveErrors: number;
  /** A GetRecords started while a batch was in flight, not consumed yet. */
  readAhead?: Promise<ReadResult>;
  source: RecordSource;
}

export interface ReadResult {
  records: number;
  /** No records and MillisBehindLatest 0: nothing more to read now. */
  caughtUp: boolean;
  /** Order in which the GetRecords was started (drain() counts only reads started after it). */
  ticket: number;
}
