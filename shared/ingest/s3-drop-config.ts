import { type Env, intEnv, optionalEnv, requireEnv } from '../config';
import { ConfigError } from '../errors';
import { MAX_BYTES_PER_PUT, MAX_RECORD_BYTES } from './stream-writer';

export interface DropConfig {
  streamName: string;
  /** Only keys under this prefix are processed (the S3 trigger's filter). Default `ingest/`. */
  ingestPrefix: string;
  /** Reports go to `<reportPrefix><MM-DD-YYYY>/<key>.reason.txt`. Default `failed-requests/`. */
  reportPrefix: string;
  /** Records larger than this are rejected as RECORD_TOO_LARGE without being buffered. */
  maxRecordBytes: number;
  /** Rejected (and, separately, refused) records listed one by one in a report; counts cover all. */
  maxReportedRecords: number;
  /** Bytes (data + partition keys) per PutRecords batch; one batch in flight at a time. */
  batchMaxBytes: number;
  /** PutRecords attempts per batch (only failed entries are retried). */
  putMaxAttempts: number;
  /** Stop reading (and report INCOMPLETE) when the invocation has less than this left. */
  timeMarginMs: number;
}

const prefix = (env: Env, name: string, fallback: string): string => {
  const value = optionalEnv(env, name, fallback);
  if (!value.endsWith('/'))
    throw new ConfigError(name, `Environment variable ${name} must end with '/', got "${value}"`);
  return value;
};

export const loadDropConfig = (env: Env): DropConfig => ({
  streamName: requireEnv(env, 'STREAM_NAME'),
  ingestPrefix: prefix(env, 'DROP_INGEST_PREFIX', 'ingest/'),
  reportPrefix: prefix(env, 'DROP_REPORT_PREFIX', 'failed-requests/'),
  maxRecordBytes: intEnv(env, 'DROP_MAX_RECORD_BYTES', MAX_RECORD_BYTES, { min: 1_024, max: MAX_RECORD_BYTES }),
  maxReportedRecords: intEnv(env, 'DROP_REPORT_MAX_RECORDS', 1_000, { min: 0, max: 100_000 }),
  // 1 MiB: what one shard takes per second, and smaller requests keep the SDK's copies small.
  batchMaxBytes: intEnv(env, 'DROP_BATCH_MAX_BYTES', MAX_RECORD_BYTES, {
    min: MAX_RECORD_BYTES,
    max: MAX_BYTES_PER_PUT,
  }),
  putMaxAttempts: intEnv(env, 'DROP_PUT_MAX_ATTEMPTS', 8, { min: 1, max: 20 }),
  timeMarginMs: intEnv(env, 'DROP_TIME_MARGIN_SECONDS', 30, { min: 0, max: 600 }) * 1000,
});
