import { BatchProcessor, EventType } from '@aws-lambda-powertools/batch';
import type { KinesisStreamEvent } from 'aws-lambda';
import { CANONICAL_SCHEMA_VERSION } from '../shared/canonical-event';
import { KinesisConsumer } from '../shared/consumer/kinesis-consumer';
import type { NormalizeOptions } from '../shared/consumer/normalize';
import { InMemoryIdempotencyStore } from '../shared/idempotency/idempotency-store';
import { CountingQuarantine, CountingSink, silentLogger } from './in-memory-deps';
import { kinesisBatches } from './record-factories';
import { type Comparison, interleave } from './timing';

export const CONSUMER_BATCHES = 20;
export const CONSUMER_BATCH_SIZE = 500;
export const CONSUMER_TARGET_RATIO = 1.5;

export const NORMALIZE_OPTIONS: NormalizeOptions = {
  environment: 'bench',
  maxEventAgeSeconds: 7 * 86_400,
  maxFutureSkewSeconds: 900,
};

/**
 * The floor any consumer must pay per record: base64 decode, JSON.parse, an object with
 * the enrichment fields, JSON.stringify into a Buffer. No validation, no dedup, no
 * batch bookkeeping, no promises.
 */
export const bareConsume = (batches: readonly KinesisStreamEvent[], environment: string): Buffer[] => {
  const out: Buffer[] = [];
  for (const batch of batches) {
    for (const record of batch.Records) {
      const payload = JSON.parse(Buffer.from(record.kinesis.data, 'base64').toString('utf8')) as Record<
        string,
        unknown
      >;
      const event = {
        ...payload,
        receivedAt: new Date(Math.round(record.kinesis.approximateArrivalTimestamp * 1000)).toISOString(),
        environment,
        envelopeVersion: CANONICAL_SCHEMA_VERSION,
      };
      out.push(Buffer.from(JSON.stringify(event)));
    }
  }
  return out;
};

export interface ConsumerRun {
  delivered: number;
  duplicates: number;
  quarantined: number;
  failed: number;
  sinkRecords: number;
  sinkCalls: number;
}

/** One pass of the real consumer over all batches, with fresh in-process dependencies. */
export const runConsumer = async (
  processor: BatchProcessor,
  batches: readonly KinesisStreamEvent[],
): Promise<ConsumerRun> => {
  const sink = new CountingSink();
  const quarantine = new CountingQuarantine();
  const consumer = new KinesisConsumer(processor, NORMALIZE_OPTIONS, {
    store: new InMemoryIdempotencyStore(),
    sink,
    quarantine,
    logger: silentLogger(),
  });
  const run: ConsumerRun = { delivered: 0, duplicates: 0, quarantined: 0, failed: 0, sinkRecords: 0, sinkCalls: 0 };
  for (const batch of batches) {
    const { summary } = await consumer.processBatch(batch);
    run.delivered += summary.delivered;
    run.duplicates += summary.duplicates;
    run.quarantined += summary.quarantined;
    run.failed += summary.failed;
  }
  run.sinkRecords = sink.records;
  run.sinkCalls = sink.calls;
  return run;
};

export interface ConsumerResult {
  comparison: Comparison;
  records: number;
  check: ConsumerRun;
}

export const runConsumerBench = async (options: { warmup: number; iterations: number }): Promise<ConsumerResult> => {
  const batches = kinesisBatches(CONSUMER_BATCHES, CONSUMER_BATCH_SIZE);
  const records = CONSUMER_BATCHES * CONSUMER_BATCH_SIZE;
  const processor = new BatchProcessor(EventType.KinesisDataStreams);

  // Sanity: every generated record must be delivered, once; otherwise we would time the wrong path.
  const check = await runConsumer(processor, batches);
  if (
    check.delivered !== records ||
    check.sinkRecords !== records ||
    check.quarantined + check.failed + check.duplicates !== 0
  ) {
    throw new Error(`Consumer sanity check failed: ${JSON.stringify(check)}`);
  }

  let sink = 0;
  const comparison = await interleave(
    async () => {
      sink += (await runConsumer(processor, batches)).delivered;
    },
    () => {
      sink += bareConsume(batches, NORMALIZE_OPTIONS.environment).length;
    },
    options,
  );
  if (sink === 0) throw new Error('unreachable');
  return { comparison, records, check };
};
