import { hasEndpointOverride, sdkMaxAttempts, timeoutsFor } from '../aws/client-config';
import { boolEnv, type Env, intEnv, optionalEnv, requireEnv } from '../config';
import { DEFAULT_QUARANTINE_ROOT } from '../lake-layout';
import { type CallBudget, NO_BUDGET } from './deadline';

export interface ConsumerConfig {
  environment: string;
  deliveryStreamName: string;
  idempotencyTableName: string;
  quarantineBucket: string;
  quarantinePrefix: string;
  idempotencyTtlSeconds: number;
  maxEventAgeSeconds: number;
  maxFutureSkewSeconds: number;
  delivery: { maxAttempts: number; baseDelayMs: number; maxDelayMs: number };
  /** What one AWS call may take and what to keep free: calls start only when they can finish. */
  budget: CallBudget;
  /** Nothing leaves the process: deliveries and quarantine are logged, idempotency is in memory. */
  dryRun: boolean;
  /** The routing bus (routes.yml); empty: no routes, nothing is published. */
  routingBusName: string;
  /** Where delivered events the bus did not take are kept (the lake bucket, `unrouted/`). */
  unroutedBucket: string;
}

const DAY = 86_400;

/** The quarantine's S3 client waits no longer than the other clients (S3's default is for big uploads). */
export const quarantineRequestTimeoutMs = (env: Env): number =>
  Math.min(timeoutsFor('s3', env).requestTimeoutMs, timeoutsFor('dynamodb', env).requestTimeoutMs);

/** Read once at cold start; a missing or malformed variable fails there, naming it. */
export const loadConsumerConfig = (env: Env): ConsumerConfig => {
  // `sls invoke local` sets IS_LOCAL; with no local endpoint to talk to, a dry run is the
  // only thing that can work offline.
  const dryRun = boolEnv(env, 'DRY_RUN', env.IS_LOCAL === 'true' && !hasEndpointOverride(env));
  const maxEventAgeSeconds = intEnv(env, 'MAX_EVENT_AGE_SECONDS', 7 * DAY, { min: 60, max: 365 * DAY });
  return {
    environment: requireEnv(env, 'ENVIRONMENT'),
    deliveryStreamName: requireEnv(env, 'DELIVERY_STREAM_NAME'),
    idempotencyTableName: requireEnv(env, 'IDEMPOTENCY_TABLE_NAME'),
    quarantineBucket: requireEnv(env, 'QUARANTINE_BUCKET_NAME'),
    quarantinePrefix: optionalEnv(env, 'QUARANTINE_PREFIX', DEFAULT_QUARANTINE_ROOT),
    // Outlive every redelivery: stream retention and the mapping's max record age are ≤ 7 days.
    idempotencyTtlSeconds: intEnv(env, 'IDEMPOTENCY_TTL_SECONDS', 8 * DAY, { min: 3_600, max: 365 * DAY }),
    maxEventAgeSeconds,
    maxFutureSkewSeconds: intEnv(env, 'MAX_FUTURE_SKEW_SECONDS', 900, { min: 0, max: DAY }),
    delivery: {
      maxAttempts: intEnv(env, 'DELIVERY_MAX_ATTEMPTS', 5, { min: 1, max: 20 }),
      baseDelayMs: intEnv(env, 'DELIVERY_BASE_DELAY_MS', 100, { min: 1, max: 10_000 }),
      maxDelayMs: intEnv(env, 'DELIVERY_MAX_DELAY_MS', 2_000, { min: 1, max: 60_000 }),
    },
    // A dry run makes no calls: nothing to budget.
    budget: dryRun
      ? NO_BUDGET
      : {
          // The longest one call can take: the slowest client's request timeout (DynamoDB, Firehose,
          // the quarantine's S3) times the SDK's attempts (AWS_MAX_ATTEMPTS, default 3), since the
          // SDK retries a timed-out request by itself.
          requestTimeoutMs:
            Math.max(
              ...(['dynamodb', 'firehose'] as const).map((service) => timeoutsFor(service, env).requestTimeoutMs),
              quarantineRequestTimeoutMs(env),
            ) * sdkMaxAttempts(env),
          marginMs: intEnv(env, 'DEADLINE_MARGIN_MS', 2_000, { min: 0, max: 60_000 }),
        },
    dryRun,
    routingBusName: optionalEnv(env, 'ROUTING_BUS_NAME', ''),
    unroutedBucket: optionalEnv(env, 'UNROUTED_BUCKET_NAME', env.QUARANTINE_BUCKET_NAME ?? ''),
  };
};
