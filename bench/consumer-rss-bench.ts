import type { LocalPipeline } from '../infra/local/pipeline/local-pipeline';
import type { PipelineDefinition } from '../infra/local/pipeline/serverless-config';
import type { RssReport } from './consumer-rss-child';
import { runChild } from './fork-child';

export const RSS_TARGET_MB = 200;
export const RSS_RECORDS = 10_000;
const TIMEOUT_MS = 180_000;
const MB = 1024 * 1024;

export interface RssResult extends RssReport {
  maxRssMB: number;
  rssBeforeInvokeMB: number;
  /** How the child was started, for the report. */
  command: string;
}

/**
 * Forks `node <execArgv> bench/consumer-rss-child.ts` with the environment the consumer Lambda
 * gets (serverless.yml's, pointed at the running local pipeline: its table, its local Firehose,
 * its bucket) and returns its report. `seed` picks the events: a seed of its own per run keeps
 * every event new, so each run takes the full path (read, deliver, write).
 */
export const runConsumerRssBench = async (
  pipeline: LocalPipeline,
  definition: PipelineDefinition,
  options: { execArgv: string[]; seed: number },
): Promise<RssResult> => {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ...definition.consumer.environment,
    ...pipeline.env,
    DELIVERY_STREAM_NAME: pipeline.names.deliveryStream,
    IDEMPOTENCY_TABLE_NAME: pipeline.names.table,
    QUARANTINE_BUCKET_NAME: pipeline.names.bucket,
    POWERTOOLS_LOG_LEVEL: 'ERROR',
    DRY_RUN: 'false',
    // The bench's stack runs without routes.yml (as LocalPipeline does without `routes`): nothing
    // to publish. serverless.yml's bus name would send every delivered batch to an EventBridge
    // that is not there, and measure that failure (and its unrouted/ copies) instead.
    ROUTING_BUS_NAME: '',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    BENCH_RSS_RECORDS: String(RSS_RECORDS),
    BENCH_RSS_SEED: String(options.seed),
    BENCH_FUNCTION_NAME: definition.consumer.name,
  };
  const report = await runChild<RssReport>('consumer-rss-child.ts', {
    env,
    execArgv: options.execArgv,
    timeoutMs: TIMEOUT_MS,
  });
  return {
    ...report,
    maxRssMB: (report.maxRssKiB * 1024) / MB,
    rssBeforeInvokeMB: report.rssBeforeInvokeBytes / MB,
    command: `node ${options.execArgv.join(' ')} bench/consumer-rss-child.ts (NODE_OPTIONS=${env.NODE_OPTIONS ?? ''})`,
  };
};
