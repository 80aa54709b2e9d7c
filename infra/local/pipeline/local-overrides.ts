import { type Env, intEnv } from '../../../shared/config';
import type { FirehoseSettings } from './serverless-config';

/** Environment variables that change the local stack from serverless.yml's settings, to watch an overflow. */

/** `LOCAL_FIREHOSE_MAX_ACTIVE_PARTITIONS=N` lowers (or raises) the local Firehose's quota to watch an overflow. */
export const localMaxActivePartitions = (env: Env): number | undefined =>
  env.LOCAL_FIREHOSE_MAX_ACTIVE_PARTITIONS?.trim()
    ? intEnv(env, 'LOCAL_FIREHOSE_MAX_ACTIVE_PARTITIONS', 0, { min: 1, max: 5_000 })
    : undefined;

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
