/**
 * A local stand-in for Lambda's Kinesis event source mapping (ESM): it reads a stream with the
 * real SDK and invokes a handler the way the deployed mapping does, so that the consumer's
 * failure semantics (partial batch responses, bisect, retries, record age, on-failure
 * destination) behave the same locally and in AWS.
 *
 * Semantics implemented (AWS documentation: "Configuring partial batch response with Kinesis
 * Data Streams and Lambda", "Retain discarded batch records for a Kinesis Data Streams event
 * source in Lambda"):
 * - Per shard, in sequence order, one invocation in flight per shard. Shards run concurrently.
 *   `parallelizationFactor` > 1 is treated as 1 (a warning is logged): ordering per partition
 *   key is kept either way, only concurrency differs.
 * - A batch is up to `batchSize` records and ≤ 6 MB of invocation payload. The batching window
 *   starts when gathering starts (after the previous batch is settled); the function is invoked
 *   when the batch is full, the payload limit is reached, or the window has passed and at least
 *   one record is buffered (with a window of 0, as soon as a GetRecords returns records).
 * - Success: the handler resolves; with `ReportBatchItemFailures`, it resolves with no
 *   `batchItemFailures` (null/empty/absent response or list). Checkpoint after the batch.
 * - Partial failure (`ReportBatchItemFailures` only): checkpoint at the lowest failed sequence
 *   number; the records from it to the end of the batch are retried (records after it are
 *   delivered again). An itemIdentifier that is empty, null, not a string, or not a sequence
 *   number of the batch, or a `batchItemFailures` that is not a list, fails the whole batch.
 *   Without `ReportBatchItemFailures`, the return value is ignored: only a throw is a failure.
 * - Function error: the handler throws/rejects, or runs past `timeoutSeconds`. With an invoker
 *   that stops timed-out work (WorkerInvoker: a worker thread terminated at the timeout), a
 *   timed-out invocation writes nothing more and its outcome is discarded, as in Lambda. With
 *   `bisectBatchOnFunctionError`, a failed batch of ≥ 2 records is split into two halves that
 *   are retried in order (first half first); splitting does not consume the retry quota
 *   ("Splitting batches doesn't consume the retry quota"). A whole-batch failure from an
 *   invalid response is retried but not bisected (it is not a function error).
 * - Every retry (partial failure, whole-batch failure, function error of a batch that is not
 *   split) counts 1 toward `maximumRetryAttempts`; past it (−1 = never), the records being
 *   retried are discarded with condition `RetryAttemptsExhausted`. Halves inherit the retry
 *   count of the batch they came from.
 * - `maximumRecordAgeInSeconds` (−1 = never): before every invocation (first try and retries),
 *   the leading records whose `approximateArrivalTimestamp` is older than the limit are
 *   discarded with condition `RecordAgeExceeded` (arrival times are non-decreasing in a shard).
 * - Discarded records: one on-failure record (the AWS shape, metadata only) per discarded run
 *   of records is passed to `onFailure`; processing then moves past them. AWS may consolidate
 *   several bisected failures in one message; this runner sends one per discarded run.
 *   `responseContext` is omitted when the records were never invoked (RecordAgeExceeded
 *   before any invocation); `functionError: 'Unhandled'` is present only when the last
 *   invocation was a function error.
 * - Retries wait `retryDelayMs * 2^(retry-1)`, capped at `maxRetryDelayMs` (AWS waits longer;
 *   locally short delays keep tests fast). Bisected halves are invoked without delay.
 * - A retried batch is the same records (from the checkpoint to the end of the failed batch);
 *   it is not topped up with newer records.
 * - Checkpoints are in memory: records are read once from the shard and kept until settled;
 *   a stopped runner does not resume where it stopped.
 * - The next GetRecords of a shard runs while its batch is being invoked (read-ahead), as the
 *   ESM's poller does; `Limit` is min(10,000, 10 × batchSize).
 * - Resharding: when a shard closes, its children are discovered with ListShards and started
 *   (from TRIM_HORIZON) once all their parents are finished.
 * - drain() (local only): resolves when every shard is caught up — kinesalite reports
 *   MillisBehindLatest 0 on every read, so "caught up" is an empty read with MillisBehindLatest
 *   0 started after drain() was called — nothing is buffered, in flight or awaiting a retry, and
 *   a ListShards started after drain() found no unknown shard. While drain() waits, a caught-up
 *   shard invokes its partial batch without waiting out the batching window (`flushOnDrain`).
 */
import { randomUUID } from 'node:crypto';
import {
  DescribeStreamSummaryCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type KinesisClient,
  ListShardsCommand,
  type _Record as SdkRecord,
  type Shard,
  type ShardIteratorType,
} from '@aws-sdk/client-kinesis';
import type { KinesisStreamEvent, KinesisStreamRecord } from 'aws-lambda';
import { type HandlerInvoker, inProcessInvoker, type LambdaHandler } from './lambda/invoker';
import type { StreamEventSettings } from './serverless-config';

/** Lambda's limit on a synchronous invocation's request payload. */
export const MAX_PAYLOAD_BYTES = 6 * 1024 * 1024;
/** The largest `Limit` GetRecords accepts. */
export const MAX_GET_RECORDS_LIMIT = 10_000;

/** The event source mapping defaults AWS applies (CreateEventSourceMapping). */
export const DEFAULT_STREAM_SETTINGS: StreamEventSettings = {
  batchSize: 100,
  batchWindow: 0,
  startingPosition: 'TRIM_HORIZON',
  parallelizationFactor: 1,
  bisectBatchOnFunctionError: false,
  maximumRetryAttempts: -1,
  maximumRecordAgeInSeconds: -1,
};

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

type LogFn = (message: string, details?: Record<string, unknown>) => void;
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

// ---------------------------------------------------------------------------------------------
// Pure logic (exported for unit tests)
// ---------------------------------------------------------------------------------------------

export interface RecordSource {
  shardId: string;
  streamArn: string;
  region: string;
  invokeIdentityArn: string;
}

/** An SDK record as the Lambda event carries it. */
export const toLambdaRecord = (record: SdkRecord, source: RecordSource): KinesisStreamRecord => {
  const sequenceNumber = record.SequenceNumber ?? '';
  const data = record.Data ?? new Uint8Array();
  return {
    kinesis: {
      kinesisSchemaVersion: '1.0',
      partitionKey: record.PartitionKey ?? '',
      sequenceNumber,
      data: Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('base64'),
      approximateArrivalTimestamp: (record.ApproximateArrivalTimestamp?.getTime() ?? Date.now()) / 1000,
    },
    eventSource: 'aws:kinesis',
    eventVersion: '1.0',
    eventID: `${source.shardId}:${sequenceNumber}`,
    eventName: 'aws:kinesis:record',
    invokeIdentityArn: source.invokeIdentityArn,
    awsRegion: source.region,
    eventSourceARN: source.streamArn,
  };
};

const JSON_SAFE = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;
const jsonStringBytes = (value: string): number =>
  JSON_SAFE.test(value) ? value.length + 2 : Buffer.byteLength(JSON.stringify(value));

const EMPTY_RECORD_BYTES = Buffer.byteLength(
  JSON.stringify({
    kinesis: { kinesisSchemaVersion: '', partitionKey: '', sequenceNumber: '', data: '', approximateArrivalTimestamp: 0 },
    eventSource: '',
    eventVersion: '',
    eventID: '',
    eventName: '',
    invokeIdentityArn: '',
    awsRegion: '',
    eventSourceARN: '',
  } satisfies KinesisStreamRecord),
);

/** Bytes of `JSON.stringify(record)`, computed without serialising the record. */
export const recordJsonBytes = (record: KinesisStreamRecord): number => {
  const k = record.kinesis;
  const strings = [
    k.kinesisSchemaVersion,
    k.partitionKey,
    k.sequenceNumber,
    k.data,
    record.eventSource,
    record.eventVersion,
    record.eventID,
    record.eventName,
    record.invokeIdentityArn,
    record.awsRegion,
    record.eventSourceARN,
  ];
  let bytes = EMPTY_RECORD_BYTES - 1 + JSON.stringify(k.approximateArrivalTimestamp).length;
  for (const value of strings) bytes += jsonStringBytes(value) - 2;
  return bytes;
};

/** `{"Records":[` + `]}`. */
const EVENT_ENVELOPE_BYTES = Buffer.byteLength(JSON.stringify({ Records: [] }));

/**
 * How many of the leading records make one batch: at most `batchSize`, and the event
 * (`{"Records":[...]}`) within `maxBytes`. Always at least 1 when there is a record.
 */
export const batchCount = (recordBytes: readonly number[], batchSize: number, maxBytes = MAX_PAYLOAD_BYTES): number => {
  let total = EVENT_ENVELOPE_BYTES;
  let count = 0;
  for (const bytes of recordBytes) {
    if (count >= batchSize) break;
    const next = total + bytes + (count > 0 ? 1 : 0);
    if (count > 0 && next > maxBytes) break;
    total = next;
    count++;
  }
  return count;
};

export type CheckpointDecision =
  /** Every record succeeded: checkpoint after the batch. */
  | { kind: 'success' }
  /** Checkpoint before `failedIndex` (the lowest failed sequence number); retry from it. */
  | { kind: 'partialFailure'; failedIndex: number; sequenceNumber: string }
  /** The response is invalid: the whole batch failed. */
  | { kind: 'batchFailure'; reason: string };

interface SequencedRecord {
  kinesis: { sequenceNumber: string };
}

/**
 * What Lambda does with a handler's return value (not called for a throw). Without
 * `ReportBatchItemFailures`, any return value is success.
 */
export const checkpointAfter = (
  response: unknown,
  batch: readonly SequencedRecord[],
  reportBatchItemFailures: boolean,
): CheckpointDecision => {
  if (!reportBatchItemFailures) return { kind: 'success' };
  if (response === null || response === undefined || typeof response !== 'object') return { kind: 'success' };
  const failures = (response as { batchItemFailures?: unknown }).batchItemFailures;
  if (failures === null || failures === undefined) return { kind: 'success' };
  if (!Array.isArray(failures)) return { kind: 'batchFailure', reason: 'batchItemFailures is not a list' };
  if (failures.length === 0) return { kind: 'success' };

  const indexBySequence = new Map<string, number>(batch.map((record, index) => [record.kinesis.sequenceNumber, index]));
  let lowest = Number.POSITIVE_INFINITY;
  for (const failure of failures as unknown[]) {
    const identifier =
      failure !== null && typeof failure === 'object' ? (failure as { itemIdentifier?: unknown }).itemIdentifier : undefined;
    if (typeof identifier !== 'string' || identifier === '') {
      return { kind: 'batchFailure', reason: `invalid itemIdentifier ${JSON.stringify(identifier) ?? 'undefined'}` };
    }
    const index = indexBySequence.get(identifier);
    if (index === undefined) return { kind: 'batchFailure', reason: `itemIdentifier ${identifier} is not in the batch` };
    lowest = Math.min(lowest, index);
  }
  const failed = batch[lowest] as SequencedRecord;
  return { kind: 'partialFailure', failedIndex: lowest, sequenceNumber: failed.kinesis.sequenceNumber };
};

/** Splits a batch in two (the first half gets the extra record). */
export const bisect = <T>(items: readonly T[]): [T[], T[]] => {
  const middle = Math.ceil(items.length / 2);
  return [items.slice(0, middle), items.slice(middle)];
};

/**
 * How many leading records are older than `maxAgeSeconds` at `nowMs` (−1 = no limit).
 * Arrival times in a shard are non-decreasing, so the expired records are a prefix.
 */
export const countExpired = (
  records: readonly { kinesis: { approximateArrivalTimestamp: number } }[],
  nowMs: number,
  maxAgeSeconds: number,
): number => {
  if (maxAgeSeconds < 0) return 0;
  const oldestAllowedMs = nowMs - maxAgeSeconds * 1000;
  let count = 0;
  for (const record of records) {
    if (record.kinesis.approximateArrivalTimestamp * 1000 >= oldestAllowedMs) break;
    count++;
  }
  return count;
};

export type FailureKind = 'partialFailure' | 'batchFailure' | 'functionError';

export type FailureDecision =
  | { action: 'bisect' }
  | { action: 'retry'; retries: number; delayMs: number }
  | { action: 'discard'; retries: number };

export interface RetryPolicy {
  bisectBatchOnFunctionError: boolean;
  maximumRetryAttempts: number;
  retryDelayMs: number;
  maxRetryDelayMs: number;
}

/** Delay before retry number `retry` (1-based). */
export const retryDelay = (retry: number, baseMs: number, maxMs: number): number =>
  Math.min(maxMs, baseMs * 2 ** Math.max(0, retry - 1));

/**
 * What happens to the records still to be retried after a failed invocation, given how many
 * retries they have had. Bisecting is free; every other retry counts.
 */
export const decideAfterFailure = (
  failure: { kind: FailureKind; size: number; retries: number },
  policy: RetryPolicy,
): FailureDecision => {
  if (failure.kind === 'functionError' && policy.bisectBatchOnFunctionError && failure.size > 1) return { action: 'bisect' };
  const retries = failure.retries + 1;
  if (policy.maximumRetryAttempts >= 0 && retries > policy.maximumRetryAttempts) return { action: 'discard', retries };
  return { action: 'retry', retries, delayMs: retryDelay(retries, policy.retryDelayMs, policy.maxRetryDelayMs) };
};

const isoFromSeconds = (seconds: number): string => new Date(Math.round(seconds * 1000)).toISOString();

export interface DiscardInput {
  records: readonly KinesisStreamRecord[];
  condition: DiscardCondition;
  shardId: string;
  streamArn: string;
  functionArn: string;
  /** Request id of the last invocation of these records (a new one when never invoked). */
  requestId: string;
  approximateInvokeCount: number;
  /** How the last invocation of these records ended; undefined when never invoked. */
  lastInvocation?: { functionError: boolean };
  nowMs: number;
}

/** The on-failure destination record for discarded records (at least one). */
export const buildOnFailureRecord = (input: DiscardInput): OnFailureRecord => {
  const first = input.records[0];
  const last = input.records[input.records.length - 1];
  if (first === undefined || last === undefined) throw new Error('An on-failure record needs at least one record');
  return {
    requestContext: {
      requestId: input.requestId,
      functionArn: input.functionArn,
      condition: input.condition,
      approximateInvokeCount: input.approximateInvokeCount,
    },
    ...(input.lastInvocation && {
      responseContext: {
        statusCode: 200,
        executedVersion: '$LATEST',
        ...(input.lastInvocation.functionError && { functionError: 'Unhandled' }),
      },
    }),
    version: '1.0',
    timestamp: new Date(input.nowMs).toISOString(),
    KinesisBatchInfo: {
      shardId: input.shardId,
      startSequenceNumber: first.kinesis.sequenceNumber,
      endSequenceNumber: last.kinesis.sequenceNumber,
      approximateArrivalOfFirstRecord: isoFromSeconds(first.kinesis.approximateArrivalTimestamp),
      approximateArrivalOfLastRecord: isoFromSeconds(last.kinesis.approximateArrivalTimestamp),
      batchSize: input.records.length,
      streamArn: input.streamArn,
    },
  };
};

export { createLambdaContext, type LambdaContextInput } from './lambda-context';

// ---------------------------------------------------------------------------------------------
// The runner
// ---------------------------------------------------------------------------------------------

interface BufferedRecord {
  readonly record: KinesisStreamRecord;
  readonly bytes: number;
  deliveries: number;
}

/** Records still to be settled, with their retry history. */
interface PendingBatch {
  records: BufferedRecord[];
  retries: number;
  invokeCount: number;
  lastRequestId?: string;
  lastInvocation?: { functionError: boolean };
}

interface ShardWorker {
  shard: Shard;
  shardId: string;
  state: 'waiting' | 'running' | 'finished' | 'failed';
  iteratorType: ShardIteratorType;
  iterator?: string;
  closed: boolean;
  lastFetchedSequence?: string;
  /** LATEST only: when the first iterator was asked for (epoch ms, the server's clock), to resume from if it expires before a record is fetched. */
  latestSince?: number;
  /** Records that arrived before this (epoch ms) precede the starting position and are skipped (see getIterator). */
  skipArrivalsBefore?: number;
  buffer: BufferedRecord[];
  /** Ticket of the last GetRecords that found the shard caught up with nothing buffered or pending; −1 when busy. */
  idleTicket: number;
  consecutiveErrors: number;
  /** A GetRecords started while a batch was in flight, not consumed yet. */
  readAhead?: Promise<ReadResult>;
  source: RecordSource;
}

interface ReadResult {
  records: number;
  /** No records and MillisBehindLatest 0: nothing more to read now. */
  caughtUp: boolean;
  /** Order in which the GetRecords was started (drain() counts only reads started after it). */
  ticket: number;
}

interface DrainWaiter {
  ticket: number;
  resolve: () => void;
  reject: (error: Error) => void;
}

const MAX_CONSECUTIVE_READ_ERRORS = 5;
const STREAM_ACTIVE_TIMEOUT_MS = 30_000;

const errorName = (error: unknown): string => (error instanceof Error ? error.name : typeof error);
const errorMessage = (error: unknown): string => (error instanceof Error ? error.message : String(error));

export class KinesisEventSource {
  private readonly options: KinesisEventSourceOptions;
  private readonly settings: StreamEventSettings;
  private readonly reportBatchItemFailures: boolean;
  private readonly policy: RetryPolicy;
  private readonly pollIntervalMs: number;
  private readonly flushOnDrain: boolean;
  /** GetRecords `Limit`; also the buffer level under which a read-ahead starts. */
  private readonly readLimit: number;
  private readonly now: () => number;
  private readonly log: Required<EventSourceLogger>;
  private readonly invoker: HandlerInvoker<KinesisStreamEvent, unknown>;
  private readonly abort = new AbortController();
  private readonly workers = new Map<string, ShardWorker>();
  private readonly tasks: Promise<void>[] = [];
  private drainWaiters: DrainWaiter[] = [];
  private pollTicket = 0;
  /** Ticket of the last ListShards that found no shard we did not know. */
  private listedTicket = -1;
  private listing?: Promise<void> | undefined;
  private started = false;
  private stopped = false;
  private stopping?: Promise<void>;
  private failure?: Error;
  private streamArn = '';
  private accountId = '000000000000';
  private functionArn = '';
  private readonly counters: EventSourceStats = {
    invocations: 0,
    recordsIn: 0,
    redelivered: 0,
    succeeded: 0,
    failedInvocations: 0,
    bisections: 0,
    discarded: 0,
    onFailureRecords: 0,
  };

  constructor(options: KinesisEventSourceOptions) {
    this.options = options;
    this.settings = options.settings;
    this.reportBatchItemFailures = options.settings.functionResponseType === 'ReportBatchItemFailures';
    this.policy = {
      bisectBatchOnFunctionError: options.settings.bisectBatchOnFunctionError,
      maximumRetryAttempts: options.settings.maximumRetryAttempts,
      retryDelayMs: options.retryDelayMs ?? 100,
      maxRetryDelayMs: options.maxRetryDelayMs ?? 2_000,
    };
    this.pollIntervalMs = options.pollIntervalMs ?? 100;
    this.flushOnDrain = options.flushOnDrain ?? true;
    this.readLimit = Math.min(MAX_GET_RECORDS_LIMIT, options.settings.batchSize * 10);
    this.now = options.now ?? Date.now;
    const noop: LogFn = () => {};
    this.log = {
      debug: options.logger?.debug ?? noop,
      info: options.logger?.info ?? noop,
      warn: options.logger?.warn ?? noop,
      error: options.logger?.error ?? ((message, details) => console.error(`[kinesis-event-source] ${message}`, details ?? '')),
    };
    const { handler, invoker } = options;
    if ((handler === undefined) === (invoker === undefined)) throw new Error('KinesisEventSource needs a handler or an invoker (one of the two)');
    this.invoker = invoker ?? inProcessInvoker(handler as KinesisHandler, { enforceTimeout: options.enforceTimeout ?? true });
    if (!Number.isInteger(this.settings.batchSize) || this.settings.batchSize < 1) {
      throw new Error(`batchSize must be a positive integer, got ${this.settings.batchSize}`);
    }
  }

  /** Looks up the stream and its shards, gets shard iterators, and starts polling. Rejects (and stops) if the stream cannot be read. */
  async start(): Promise<void> {
    if (this.started) throw new Error('KinesisEventSource already started');
    this.started = true;
    if (this.settings.parallelizationFactor > 1) {
      this.log.warn('parallelizationFactor > 1 is treated as 1 locally (one invocation in flight per shard)', {
        parallelizationFactor: this.settings.parallelizationFactor,
      });
    }
    try {
      const summary = await this.waitForActiveStream();
      this.streamArn =
        summary.StreamARN ?? `arn:aws:kinesis:${this.options.region}:${this.accountId}:stream/${this.options.streamName}`;
      this.accountId = this.streamArn.split(':')[4] || this.accountId;
      this.functionArn = `arn:aws:lambda:${this.options.region}:${this.accountId}:function:${this.options.functionName}`;
      await this.discoverShards(this.settings.startingPosition);
    } catch (error) {
      // Shards that did start must not keep polling behind a failed start().
      await this.stop();
      throw error;
    }
    this.log.info('Kinesis event source started', { streamArn: this.streamArn, shards: this.workers.size });
  }

  /**
   * Resolves once every shard is caught up — a GetRecords started after this call returned no
   * records, and nothing is buffered, in flight or waiting for a retry — or closed and done.
   * Rejects if the runner stops or a shard fails first.
   */
  drain(): Promise<void> {
    if (!this.started) return Promise.reject(new Error('KinesisEventSource not started'));
    if (this.stopped) return Promise.reject(new Error('KinesisEventSource stopped'));
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.drainWaiters.push({ ticket: this.pollTicket, resolve, reject });
      this.checkDrain();
    });
  }

  /** Stops polling and retrying; waits for an invocation in flight to finish. Idempotent. */
  stop(): Promise<void> {
    if (this.stopping) return this.stopping;
    this.stopped = true;
    this.abort.abort();
    const waiters = this.drainWaiters;
    this.drainWaiters = [];
    for (const waiter of waiters) waiter.reject(new Error('KinesisEventSource stopped before the stream was drained'));
    this.stopping = Promise.allSettled([...this.tasks, this.listing]).then(() => undefined);
    return this.stopping;
  }

  stats(): EventSourceStats {
    return { ...this.counters };
  }

  // -- stream and shards ------------------------------------------------------------------------

  private async waitForActiveStream() {
    const deadline = Date.now() + STREAM_ACTIVE_TIMEOUT_MS;
    for (;;) {
      const { StreamDescriptionSummary: summary } = await this.options.kinesis.send(
        new DescribeStreamSummaryCommand({ StreamName: this.options.streamName }),
      );
      if (summary && (summary.StreamStatus === 'ACTIVE' || summary.StreamStatus === 'UPDATING')) return summary;
      if (Date.now() > deadline) {
        throw new Error(`Stream ${this.options.streamName} is not ACTIVE (status ${summary?.StreamStatus ?? 'unknown'})`);
      }
      await this.sleep(100);
      if (this.stopped) throw new Error('KinesisEventSource stopped');
    }
  }

  private async listShards(): Promise<Shard[]> {
    const shards: Shard[] = [];
    let nextToken: string | undefined;
    do {
      const page = await this.options.kinesis.send(
        new ListShardsCommand(nextToken ? { NextToken: nextToken } : { StreamName: this.options.streamName }),
        { abortSignal: this.abort.signal },
      );
      shards.push(...(page.Shards ?? []));
      nextToken = page.NextToken;
    } while (nextToken);
    return shards;
  }

  /** Registers shards not seen yet and starts those whose parents are done. */
  private async discoverShards(iteratorType: ShardIteratorType): Promise<void> {
    const listed = await this.listShards();
    for (const shard of listed) {
      const shardId = shard.ShardId;
      if (!shardId || this.workers.has(shardId)) continue;
      this.workers.set(shardId, {
        shard,
        shardId,
        state: 'waiting',
        iteratorType,
        closed: false,
        buffer: [],
        idleTicket: -1,
        consecutiveErrors: 0,
        source: {
          shardId,
          streamArn: this.streamArn,
          region: this.options.region,
          invokeIdentityArn: this.options.invokeIdentityArn ?? `arn:aws:iam::${this.accountId}:role/${this.options.functionName}-role`,
        },
      });
    }
    await this.startReadyShards();
  }

  private parentsDone(worker: ShardWorker): boolean {
    return [worker.shard.ParentShardId, worker.shard.AdjacentParentShardId].every((parentId) => {
      if (!parentId) return true;
      const parent = this.workers.get(parentId);
      return parent === undefined || parent.state === 'finished';
    });
  }

  private async startReadyShards(): Promise<void> {
    const ready = [...this.workers.values()].filter((worker) => worker.state === 'waiting' && this.parentsDone(worker));
    await Promise.all(
      ready.map(async (worker) => {
        worker.state = 'running';
        worker.iterator = await this.getIterator(worker);
        if (this.stopped) return;
        this.tasks.push(this.runShard(worker));
      }),
    );
  }

  private async getIterator(worker: ShardWorker): Promise<string | undefined> {
    const after = worker.lastFetchedSequence;
    let iteratorType = worker.iteratorType;
    if (!after && iteratorType === 'LATEST') {
      if (worker.latestSince === undefined) {
        worker.latestSince = Date.now();
      } else {
        // A LATEST iterator expired before any record was fetched: LATEST again would skip the
        // records put since. Read from TRIM_HORIZON and skip those that arrived before the first
        // iterator (AT_TIMESTAMP would do, but kinesalite never answers it when no record is that recent).
        iteratorType = 'TRIM_HORIZON';
        worker.skipArrivalsBefore = worker.latestSince;
      }
    }
    const { ShardIterator } = await this.options.kinesis.send(
      new GetShardIteratorCommand({
        StreamName: this.options.streamName,
        ShardId: worker.shardId,
        ...(after ? { ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', StartingSequenceNumber: after } : { ShardIteratorType: iteratorType }),
      }),
      { abortSignal: this.abort.signal },
    );
    return ShardIterator;
  }

  // -- per-shard loop ---------------------------------------------------------------------------

  private async runShard(worker: ShardWorker): Promise<void> {
    try {
      if (worker.iterator === undefined) worker.closed = true;
      while (!this.stopped) {
        const batch = await this.gather(worker);
        if (this.stopped) return;
        if (batch.length > 0) {
          await this.settle(worker, batch);
          this.checkDrain();
          continue;
        }
        if (worker.closed && worker.buffer.length === 0) {
          worker.state = 'finished';
          this.log.info('Shard finished', { shardId: worker.shardId });
          await this.discoverShards('TRIM_HORIZON');
          this.checkDrain();
          return;
        }
      }
    } catch (error) {
      if (this.stopped) return;
      worker.state = 'failed';
      const failure = new Error(`Shard ${worker.shardId} failed: ${errorMessage(error)}`, { cause: error });
      this.failure ??= failure;
      this.log.error(failure.message, { shardId: worker.shardId });
      this.checkDrain();
    } finally {
      // A read-ahead still in flight (aborted by stop()) must not outlive the shard's task.
      await worker.readAhead?.catch(() => undefined);
    }
  }

  /**
   * Reads until a batch is ready and takes it off the buffer: full (batchSize or 6 MB), or the
   * batching window has passed with records buffered, or — while drain() waits and with
   * `flushOnDrain` — the shard is caught up with records buffered.
   */
  private async gather(worker: ShardWorker): Promise<BufferedRecord[]> {
    const windowMs = this.settings.batchWindow * 1000;
    const startedAt = performance.now();
    const windowLeft = () => windowMs - (performance.now() - startedAt);
    let caughtUp = false;
    while (!this.stopped) {
      const count = batchCount(
        worker.buffer.slice(0, this.settings.batchSize + 1).map((r) => r.bytes),
        this.settings.batchSize,
      );
      const full = count === this.settings.batchSize || count < Math.min(worker.buffer.length, this.settings.batchSize);
      const flush = caughtUp && this.flushOnDrain && this.drainWaiters.length > 0;
      if (count > 0 && (full || windowLeft() <= 0 || worker.closed || flush)) return worker.buffer.splice(0, count);
      if (worker.closed) return [];

      const read = await this.nextRead(worker);
      if (this.stopped) return [];
      caughtUp = read.caughtUp;
      if (read.records > 0 || !read.caughtUp) continue;
      if (worker.buffer.length === 0) {
        worker.idleTicket = read.ticket;
        this.checkDrain();
        await this.sleep(this.pollIntervalMs);
      } else if (!(this.flushOnDrain && this.drainWaiters.length > 0)) {
        await this.sleep(Math.max(0, Math.min(this.pollIntervalMs, windowLeft())));
      }
    }
    return [];
  }

  /** The read-ahead in flight, if any, else a new GetRecords. */
  private async nextRead(worker: ShardWorker): Promise<ReadResult> {
    const read = worker.readAhead ?? this.read(worker);
    worker.readAhead = undefined;
    return read;
  }

  /**
   * While a batch is being invoked, fetch the next records (as the ESM's poller does), so reads
   * overlap invocations; at most one read per shard is in flight (iterators are sequential) and
   * the buffer holds at most about two reads' worth of records.
   */
  private startReadAhead(worker: ShardWorker): void {
    if (worker.readAhead || worker.closed || this.stopped || worker.buffer.length >= this.readLimit) return;
    const read = this.read(worker);
    read.catch(() => undefined); // rethrown to whoever awaits it through nextRead()
    worker.readAhead = read;
  }

  /** One GetRecords; appends to the buffer. Read errors are retried a few times, then fail the shard. */
  private async read(worker: ShardWorker): Promise<ReadResult> {
    const ticket = ++this.pollTicket;
    try {
      const response = await this.options.kinesis.send(new GetRecordsCommand({ ShardIterator: worker.iterator, Limit: this.readLimit }), {
        abortSignal: this.abort.signal,
      });
      worker.consecutiveErrors = 0;
      const records = response.Records ?? [];
      worker.iterator = response.NextShardIterator;
      if (worker.iterator === undefined) worker.closed = true;
      for (const record of records) {
        worker.lastFetchedSequence = record.SequenceNumber;
        if (worker.skipArrivalsBefore !== undefined) {
          if ((record.ApproximateArrivalTimestamp?.getTime() ?? Number.POSITIVE_INFINITY) < worker.skipArrivalsBefore) continue;
          worker.skipArrivalsBefore = undefined;
        }
        const lambdaRecord = toLambdaRecord(record, worker.source);
        worker.buffer.push({ record: lambdaRecord, bytes: recordJsonBytes(lambdaRecord), deliveries: 0 });
      }
      if (records.length > 0) worker.idleTicket = -1;
      return { records: records.length, caughtUp: records.length === 0 && (response.MillisBehindLatest ?? 0) === 0, ticket };
    } catch (error) {
      if (this.stopped) return { records: 0, caughtUp: false, ticket };
      if (errorName(error) === 'ExpiredIteratorException') {
        this.log.debug('Shard iterator expired; getting a new one', { shardId: worker.shardId });
        worker.iterator = await this.getIterator(worker);
        return { records: 0, caughtUp: false, ticket };
      }
      worker.consecutiveErrors++;
      if (worker.consecutiveErrors > MAX_CONSECUTIVE_READ_ERRORS) throw error;
      this.log.warn('GetRecords failed; retrying', { shardId: worker.shardId, error: errorMessage(error) });
      await this.sleep(retryDelay(worker.consecutiveErrors, this.policy.retryDelayMs, this.policy.maxRetryDelayMs));
      return { records: 0, caughtUp: false, ticket };
    }
  }

  /** Invokes, retries, bisects and discards until every record of the batch is settled. */
  private async settle(worker: ShardWorker, batch: BufferedRecord[]): Promise<void> {
    const queue: PendingBatch[] = [{ records: batch, retries: 0, invokeCount: 0 }];
    while (!this.stopped) {
      const pending = queue[0];
      if (pending === undefined) return;

      const expired = countExpired(
        pending.records.map((r) => r.record),
        this.now(),
        this.settings.maximumRecordAgeInSeconds,
      );
      if (expired > 0) {
        await this.discard(worker, pending, pending.records.slice(0, expired), 'RecordAgeExceeded');
        pending.records = pending.records.slice(expired);
        if (pending.records.length === 0) queue.shift();
        continue;
      }

      this.startReadAhead(worker);
      const outcome = await this.invoke(worker, pending);
      if (outcome.kind === 'success') {
        this.counters.succeeded += pending.records.length;
        queue.shift();
        continue;
      }
      this.counters.failedInvocations++;
      if (outcome.kind === 'partialFailure') {
        this.counters.succeeded += outcome.failedIndex;
        pending.records = pending.records.slice(outcome.failedIndex);
      }
      const decision = decideAfterFailure(
        { kind: outcome.kind, size: pending.records.length, retries: pending.retries },
        this.policy,
      );
      switch (decision.action) {
        case 'bisect': {
          this.counters.bisections++;
          const [first, second] = bisect(pending.records);
          queue.splice(0, 1, { ...pending, records: first }, { ...pending, records: second });
          break;
        }
        case 'retry':
          pending.retries = decision.retries;
          await this.sleep(decision.delayMs);
          break;
        case 'discard':
          pending.retries = decision.retries;
          await this.discard(worker, pending, pending.records, 'RetryAttemptsExhausted');
          queue.shift();
          break;
      }
    }
  }

  private async invoke(
    worker: ShardWorker,
    pending: PendingBatch,
  ): Promise<CheckpointDecision | { kind: 'functionError'; error: unknown }> {
    const requestId = randomUUID();
    const records = pending.records.map((buffered) => {
      buffered.deliveries++;
      if (buffered.deliveries === 1) this.counters.recordsIn++;
      else this.counters.redelivered++;
      return buffered.record;
    });
    const spec = {
      functionName: this.options.functionName,
      region: this.options.region,
      accountId: this.accountId,
      timeoutSeconds: this.options.timeoutSeconds,
      memoryLimitInMB: this.options.memoryLimitInMB ?? 1024,
      requestId,
    };
    this.counters.invocations++;
    pending.invokeCount++;
    pending.lastRequestId = requestId;
    const startedAt = performance.now();
    let outcome: CheckpointDecision | { kind: 'functionError'; error: unknown };
    try {
      const response = await this.invoker.invoke({ Records: records }, spec);
      outcome = checkpointAfter(response, records, this.reportBatchItemFailures);
    } catch (error) {
      outcome = { kind: 'functionError', error };
    }
    pending.lastInvocation = { functionError: outcome.kind === 'functionError' };
    const failures =
      outcome.kind === 'success' ? 0 : outcome.kind === 'partialFailure' ? records.length - outcome.failedIndex : records.length;
    if (outcome.kind === 'functionError') {
      this.log.warn('Invocation failed with a function error', {
        shardId: worker.shardId,
        requestId,
        errorType: errorName(outcome.error),
        errorMessage: errorMessage(outcome.error),
      });
    } else if (outcome.kind === 'batchFailure') {
      this.log.warn('Invalid batch item failure response: the whole batch failed', { shardId: worker.shardId, requestId, reason: outcome.reason });
    }
    this.options.onBatch?.({
      shardId: worker.shardId,
      requestId,
      records: records.length,
      failures,
      outcome: outcome.kind,
      durationMs: performance.now() - startedAt,
    });
    return outcome;
  }

  private async discard(worker: ShardWorker, pending: PendingBatch, records: BufferedRecord[], condition: DiscardCondition) {
    this.counters.discarded += records.length;
    const record = buildOnFailureRecord({
      records: records.map((r) => r.record),
      condition,
      shardId: worker.shardId,
      streamArn: this.streamArn,
      functionArn: this.functionArn,
      requestId: pending.lastRequestId ?? randomUUID(),
      approximateInvokeCount: pending.invokeCount,
      ...(pending.lastInvocation && { lastInvocation: pending.lastInvocation }),
      nowMs: this.now(),
    });
    // Lambda gives up on these records: an error, with the range and where it goes.
    this.log.error('Discarding records after retries; the batch goes to the on-failure destination', {
      shardId: worker.shardId,
      condition,
      records: records.length,
      startSequenceNumber: record.KinesisBatchInfo.startSequenceNumber,
      endSequenceNumber: record.KinesisBatchInfo.endSequenceNumber,
      destination: this.options.onFailure ? 'on-failure destination' : 'none: the records are dropped',
    });
    if (!this.options.onFailure) return;
    try {
      await this.options.onFailure(record, records.map((buffered) => buffered.record.kinesis.sequenceNumber));
      this.counters.onFailureRecords++;
    } catch (error) {
      this.log.error('The on-failure destination rejected a record; the records are lost', {
        shardId: worker.shardId,
        startSequenceNumber: record.KinesisBatchInfo.startSequenceNumber,
        endSequenceNumber: record.KinesisBatchInfo.endSequenceNumber,
        records: records.length,
        error: errorMessage(error),
      });
    }
  }

  // -- drain, sleep -----------------------------------------------------------------------------

  /**
   * Resolves the drain() waiters for which every known shard is finished or idle (a read
   * started after drain() found nothing) and a ListShards started after drain() found no new
   * shard — a split or UpdateShardCount can add shards that no reader has noticed yet.
   */
  private checkDrain(): void {
    if (this.drainWaiters.length === 0) return;
    if (this.failure) {
      const waiters = this.drainWaiters;
      this.drainWaiters = [];
      for (const waiter of waiters) waiter.reject(this.failure);
      return;
    }
    const workers = [...this.workers.values()];
    let needListing = false;
    this.drainWaiters = this.drainWaiters.filter((waiter) => {
      const idle = workers.every(
        (worker) => worker.state === 'finished' || (worker.state === 'running' && worker.idleTicket > waiter.ticket),
      );
      if (!idle) return true;
      if (this.listedTicket > waiter.ticket) {
        waiter.resolve();
        return false;
      }
      needListing = true;
      return true;
    });
    if (needListing && !this.listing && !this.stopped) {
      this.listing = this.refreshShards().finally(() => {
        this.listing = undefined;
        this.checkDrain();
      });
    }
  }

  /** Lists the shards again; records the read ticket when no new shard turned up. */
  private async refreshShards(): Promise<void> {
    const ticket = ++this.pollTicket;
    const known = this.workers.size;
    try {
      await this.discoverShards('TRIM_HORIZON');
      if (this.workers.size === known) this.listedTicket = ticket;
    } catch (error) {
      if (!this.stopped) this.log.warn('ListShards failed while checking for drain', { error: errorMessage(error) });
      await this.sleep(this.pollIntervalMs);
    }
  }

  /** A sleep that stop() cuts short. */
  private sleep(ms: number): Promise<void> {
    const signal = this.abort.signal;
    if (signal.aborted || ms <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal.addEventListener('abort', done, { once: true });
    });
  }
}
