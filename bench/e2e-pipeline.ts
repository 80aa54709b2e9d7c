// The pipeline side of the end-to-end run: records through LocalPipeline, with the consumer's per-stage timings.
import { join } from 'node:path';
import type { LocalPipeline, ProducerRecord } from '../infra/local/pipeline/local-pipeline';
import type { InvocationTimings } from './consumer-instrument';
import { type CpuSnapshot, cpuDelta, cpuSnapshot } from './process-cpu';

// --- The pipeline ------------------------------------------------------------------------------

/** Where the consumer's invocations spend their time (summed over invocations). */
export interface ConsumerStages {
  invocations: number;
  /** KinesisConsumer.processBatch, i.e. the invocation without middy's wrapper. */
  invokeMs: number;
  /** DynamoDB BatchGetItem (findDelivered), Firehose PutRecordBatch (deliver), DynamoDB BatchWriteItem (recordDelivered). */
  readMs: number;
  deliverMs: number;
  writeMs: number;
  /** performance.now() when the last invocation returned. */
  lastEnd: number;
}

export const newStages = (): ConsumerStages => ({
  invocations: 0,
  invokeMs: 0,
  readMs: 0,
  deliverMs: 0,
  writeMs: 0,
  lastEnd: 0,
});

/**
 * Adds each consumer invocation's timings (bench/consumer-instrument.ts, loaded in the consumer's
 * worker threads) to `stages`; `lastEnd` on this thread's performance.now() scale.
 */
export const consumerTimings = (stages: ConsumerStages) => ({
  modulePath: join(__dirname, 'consumer-instrument.ts'),
  onMessage: (payload: unknown) => {
    const timings = payload as InvocationTimings;
    stages.invocations++;
    stages.invokeMs += timings.invokeMs;
    stages.readMs += timings.readMs;
    stages.deliverMs += timings.deliverMs;
    stages.writeMs += timings.writeMs;
    stages.lastEnd = Math.max(stages.lastEnd, timings.endEpochMs - performance.timeOrigin);
  },
});

export interface PipelineRun {
  wallMs: number;
  /** When the last PutRecords returned (from the start). */
  putMs: number;
  /** When the last consumer invocation returned (from the start). */
  lastInvocationMs: number;
  stages: ConsumerStages;
  cpu: CpuSnapshot;
  delivered: number;
  duplicates: number;
  quarantined: number;
  discarded: number;
  retriedRecords: number;
  /** Objects this run added under events/. */
  objects: number;
}

const countEvents = async (pipeline: LocalPipeline) => {
  const summary = await pipeline.summary();
  return { summary, objects: summary.objects.filter((key) => key.startsWith('events/')).length };
};

/** Puts the records into the pipeline's stream and waits until the event source is drained and Firehose flushed to S3. */
export const pipelineRun = async (
  pipeline: LocalPipeline,
  stages: ConsumerStages,
  records: readonly ProducerRecord[],
): Promise<PipelineRun> => {
  const before = await countEvents(pipeline);
  Object.assign(stages, newStages());
  const cpuBefore = cpuSnapshot();
  const started = performance.now();
  await pipeline.put(records);
  const putMs = performance.now() - started;
  await pipeline.drain();
  const wallMs = performance.now() - started;
  const cpu = cpuDelta(cpuBefore, cpuSnapshot());
  const after = await countEvents(pipeline);
  const delta = (pick: (summary: typeof after.summary) => number): number => pick(after.summary) - pick(before.summary);
  return {
    wallMs,
    putMs,
    lastInvocationMs: stages.lastEnd - started,
    stages: { ...stages },
    cpu,
    delivered: delta((s) => s.delivered),
    duplicates: delta((s) => s.duplicates),
    quarantined: delta((s) => s.quarantined),
    discarded: delta((s) => s.discarded),
    retriedRecords: delta((s) => s.retriedRecords),
    objects: after.objects - before.objects,
  };
};
