import type {
  Context,
  FirehoseTransformationEvent,
  FirehoseTransformationResult,
  KinesisStreamEvent,
} from 'aws-lambda';
import { createKinesisClient } from '../../../shared/aws/kinesis-client';
import { createS3Client } from '../../../shared/aws/s3-client';
import type { RecordOutcome } from '../../../shared/consumer/kinesis-consumer';
import { KinesisStreamWriter } from '../../../shared/ingest/stream-writer';
import { type LakeLayout, loadLakeLayout } from '../../../shared/lake-layout';
import type { Route } from '../../../shared/routes/routes-file';
import { UNROUTED_PREFIX } from '../../../shared/routing/unrouted-store';
import type { DeliveryTiming } from '../eventbridge';
import { LocalFirehose, type LocalFirehoseOptions } from '../firehose';
import { type HttpApiHandler, type LocalHttpApi, startLocalHttpApi } from '../http-api';
import { DEV_JWT_AUDIENCE, type DevKeyPair, loadOrCreateDevKeyPair } from '../http-api/dev-jwt';
import { type EventSourceLogger, KinesisEventSource } from '../kinesis-esm';
import { loadHandlerModule } from '../lambda/handler-module';
import type { LambdaHandler } from '../lambda/invoker';
import { WorkerInvoker } from '../lambda/worker-invoker';
import { functionArn, LOCAL_ACCOUNT_ID } from '../runtime/aws';
import { localLambdaContext } from '../runtime/lambda-context';
import { type LocalServers, startLocalServers } from '../runtime/local-servers';
import {
  type ServerProblem,
  type ServerWatch,
  type ServerWatchOptions,
  settleWithin,
  watchServers,
} from '../runtime/server-watch';
import { PipelineBucket } from './bucket';
import { checkLake, type LakeCheck } from './lake-check';
import { localBuffering, localMaxActivePartitions } from './local-overrides';
import { ON_FAILURE_PREFIX, onFailureDestination } from './on-failure-destination';
import { createResources, type ResourceNames } from './resources';
import { LocalRouting } from './routing';
import { RunLedger, type RunSummary } from './run-summary';
import { type DropRun, S3DropLocation } from './s3-drop';
import { loadPipelineDefinition, type PipelineDefinition } from './serverless-config';

export type { LakeCheck } from './lake-check';
export type { RunSummary, SourceCounts } from './run-summary';
export type { DropRun } from './s3-drop';
export { ON_FAILURE_PREFIX };

/** One record as a producer puts it into the stream. */
export interface ProducerRecord {
  partitionKey: string;
  data: Buffer;
}

/** One PutRecords call's worth (at most 500 records): closeIntake() stops between two of them. */
const PUT_SLICE = 500;
let pipelineStarted = false;

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
  /** routes.yml's routes (validated): run on the local routing bus. None: the consumer publishes nothing. */
  routes?: readonly Route[];
  /** The local EventBridge's retry timing (tests shorten it). */
  routeTiming?: Partial<DeliveryTiming>;
  /** Where the routes' local secrets are (default `.local/secrets.json`). */
  routeSecretsFile?: string;
}

const logLine = (level: string) => (message: string, details?: Record<string, unknown>) =>
  process.stderr.write(`[event source] ${level} ${message}${details ? ` ${JSON.stringify(details)}` : ''}\n`);
const stderrEventSourceLogger: EventSourceLogger = { warn: logLine('WARN'), error: logLine('ERROR') };
const firehoseLine = (level: string, message: string) => process.stderr.write(`[firehose] ${level} ${message}\n`);

type Handler<E, R> = (event: E, context: Context) => Promise<R>;

/**
 * The whole pipeline on loopback: kinesalite, dynalite and s3rver processes, the local
 * Firehose, and the event-source runner driving the real consumer handler, all configured
 * from serverless.yml.
 */
export class LocalPipeline {
  private httpApi: LocalHttpApi | undefined;
  private dropLocation: S3DropLocation | undefined;
  private readonly bucket: PipelineBucket;

  /** The lake layout the transformer runs with (serverless.yml custom.lake, through its environment). */
  readonly layout: LakeLayout;

  private constructor(
    readonly definition: PipelineDefinition,
    readonly names: ResourceNames,
    readonly endpoints: LocalServers['endpoints'] & { firehose: string },
    readonly env: Record<string, string>,
    private readonly servers: LocalServers | undefined,
    private readonly firehose: LocalFirehose,
    private readonly eventSource: KinesisEventSource,
    private readonly consumer: WorkerInvoker<KinesisStreamEvent, unknown, RecordOutcome>,
    private readonly ledger: RunLedger,
    /** routes.yml on the local stack; undefined without routes. */
    readonly routing: LocalRouting | undefined,
  ) {
    this.layout = loadLakeLayout(definition.transformer.environment);
    this.bucket = new PipelineBucket(env, names.bucket);
  }

  static async start(options: LocalPipelineOptions = {}): Promise<LocalPipeline> {
    // The handlers read their configuration once, at load, like a Lambda cold start: a second
    // pipeline in this module registry would silently reuse the first one's resources.
    if (pipelineStarted)
      throw new Error('One LocalPipeline per process: the handlers are already loaded with another configuration');
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
    const names: ResourceNames = {
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
    await createResources(definition, names, awsEnv);
    const routing =
      options.routes && options.routes.length > 0
        ? await LocalRouting.start({
            routes: options.routes,
            service: definition.service,
            stage: definition.stage,
            region: definition.region,
            bucket: names.bucket,
            awsEnv,
            ...(options.routeTiming && { timing: options.routeTiming }),
            ...(options.routeSecretsFile && { secretsFile: options.routeSecretsFile }),
          })
        : undefined;

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
      // Routing runs only with the local routing bus (options.routes); otherwise publish nothing.
      ROUTING_BUS_NAME: routing?.busName ?? '',
      UNROUTED_BUCKET_NAME: names.bucket,
      ...(routing && { AWS_ENDPOINT_URL_EVENTBRIDGE: routing.eventBridgeEndpoint }),
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
      transform: (event) => transformer.handler(event, localLambdaContext(definition.transformer, definition.region)),
      processorArn: functionArn(definition.region, LOCAL_ACCOUNT_ID, definition.transformer.name),
      ...(options.failRecord && { failRecord: options.failRecord }),
      ...(maxActivePartitions !== undefined && { maxActivePartitions }),
      ...(options.firehoseS3Retry && {
        s3RetryIntervalMs: options.firehoseS3Retry.intervalMs,
        s3RetryDurationMs: options.firehoseS3Retry.durationMs,
      }),
      onRetry: (error, key) =>
        firehoseLine(
          'WARN',
          `S3 write of ${key} failed (${error.message}); retrying, as Firehose does, until it succeeds or the retry period ends`,
        ),
      onError: (error) => firehoseLine('ERROR', error.message),
    });
    const { endpoint: firehoseEndpoint } = await firehose.start();
    process.env.AWS_ENDPOINT_URL_FIREHOSE = firehoseEndpoint;

    // The consumer runs in worker threads, as in Lambda's sandboxes: its environment is its own,
    // and an invocation past the timeout is stopped where it is (its writes stop with it).
    const ledger = new RunLedger();
    const consumer = new WorkerInvoker<KinesisStreamEvent, unknown, RecordOutcome>({
      modulePath: definition.consumer.modulePath,
      exportName: definition.consumer.exportName,
      env: { ...functionEnv, AWS_ENDPOINT_URL_FIREHOSE: firehoseEndpoint },
      observe: { exportName: 'consumer', method: 'onRecordOutcome', onEvent: (outcome) => ledger.record(outcome) },
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
      onFailure: onFailureDestination(s3, names.bucket, ledger),
    });
    const pipeline = new LocalPipeline(
      definition,
      names,
      { ...endpoints, firehose: firehoseEndpoint },
      { ...awsEnv, AWS_ENDPOINT_URL_FIREHOSE: firehoseEndpoint },
      servers,
      firehose,
      eventSource,
      consumer,
      ledger,
      routing,
    );
    await eventSource.start();
    return pipeline;
  }

  private static load<H extends LambdaHandler<never, unknown>>(fn: PipelineDefinition['transformer']): { handler: H } {
    return loadHandlerModule<H>(fn.modulePath, fn.exportName);
  }

  /** Puts records the way a producer does: PutRecords of ≤ 500 records, retrying only failed entries. */
  async put(records: readonly ProducerRecord[], onProgress?: (put: number) => void): Promise<void> {
    const writer = new KinesisStreamWriter(createKinesisClient(this.env), {
      streamName: this.names.stream,
      maxAttempts: 10,
    });
    // Slices to report progress and to stop between calls; the writer batches and retries within each.
    for (let start = 0; start < records.length; start += PUT_SLICE) {
      if (this.intakeClosed) return; // closeIntake(): what went in is counted, put no more
      const slice = records.slice(start, start + PUT_SLICE);
      const outcomes = await writer.write(slice, { abortSignal: this.intake.signal });
      if (this.intake.signal.aborted) {
        // stopIntake(): count what went in, put no more.
        this.ledger.produced += outcomes.filter((outcome) => outcome.ok).length;
        return;
      }
      const refused = outcomes.filter((outcome) => !outcome.ok);
      if (refused.length > 0) throw new Error(`Kinesis refused ${refused.length} records after 10 attempts`);
      this.ledger.produced += slice.length;
      onProgress?.(this.ledger.produced);
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
    // The consumer published what Firehose took: each matched event delivered or dead-lettered.
    await this.routing?.drain();
  }

  /** The local Firehose's counters (peak active partitions, records delivered, objects written…). */
  firehoseStats(): ReturnType<LocalFirehose['stats']> {
    return this.firehose.stats();
  }

  progress(): { put: number; processed: number; objects: number } {
    return {
      put: this.ledger.produced,
      processed: this.ledger.processed,
      objects: this.firehose.stats().objectsWritten,
    };
  }

  listKeys(prefix = ''): Promise<string[]> {
    return this.bucket.listKeys(prefix);
  }

  getObject(key: string): Promise<Buffer> {
    return this.bucket.getObject(key);
  }

  /**
   * Where every record of the run ended: the consumer's outcomes, with the events Firehose wrote
   * to an error output moved from `delivered` to `errors` (so delivered means in the lake).
   * Pass the lake check when one was just made, to read the bucket once, and the bucket's keys
   * when they are known (`[]` when the bucket cannot be read).
   */
  async summary(lake?: LakeCheck, objects?: string[]): Promise<RunSummary> {
    const check = lake ?? (await this.verifyLake());
    const summary = this.ledger.counts(this.eventSource.stats().recordsIn);
    summary.objects = objects ?? (await this.listKeys());
    this.ledger.tally(summary, check);
    if (this.routing) {
      summary.routes = this.routing.counts();
      for (const key of summary.objects.filter((object) => object.startsWith(UNROUTED_PREFIX))) {
        summary.unrouted += (await this.getObject(key)).toString('utf8').split('\n').filter(Boolean).length;
      }
    }
    return summary;
  }

  /**
   * Reads the lake back: every event once, in the partition the layout gives it, and the error
   * outputs. Given the bucket's keys (listed once for the summary too), it lists nothing itself.
   */
  async verifyLake(keys?: readonly string[]): Promise<LakeCheck> {
    return checkLake(
      keys ? this.bucket.withKeys(keys) : this.bucket,
      this.layout,
      this.definition.firehose.errorOutputPrefix,
    );
  }

  /**
   * Serves the HTTP ingest API (serverless.yml `ingestApi` and its routes) on loopback, the
   * token checked like API Gateway's JWT authorizer (dev key in `.local/dev-jwt-key.pem`, issuer
   * the API's own URL serving its JWKS; mint one with `npm run token -- --client <id>`), and the
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
      authorizer: { keys, audience: [DEV_JWT_AUDIENCE] },
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
    this.dropLocation ??= new S3DropLocation(fn, {
      env: this.env,
      bucket: this.names.bucket,
      stream: this.names.stream,
      region: this.definition.region,
    });
    const { key, result } = await this.dropLocation.drop(file, options.key);
    this.ledger.produced += result.sent;
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
    await this.routing?.stop();
    await this.firehose.stop();
    await this.servers?.stop();
  }

  // --- When a server fails (npm start, runtime/server-watch.ts) ---------------------------------
  // Watching the servers, and an intake stop, drain, summary and stop that do not wait on a dead one.

  private readonly intake = new AbortController();

  /** Watches the servers this pipeline started; undefined when it shares someone else's (jest global setup). */
  watchServers(onProblem: (problem: ServerProblem) => void, options?: ServerWatchOptions): ServerWatch | undefined {
    return this.servers && watchServers(this.servers, onProblem, options);
  }

  private intakeClosed = false;

  /**
   * Takes no more work, gracefully (npm start's Ctrl-C): put() stops before its next PutRecords
   * call, the one in flight completes and is counted; the HTTP ingest API closes.
   */
  async closeIntake(): Promise<void> {
    this.intakeClosed = true;
    const api = this.httpApi;
    this.httpApi = undefined;
    await api?.stop();
  }

  /** closeIntake(), and the PutRecords call in flight is aborted too: a failed server may never answer it. */
  async stopIntake(): Promise<void> {
    this.intake.abort();
    await this.closeIntake();
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
      if (settled.status === 'failed')
        why.push(`${what}: ${settled.error instanceof Error ? settled.error.message : String(settled.error)}`);
    };
    await step('the stream', this.eventSource.drain(), (timeoutMs * 2) / 3);
    await step('Firehose', this.firehose.flush(), deadline - Date.now());
    if (this.routing) await step('the routes', this.routing.drain(), deadline - Date.now());
    return why.length > 0 ? why.join('; ') : undefined;
  }

  /**
   * summary() without reading the bucket, when s3rver is the server that failed: the consumer's
   * counts (delivered = handed to Firehose), no error outputs, no objects.
   */
  summaryWithoutBucket(): Promise<RunSummary> {
    const unread: LakeCheck = {
      events: 0,
      objects: 0,
      duplicateEvents: [],
      misplacedEvents: [],
      errors: {},
      errorObjects: 0,
      errorRoot: '',
      errorEvents: [],
    };
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
