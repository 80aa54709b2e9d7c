import { baseClientConfig, endpointFor, timeoutsFor } from '../../shared/aws/client-config';
import { createS3Client } from '../../shared/aws/s3-client';
import { loadConsumerConfig } from '../../shared/consumer/consumer-config';
import { ConfigError } from '../../shared/errors';

const complete = {
  ENVIRONMENT: 'dev',
  DELIVERY_STREAM_NAME: 'delivery',
  IDEMPOTENCY_TABLE_NAME: 'idem',
  QUARANTINE_BUCKET_NAME: 'lake',
};

describe('loadConsumerConfig', () => {
  it('reads the required variables and applies documented defaults', () => {
    expect(loadConsumerConfig(complete)).toEqual({
      environment: 'dev',
      deliveryStreamName: 'delivery',
      idempotencyTableName: 'idem',
      quarantineBucket: 'lake',
      quarantinePrefix: 'quarantine/',
      idempotencyTtlSeconds: 8 * 86_400,
      maxEventAgeSeconds: 7 * 86_400,
      maxFutureSkewSeconds: 900,
      delivery: { maxAttempts: 5, baseDelayMs: 100, maxDelayMs: 2_000 },
      budget: { requestTimeoutMs: 15_000, marginMs: 2_000 },
      dryRun: false,
      // No routes: nothing is published; unrouted events would go to the lake bucket.
      routingBusName: '',
      unroutedBucket: 'lake',
    });
  });

  it.each(Object.keys(complete))('fails naming %s when it is missing', (name) => {
    const env = { ...complete, [name]: undefined };

    expect(() => loadConsumerConfig(env)).toThrow(
      new ConfigError(name, `Missing required environment variable ${name}`),
    );
  });

  it('fails naming a variable whose value is out of range', () => {
    expect(() => loadConsumerConfig({ ...complete, DELIVERY_MAX_ATTEMPTS: '0' })).toThrow(
      /DELIVERY_MAX_ATTEMPTS must be an integer/,
    );
    expect(() => loadConsumerConfig({ ...complete, DRY_RUN: 'maybe' })).toThrow(/DRY_RUN must be true or false/);
  });

  it('runs dry under `sls invoke local` only when no local endpoint is configured', () => {
    expect(loadConsumerConfig({ ...complete, IS_LOCAL: 'true' }).dryRun).toBe(true);
    expect(
      loadConsumerConfig({ ...complete, IS_LOCAL: 'true', AWS_ENDPOINT_URL: 'http://127.0.0.1:4566' }).dryRun,
    ).toBe(false);
    expect(loadConsumerConfig({ ...complete, IS_LOCAL: 'true', DRY_RUN: 'false' }).dryRun).toBe(false);
  });
});

describe('AWS client configuration', () => {
  it('uses AWS endpoints and credentials when no endpoint is overridden, with timeouts that throw', async () => {
    const config = baseClientConfig('kinesis', { AWS_REGION: 'eu-west-1' });

    expect(Object.keys(config).sort()).toEqual(['maxAttempts', 'region', 'requestHandler']);
    expect(config.maxAttempts).toBe(3);
    expect(config.region).toBe('eu-west-1');
    const resolved =
      (await (config.requestHandler as unknown as { configProvider: Promise<Record<string, unknown>> })
        .configProvider) ?? {};
    expect(resolved).toMatchObject({ connectionTimeout: 1_000, requestTimeout: 5_000, throwOnRequestTimeout: true });
  });

  it('takes the timeouts from AWS_CONNECTION_TIMEOUT_MS / AWS_REQUEST_TIMEOUT_MS, then a per-client override', () => {
    expect(timeoutsFor('s3', {})).toEqual({ connectionTimeoutMs: 1_000, requestTimeoutMs: 30_000 });
    expect(timeoutsFor('dynamodb', { AWS_CONNECTION_TIMEOUT_MS: '500', AWS_REQUEST_TIMEOUT_MS: '2000' })).toEqual({
      connectionTimeoutMs: 500,
      requestTimeoutMs: 2_000,
    });
    expect(timeoutsFor('s3', { AWS_REQUEST_TIMEOUT_MS: '2000' }, { requestTimeoutMs: 900 }).requestTimeoutMs).toBe(900);
    expect(() => timeoutsFor('s3', { AWS_REQUEST_TIMEOUT_MS: 'soon' })).toThrow(/AWS_REQUEST_TIMEOUT_MS/);
  });

  it('prefers a per-service endpoint over the global one', () => {
    const env = { AWS_ENDPOINT_URL: 'http://127.0.0.1:1', AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:2' };

    expect(endpointFor('s3', env)).toBe('http://127.0.0.1:2');
    expect(endpointFor('kinesis', env)).toBe('http://127.0.0.1:1');
  });

  it('uses HTTP/1.1 and local credentials for a local endpoint', () => {
    const config = baseClientConfig('kinesis', { AWS_ENDPOINT_URL_KINESIS: 'http://127.0.0.1:4567' });

    expect(config.endpoint).toBe('http://127.0.0.1:4567');
    expect(config.credentials).toEqual({ accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' });
    expect(config.requestHandler?.constructor.name).toBe('NodeHttpHandler');
  });

  it('builds a path-style S3 client without flexible checksums for a local endpoint', async () => {
    const client = createS3Client({ AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:4569' });

    expect(client.config.forcePathStyle).toBe(true);
    expect(await client.config.requestChecksumCalculation()).toBe('WHEN_REQUIRED');
  });
});
