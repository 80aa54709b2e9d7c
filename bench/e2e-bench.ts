import { rmSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalPipeline } from '../infra/local/pipeline/local-pipeline';
import { loadPipelineDefinition, type PipelineDefinition } from '../infra/local/pipeline/serverless-config';
import { type LocalServers, startLocalServers } from '../infra/local/runtime/local-servers';
import { loadLakeLayout } from '../shared/lake-layout';
import { type BareRun, bareRoundTrip, type DedupTable } from './e2e-bare';
import { consumerTimings, newStages, type PipelineRun, pipelineRun } from './e2e-pipeline';
import { e2eWorkload } from './e2e-workload';
import { EVENT_TYPES } from './record-factories';

export {
  BARE_DEDUP_CONCURRENCY,
  BARE_DEDUP_ITEMS_PER_CALL,
  BARE_POLL_MS,
  BARE_WRITE_CONCURRENCY,
  type BareRun,
  type DedupTable,
} from './e2e-bare';
export type { ConsumerStages, PipelineRun } from './e2e-pipeline';
export { type E2eWorkload, e2eWorkload } from './e2e-workload';

/** The target of pipeline wall / bare round trip with the dedup write (put, read, BatchWriteItem, S3). */
export const E2E_TARGET_RATIO = 1.5;
export const E2E_DEFAULT_EVENTS = 100_000;

/** BENCH_E2E_EVENTS=N scales the end-to-end run (default 100,000). */
export const e2eEventsFromEnv = (env: NodeJS.ProcessEnv = process.env): number => {
  const raw = env.BENCH_E2E_EVENTS?.trim();
  if (raw === undefined || raw === '') return E2E_DEFAULT_EVENTS;
  if (!/^\d+$/.test(raw) || Number(raw) < 1)
    throw new Error(`BENCH_E2E_EVENTS must be a positive integer, got "${raw}"`);
  return Number(raw);
};

// --- The benchmark -----------------------------------------------------------------------------

/** What the end-to-end run measured (plain data: it crosses IPC from the extra-shards child). */
export interface E2eFigures {
  events: number;
  meanRecordBytes: number;
  partitions: number;
  shardCount: number;
  warmupEvents: number;
  /** Put, read back, write to S3. */
  bare: BareRun;
  /** Put, read back, one idempotency item per event (BatchWriteItem), write to S3. */
  bareDedup: BareRun;
  pipeline: PipelineRun;
  /** pipeline wall / bare wall (info). */
  ratio: number;
  /** pipeline wall / bare-with-dedup-write wall: the target. */
  dedupRatio: number;
  /** The local Firehose's counters after the run (warm-up included): the peak is over its whole life. */
  firehose: { peakActivePartitions: number; partitioningFailed: number; delivered: number; objectsWritten: number };
  lake: { events: number; objects: number; duplicates: number; misplaced: number; expected: number };
  /** Every event of the run (warm-up included) in the lake exactly once, in its partition. */
  lakeExact: boolean;
}

export interface E2eResult extends E2eFigures {
  definition: PipelineDefinition;
  /** The stack, still running: the consumer RSS benchmark reuses it. Call stop() when done. */
  stack: E2eStack;
}

export interface E2eStack {
  pipeline: LocalPipeline;
  servers: LocalServers;
  stop(): Promise<void>;
}

/**
 * One set of local servers (kinesalite, dynalite, s3rver) for all three sides. A small warm-up
 * of each side first (JIT, connections, server-side caches), then the bare round trip, the bare
 * round trip with the dedup write, then the pipeline, each on its own stream (same shard count)
 * and bucket (and the second its own table); the bare streams and tables are deleted after their
 * run, so the pipeline's kinesalite and dynalite do not hold them.
 */
export const runE2eBench = async (events: number, options: { shardCount?: number } = {}): Promise<E2eResult> => {
  const loaded = await loadPipelineDefinition('local');
  const sized: PipelineDefinition =
    options.shardCount === undefined
      ? loaded
      : { ...loaded, stream: { ...loaded.stream, shardCount: options.shardCount } };
  // The workload's six event types are listed, as a deployment lists its own: each gets its own
  // partition (6 types × 4 days), so row 7b measures a real spread of partitions.
  const listed = [sized.transformer.environment.LAKE_EVENT_TYPES ?? '', ...EVENT_TYPES.map((spec) => spec.eventType)]
    .filter(Boolean)
    .join(',');
  const definition: PipelineDefinition = {
    ...sized,
    transformer: { ...sized.transformer, environment: { ...sized.transformer.environment, LAKE_EVENT_TYPES: listed } },
  };
  const s3Directory = await mkdtemp(join(tmpdir(), 'usage-pipeline-bench-s3-'));
  // Whatever ends this process, s3rver's data goes with it (the servers exit with their parent).
  const removeDirectory = () => rmSync(s3Directory, { recursive: true, force: true });
  process.once('exit', removeDirectory);
  let servers: LocalServers | undefined;
  let pipeline: LocalPipeline | undefined;
  const stop = async (): Promise<void> => {
    await pipeline?.stop();
    await servers?.stop();
    removeDirectory();
    process.off('exit', removeDirectory);
  };
  try {
    servers = await startLocalServers({ s3Directory });
    const { endpoints } = servers;
    const env = {
      AWS_REGION: definition.region,
      AWS_ENDPOINT_URL_KINESIS: endpoints.kinesis,
      AWS_ENDPOINT_URL_DYNAMODB: endpoints.dynamodb,
      AWS_ENDPOINT_URL_S3: endpoints.s3,
    };
    const dedupTable = (name: string): DedupTable => ({ name, properties: definition.idempotencyTable.properties });
    const stages = newStages();
    pipeline = await LocalPipeline.start({
      endpoints,
      definition,
      suffix: '-bench',
      consumerInstrument: consumerTimings(stages),
    });
    const shardCount = definition.stream.shardCount;

    const now = Date.now();
    const warmupEvents = Math.min(5_000, Math.max(500, Math.floor(events / 20)));
    const layout = loadLakeLayout(definition.transformer.environment);
    const warmup = e2eWorkload(warmupEvents, now, 11, layout);
    const workload = e2eWorkload(events, now, 12, layout);

    await bareRoundTrip(env, 'bench-bare-warmup', shardCount, warmup.records, warmup.partitions);
    await bareRoundTrip(
      env,
      'bench-bare-dedup-warmup',
      shardCount,
      warmup.records,
      warmup.partitions,
      dedupTable('bench-bare-dedup-warmup'),
    );
    await pipelineRun(pipeline, stages, warmup.records);

    const bare = await bareRoundTrip(env, 'bench-bare', shardCount, workload.records, workload.partitions);
    const bareDedup = await bareRoundTrip(
      env,
      'bench-bare-dedup',
      shardCount,
      workload.records,
      workload.partitions,
      dedupTable('bench-bare-dedup'),
    );
    const run = await pipelineRun(pipeline, stages, workload.records);
    const firehose = pipeline.firehoseStats();
    const lake = await pipeline.verifyLake();

    return {
      events,
      meanRecordBytes: workload.bytes / events,
      partitions: workload.partitions,
      shardCount,
      warmupEvents,
      bare,
      bareDedup,
      pipeline: run,
      ratio: run.wallMs / bare.wallMs,
      dedupRatio: run.wallMs / bareDedup.wallMs,
      firehose: {
        peakActivePartitions: firehose.peakActivePartitions,
        partitioningFailed: firehose.partitioningFailed,
        delivered: firehose.delivered,
        objectsWritten: firehose.objectsWritten,
      },
      lake: {
        events: lake.events,
        objects: lake.objects,
        duplicates: lake.duplicateEvents.length,
        misplaced: lake.misplacedEvents.length,
        expected: warmupEvents + events,
      },
      lakeExact:
        lake.events === warmupEvents + events &&
        lake.duplicateEvents.length === 0 &&
        lake.misplacedEvents.length === 0 &&
        run.delivered === events,
      definition,
      stack: { pipeline, servers, stop },
    };
  } catch (error) {
    await stop();
    throw error;
  }
};
