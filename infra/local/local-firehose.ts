import { randomInt, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import { gzip as gzipCallback } from 'node:zlib';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { FirehoseTransformationEvent } from 'aws-lambda';
import {
  type CompiledPrefix,
  compileDeliveryPrefixes,
  compileJavaDateTimeFormat,
  type ErrorOutputType,
  evaluatePrefix,
  PrefixEvaluationError,
  randomString,
} from './firehose-prefix';
import type { FirehoseSettings } from './serverless-config';

export { PrefixConfigurationError, PrefixEvaluationError } from './firehose-prefix';

const gzip = promisify(gzipCallback);

// --- Firehose quotas and constants ------------------------------------------------------------

/** PutRecordBatch: records per call. */
export const MAX_BATCH_RECORDS = 500;
/** PutRecordBatch: total data per call. */
export const MAX_BATCH_BYTES = 4 * 1024 * 1024;
/** PutRecord/PutRecordBatch: one record's data, before base64 (1,000 KiB). */
export const MAX_RECORD_BYTES = 1_024_000;
/** Lambda synchronous invocation payload limit, request and response. */
export const MAX_LAMBDA_PAYLOAD_BYTES = 6 * 1024 * 1024;
/** Active partitions per delivery stream (default quota). */
export const DEFAULT_MAX_ACTIVE_PARTITIONS = 500;
/** Largest HTTP request body the server reads (a full 4 MiB batch is ~5.6 MB as JSON). */
const MAX_HTTP_BODY_BYTES = 16 * 1024 * 1024;
const ACCOUNT_ID = '000000000000';
const TARGET_PREFIX = 'Firehose_20150804.';
const DELIVERY_STREAM_VERSION = 1;
/**
 * Firehose retries a failed delivery to S3 (every 5 seconds) until the stream's retention ends,
 * 24 hours for a DirectPut stream, then the data is lost
 * (https://docs.aws.amazon.com/firehose/latest/dev/troubleshooting.html; "Handle data delivery
 * failure", https://docs.aws.amazon.com/firehose/latest/dev/retry.html).
 */
export const S3_RETRY_INTERVAL_MS = 5_000;
export const S3_RETRY_DURATION_MS = 24 * 3_600_000;
const DEFAULT_PROCESSOR = { bufferSizeBytes: 1024 * 1024, bufferIntervalSeconds: 60, numberOfRetries: 3 };
const OBJECT_TIME = compileJavaDateTimeFormat('yyyy-MM-dd-HH-mm-ss');

// --- Public types -----------------------------------------------------------------------------

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

/** Firehose's S3 object name: `<prefix><stream>-<version>-<yyyy-MM-dd-HH-mm-ss>-<uuid>[.gz]`. */
export const objectKey = (
  evaluatedPrefix: string,
  deliveryStreamName: string,
  epochMs: number,
  compression: FirehoseSettings['compression'],
  uuid: string = randomUUID(),
): string =>
  `${evaluatedPrefix}${deliveryStreamName}-${DELIVERY_STREAM_VERSION}-${OBJECT_TIME(epochMs)}-${uuid}${compression === 'GZIP' ? '.gz' : ''}`;

// --- Internals --------------------------------------------------------------------------------

interface BufferedRecord {
  recordId: string;
  arrival: number;
  data: Buffer;
}

interface PartitionBuffer {
  /** Evaluated prefix; `!{firehose:random-string}` is still the placeholder. */
  prefix: string;
  isError: boolean;
  chunks: Buffer[];
  bytes: number;
  records: number;
  oldestArrival: number;
  timer?: NodeJS.Timeout;
}

class ApiError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json => value !== null && typeof value === 'object' && !Array.isArray(value);

/** Runs at most `limit` tasks at once, in arrival order. */
class Limiter {
  private active = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly limit: number) {}

  async run<T>(task: () => Promise<T>): Promise<T> {
    // A finishing task hands its slot straight to the next waiter, so `active` never overshoots.
    if (this.active >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.active++;
    try {
      return await task();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.active--;
    }
  }
}

// Stands for !{firehose:random-string} while records are grouped; replaced per object.
const RANDOM_PLACEHOLDER = '\u0000random-string\u0000';
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const STREAM_NAME = /^[a-zA-Z0-9_.-]+$/;
const PROCESSING_FAILED_STATUS: RecordFailure = {
  errorCode: 'Lambda.ProcessingFailedStatus',
  errorMessage: 'ProcessingFailed status set for record',
};

const base64Length = (bytes: number): number => 4 * Math.ceil(bytes / 3);
const errorMessageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));

type Verdict =
  | { valid: true; results: { result: 'Ok' | 'Dropped' | 'ProcessingFailed'; data?: Buffer; partitionKeys?: Json }[] }
  | { valid: false; failure: RecordFailure };

/** Checks a processor response against the invocation, as Firehose does. */
const judgeResponse = (response: unknown, batch: readonly BufferedRecord[]): Verdict => {
  const invalid = (errorCode: string, errorMessage: string): Verdict => ({
    valid: false,
    failure: { errorCode, errorMessage },
  });
  if (!isObject(response) || !Array.isArray(response.records)) {
    return invalid(
      'Lambda.JsonProcessingException',
      'The response is not an object with a records array. Ensure that the returned records follow the status model required by Firehose.',
    );
  }
  let size: number;
  try {
    size = Buffer.byteLength(JSON.stringify(response));
  } catch (error) {
    return invalid('Lambda.JsonProcessingException', `The response cannot be serialized: ${errorMessageOf(error)}`);
  }
  if (size > MAX_LAMBDA_PAYLOAD_BYTES) {
    return invalid(
      'Lambda.FunctionError',
      `Response payload size (${size} bytes) exceeded maximum allowed payload size (${MAX_LAMBDA_PAYLOAD_BYTES} bytes).`,
    );
  }
  const position = new Map(batch.map((record, index) => [record.recordId, index]));
  const results: ({ result: 'Ok' | 'Dropped' | 'ProcessingFailed'; data?: Buffer; partitionKeys?: Json } | undefined)[] =
    Array.from({ length: batch.length }, () => undefined);
  for (const entry of response.records as unknown[]) {
    if (!isObject(entry) || typeof entry.recordId !== 'string') {
      return invalid('Lambda.JsonProcessingException', 'A returned record has no recordId string.');
    }
    const index = position.get(entry.recordId);
    if (index === undefined) {
      return invalid('Lambda.MissingRecordId', `Record ID ${entry.recordId} was not in the invocation. Return every received record ID.`);
    }
    if (results[index] !== undefined) {
      return invalid(
        'Lambda.DuplicatedRecordId',
        `Multiple records were returned with the record ID ${entry.recordId}. Return each record ID once.`,
      );
    }
    const result = entry.result;
    if (result !== 'Ok' && result !== 'Dropped' && result !== 'ProcessingFailed') {
      return invalid('Lambda.JsonProcessingException', `Record ${entry.recordId} has an invalid result: ${String(result)}.`);
    }
    let data: Buffer | undefined;
    if (typeof entry.data === 'string' && entry.data.length % 4 === 0 && BASE64.test(entry.data)) {
      data = Buffer.from(entry.data, 'base64');
    } else if (result === 'Ok') {
      return invalid('Lambda.JsonProcessingException', `Record ${entry.recordId} has no valid base64 data.`);
    }
    const metadata = entry.metadata;
    let partitionKeys: Json | undefined;
    if (metadata !== undefined && metadata !== null) {
      if (!isObject(metadata) || (metadata.partitionKeys !== undefined && !isObject(metadata.partitionKeys))) {
        return invalid('Lambda.JsonProcessingException', `Record ${entry.recordId} has invalid metadata.partitionKeys.`);
      }
      partitionKeys = metadata.partitionKeys as Json | undefined;
    }
    results[index] = { result, ...(data && { data }), ...(partitionKeys && { partitionKeys }) };
  }
  const missing = results.indexOf(undefined);
  if (missing !== -1) {
    return invalid(
      'Lambda.MissingRecordId',
      `One or more record IDs were not returned (first: ${batch[missing]?.recordId}). Return every received record ID.`,
    );
  }
  return { valid: true, results: results as { result: 'Ok' | 'Dropped' | 'ProcessingFailed'; data?: Buffer }[] };
};

// --- The local Firehose -----------------------------------------------------------------------

/**
 * A local Amazon Data Firehose DirectPut stream with an extended S3 destination, reached with the
 * real `@aws-sdk/client-firehose` over HTTP (JSON 1.1). Records are buffered for the processor
 * (size/interval), transformed with the status model enforced, buffered per evaluated prefix
 * (size/interval) and written to S3 as one object per buffer.
 *
 * Where it differs from Firehose (deliberately, for a local tool):
 * - Records are grouped by the prefix evaluated per record, with `!{timestamp:…}` from that
 *   record's arrival time (Firehose: the oldest record of the object); `!{firehose:random-string}`
 *   is drawn per object. The object name's time is the oldest record's arrival time.
 * - Buffering hints are not range-checked (tests use tiny ones); interval timers are real.
 * - Error records (processing-failed, partitioning-failed) share the destination's buffering and
 *   compression. partitioning-failed lines carry the processed data as `rawData`, no lambdaArn.
 * - S3 writes are retried every 5 s for up to 24 h, as Firehose does (both configurable); a write
 *   given up on discards its records (`discardedRecords`) and is reported by flush() and
 *   `onError`. stop() gives up on writes still being retried and discards what is still
 *   buffered: flush() first.
 * - Only partitionKeyFromLambda partitioning; no JQ (partitionKeyFromQuery), no format
 *   conversion, no encryption, no S3 backup, one stream per instance.
 */
export class LocalFirehose {
  private readonly settings: FirehoseSettings;
  private readonly processor: FirehoseSettings['processor'];
  private readonly prefix: CompiledPrefix;
  private readonly errorPrefix: CompiledPrefix;
  private readonly now: () => number;
  private readonly arn: string;
  private readonly lambdaArn: string;
  private readonly maxActivePartitions: number;
  private readonly transformLimiter: Limiter;
  private readonly writeLimiter: Limiter;
  private readonly createdAt: number;

  private server?: Server;
  private stopping = false;
  private recordSequence = 0;
  private readonly recordIdBase: string;

  private processorBuffer: BufferedRecord[] = [];
  private processorBytes = 0;
  private processorPayload = 0;
  private processorTimer?: NodeJS.Timeout;

  private readonly partitions = new Map<string, PartitionBuffer>();
  private activeDataPartitions = 0;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly failures: Error[] = [];

  private readonly counters = {
    received: 0,
    rejected: 0,
    invocations: 0,
    invocationErrors: 0,
    transformed: 0,
    ok: 0,
    dropped: 0,
    processingFailed: 0,
    partitioningFailed: 0,
    delivered: 0,
    peakActivePartitions: 0,
    errorRecordsWritten: 0,
    objectsWritten: 0,
    bytesWritten: 0,
    deliveryErrors: 0,
    s3Retries: 0,
    discardedRecords: 0,
    writing: 0,
  };
  private readonly keys: string[] = [];

  constructor(private readonly options: LocalFirehoseOptions) {
    const { settings } = options;
    if (settings.processor && !options.transform) {
      throw new Error(`Delivery stream ${settings.deliveryStreamName} has a processor configured but no transform was given`);
    }
    if (!(settings.bufferSizeBytes > 0) || !(settings.bufferIntervalSeconds >= 0)) {
      throw new Error('bufferSizeBytes must be > 0 and bufferIntervalSeconds >= 0');
    }
    this.settings = settings;
    this.processor = options.transform ? (settings.processor ?? DEFAULT_PROCESSOR) : undefined;
    if (this.processor && (!(this.processor.bufferSizeBytes > 0) || !(this.processor.numberOfRetries >= 0))) {
      throw new Error('processor.bufferSizeBytes must be > 0 and processor.numberOfRetries >= 0');
    }
    const prefixes = compileDeliveryPrefixes({
      prefix: settings.prefix,
      errorOutputPrefix: settings.errorOutputPrefix,
      dynamicPartitioning: settings.dynamicPartitioning,
      hasLambdaProcessor: this.processor !== undefined,
    });
    this.prefix = prefixes.prefix;
    this.errorPrefix = prefixes.errorOutputPrefix;
    this.now = options.now ?? Date.now;
    this.arn = `arn:aws:firehose:${options.region}:${ACCOUNT_ID}:deliverystream/${settings.deliveryStreamName}`;
    this.lambdaArn =
      options.processorArn ?? `arn:aws:lambda:${options.region}:${ACCOUNT_ID}:function:${settings.deliveryStreamName}-processor`;
    this.maxActivePartitions = options.maxActivePartitions ?? DEFAULT_MAX_ACTIVE_PARTITIONS;
    this.transformLimiter = new Limiter(options.transformConcurrency ?? 2);
    this.writeLimiter = new Limiter(options.writeConcurrency ?? 4);
    this.createdAt = this.now();
    this.recordIdBase = Array.from({ length: 30 }, () => randomInt(10)).join('');
  }

  get deliveryStreamArn(): string {
    return this.arn;
  }

  /** Listens on 127.0.0.1 (a free port unless `options.port`); resolves with the endpoint URL. */
  async start(): Promise<{ endpoint: string }> {
    if (this.server) throw new Error('LocalFirehose already started');
    if (this.stopping) throw new Error('LocalFirehose was stopped');
    const server = createServer((request, response) => {
      this.handle(request, response).catch((error: unknown) => {
        if (!response.headersSent) this.sendError(response, new ApiError('InternalFailure', errorMessageOf(error), 500));
      });
    });
    // The SDK keeps connections alive; outlive its idle sockets so a reused one is never reset.
    server.keepAliveTimeout = 60_000;
    server.headersTimeout = 65_000;
    this.server = server;
    const host = this.options.host ?? '127.0.0.1';
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.options.port ?? 0, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const { port } = server.address() as AddressInfo;
    return { endpoint: `http://${host}:${port}` };
  }

  /**
   * Delivers everything buffered, as if every buffering interval had expired: invokes the
   * processor for what it holds, then writes every partition buffer, and waits for all of it.
   * Rejects with the background failures (S3 writes that failed) since the last flush.
   */
  async flush(): Promise<void> {
    for (;;) {
      if (this.processorBuffer.length > 0) this.cutProcessorBatch();
      if (this.inFlight.size > 0) {
        await Promise.all([...this.inFlight]);
        continue;
      }
      if (this.partitions.size === 0) break;
      for (const partition of [...this.partitions.values()]) this.flushPartition(partition);
    }
    const failures = this.failures.splice(0);
    if (failures.length === 1) throw failures[0];
    if (failures.length > 1) throw new AggregateError(failures, `${failures.length} local Firehose deliveries failed`);
  }

  /**
   * Stops the server and every timer and waits for work in flight. Records still buffered are
   * discarded (call flush() first to deliver them); nothing runs after this resolves.
   */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    clearTimeout(this.processorTimer);
    for (const partition of this.partitions.values()) clearTimeout(partition.timer);
    const server = this.server;
    if (server) {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    }
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
    for (const partition of this.partitions.values()) clearTimeout(partition.timer);
  }

  stats(): LocalFirehoseStats {
    let buffered = this.processorBuffer.length;
    for (const partition of this.partitions.values()) buffered += partition.records;
    return { ...this.counters, maxActivePartitions: this.maxActivePartitions, buffered, keys: [...this.keys] };
  }

  // --- HTTP ---------------------------------------------------------------------------------

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const body = await this.readBody(request);
    const target = request.headers['x-amz-target'];
    const action = typeof target === 'string' && target.startsWith(TARGET_PREFIX) ? target.slice(TARGET_PREFIX.length) : '';
    try {
      if (request.method !== 'POST') throw new ApiError('UnknownOperationException', 'Only POST is supported', 404);
      if (body === undefined) throw new ApiError('SerializationException', 'Request body too large', 413);
      let input: unknown;
      try {
        input = body.length === 0 ? {} : JSON.parse(body.toString('utf8'));
      } catch {
        throw new ApiError('SerializationException', 'Request body is not valid JSON');
      }
      if (!isObject(input)) throw new ApiError('SerializationException', 'Request body must be a JSON object');
      this.sendJson(response, 200, this.dispatch(action, input));
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      this.sendError(response, error);
    }
  }

  private readBody(request: IncomingMessage): Promise<Buffer | undefined> {
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      let size = 0;
      request.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size <= MAX_HTTP_BODY_BYTES) chunks.push(chunk);
      });
      request.on('end', () => resolve(size > MAX_HTTP_BODY_BYTES ? undefined : Buffer.concat(chunks, size)));
      request.on('error', reject);
    });
  }

  private sendJson(response: ServerResponse, status: number, payload: unknown): void {
    const body = JSON.stringify(payload);
    response.writeHead(status, {
      'content-type': 'application/x-amz-json-1.1',
      'content-length': Buffer.byteLength(body),
      'x-amzn-requestid': randomUUID(),
    });
    response.end(body);
  }

  private sendError(response: ServerResponse, error: ApiError): void {
    this.sendJson(response, error.status, { __type: error.type, message: error.message });
  }

  private dispatch(action: string, input: Json): unknown {
    switch (action) {
      case 'PutRecord':
        return this.putRecord(input);
      case 'PutRecordBatch':
        return this.putRecordBatch(input);
      case 'DescribeDeliveryStream':
        return this.describe(input);
      case 'ListDeliveryStreams':
        return this.list(input);
      default:
        throw new ApiError('UnknownOperationException', action ? `Unknown operation ${action}` : 'Missing X-Amz-Target');
    }
  }

  /** Checks DeliveryStreamName like the API model does, then that the stream exists. */
  private requireStream(input: Json, violations: string[]): void {
    const name = input.DeliveryStreamName;
    if (name === undefined || name === null) {
      violations.push("Value null at 'deliveryStreamName' failed to satisfy constraint: Member must not be null");
    } else if (typeof name !== 'string') {
      throw new ApiError('SerializationException', 'DeliveryStreamName must be a string');
    } else if (name.length < 1 || name.length > 64) {
      violations.push(
        `Value '${name}' at 'deliveryStreamName' failed to satisfy constraint: Member must have length ${name.length < 1 ? 'greater than or equal to 1' : 'less than or equal to 64'}`,
      );
    } else if (!STREAM_NAME.test(name)) {
      violations.push(
        `Value '${name}' at 'deliveryStreamName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+`,
      );
    }
  }

  private throwViolations(violations: string[]): void {
    if (violations.length === 0) return;
    const count = violations.length === 1 ? '1 validation error' : `${violations.length} validation errors`;
    throw new ApiError('ValidationException', `${count} detected: ${violations.join('; ')}`);
  }

  private assertKnownStream(input: Json): void {
    if (input.DeliveryStreamName !== this.settings.deliveryStreamName) {
      throw new ApiError(
        'ResourceNotFoundException',
        `Firehose ${String(input.DeliveryStreamName)} under account ${ACCOUNT_ID} not found.`,
      );
    }
    if (this.stopping) throw new ApiError('ServiceUnavailableException', 'The delivery stream is shutting down.', 503);
  }

  private decodeData(value: unknown, path: string, violations: string[]): Buffer {
    if (value === undefined || value === null) {
      violations.push(`Value null at '${path}' failed to satisfy constraint: Member must not be null`);
      return Buffer.alloc(0);
    }
    if (typeof value !== 'string') throw new ApiError('SerializationException', `${path} must be a base64 string`);
    const data = Buffer.from(value, 'base64');
    if (data.length > MAX_RECORD_BYTES) {
      violations.push(
        `Value 'java.nio.HeapByteBuffer[pos=0 lim=${data.length} cap=${data.length}]' at '${path}' failed to satisfy constraint: Member must have length less than or equal to ${MAX_RECORD_BYTES}`,
      );
    }
    return data;
  }

  private putRecord(input: Json): unknown {
    const violations: string[] = [];
    this.requireStream(input, violations);
    const record = input.Record;
    let data: Buffer = Buffer.alloc(0);
    if (record === undefined || record === null) {
      violations.push("Value null at 'record' failed to satisfy constraint: Member must not be null");
    } else if (!isObject(record)) {
      throw new ApiError('SerializationException', 'Record must be an object');
    } else {
      data = this.decodeData(record.Data, 'record.data', violations);
    }
    this.throwViolations(violations);
    this.assertKnownStream(input);
    const failure = this.options.failRecord?.(data, 0);
    if (failure) {
      this.counters.rejected++;
      throw new ApiError(failure.errorCode, failure.errorMessage, failure.errorCode === 'ServiceUnavailableException' ? 503 : 400);
    }
    const recordId = this.accept(data, this.now());
    return { RecordId: recordId, Encrypted: false };
  }

  private putRecordBatch(input: Json): unknown {
    const violations: string[] = [];
    this.requireStream(input, violations);
    const records = input.Records;
    const decoded: Buffer[] = [];
    if (records === undefined || records === null) {
      violations.push("Value null at 'records' failed to satisfy constraint: Member must not be null");
    } else if (!Array.isArray(records)) {
      throw new ApiError('SerializationException', 'Records must be a list');
    } else {
      if (records.length < 1 || records.length > MAX_BATCH_RECORDS) {
        violations.push(
          `Value at 'records' failed to satisfy constraint: Member must have length ${records.length < 1 ? 'greater than or equal to 1' : `less than or equal to ${MAX_BATCH_RECORDS}`}`,
        );
      }
      records.forEach((record: unknown, index) => {
        if (!isObject(record)) throw new ApiError('SerializationException', 'Each record must be an object');
        decoded.push(this.decodeData(record.Data, `records.${index + 1}.member.data`, violations));
      });
    }
    this.throwViolations(violations);
    this.assertKnownStream(input);
    const total = decoded.reduce((sum, data) => sum + data.length, 0);
    if (total > MAX_BATCH_BYTES) throw new ApiError('InvalidArgumentException', 'Records size exceeds 4 MB limit');

    const arrival = this.now();
    let failed = 0;
    const responses = decoded.map((data, index) => {
      const failure = this.options.failRecord?.(data, index);
      if (failure) {
        failed++;
        this.counters.rejected++;
        return { ErrorCode: failure.errorCode, ErrorMessage: failure.errorMessage };
      }
      return { RecordId: this.accept(data, arrival) };
    });
    return { FailedPutCount: failed, Encrypted: false, RequestResponses: responses };
  }

  private describe(input: Json): unknown {
    const violations: string[] = [];
    this.requireStream(input, violations);
    this.throwViolations(violations);
    this.assertKnownStream(input);
    const { settings } = this;
    const bucketArn = `arn:aws:s3:::${this.options.bucket}`;
    const roleArn = `arn:aws:iam::${ACCOUNT_ID}:role/${settings.deliveryStreamName}-delivery`;
    const bufferingHints = {
      SizeInMBs: Math.max(1, Math.round(settings.bufferSizeBytes / (1024 * 1024))),
      IntervalInSeconds: settings.bufferIntervalSeconds,
    };
    // AWS describes the destination twice: the plain S3 view, and the extended one with more fields.
    const s3Description = {
      RoleARN: roleArn,
      BucketARN: bucketArn,
      Prefix: settings.prefix,
      ErrorOutputPrefix: settings.errorOutputPrefix,
      BufferingHints: bufferingHints,
      CompressionFormat: settings.compression,
      EncryptionConfiguration: { NoEncryptionConfig: 'NoEncryption' },
    };
    const processor = this.processor;
    return {
      DeliveryStreamDescription: {
        DeliveryStreamName: settings.deliveryStreamName,
        DeliveryStreamARN: this.arn,
        DeliveryStreamStatus: 'ACTIVE',
        DeliveryStreamType: 'DirectPut',
        DeliveryStreamEncryptionConfiguration: { Status: 'DISABLED' },
        VersionId: String(DELIVERY_STREAM_VERSION),
        CreateTimestamp: this.createdAt / 1000,
        HasMoreDestinations: false,
        Destinations: [
          {
            DestinationId: 'destinationId-000000000001',
            S3DestinationDescription: s3Description,
            ExtendedS3DestinationDescription: {
              ...s3Description,
              S3BackupMode: 'Disabled',
              DynamicPartitioningConfiguration: { Enabled: settings.dynamicPartitioning },
              ProcessingConfiguration: processor
                ? {
                    Enabled: true,
                    Processors: [
                      {
                        Type: 'Lambda',
                        Parameters: [
                          { ParameterName: 'LambdaArn', ParameterValue: this.lambdaArn },
                          { ParameterName: 'NumberOfRetries', ParameterValue: String(processor.numberOfRetries) },
                          {
                            ParameterName: 'BufferSizeInMBs',
                            ParameterValue: String(processor.bufferSizeBytes / (1024 * 1024)),
                          },
                          { ParameterName: 'BufferIntervalInSeconds', ParameterValue: String(processor.bufferIntervalSeconds) },
                        ],
                      },
                    ],
                  }
                : { Enabled: false, Processors: [] },
            },
          },
        ],
      },
    };
  }

  private list(input: Json): unknown {
    const type = input.DeliveryStreamType;
    const start = input.ExclusiveStartDeliveryStreamName;
    const name = this.settings.deliveryStreamName;
    const listed =
      (type === undefined || type === null || type === 'DirectPut') && (typeof start !== 'string' || start < name);
    return { DeliveryStreamNames: listed ? [name] : [], HasMoreDeliveryStreams: false };
  }

  // --- Processor stage ----------------------------------------------------------------------

  private accept(data: Buffer, arrival: number): string {
    this.counters.received++;
    const recordId = `${this.recordIdBase}${String(++this.recordSequence).padStart(26, '0')}`;
    const record: BufferedRecord = { recordId, arrival, data };
    const processor = this.processor;
    if (!processor) {
      this.route(this.prefix, data, arrival, undefined);
      return recordId;
    }
    // Keep the invocation payload within Lambda's 6 MB whatever the size hint.
    const payload = base64Length(data.length) + recordId.length + 64;
    if (this.processorBuffer.length > 0 && this.processorPayload + payload > MAX_LAMBDA_PAYLOAD_BYTES - 1024) {
      this.cutProcessorBatch();
    }
    this.processorBuffer.push(record);
    this.processorBytes += data.length;
    this.processorPayload += payload;
    if (this.processorBytes >= processor.bufferSizeBytes) {
      this.cutProcessorBatch();
    } else if (this.processorTimer === undefined && !this.stopping) {
      this.processorTimer = setTimeout(() => {
        this.processorTimer = undefined;
        if (!this.stopping && this.processorBuffer.length > 0) this.cutProcessorBatch();
      }, processor.bufferIntervalSeconds * 1000);
      this.processorTimer.unref();
    }
    return recordId;
  }

  private cutProcessorBatch(): void {
    const batch = this.processorBuffer;
    this.processorBuffer = [];
    this.processorBytes = 0;
    this.processorPayload = 0;
    clearTimeout(this.processorTimer);
    this.processorTimer = undefined;
    this.track(this.transformLimiter.run(() => this.invoke(batch)));
  }

  private async invoke(batch: BufferedRecord[]): Promise<void> {
    const processor = this.processor ?? DEFAULT_PROCESSOR;
    const transform = this.options.transform;
    if (!transform) return;
    const attempts = processor.numberOfRetries + 1;
    let failure: RecordFailure = { errorCode: 'Lambda.FunctionError', errorMessage: 'not invoked' };
    for (let attempt = 1; attempt <= attempts; attempt++) {
      const event: FirehoseTransformationEvent = {
        invocationId: randomUUID(),
        deliveryStreamArn: this.arn,
        region: this.options.region,
        records: batch.map((record) => ({
          recordId: record.recordId,
          approximateArrivalTimestamp: record.arrival,
          data: record.data.toString('base64'),
        })),
      };
      this.counters.invocations++;
      let response: unknown;
      try {
        response = await transform(event);
      } catch (error) {
        this.counters.invocationErrors++;
        failure = {
          errorCode: 'Lambda.FunctionError',
          errorMessage: `The Lambda function was successfully invoked but it returned an error result: ${errorMessageOf(error)}`,
        };
        continue;
      }
      const verdict = judgeResponse(response, batch);
      if (!verdict.valid) {
        this.counters.invocationErrors++;
        failure = verdict.failure;
        continue;
      }
      this.applyResults(batch, verdict.results, attempt);
      return;
    }
    for (const record of batch) this.routeError('processing-failed', record.data, record.arrival, failure, attempts, true);
  }

  private applyResults(
    batch: readonly BufferedRecord[],
    results: readonly { result: 'Ok' | 'Dropped' | 'ProcessingFailed'; data?: Buffer; partitionKeys?: Json }[],
    attempt: number,
  ): void {
    batch.forEach((record, index) => {
      const outcome = results[index];
      if (!outcome) return;
      this.counters.transformed++;
      if (outcome.result === 'Dropped') {
        this.counters.dropped++;
      } else if (outcome.result === 'ProcessingFailed') {
        this.routeError('processing-failed', record.data, record.arrival, PROCESSING_FAILED_STATUS, attempt, true);
      } else {
        this.counters.ok++;
        this.route(this.prefix, outcome.data ?? Buffer.alloc(0), record.arrival, outcome.partitionKeys);
      }
    });
  }

  // --- Destination stage --------------------------------------------------------------------

  /** Sends a processed record to its partition buffer, or to partitioning-failed. */
  private route(prefix: CompiledPrefix, data: Buffer, arrival: number, partitionKeys: Json | undefined): void {
    let evaluated: string;
    try {
      evaluated = evaluatePrefix(prefix, {
        arrivalTimestamp: arrival,
        ...(partitionKeys && { partitionKeys }),
        randomString: RANDOM_PLACEHOLDER,
      });
    } catch (error) {
      if (!(error instanceof PrefixEvaluationError)) throw error;
      this.routeError('partitioning-failed', data, arrival, { errorCode: error.errorCode, errorMessage: error.message }, 1, false);
      return;
    }
    if (
      this.settings.dynamicPartitioning &&
      !this.partitions.has(evaluated) &&
      this.activeDataPartitions >= this.maxActivePartitions
    ) {
      this.routeError(
        'partitioning-failed',
        data,
        arrival,
        {
          errorCode: 'DynamicPartitioning.ActivePartitionsLimitExceeded',
          errorMessage: `The number of active partitions exceeded the limit of ${this.maxActivePartitions}.`,
        },
        1,
        false,
      );
      return;
    }
    this.append(evaluated, false, data, arrival);
  }

  /** Writes one Firehose error record (a JSON line) to the error output. */
  private routeError(
    type: ErrorOutputType,
    rawData: Buffer,
    arrival: number,
    failure: RecordFailure,
    attemptsMade: number,
    withLambdaArn: boolean,
  ): void {
    if (type === 'processing-failed') this.counters.processingFailed++;
    else this.counters.partitioningFailed++;
    const line = {
      attemptsMade,
      arrivalTimestamp: arrival,
      errorCode: failure.errorCode,
      errorMessage: failure.errorMessage,
      attemptEndingTimestamp: this.now(),
      rawData: rawData.toString('base64'),
      ...(withLambdaArn && { lambdaArn: this.lambdaArn }),
    };
    const evaluated = evaluatePrefix(this.errorPrefix, {
      arrivalTimestamp: arrival,
      errorOutputType: type,
      randomString: RANDOM_PLACEHOLDER,
    });
    this.append(evaluated, true, Buffer.from(`${JSON.stringify(line)}\n`), arrival);
  }

  private append(prefix: string, isError: boolean, data: Buffer, arrival: number): void {
    let partition = this.partitions.get(prefix);
    if (partition) {
      const plan = planAppend(partition.bytes, data.length, this.settings.bufferSizeBytes);
      if (plan.flushBefore) {
        this.flushPartition(partition);
        partition = undefined;
      }
    }
    if (!partition) partition = this.openPartition(prefix, isError, arrival);
    partition.chunks.push(data);
    partition.bytes += data.length;
    partition.records++;
    if (partition.bytes >= this.settings.bufferSizeBytes) this.flushPartition(partition);
  }

  private openPartition(prefix: string, isError: boolean, arrival: number): PartitionBuffer {
    const partition: PartitionBuffer = { prefix, isError, chunks: [], bytes: 0, records: 0, oldestArrival: arrival };
    if (!isError) {
      this.activeDataPartitions++;
      this.counters.peakActivePartitions = Math.max(this.counters.peakActivePartitions, this.activeDataPartitions);
    }
    this.partitions.set(prefix, partition);
    if (!this.stopping) {
      partition.timer = setTimeout(() => {
        if (!this.stopping && this.partitions.get(prefix) === partition) this.flushPartition(partition);
      }, this.settings.bufferIntervalSeconds * 1000);
      partition.timer.unref();
    }
    return partition;
  }

  private flushPartition(partition: PartitionBuffer): void {
    if (this.partitions.get(partition.prefix) !== partition) return;
    this.partitions.delete(partition.prefix);
    if (!partition.isError) this.activeDataPartitions--;
    clearTimeout(partition.timer);
    if (partition.records === 0) return;
    this.track(this.writeLimiter.run(() => this.writeObject(partition)));
  }

  private async writeObject(partition: PartitionBuffer): Promise<void> {
    const { settings } = this;
    const body = Buffer.concat(partition.chunks, partition.bytes);
    const stored = settings.compression === 'GZIP' ? await gzip(body) : body;
    const prefix = partition.prefix.includes(RANDOM_PLACEHOLDER)
      ? partition.prefix.replaceAll(RANDOM_PLACEHOLDER, randomString())
      : partition.prefix;
    const key = objectKey(prefix, settings.deliveryStreamName, partition.oldestArrival, settings.compression);
    const intervalMs = this.options.s3RetryIntervalMs ?? S3_RETRY_INTERVAL_MS;
    const giveUpAt = Date.now() + (this.options.s3RetryDurationMs ?? S3_RETRY_DURATION_MS);
    this.counters.writing += partition.records;
    try {
      for (let attempt = 1; ; attempt++) {
        try {
          await this.options.s3.send(
            new PutObjectCommand({
              Bucket: this.options.bucket,
              Key: key,
              Body: stored,
              ContentLength: stored.length,
            }),
          );
          this.counters.objectsWritten++;
          this.counters.bytesWritten += stored.length;
          if (partition.isError) this.counters.errorRecordsWritten += partition.records;
          else this.counters.delivered += partition.records;
          this.keys.push(key);
          return;
        } catch (error) {
          if (this.stopping || Date.now() + intervalMs > giveUpAt) {
            this.counters.deliveryErrors++;
            this.counters.discardedRecords += partition.records;
            const why = this.stopping ? 'stopped while retrying' : `still failing after ${attempt} attempts`;
            throw new Error(`PutObject s3://${this.options.bucket}/${key} ${why}, ${partition.records} records discarded: ${errorMessageOf(error)}`, {
              cause: error,
            });
          }
          this.counters.s3Retries++;
          if (attempt === 1) this.options.onRetry?.(error instanceof Error ? error : new Error(String(error)), key);
          await this.retryPause(intervalMs);
        }
      }
    } finally {
      this.counters.writing -= partition.records;
    }
  }

  /** A wait between S3 attempts that stop() cuts short. */
  private retryPause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      const check = setInterval(() => this.stopping && done(), Math.min(ms, 100));
      function done() {
        clearTimeout(timer);
        clearInterval(check);
        resolve();
      }
    });
  }

  private track(work: Promise<void>): void {
    const tracked: Promise<void> = work
      .catch((error: unknown) => {
        const failure = error instanceof Error ? error : new Error(String(error));
        this.failures.push(failure);
        this.options.onError?.(failure);
      })
      .finally(() => {
        this.inFlight.delete(tracked);
      });
    this.inFlight.add(tracked);
  }
}
