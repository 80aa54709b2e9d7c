import { hasEndpointOverride } from '../aws/client-config';
import { boolEnv, type Env, intEnv, requireEnv } from '../config';
import { ConfigError } from '../errors';
import type { TimeWindow } from '../event-time';

/** The default claim that names the caller's client: the Cognito custom attribute. */
export const CLIENT_ID_CLAIM = 'custom:clientId';

export interface HttpIngestConfig {
  streamName: string;
  /**
   * The JWT claim that carries the caller's clientId (default `custom:clientId`, the Cognito
   * custom attribute; e.g. `client_id` or a claim a pre-token-generation trigger adds).
   */
  clientIdClaim: string;
  /** Largest request body accepted (after base64 decoding and gunzip); larger is 413. */
  maxBodyBytes: number;
  /** Entries per `POST /events` (sources.md: 10). */
  maxEventEntries: number;
  /** Entries per `POST /actions` and `POST /meters`. */
  maxBatchEntries: number;
  /** Seconds in `Retry-After` when the stream refused every entry (503). */
  retryAfterSeconds: number;
  /** The consumer's event-time window, checked on arrival so the caller hears of it (same variables, same defaults). */
  timeWindow: TimeWindow;
  put: { maxAttempts: number; baseDelayMs: number; maxDelayMs: number };
  /** Nothing is written: the records that would go to the stream are logged. */
  dryRun: boolean;
}

const MIB = 1024 * 1024;

/** A claim name: 1–256 characters with no whitespace; unset or blank takes the default. */
const claimEnv = (env: Env, name: string, fallback: string): string => {
  const value = env[name]?.trim();
  if (!value) return fallback;
  if (value.length > 256 || /\s/.test(value)) {
    throw new ConfigError(
      name,
      `Environment variable ${name} must be a JWT claim name (1-256 characters, no whitespace), got ${JSON.stringify(value).slice(0, 80)}`,
    );
  }
  return value;
};
const DAY = 86_400;

/** Read once at cold start; a missing or malformed variable fails there, naming it. */
export const loadHttpIngestConfig = (env: Env): HttpIngestConfig => ({
  streamName: requireEnv(env, 'STREAM_NAME'),
  clientIdClaim: claimEnv(env, 'CLIENT_ID_CLAIM', CLIENT_ID_CLAIM),
  // API Gateway takes up to 10 MB, a synchronous Lambda invocation up to 6 MB.
  maxBodyBytes: intEnv(env, 'MAX_BODY_BYTES', MIB, { min: 1_024, max: 6 * MIB }),
  maxEventEntries: intEnv(env, 'MAX_EVENT_ENTRIES', 10, { min: 1, max: 500 }),
  maxBatchEntries: intEnv(env, 'MAX_BATCH_ENTRIES', 500, { min: 1, max: 5_000 }),
  retryAfterSeconds: intEnv(env, 'RETRY_AFTER_SECONDS', 1, { min: 1, max: 3_600 }),
  timeWindow: {
    maxEventAgeSeconds: intEnv(env, 'MAX_EVENT_AGE_SECONDS', 7 * DAY, { min: 60, max: 365 * DAY }),
    maxFutureSkewSeconds: intEnv(env, 'MAX_FUTURE_SKEW_SECONDS', 900, { min: 0, max: DAY }),
  },
  // A caller is waiting: a few quick attempts, then per-entry failures it can retry.
  put: {
    maxAttempts: intEnv(env, 'STREAM_PUT_MAX_ATTEMPTS', 3, { min: 1, max: 10 }),
    baseDelayMs: intEnv(env, 'STREAM_PUT_BASE_DELAY_MS', 50, { min: 1, max: 5_000 }),
    maxDelayMs: intEnv(env, 'STREAM_PUT_MAX_DELAY_MS', 500, { min: 1, max: 10_000 }),
  },
  // `sls invoke local` sets IS_LOCAL; with no local endpoint to talk to, a dry run is the
  // only thing that can work offline (same rule as the consumer).
  dryRun: boolEnv(env, 'DRY_RUN', env.IS_LOCAL === 'true' && !hasEndpointOverride(env)),
});
