import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { z } from 'zod';
import { KINESIS_ON_DEMAND_INITIAL_SHARDS } from '../runtime/aws';
import { LOCAL_STATE_DIR, REPO_ROOT } from '../runtime/paths';
import { CACHE_OFF_VARIABLE, printedConfigCache, printedConfigKey } from './printed-config-cache';

const PRINTED_CONFIG_DIR = join(LOCAL_STATE_DIR, 'osls-print');

const OSLS_BIN = join(REPO_ROOT, 'node_modules', 'osls', 'bin', 'serverless.js');

const numberish = z.union([z.number(), z.string().regex(/^\d+$/).transform(Number)]);

const streamEventSchema = z.object({
  batchSize: z.number().int().min(1).max(10_000).default(100),
  batchWindow: z.number().int().min(0).max(300).default(0),
  startingPosition: z.enum(['TRIM_HORIZON', 'LATEST']).default('TRIM_HORIZON'),
  parallelizationFactor: z.number().int().min(1).max(10).default(1),
  functionResponseType: z.literal('ReportBatchItemFailures').optional(),
  bisectBatchOnFunctionError: z.boolean().default(false),
  maximumRetryAttempts: z.number().int().min(-1).max(10_000).default(-1),
  maximumRecordAgeInSeconds: z.number().int().min(-1).max(604_800).default(-1),
  destinations: z
    .object({ onFailure: z.object({ type: z.string() }).passthrough() })
    .partial()
    .optional(),
});
export type StreamEventSettings = z.infer<typeof streamEventSchema>;

const functionSchema = z.object({
  name: z.string(),
  handler: z.string(),
  timeout: z.number().optional(),
  environment: z.record(z.string(), z.string()).default({}),
  events: z.array(z.record(z.string(), z.unknown())).default([]),
});

const processorParameters = z.array(z.object({ ParameterName: z.string(), ParameterValue: z.unknown() }));

const printedSchema = z.object({
  service: z.union([z.string(), z.object({ name: z.string() })]),
  provider: z.object({
    stage: z.string(),
    region: z.string(),
    environment: z.record(z.string(), z.string()).default({}),
  }),
  functions: z.object({
    kinesisConsumer: functionSchema,
    firehoseTransformer: functionSchema,
    ingestApi: functionSchema.optional(),
    s3Drop: functionSchema.optional(),
  }),
  resources: z.object({
    Resources: z.record(z.string(), z.object({ Type: z.string(), Properties: z.record(z.string(), z.unknown()) })),
  }),
});

const deliveryStreamSchema = z.object({
  DeliveryStreamName: z.string(),
  ExtendedS3DestinationConfiguration: z.object({
    Prefix: z.string(),
    ErrorOutputPrefix: z.string(),
    BufferingHints: z.object({ SizeInMBs: numberish, IntervalInSeconds: numberish }),
    CompressionFormat: z.enum(['GZIP', 'UNCOMPRESSED']).default('UNCOMPRESSED'),
    DynamicPartitioningConfiguration: z.object({ Enabled: z.boolean() }).optional(),
    ProcessingConfiguration: z
      .object({
        Enabled: z.boolean(),
        Processors: z.array(z.object({ Type: z.string(), Parameters: processorParameters })),
      })
      .optional(),
  }),
});

export interface LocalFunction {
  name: string;
  /** Module path relative to the repository root, without extension, e.g. `functions/kinesis-consumer/handler`. */
  modulePath: string;
  exportName: string;
  /** provider.environment merged with the function's own. */
  environment: Record<string, string>;
  timeoutSeconds: number;
}

/** An `httpApi` event of a function: `POST /events` with the JWT authorizer `clientJwt`. */
export interface HttpApiRouteSettings {
  method: string;
  path: string;
  authorizer?: string;
}

const httpApiEventSchema = z.object({
  method: z.string(),
  path: z.string(),
  authorizer: z.union([z.string(), z.object({ name: z.string() })]).optional(),
});

const httpApiRoutes = (fn: z.infer<typeof functionSchema>): HttpApiRouteSettings[] =>
  fn.events
    .map((event) => event.httpApi)
    .filter((event) => event !== undefined)
    .map((event) => {
      const route = httpApiEventSchema.parse(event);
      const authorizer = typeof route.authorizer === 'string' ? route.authorizer : route.authorizer?.name;
      return { method: route.method.toUpperCase(), path: route.path, ...(authorizer !== undefined && { authorizer }) };
    });

export interface FirehoseSettings {
  deliveryStreamName: string;
  prefix: string;
  errorOutputPrefix: string;
  bufferSizeBytes: number;
  bufferIntervalSeconds: number;
  compression: 'GZIP' | 'UNCOMPRESSED';
  dynamicPartitioning: boolean;
  processor?: { bufferSizeBytes: number; bufferIntervalSeconds: number; numberOfRetries: number };
}

/**
 * How long a re-drive waits between waves: Firehose keeps a partition open for its buffer
 * interval, after the processor's own buffering, plus 5 s.
 */
export const redriveWaveSeconds = (firehose: Pick<FirehoseSettings, 'bufferIntervalSeconds' | 'processor'>): number =>
  firehose.bufferIntervalSeconds + (firehose.processor?.bufferIntervalSeconds ?? 0) + 5;

/** What the local stack needs from serverless.yml, resolved by the framework itself (`osls print`). */
export interface PipelineDefinition {
  service: string;
  stage: string;
  region: string;
  consumer: LocalFunction & { stream: StreamEventSettings };
  transformer: LocalFunction;
  /** The HTTP ingest API, when serverless.yml defines it. */
  ingestApi?: LocalFunction & { routes: HttpApiRouteSettings[] };
  /** The S3 drop function, when serverless.yml defines it (its trigger prefix is DROP_INGEST_PREFIX). */
  s3Drop?: LocalFunction;
  stream: { name: string; shardCount: number };
  firehose: FirehoseSettings;
  bucket: string;
  idempotencyTable: { name: string; properties: Record<string, unknown> };
  failureQueueName?: string;
}

const MB = 1024 * 1024;

const toLocalFunction = (fn: z.infer<typeof functionSchema>, providerEnv: Record<string, string>): LocalFunction => {
  const dot = fn.handler.lastIndexOf('.');
  return {
    name: fn.name,
    modulePath: fn.handler.slice(0, dot),
    exportName: fn.handler.slice(dot + 1),
    environment: { ...providerEnv, ...fn.environment },
    timeoutSeconds: fn.timeout ?? 6,
  };
};

const resourceOfType = (
  resources: Record<string, { Type: string; Properties: Record<string, unknown> }>,
  type: string,
) => {
  const found = Object.values(resources).filter((resource) => resource.Type === type);
  if (found.length !== 1) throw new Error(`serverless.yml must define exactly one ${type}, found ${found.length}`);
  return (found[0] as { Properties: Record<string, unknown> }).Properties;
};

export const parsePipelineDefinition = (printed: unknown): PipelineDefinition => {
  const config = printedSchema.parse(printed);
  const resources = config.resources.Resources;
  const consumer = config.functions.kinesisConsumer;
  const streamEvent = consumer.events.map((event) => event.stream).find((stream) => stream !== undefined);
  if (streamEvent === undefined) throw new Error('kinesisConsumer has no stream event in serverless.yml');

  const streamProps = z
    .object({
      Name: z.string(),
      // An on-demand stream has no ShardCount (serverless.yml gives it `Ref: AWS::NoValue`).
      ShardCount: z.union([numberish, z.object({ Ref: z.literal('AWS::NoValue') })]).optional(),
      StreamModeDetails: z.object({ StreamMode: z.enum(['PROVISIONED', 'ON_DEMAND']) }).optional(),
    })
    .parse(resourceOfType(resources, 'AWS::Kinesis::Stream'));
  const onDemand = streamProps.StreamModeDetails?.StreamMode === 'ON_DEMAND';
  const shardCount = typeof streamProps.ShardCount === 'number' && !onDemand ? streamProps.ShardCount : undefined;
  const delivery = deliveryStreamSchema.parse(resourceOfType(resources, 'AWS::KinesisFirehose::DeliveryStream'));
  const destination = delivery.ExtendedS3DestinationConfiguration;
  const lambdaProcessor = destination.ProcessingConfiguration?.Enabled
    ? destination.ProcessingConfiguration.Processors.find((processor) => processor.Type === 'Lambda')
    : undefined;
  const parameter = (name: string, fallback: number): number => {
    const value = lambdaProcessor?.Parameters.find((p) => p.ParameterName === name)?.ParameterValue;
    return value === undefined ? fallback : Number(value);
  };
  const table = resourceOfType(resources, 'AWS::DynamoDB::Table');
  const bucket = z.object({ BucketName: z.string() }).parse(resourceOfType(resources, 'AWS::S3::Bucket'));
  const queue = Object.values(resources).find((resource) => resource.Type === 'AWS::SQS::Queue')?.Properties;

  return {
    service: typeof config.service === 'string' ? config.service : config.service.name,
    stage: config.provider.stage,
    region: config.provider.region,
    consumer: {
      ...toLocalFunction(consumer, config.provider.environment),
      stream: streamEventSchema.parse(streamEvent),
    },
    transformer: toLocalFunction(config.functions.firehoseTransformer, config.provider.environment),
    ...(config.functions.s3Drop && { s3Drop: toLocalFunction(config.functions.s3Drop, config.provider.environment) }),
    ...(config.functions.ingestApi && {
      ingestApi: {
        ...toLocalFunction(config.functions.ingestApi, config.provider.environment),
        routes: httpApiRoutes(config.functions.ingestApi),
      },
    }),
    // Locally, an on-demand stream is its starting capacity: KINESIS_ON_DEMAND_INITIAL_SHARDS shards.
    stream: { name: streamProps.Name, shardCount: shardCount ?? (onDemand ? KINESIS_ON_DEMAND_INITIAL_SHARDS : 1) },
    firehose: {
      deliveryStreamName: delivery.DeliveryStreamName,
      prefix: destination.Prefix,
      errorOutputPrefix: destination.ErrorOutputPrefix,
      bufferSizeBytes: destination.BufferingHints.SizeInMBs * MB,
      bufferIntervalSeconds: destination.BufferingHints.IntervalInSeconds,
      compression: destination.CompressionFormat,
      dynamicPartitioning: destination.DynamicPartitioningConfiguration?.Enabled ?? false,
      ...(lambdaProcessor && {
        processor: {
          bufferSizeBytes: parameter('BufferSizeInMBs', 1) * MB,
          bufferIntervalSeconds: parameter('BufferIntervalInSeconds', 60),
          numberOfRetries: parameter('NumberOfRetries', 3),
        },
      }),
    },
    bucket: bucket.BucketName,
    idempotencyTable: { name: String(table.TableName), properties: table },
    ...(typeof queue?.QueueName === 'string' && { failureQueueName: queue.QueueName }),
  };
};

/** Resolves serverless.yml with the framework (offline, no credentials) and extracts the pipeline. */
export const loadPipelineDefinition = async (stage = 'local'): Promise<PipelineDefinition> =>
  parsePipelineDefinition(await printConfig(stage));

/** `osls print --format json`, from the cache when its inputs are unchanged (printed-config-cache.ts). */
const printConfig = async (stage: string): Promise<unknown> => {
  const env = { ...process.env, SLS_TELEMETRY_DISABLED: '1', SLS_NOTIFICATIONS_MODE: 'off' };
  const cache = process.env[CACHE_OFF_VARIABLE] === 'off' ? undefined : printedConfigCache(PRINTED_CONFIG_DIR);
  const key = cache && (await printedConfigKey(REPO_ROOT, stage, env));
  const cached = key && (await cache?.read(key));
  if (cached) {
    try {
      return JSON.parse(cached);
    } catch {
      // a damaged entry: print again, and overwrite it
    }
  }
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [OSLS_BIN, 'print', '--format', 'json', '--stage', stage],
    {
      cwd: REPO_ROOT,
      maxBuffer: 32 * MB,
      env,
    },
  );
  const printed: unknown = JSON.parse(stdout); // only a configuration that parses is kept
  if (key) await cache?.write(key, stdout).catch(() => undefined);
  return printed;
};
