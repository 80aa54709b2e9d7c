/**
 * A local Amazon Data Firehose DirectPut stream with an extended S3 destination or an HTTP
 * endpoint destination, reached with the real `@aws-sdk/client-firehose` over HTTP (JSON 1.1).
 * What it implements, where it differs from Firehose and the AWS documentation it follows:
 * infra/local/README.md, "Firehose".
 *
 * This file wires the stages and owns the lifecycle (start, flush, stop, stats): api.ts takes
 * records in; processor.ts buffers them for the processor and invokes it; partitions.ts buffers
 * the results per evaluated prefix; destinations/ delivers each buffer (s3.ts: one object;
 * http-endpoint.ts: one request).
 */
import { randomInt } from 'node:crypto';
import type { FirehoseSettings } from '../pipeline/serverless-config';
import {
  deliveryStreamArn,
  FIREHOSE_DEFAULT_MAX_ACTIVE_PARTITIONS,
  FIREHOSE_DEFAULT_PROCESSOR,
  FIREHOSE_HTTP_MAX_RECORDS_PER_REQUEST,
  FIREHOSE_INITIAL_VERSION_ID,
  functionArn,
  LOCAL_ACCOUNT_ID,
} from '../runtime/aws';
import { asError } from '../runtime/errors';
import { Limiter } from '../runtime/limiter';
import { FirehoseApi, type FirehoseBackend } from './api';
import type { Destination } from './destinations/destination';
import { HttpEndpointDestination } from './destinations/http-endpoint';
import { S3Destination } from './destinations/s3';
import { deliveryBatch, type PartitionBuffer, Partitions } from './partitions';
import { compileDeliveryPrefixes, type DeliveryPrefixes, parsePrefix } from './prefix';
import { describeProcessing, Processor } from './processor';
import type { FirehoseCounters, LocalFirehoseOptions, LocalFirehoseStats } from './types';

export type { HttpEndpointDestinationSettings } from './destinations/http-endpoint';
export { HttpEndpointConfigurationError } from './destinations/http-endpoint-config';
export { PrefixConfigurationError, PrefixEvaluationError } from './prefix';
export type {
  HttpEndpointStats,
  LocalFirehoseOptions,
  LocalFirehoseStats,
  RecordFailure,
  TransformFunction,
} from './types';

export class LocalFirehose {
  private readonly settings: FirehoseSettings;
  private readonly processorSettings: FirehoseSettings['processor'];
  private readonly now: () => number;
  private readonly arn: string;
  private readonly lambdaArn: string;
  private readonly maxActivePartitions: number;
  private readonly writeLimiter: Limiter;
  private readonly createdAt: number;
  private readonly recordIdBase: string;

  private readonly api: FirehoseApi;
  private readonly processor: Processor | undefined;
  private readonly partitions: Partitions;
  private readonly destination: Destination;

  private stopping = false;
  private recordSequence = 0;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly failures: Error[] = [];

  private readonly counters: FirehoseCounters = {
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
  };
  private readonly keys: string[] = [];

  constructor(private readonly options: LocalFirehoseOptions) {
    const { settings, transform, destination } = options;
    if (destination && (transform || settings.dynamicPartitioning)) {
      throw new Error(
        `Delivery stream ${settings.deliveryStreamName}: the local HTTP endpoint destination takes no processor and no dynamic partitioning`,
      );
    }
    if (settings.processor && !transform) {
      throw new Error(
        `Delivery stream ${settings.deliveryStreamName} has a processor configured but no transform was given`,
      );
    }
    if (!(settings.bufferSizeBytes > 0) || !(settings.bufferIntervalSeconds >= 0)) {
      throw new Error('bufferSizeBytes must be > 0 and bufferIntervalSeconds >= 0');
    }
    this.settings = settings;
    const processor = transform ? (settings.processor ?? FIREHOSE_DEFAULT_PROCESSOR) : undefined;
    this.processorSettings = processor;
    if (processor && (!(processor.bufferSizeBytes > 0) || !(processor.numberOfRetries >= 0))) {
      throw new Error('processor.bufferSizeBytes must be > 0 and processor.numberOfRetries >= 0');
    }
    // An HTTP endpoint destination has one buffer (no prefix, no error output of its own).
    const prefixes: DeliveryPrefixes = destination
      ? { prefix: parsePrefix(''), errorOutputPrefix: parsePrefix('') }
      : compileDeliveryPrefixes({
          prefix: settings.prefix,
          errorOutputPrefix: settings.errorOutputPrefix,
          dynamicPartitioning: settings.dynamicPartitioning,
          hasLambdaProcessor: processor !== undefined,
        });
    this.now = options.now ?? Date.now;
    this.arn = deliveryStreamArn(options.region, LOCAL_ACCOUNT_ID, settings.deliveryStreamName);
    this.lambdaArn =
      options.processorArn ?? functionArn(options.region, LOCAL_ACCOUNT_ID, `${settings.deliveryStreamName}-processor`);
    this.maxActivePartitions = options.maxActivePartitions ?? FIREHOSE_DEFAULT_MAX_ACTIVE_PARTITIONS;
    this.writeLimiter = new Limiter(options.writeConcurrency ?? 4);
    this.createdAt = this.now();
    this.recordIdBase = Array.from({ length: 30 }, () => randomInt(10)).join('');

    const isStopping = () => this.stopping;
    if (destination) {
      this.destination = new HttpEndpointDestination({
        endpoint: destination,
        deliveryStreamName: settings.deliveryStreamName,
        deliveryStreamArn: this.arn,
        bufferSizeBytes: settings.bufferSizeBytes,
        bufferIntervalSeconds: settings.bufferIntervalSeconds,
        s3: options.s3,
        ...(options.s3RetryIntervalMs !== undefined && { backupRetryIntervalMs: options.s3RetryIntervalMs }),
        ...(options.s3RetryDurationMs !== undefined && { backupRetryDurationMs: options.s3RetryDurationMs }),
      });
      this.counters.endpoint = {
        deliveredRecords: 0,
        requestsDelivered: 0,
        attempts: 0,
        failedAttempts: 0,
        backedUpRecords: 0,
      };
    } else {
      if (options.bucket === undefined)
        throw new Error(`Delivery stream ${settings.deliveryStreamName}: the S3 destination needs a bucket`);
      this.destination = new S3Destination({
        settings,
        bucket: options.bucket,
        s3: options.s3,
        retryIntervalMs: options.s3RetryIntervalMs,
        retryDurationMs: options.s3RetryDurationMs,
      });
    }
    this.partitions = new Partitions({
      settings,
      prefix: prefixes.prefix,
      errorPrefix: prefixes.errorOutputPrefix,
      maxActivePartitions: this.maxActivePartitions,
      ...(destination && { maxRecords: FIREHOSE_HTTP_MAX_RECORDS_PER_REQUEST }),
      lambdaArn: this.lambdaArn,
      now: () => this.now(),
      counters: this.counters,
      isStopping,
      deliver: (partition) => this.deliver(partition),
    });
    this.processor =
      processor && transform
        ? new Processor({
            settings: processor,
            transform,
            deliveryStreamArn: this.arn,
            region: options.region,
            concurrency: options.transformConcurrency ?? 2,
            counters: this.counters,
            partitions: this.partitions,
            track: (work) => this.track(work),
            isStopping,
          })
        : undefined;
    this.api = new FirehoseApi(this.backend());
  }

  get deliveryStreamArn(): string {
    return this.arn;
  }

  /** Listens on 127.0.0.1 (a free port unless `options.port`); resolves with the endpoint URL. */
  async start(): Promise<{ endpoint: string }> {
    if (this.api.listening) throw new Error('LocalFirehose already started');
    if (this.stopping) throw new Error('LocalFirehose was stopped');
    return { endpoint: await this.api.listen(this.options.host ?? '127.0.0.1', this.options.port ?? 0) };
  }

  /**
   * Delivers everything buffered, as if every buffering interval had expired: invokes the
   * processor for what it holds, then writes every partition buffer, and waits for all of it.
   * Rejects with the background failures (deliveries given up on) since the last flush.
   */
  async flush(): Promise<void> {
    for (;;) {
      this.processor?.flush();
      if (this.inFlight.size > 0) {
        await Promise.all([...this.inFlight]);
        continue;
      }
      if (this.partitions.size === 0) break;
      this.partitions.flushAll();
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
    this.destination.stop();
    this.processor?.stop();
    this.partitions.clearTimers();
    await this.api.close();
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
    this.partitions.clearTimers();
  }

  stats(): LocalFirehoseStats {
    const buffered = (this.processor?.buffered ?? 0) + this.partitions.bufferedRecords;
    return {
      ...this.counters,
      ...(this.counters.endpoint && { endpoint: { ...this.counters.endpoint } }),
      writing: this.destination.inFlightRecords,
      maxActivePartitions: this.maxActivePartitions,
      buffered,
      keys: [...this.keys],
    };
  }

  /** What the API calls: the stream's name and state, fault injection, intake, description. */
  private backend(): FirehoseBackend {
    return {
      deliveryStreamName: this.settings.deliveryStreamName,
      isStopping: () => this.stopping,
      now: () => this.now(),
      refuse: (data, index) => {
        const failure = this.options.failRecord?.(data, index);
        if (failure) this.counters.rejected++;
        return failure;
      },
      accept: (data, arrival) => this.accept(data, arrival),
      describe: () => this.describe(),
    };
  }

  private accept(data: Buffer, arrival: number): string {
    this.counters.received++;
    const recordId = `${this.recordIdBase}${String(++this.recordSequence).padStart(26, '0')}`;
    if (!this.processor) {
      this.partitions.route(data, arrival, undefined, recordId);
      return recordId;
    }
    this.processor.add({ recordId, arrival, data });
    return recordId;
  }

  /** Hands a flushed buffer to the destination (at most `writeConcurrency` at once) and counts what it reports. */
  private deliver(partition: PartitionBuffer): void {
    const { records, isError } = partition;
    const { counters } = this;
    const { endpoint } = counters;
    this.track(
      this.writeLimiter.run(() =>
        this.destination.deliver(deliveryBatch(partition), {
          delivered: ({ key, bytes }) => {
            if (endpoint) {
              // Acknowledged by the HTTP endpoint: `key` is the request ID, `bytes` what was sent.
              endpoint.requestsDelivered++;
              endpoint.deliveredRecords += records;
              counters.delivered += records;
              return;
            }
            counters.objectsWritten++;
            counters.bytesWritten += bytes;
            if (isError) counters.errorRecordsWritten += records;
            else counters.delivered += records;
            this.keys.push(key);
          },
          retrying: (error, attempt, key) => {
            counters.s3Retries++;
            if (attempt === 1) this.options.onRetry?.(error, key);
          },
          attempted: (attempt) => {
            if (!endpoint) return;
            endpoint.attempts++;
            if (attempt.ok) return;
            endpoint.failedAttempts++;
            this.options.onEndpointError?.(attempt.error, attempt.willRetry);
          },
          backedUp: ({ key, bytes, records: backedUp }) => {
            counters.objectsWritten++;
            counters.bytesWritten += bytes;
            this.keys.push(key);
            if (endpoint) endpoint.backedUpRecords += backedUp;
          },
          gaveUp: () => {
            counters.deliveryErrors++;
            counters.discardedRecords += records;
          },
        }),
      ),
    );
  }

  private describe(): unknown {
    const { settings } = this;
    return {
      DeliveryStreamDescription: {
        DeliveryStreamName: settings.deliveryStreamName,
        DeliveryStreamARN: this.arn,
        DeliveryStreamStatus: 'ACTIVE',
        DeliveryStreamType: 'DirectPut',
        DeliveryStreamEncryptionConfiguration: { Status: 'DISABLED' },
        VersionId: String(FIREHOSE_INITIAL_VERSION_ID),
        CreateTimestamp: this.createdAt / 1000,
        HasMoreDestinations: false,
        Destinations: [
          this.destination.describe({
            processingConfiguration: describeProcessing(this.processorSettings, this.lambdaArn),
            dynamicPartitioning: settings.dynamicPartitioning,
          }),
        ],
      },
    };
  }

  private track(work: Promise<void>): void {
    const tracked: Promise<void> = work
      .catch((error: unknown) => {
        const failure = asError(error);
        this.failures.push(failure);
        this.options.onError?.(failure);
      })
      .finally(() => {
        this.inFlight.delete(tracked);
      });
    this.inFlight.add(tracked);
  }
}
