import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { type AttributeDefinition, CreateTableCommand, type KeySchemaElement } from '@aws-sdk/client-dynamodb';
import { CreateStreamCommand, waitUntilStreamExists } from '@aws-sdk/client-kinesis';
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import type { Context, FirehoseTransformationEvent, FirehoseTransformationResult, KinesisStreamEvent, S3Event } from 'aws-lambda';
import { createDynamoDbDocumentClient } from '../../shared/aws/dynamodb-client';
import { createKinesisClient } from '../../shared/aws/kinesis-client';
import { createS3Client } from '../../shared/aws/s3-client';
import { type Env, intEnv } from '../../shared/config';
import type { RecordOutcome } from '../../shared/consumer/kinesis-consumer';
import type { ReasonCode } from '../../shared/errors';
import { type DropSummary, dropDate } from '../../shared/ingest/drop-report';
import { encodeS3Key } from '../../shared/ingest/s3-drop';
import { KinesisStreamWriter } from '../../shared/ingest/stream-writer';
import { type LakeLayout, loadLakeLayout } from '../../shared/lake-layout';
import { DEV_JWT_AUDIENCE, DEV_JWT_ISSUER, type DevKeyPair, loadOrCreateDevKeyPair } from './dev-jwt';
import { type EventSourceLogger, KinesisEventSource, type OnFailureRecord } from './kinesis-event-source';
import { checkLake, type LakeCheck } from './lake-check';
import { localLambdaContext } from './lambda-context';
import { loadHandlerModule } from './lambda/handler-module';
import type { LambdaHandler } from './lambda/invoker';
import { WorkerInvoker } from './lambda/worker-invoker';
import { LocalFirehose, type LocalFirehoseOptions } from './local-firehose';
import { type HttpApiHandler, type LocalHttpApi, startLocalHttpApi } from './local-http-api';
import { type LocalServers, startLocalServers } from './local-servers';
import type { ProducerRecord } from './sample-workload';
import { type ServerProblem, type ServerWatch, type ServerWatchOptions, settleWithin, watchServers } from './server-watch';
import { type FirehoseSettings, loadPipelineDefinition, type PipelineDefinition } from './serverless-config';

const PUT_SLICE = 5_000;
let pipelineStarted = false;
export const ON_FAILURE_PREFIX = 'local-on-failure/';

export interface LocalPipelineOptions {
  /** serverless.yml stage to resolve (names and settings); default `local`. */
  stage?: string;
  /** Reuse servers someone else started (jest global setup); they are not stopped by stop(). */
  endpoints?: LocalServers['endpoints'];
  definition?: PipelineDefinition;
  /** Appended to every resource name, so several pipelines can share one set of servers. */
  suffix?: string;
  /** Powertools log level for the functions; default ERROR (quiet). */
  logLevel?: string;
  /** Fault injection: make the local Firehose refuse some records (tests). */
  failRecord?: LocalFirehoseOptions['failRecord'];
  /** The local Firehose's active-partition quota (default 500, as AWS's). */
  maxActivePartitions?: number;
  /** Loaded in each consumer environment after the handler module (benchmarks time the consumer this way). */
  consumerInstrument?: { modulePath: string; onMessage: (payload: unknown) => void };
  /** The local Firehose's S3 retries (default every 5 s for 24 h, as Firehose's). */
  firehoseS3Retry?: { intervalMs: number; durationMs: number };
}

export type { LakeCheck } from './lake-check';

const logLine = (level: string) => (message: string, details?: Record<string, unknown>) =>
  process.stderr.write(`[event source] ${level} ${message}${details ? ` ${JSON.stringify(details)}` : ''}\n`);
const stderrEventSourceLogger: EventSourceLogger = { warn: logLine('WARN'), error: logLine('ERROR') };
const firehoseLine = (level: string, message: string) => process.stderr.write(`[firehose] ${level} ${message}\n`);

/** `LOCAL_FIREHOSE_MAX_ACTIVE_PARTITIONS=N` lowers (or raises) the local Firehose's quota to watch an overflow. */
export const localMaxActivePartitions = (env: Env): number | undefined =>
  env.LOCAL_FIREHOSE_MAX_ACTIVE_PARTITIONS?.trim() ? intEnv(env, 'LOCAL_FIREHOSE_MAX_ACTIVE_PARTITIONS', 0, { min: 1, max: 5_000 }) : undefined;

/**
 * `LOCAL_FIREHOSE_BUFFER_INTERVAL_SECONDS=N` shortens the processor's and the destination's
 * buffering intervals (serverless.yml: 60 s each), so an overflow's re-drive waves run in seconds.
 */
export const localBuffering = (firehose: FirehoseSettings, env: Env): FirehoseSettings => {
  if (!env.LOCAL_FIREHOSE_BUFFER_INTERVAL_SECONDS?.trim()) return firehose;
  const seconds = intEnv(env, 'LOCAL_FIREHOSE_BUFFER_INTERVAL_SECONDS', 0, { min: 0, max: 900 });
  return {
    ...firehose,
    bufferIntervalSeconds: seconds,
    ...(firehose.processor && { processor: { ...firehose.processor, bufferIntervalSeconds: seconds } }),
  };
};

export interface RunSummary {
  /** Records the event-source runner read from the stream (each once, however often retried). */
  in: number;
  /** Records this process put into the stream (the rest came from other producers). */
  produced: number;
  delivered: number;
  duplicates: number;
  quarantined: number;
  quarantineReasons: Partial<Record<ReasonCode, number>>;
  /** Records Kinesis gave up on (retries exhausted or too old): written to the on-failure destination. */
  discarded: number;
  /** Records Kinesis gave up on whose on-failure record could not be written: their ranges are only in the log. */
  lost: number;
  /** Invocation-level retries the run needed (records reported failed and redelivered). */
  retriedRecords: number;
  /** Of `delivered`: events Firehose took whose idempotency record could not be written (a redelivery would not be deduplicated). */
  unrecorded: number;
  /** Events the consumer handed to Firehose that sit in a Firehose error output instead of the lake, by type. */
  errors: Record<string, number>;
  /** Error-output records that no record of this run produced (put into Firehose by someone else). */
  foreignErrors: number;
  /** Events the consumer handed to Firehose that are neither in the lake nor in an error output (0 when the lake was not read). */
  notInLake: number;
  /** The same counts per source adapter (`unknown`: records no adapter claimed). */
  bySource: Record<string, SourceCounts>;
  objects: string[];
}

export interface SourceCounts {
  in: number;
  /** In the lake: handed to Firehose and not in an error output. */
  delivered: number;
  duplicates: number;
  quarantined: number;
  /** Handed to Firehose but written to an error output, by error-output type. */
  errors: Record<string, number>;
  /** Handed to Firehose, and neither in the lake nor in an error output (still in Firehose, or lost there). */
  notInLake: number;
}

/** One file through the S3 drop location (LocalPipeline.drop). */
export interface DropRun {
  /** Where the file was uploaded. */
  key: string;
  /** What the s3Drop handler did with it (records read, sent, rejected, refused, report key). */
  result: DropSummary;
  /** The failure report's text, when one was written. */
  report?: string;
}

type Handler<E, R> = (event: E, context: Context) => Promise<R>;

/**
 * The whole pipeline on loopback: kinesalite, dynalite and s3rver processes, the local
 * Firehose, and the event-source runner driving the real consumer handler, all configured
 * from serverless.yml.
 */
export class LocalPipeline {
  private readonly outcomes = new Map<string, RecordOutcome>();
  private retried = 0;
  private discarded = 0;
  private lost = 0;
  private putCount = 0;
  private httpApi: LocalHttpApi | undefined;
  private dropHandler: ((event: S3Event, context: Context) => Promise<{ files: DropSummary[] }>) | undefined;

  /** The lake layout the transformer runs with (serverless.yml custom.lake, through its environment). */
  readonly layout: LakeLayout;

  private constructor(
    readonly definition: PipelineDefinition,
    readonly names: { stream: string; deliveryStream: string; table: string; bucket: string },
    readonly endpoints: LocalServers['endpoints'] & { firehose: string },
    readonly env: Record<string, string>,
    private readonly servers: LocalServers | undefined,
    private readonly firehose: LocalFirehose,
    private readonly eventSource: KinesisEventSource,
    private readonly consumer: WorkerInvoker<KinesisStreamEvent, unknown, RecordOutcome>,
  ) {
    this.layout = loadLakeLayout(definition.transformer.environment);
  }

  /** Each record's outcome, as the consumer reports it from its worker thread. */
  private recordOutcome(outcome: RecordOutcome): void {
    const key = `${outcome.shardId}:${outcome.sequenceNumber}`;
    if (outcome.result === 'failed') {
      this.retried++;
      return;
    }
    // A record redelivered after a partial failure keeps its first final outcome.
    if (!this.outcomes.has(key)) this.outcomes.set(key, outcome);
  }

  static async start(options: LocalPipelineOptions = {}): Promise<LocalPipeline> {
    // The handlers read their configuration once, at load, like a Lambda cold start: a second
    // pipeline in this module registry would silently reuse the first one's resources.
    if (pipelineStarted) throw new Error('One LocalPipeline per process: the handlers are already loaded with another configuration');
    pipelineStarted = true;
    const definition = options.definition ?? (await loadPipelineDefinition(options.stage ?? 'local'));
    const servers = options.endpoints ? undefined : await startLocalServers();
    try {
      return await LocalPipeline.assemble(definition, options, servers);
    } catch (error) {
      await servers?.stop();
      throw error;
    }
  }

  private static async assemble(
    definition: PipelineDefinition,
    options: LocalPipelineOptions,
    servers: LocalServers | undefined,
  ): Promise<LocalPipeline> {
    const endpoints = options.endpoints ?? (servers as LocalServers).endpoints;
    const suffix = options.suffix ?? '';
    const names = {
      stream: `${definition.stream.name}${suffix}`,
      deliveryStream: `${definition.firehose.deliveryStreamName}${suffix}`,
      table: `${definition.idempotencyTable.name}${suffix}`,
      bucket: `${definition.bucket}${suffix}`.toLowerCase(),
    };
    const awsEnv = {
      AWS_REGION: definition.region,
      AWS_ENDPOINT_URL_KINESIS: endpoints.kinesis,
      AWS_ENDPOINT_URL_DYNAMODB: endpoints.dynamodb,
      AWS_ENDPOINT_URL_S3: endpoints.s3,
    };
    await LocalPipeline.createResources(definition, names, awsEnv);

    const s3 = createS3Client(awsEnv);
    const functionEnv = {
      ...definition.transformer.environment,
      ...definition.consumer.environment,
      ...awsEnv,
      DELIVERY_STREAM_NAME: names.deliveryStream,
      IDEMPOTENCY_TABLE_NAME: names.table,
      QUARANTINE_BUCKET_NAME: names.bucket,
      POWERTOOLS_LOG_LEVEL: options.logLevel ?? 'ERROR',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      // EMF metrics are JSON lines on stdout: locally, stdout is the run's summary.
      POWERTOOLS_METRICS_DISABLED: 'true',
      DRY_RUN: 'false',
    };
    Object.assign(process.env, functionEnv);

    const maxActivePartitions = options.maxActivePartitions ?? localMaxActivePartitions(process.env);
    const transformer = LocalPipeline.load<Handler<FirehoseTransformationEvent, FirehoseTransformationResult>>(
      definition.transformer,
    );
    const firehose = new LocalFirehose({
      settings: { ...localBuffering(definition.firehose, process.env), deliveryStreamName: names.deliveryStream },
      bucket: names.bucket,
      region: definition.region,
      s3,
      transform: (event) =>
        transformer.handler(event, localLambdaContext(definition.transformer, definition.region)),
      processorArn: `arn:aws:lambda:${definition.region}:000000000000:function:${definition.transformer.name}`,
      ...(options.failRecord && { failRecord: options.failRecord }),
      ...(maxActivePartitions !== undefined && { maxActivePartitions }),
      ...(options.firehoseS3Retry && {
        s3RetryIntervalMs: options.firehoseS3Retry.intervalMs,
        s3RetryDurationMs: options.firehoseS3Retry.durationMs,
      }),
      onRetry: (error, key) => firehoseLine('WARN', `S3 write of ${key} failed (${error.message}); retrying, as Firehose does, until it succeeds or the retry period ends`),
      onError: (error) => firehoseLine('ERROR', error.message),
    });
    const { endpoint: firehoseEndpoint } = await firehose.start();
    process.env.AWS_ENDPOINT_URL_FIREHOSE = firehoseEndpoint;

    // The consumer runs in worker threads, as in Lambda's sandboxes: its environment is its own,
    // and an invocation past the timeout is stopped where it is (its writes stop with it).
    let pipeline: LocalPipeline | undefined;
    const consumer = new WorkerInvoker<KinesisStreamEvent, unknown, RecordOutcome>({
      modulePath: definition.consumer.modulePath,
      exportName: definition.consumer.exportName,
      env: { ...functionEnv, AWS_ENDPOINT_URL_FIREHOSE: firehoseEndpoint },
      observe: { exportName: 'consumer', method: 'onRecordOutcome', onEvent: (outcome) => pipeline?.recordOutcome(outcome) },
      ...(options.consumerInstrument && { instrument: options.consumerInstrument }),
    });
    const eventSource = new KinesisEventSource({
      kinesis: createKinesisClient(awsEnv),
      streamName: names.stream,
      region: definition.region,
      functionName: definition.consumer.name,
      timeoutSeconds: definition.consumer.timeoutSeconds,
      invoker: consumer,
      settings: definition.consumer.stream,
      // What Lambda's event source mapping would show in the function's metrics and logs (retries,
      // function errors, discarded batches) reaches the terminal, not only --verbose.
      logger: stderrEventSourceLogger,
      onFailure: async (record: OnFailureRecord, sequenceNumbers: readonly string[]) => {
        const info = record.KinesisBatchInfo;
        const run = pipeline as LocalPipeline;
        // A record of the range that already ended somewhere (quarantined, delivered, a duplicate)
        // before a later one failed is counted there, not again as discarded.
        const unsettled = sequenceNumbers.filter((sequence) => !run.outcomes.has(`${info.shardId}:${sequence}`)).length;
        try {
          await s3.send(
            new PutObjectCommand({
              Bucket: names.bucket,
              Key: `${ON_FAILURE_PREFIX}${info.shardId}/${info.startSequenceNumber}-${info.endSequenceNumber}.json`,
              Body: JSON.stringify(record, null, 2),
              ContentType: 'application/json',
            }),
          );
        } catch (error) {
          // Not in the destination: discarded with no record of it but the event source's error log.
          run.lost += unsettled;
          throw error;
        }
        run.discarded += unsettled;
      },
    });
    pipeline = new LocalPipeline(
      definition,
      names,
      { ...endpoints, firehose: firehoseEndpoint },
      { ...awsEnv, AWS_ENDPOINT_URL_FIREHOSE: firehoseEndpoint },
      servers,
      firehose,
      eventSource,
      consumer,
    );
    await eventSource.start();
    return pipeline;
  }

  private static load<H extends LambdaHandler<never, unknown>>(fn: PipelineDefinition['transformer']): { handler: H } {
    return loadHandlerModule<H>(fn.modulePath, fn.exportName);
  }

  private static async createResources(
    definition: PipelineDefinition,
    names: LocalPipeline['names'],
    env: Record<string, string>,
  ): Promise<void> {
    const kinesis = createKinesisClient(env);
    await kinesis.send(new CreateStreamCommand({ StreamName: names.stream, ShardCount: definition.stream.shardCount }));
    await waitUntilStreamExists({ client: kinesis, maxWaitTime: 30, minDelay: 0.1, maxDelay: 0.5 }, { StreamName: names.stream });
    const table = definition.idempotencyTable.properties;
    await createDynamoDbDocumentClient(env).send(
      new CreateTableCommand({
        TableName: names.table,
        AttributeDefinitions: table.AttributeDefinitions as AttributeDefinition[],
        KeySchema: table.KeySchema as KeySchemaElement[],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
    await createS3Client(env).send(new CreateBucketCommand({ Bucket: names.bucket }));
  }

  /** Puts records the way a producer does: PutRecords of ≤ 500 records, retrying only failed entries. */
  async put(records: readonly ProducerRecord[], onProgress?: (put: number) => void): Promise<void> {
    const writer = new KinesisStreamWriter(createKinesisClient(this.env), { streamName: this.names.stream, maxAttempts: 10 });
    // Slices only to report progress; the writer batches and retries within each.
    for (let start = 0; start < records.length; start += PUT_SLICE) {
      const slice = records.slice(start, start + PUT_SLICE);
      const outcomes = await writer.write(slice, { abortSignal: this.intake.signal });
      if (this.intake.signal.aborted) {
        // stopIntake(): count what went in, put no more.
        this.putCount += outcomes.filter((outcome) => outcome.ok).length;
        return;
      }
      const refused = outcomes.filter((outcome) => !outcome.ok);
      if (refused.length > 0) throw new Error(`Kinesis refused ${refused.length} records after 10 attempts`);
      this.putCount += slice.length;
      onProgress?.(this.putCount);
    }
  }

  /** Runs until every record is consumed and everything Firehose buffered is in S3. */
  async drain(): Promise<void> {
    await this.eventSource.drain();
    try {
      await this.firehose.flush();
    } catch {
      // An S3 write given up on: logged by onError; summary() counts its events as not in the lake.
    }
  }

  /** The local Firehose's counters (peak active partitions, records delivered, objects written…). */
  firehoseStats(): ReturnType<LocalFirehose['stats']> {
    return this.firehose.stats();
  }

  progress(): { put: number; processed: number; objects: number } {
    return { put: this.putCount, processed: this.outcomes.size + this.discarded + this.lost, objects: this.firehose.stats().objectsWritten };
  }

  async listKeys(prefix = ''): Promise<string[]> {
    const s3 = createS3Client(this.env);
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const page = await s3.send(
        new ListObjectsV2Command({ Bucket: this.names.bucket, Prefix: prefix, ContinuationToken: token }),
      );
      for (const object of page.Contents ?? []) if (object.Key) keys.push(object.Key);
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return keys;
  }

  async getObject(key: string): Promise<Buffer> {
    const response = await createS3Client(this.env).send(new GetObjectCommand({ Bucket: this.names.bucket, Key: key }));
    return Buffer.from((await response.Body?.transformToByteArray()) ?? []);
  }

  /**
   * Where every record of the run ended: the consumer's outcomes, with the events Firehose wrote
   * to an error output moved from `delivered` to `errors` (so delivered means in the lake).
   * Pass the lake check when one was just made, to read the bucket once, and the bucket's keys
   * when they are known (`[]` when the bucket cannot be read).
   */
  async summary(lake?: LakeCheck, objects?: string[]): Promise<RunSummary> {
    const check = lake ?? (await this.verifyLake());
    const summary: RunSummary = {
      in: this.eventSource.stats().recordsIn,
      produced: this.putCount,
      delivered: 0,
      duplicates: 0,
      quarantined: 0,
      quarantineReasons: {},
      discarded: this.discarded,
      lost: this.lost,
      retriedRecords: this.retried,
      unrecorded: 0,
      errors: {},
      foreignErrors: 0,
      notInLake: 0,
      bySource: {},
      objects: objects ?? (await this.listKeys()),
    };
    const sourceOf = new Map<string, string>();
    for (const outcome of this.outcomes.values()) {
      const counts = summary.bySource[outcome.source] ?? { in: 0, delivered: 0, duplicates: 0, quarantined: 0, errors: {}, notInLake: 0 };
      summary.bySource[outcome.source] = counts;
      counts.in++;
      if (outcome.result === 'delivered') {
        counts.delivered++;
        summary.delivered++;
        if (outcome.unrecorded) summary.unrecorded++;
        if (outcome.key) sourceOf.set(JSON.stringify([outcome.key.clientId, outcome.key.source, outcome.key.eventId]), outcome.source);
      } else if (outcome.result === 'duplicate') {
        counts.duplicates++;
        summary.duplicates++;
      } else if (outcome.result === 'quarantined') {
        counts.quarantined++;
        summary.quarantined++;
        const reason = outcome.reason as ReasonCode;
        summary.quarantineReasons[reason] = (summary.quarantineReasons[reason] ?? 0) + 1;
      }
    }
    const counted = new Set<string>();
    for (const { identity, type } of check.errorEvents) {
      const source = sourceOf.get(identity);
      const counts = source === undefined ? undefined : summary.bySource[source];
      // An event that sits in an error output twice (re-driven, failed again) is still one record.
      if (counts === undefined || counted.has(identity)) continue;
      counted.add(identity);
      counts.delivered--;
      counts.errors[type] = (counts.errors[type] ?? 0) + 1;
      summary.delivered--;
      summary.errors[type] = (summary.errors[type] ?? 0) + 1;
    }
    const errorRecords = Object.values(check.errors).reduce((sum, count) => sum + count, 0);
    summary.foreignErrors = errorRecords - counted.size;
    // Delivered means in the lake: what Firehose took and did not write anywhere is not.
    if (check.identities) {
      for (const [identity, source] of sourceOf) {
        if (check.identities.has(identity) || counted.has(identity)) continue;
        const counts = summary.bySource[source];
        if (counts) {
          counts.delivered--;
          counts.notInLake++;
        }
        summary.delivered--;
        summary.notInLake++;
      }
    }
    return summary;
  }

  /**
   * Reads the lake back: every event once, in the partition the layout gives it, and the error
   * outputs. Given the bucket's keys (listed once for the summary too), it lists nothing itself.
   */
  async verifyLake(keys?: readonly string[]): Promise<LakeCheck> {
    const reader = keys
      ? { listKeys: async (prefix: string) => keys.filter((key) => key.startsWith(prefix)), getObject: (key: string) => this.getObject(key) }
      : this;
    return checkLake(reader, this.layout, this.definition.firehose.errorOutputPrefix);
  }

  /**
   * Serves the HTTP ingest API (serverless.yml `ingestApi` and its routes) on loopback, the
   * token checked like API Gateway's JWT authorizer (dev key in `.local/dev-jwt-key.pem`,
   * issuer `usage-pipeline-local`; mint one with `npm run token -- --client <id>`), and the
   * real handler writing to this pipeline's stream. Returns the base URL; stop() stops it.
   * The handler reads its config once, at load: one pipeline per process serves the API.
   */
  async startHttpApi(options: { port?: number; keyPath?: string; keyPair?: DevKeyPair } = {}): Promise<string> {
    if (this.httpApi) return this.httpApi.url;
    const fn = this.definition.ingestApi;
    if (fn === undefined) throw new Error('serverless.yml defines no ingestApi function');
    Object.assign(process.env, {
      ...fn.environment,
      ...this.env,
      STREAM_NAME: this.names.stream,
      POWERTOOLS_LOG_LEVEL: process.env.POWERTOOLS_LOG_LEVEL ?? 'ERROR',
      DRY_RUN: 'false',
    });
    const { handler } = LocalPipeline.load<HttpApiHandler>(fn);
    const keys = options.keyPair ?? loadOrCreateDevKeyPair(options.keyPath);
    this.httpApi = await startLocalHttpApi({
      handler,
      routes: fn.routes,
      authorizer: { publicKey: keys.publicKey, issuer: DEV_JWT_ISSUER, audience: [DEV_JWT_AUDIENCE] },
      functionName: fn.name,
      timeoutSeconds: fn.timeoutSeconds,
      ...(options.port !== undefined && { port: options.port }),
    });
    return this.httpApi.url;
  }

  /**
   * Drops FILE into the S3 drop location the way a metering vendor does: a streamed upload
   * to `ingest/<MM-DD-YYYY>/<basename>` (or `options.key`), then the ObjectCreated
   * notification S3 would send (an S3Event with the URL-encoded key, size and ETag) invoking
   * the real s3Drop handler, then a drain, so the sent records are in the lake on return.
   * Like startHttpApi, the handler reads its config once, at load: one pipeline per process.
   */
  async drop(file: string, options: { key?: string } = {}): Promise<DropRun> {
    const fn = this.definition.s3Drop;
    if (fn === undefined) throw new Error('serverless.yml defines no s3Drop function');
    const key = options.key ?? `${fn.environment.DROP_INGEST_PREFIX ?? 'ingest/'}${dropDate(new Date())}/${basename(file)}`;
    const { size } = await stat(file);
    const s3 = createS3Client(this.env);
    const uploaded = await s3.send(
      new PutObjectCommand({ Bucket: this.names.bucket, Key: key, Body: createReadStream(file), ContentLength: size }),
    );
    if (this.dropHandler === undefined) {
      Object.assign(process.env, {
        ...fn.environment,
        ...this.env,
        STREAM_NAME: this.names.stream,
        POWERTOOLS_LOG_LEVEL: process.env.POWERTOOLS_LOG_LEVEL ?? 'ERROR',
      });
      this.dropHandler = LocalPipeline.load<(event: S3Event, context: Context) => Promise<{ files: DropSummary[] }>>(fn).handler;
    }
    const event: S3Event = {
      Records: [
        {
          eventVersion: '2.1',
          eventSource: 'aws:s3',
          awsRegion: this.definition.region,
          eventTime: new Date().toISOString(),
          eventName: 'ObjectCreated:Put',
          userIdentity: { principalId: 'AWS:LOCAL' },
          requestParameters: { sourceIPAddress: '127.0.0.1' },
          responseElements: { 'x-amz-request-id': crypto.randomUUID(), 'x-amz-id-2': 'local' },
          s3: {
            s3SchemaVersion: '1.0',
            configurationId: 's3-drop',
            bucket: { name: this.names.bucket, ownerIdentity: { principalId: 'LOCAL' }, arn: `arn:aws:s3:::${this.names.bucket}` },
            object: {
              key: encodeS3Key(key),
              size,
              eTag: (uploaded.ETag ?? '').replace(/"/g, ''),
              sequencer: Date.now().toString(16).toUpperCase().padStart(16, '0'),
            },
          },
        },
      ],
    };
    const { files } = await this.dropHandler(event, localLambdaContext(fn, this.definition.region));
    const result = files[0];
    if (result === undefined) throw new Error(`s3Drop ignored ${key}: is it under the function's DROP_INGEST_PREFIX?`);
    this.putCount += result.sent;
    await this.drain();
    return {
      key,
      result,
      ...(result.reportKey && { report: (await this.getObject(result.reportKey)).toString('utf8') }),
    };
  }

  async stop(): Promise<void> {
    await this.httpApi?.stop();
    await this.eventSource.stop();
    await this.consumer.close();
    await this.firehose.stop();
    await this.servers?.stop();
  }

  // --- When a server fails (npm start, server-watch.ts) -------------------------------------------
  // Watching the servers, and an intake stop, drain, summary and stop that do not wait on a dead one.

  private readonly intake = new AbortController();

  /** Watches the servers this pipeline started; undefined when it shares someone else's (jest global setup). */
  watchServers(onProblem: (problem: ServerProblem) => void, options?: ServerWatchOptions): ServerWatch | undefined {
    return this.servers && watchServers(this.servers, onProblem, options);
  }

  /** Takes no more work: put() stops between PutRecords calls, the HTTP ingest API closes. */
  async stopIntake(): Promise<void> {
    this.intake.abort();
    const api = this.httpApi;
    this.httpApi = undefined;
    await api?.stop();
  }

  /**
   * drain(), giving up after `timeoutMs`: the stream for two thirds of it at most, then Firehose's
   * buffers in what time is left (flushed even when the stream could not be drained: what it holds
   * can still reach the lake). Resolves with why it did not drain, or undefined when it did; what
   * was given up on runs on until stop().
   */
  async drainWithin(timeoutMs: number): Promise<string | undefined> {
    const deadline = Date.now() + timeoutMs;
    const why: string[] = [];
    const step = async (what: string, work: Promise<void>, ms: number) => {
      const settled = await settleWithin(work, Math.max(0, ms));
      if (settled.status === 'timed-out') why.push(`${what} not drained within ${Math.round(ms / 1000)} s`);
      if (settled.status === 'failed') why.push(`${what}: ${settled.error instanceof Error ? settled.error.message : String(settled.error)}`);
    };
    await step('the stream', this.eventSource.drain(), (timeoutMs * 2) / 3);
    await step('Firehose', this.firehose.flush(), deadline - Date.now());
    return why.length > 0 ? why.join('; ') : undefined;
  }

  /**
   * summary() without reading the bucket, when s3rver is the server that failed: the consumer's
   * counts (delivered = handed to Firehose), no error outputs, no objects.
   */
  summaryWithoutBucket(): Promise<RunSummary> {
    const unread: LakeCheck = { events: 0, objects: 0, duplicateEvents: [], misplacedEvents: [], errors: {}, errorObjects: 0, errorRoot: '', errorEvents: [] };
    return this.summary(unread, []);
  }

  /** stop(), but past `timeoutMs` (work stuck on a dead server) the servers are killed and the rest is left to the process's exit. */
  async stopWithin(timeoutMs: number): Promise<void> {
    if ((await settleWithin(this.stop(), timeoutMs)).status === 'timed-out') {
      // An invocation stuck on the dead server: stop its sandbox, as Lambda's timeout would.
      await this.consumer.close();
      await this.servers?.stop();
    }
  }
}
