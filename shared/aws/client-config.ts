import { NodeHttpHandler } from '@smithy/node-http-handler';
import { type Env, intEnv } from '../config';

export type AwsService = 'kinesis' | 'firehose' | 'dynamodb' | 's3' | 'eventbridge' | 'sqs';

// Local servers (kinesalite, dynalite, s3rver, the local Firehose, LocalStack) accept
// these; s3rver accepts nothing else.
const LOCAL_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

/** The endpoint override for a service: `AWS_ENDPOINT_URL_<SERVICE>`, else `AWS_ENDPOINT_URL`. */
export const endpointFor = (service: AwsService, env: Env): string | undefined =>
  env[`AWS_ENDPOINT_URL_${service.toUpperCase()}`]?.trim() || env.AWS_ENDPOINT_URL?.trim() || undefined;

export const hasEndpointOverride = (env: Env): boolean =>
  (['kinesis', 'firehose', 'dynamodb', 's3', 'eventbridge', 'sqs'] as const).some(
    (service) => endpointFor(service, env) !== undefined,
  );

export interface BaseClientConfig {
  region: string;
  endpoint?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string };
  requestHandler: NodeHttpHandler;
  /** The SDK's attempts per call (retries included); the consumer's time budget counts on it. */
  maxAttempts: number;
}

export const sdkMaxAttempts = (env: Env): number => intEnv(env, 'AWS_MAX_ATTEMPTS', 3, { min: 1, max: 10 });

/**
 * Connection and request timeouts, so no call can hang until the function's own timeout: the
 * SDK's default handler has neither, and its requestTimeout only logs a warning unless
 * `throwOnRequestTimeout` is set. The request timeout runs until the response headers arrive
 * (a streamed body is read after it); S3 gets longer for uploads of up to a few MB.
 * `AWS_CONNECTION_TIMEOUT_MS` and `AWS_REQUEST_TIMEOUT_MS` override them for every service.
 */
export const DEFAULT_TIMEOUTS: Readonly<Record<AwsService, { connectionTimeoutMs: number; requestTimeoutMs: number }>> =
  {
    kinesis: { connectionTimeoutMs: 1_000, requestTimeoutMs: 5_000 },
    firehose: { connectionTimeoutMs: 1_000, requestTimeoutMs: 5_000 },
    dynamodb: { connectionTimeoutMs: 1_000, requestTimeoutMs: 5_000 },
    s3: { connectionTimeoutMs: 1_000, requestTimeoutMs: 30_000 },
    eventbridge: { connectionTimeoutMs: 1_000, requestTimeoutMs: 5_000 },
    sqs: { connectionTimeoutMs: 1_000, requestTimeoutMs: 5_000 },
  };

export interface ClientTimeouts {
  connectionTimeoutMs: number;
  requestTimeoutMs: number;
}

/** The timeouts a client of `service` gets: the override, else the environment, else the default. */
export const timeoutsFor = (service: AwsService, env: Env, override: Partial<ClientTimeouts> = {}): ClientTimeouts => {
  const fallback = DEFAULT_TIMEOUTS[service];
  return {
    connectionTimeoutMs:
      override.connectionTimeoutMs ??
      intEnv(env, 'AWS_CONNECTION_TIMEOUT_MS', fallback.connectionTimeoutMs, { min: 100, max: 60_000 }),
    requestTimeoutMs:
      override.requestTimeoutMs ??
      intEnv(env, 'AWS_REQUEST_TIMEOUT_MS', fallback.requestTimeoutMs, { min: 100, max: 900_000 }),
  };
};

/**
 * The one place that knows how clients differ locally: an endpoint override and dummy
 * credentials. Every client gets an HTTP/1.1 handler with timeouts (the Kinesis client would
 * otherwise speak HTTP/2, which local servers reject, and the SDK's default has no timeouts).
 */
export const baseClientConfig = (
  service: AwsService,
  env: Env,
  override: Partial<ClientTimeouts> = {},
): BaseClientConfig => {
  const region = env.AWS_REGION?.trim() || env.AWS_DEFAULT_REGION?.trim() || 'us-east-1';
  const endpoint = endpointFor(service, env);
  const timeouts = timeoutsFor(service, env, override);
  const requestHandler = new NodeHttpHandler({
    connectionTimeout: timeouts.connectionTimeoutMs,
    requestTimeout: timeouts.requestTimeoutMs,
    throwOnRequestTimeout: true,
  });
  const maxAttempts = sdkMaxAttempts(env);
  if (endpoint === undefined) return { region, requestHandler, maxAttempts };
  return { region, endpoint, credentials: LOCAL_CREDENTIALS, requestHandler, maxAttempts };
};
