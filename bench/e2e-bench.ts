import { rmSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gzip as gzipCallback } from 'node:zlib';
import {
  type AttributeDefinition,
  CreateTableCommand,
  DeleteTableCommand,
  type KeySchemaElement,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';
import {
  CreateStreamCommand,
  DeleteStreamCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type KinesisClient,
  ListShardsCommand,
  PutRecordsCommand,
  waitUntilStreamExists,
} from '@aws-sdk/client-kinesis';
import { CreateBucketCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { BatchWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { LocalPipeline, type ProducerRecord } from '../infra/local/pipeline/local-pipeline';
import { loadPipelineDefinition, type PipelineDefinition } from '../infra/local/pipeline/serverless-config';
import { type LocalServers, startLocalServers } from '../infra/local/runtime/local-servers';
import { createDynamoDbDocumentClient } from '../shared/aws/dynamodb-client';
import { createKinesisClient } from '../shared/aws/kinesis-client';
import { createS3Client } from '../shared/aws/s3-client';
import { eventTypeOf } from '../shared/canonical-event';
import { backoffDelay, mapWithConcurrency, sleep } from '../shared/concurrency';
import { evaluateLayoutPrefix, type LakeLayout, loadLakeLayout } from '../shared/lake-layout';
import { partitionKeys } from '../shared/partition';
import type { InvocationTimings } from './consumer-instrument';
import { type CpuSnapshot, cpuDelta, cpuSnapshot } from './process-cpu';
import { createRandom, EVENT_TYPES, eventBridgeEnvelope } from './record-factories';

const gzip = promisify(gzipCallback);

/** The target of pipeline wall / bare round trip with the dedup write (put, read, BatchWriteItem, S3). */
export const E2E_TARGET_RATIO = 1.5;
export const E2E_DEFAULT_EVENTS = 100_000;
/** Event times lie up to this far before the run (the consumer accepts up to 7 days). */
// Three days of event times, so the run spans several dt partitions as real traffic does.
const EVENT_SPREAD_MS = 3 * 86_400_000;
const MAX_PUT_RECORDS = 500;
const MAX_PUT_BYTES = 5 * 1024 * 1024;
/** The bare reader's GetRecords Limit (the API's maximum) and its wait when caught up. */
const BARE_READ_LIMIT = 10_000;
export const BARE_POLL_MS = 20;
/** PutObject calls in flight at once on the bare side: the local Firehose's default. */
export const BARE_WRITE_CONCURRENCY = 4;
/**
 * The dedup write of the second bare loop: BatchWriteItem of 25 items, 20 calls in flight, as
 * DynamoDbIdempotencyStore.recordDelivered (shared/idempotency/dynamodb-idempotency-store.ts:
 * MAX_ITEMS_PER_WRITE, CONCURRENCY; not exported there).
 */
export const BARE_DEDUP_ITEMS_PER_CALL = 25;
export const BARE_DEDUP_CONCURRENCY = 20;
/** The store's TTL in serverless.yml (IDEMPOTENCY_TTL_SECONDS): the items carry the same attributes. */
const BARE_DEDUP_TTL_SECONDS = 691_200;

/** BENCH_E2E_EVENTS=N scales the end-to-end run (default 100,000). */
export const e2eEventsFromEnv = (env: NodeJS.ProcessEnv = process.env): number => {
  const raw = env.BENCH_E2E_EVENTS?.trim();
  if (raw === undefined || raw === '') return E2E_DEFAULT_EVENTS;
  if (!/^\d+$/.test(raw) || Number(raw) < 1)
    throw new Error(`BENCH_E2E_EVENTS must be a positive integer, got "${raw}"`);
  return Number(raw);
};

export interface E2eWorkload {
  records: ProducerRecord[];
  bytes: number;
  /** Distinct lake partitions (the layout's prefix evaluated for each event) the events fall into. */
  partitions: number;
}

/**
 * Unique, valid raw EventBridge envelopes (~510 B each; 6 clients; the event type is
 * detail.eventType on about half of them and the detail-type otherwise, 12 values in all; event
 * times spread over the 3 hours before `now`), partition key = clientId, as `npm start` derives
 * it for its input files. Every event is delivered: no duplicates, nothing malformed. `layout`
 * (serverless.yml's, as the transformer reads it) only counts the partitions.
 */
export const e2eWorkload = (
  events: number,
  now: number,
  seed: number,
  layout: Pick<LakeLayout, 'prefix' | 'keys' | 'eventTypes'>,
): E2eWorkload => {
  const random = createRandom(seed);
  const partitions = new Set<string>();
  let bytes = 0;
  const records = Array.from({ length: events }, (): ProducerRecord => {
    const envelope = eventBridgeEnvelope({ random, timeMillis: now - Math.floor(random() * EVENT_SPREAD_MS) });
    const clientId = (envelope.resources as string[])[0] as string;
    const keys = partitionKeys(layout, {
      clientId,
      eventType: eventTypeOf(envelope) ?? '',
      time: envelope.time as string,
    });
    partitions.add(evaluateLayoutPrefix(layout.prefix, keys));
    const data = Buffer.from(JSON.stringify(envelope));
    bytes += data.length;
    return { partitionKey: clientId, data };
  });
  return { records, bytes, partitions: partitions.size };
};

// --- The bare round trip ------------------------------------------------------------------------

/** PutRecords of ≤ 500 records / 5 MiB, chunks in order, retrying failed entries: what LocalPipeline.put does. */
const putAll = async (kinesis: KinesisClient, stream: string, records: readonly ProducerRecord[]): Promise<void> => {
  let start = 0;
  while (start < records.length) {
    let end = start;
    let bytes = 0;
    while (end < records.length && end - start < MAX_PUT_RECORDS) {
      const record = records[end] as ProducerRecord;
      const size = record.data.length + Buffer.byteLength(record.partitionKey);
      if (end > start && bytes + size > MAX_PUT_BYTES) break;
      bytes += size;
      end++;
    }
    let pending = records.slice(start, end);
    for (let attempt = 1; pending.length > 0; attempt++) {
      if (attempt > 10) throw new Error(`Kinesis refused ${pending.length} records after 10 attempts`);
      if (attempt > 1) await sleep(backoffDelay(attempt - 1, { baseDelayMs: 50, maxDelayMs: 1_000 }));
      const response = await kinesis.send(
        new PutRecordsCommand({
          StreamName: stream,
          Records: pending.map((record) => ({ PartitionKey: record.partitionKey, Data: record.data })),
        }),
      );
      pending = pending.filter((_, index) => response.Records?.[index]?.ErrorCode !== undefined);
    }
    start = end;
  }
};

/** Reads every shard from TRIM_HORIZON until `expected` records came back (polling while the producer is still putting). */
const readAll = async (kinesis: KinesisClient, stream: string, expected: number): Promise<Uint8Array[][]> => {
  const { Shards } = await kinesis.send(new ListShardsCommand({ StreamName: stream }));
  let total = 0;
  return Promise.all(
    (Shards ?? []).map(async (shard) => {
      const out: Uint8Array[] = [];
      let { ShardIterator: iterator } = await kinesis.send(
        new GetShardIteratorCommand({ StreamName: stream, ShardId: shard.ShardId, ShardIteratorType: 'TRIM_HORIZON' }),
      );
      while (total < expected && iterator) {
        const response = await kinesis.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: BARE_READ_LIMIT }));
        const records = response.Records ?? [];
        for (const record of records) if (record.Data) out.push(record.Data);
        total += records.length;
        iterator = response.NextShardIterator;
        if (records.length === 0 && total < expected) await sleep(BARE_POLL_MS);
      }
      return out;
    }),
  );
};

const NEWLINE = Buffer.from('\n');

/** `objects` newline-joined, gzipped objects of consecutive records, ≤ BARE_WRITE_CONCURRENCY PutObject in flight. */
const writeObjects = async (
  s3: S3Client,
  bucket: string,
  records: readonly Uint8Array[],
  objects: number,
): Promise<number> => {
  const count = Math.max(1, Math.min(objects, records.length));
  const perObject = Math.ceil(records.length / count);
  const groups = Array.from({ length: count }, (_, index) =>
    records.slice(index * perObject, (index + 1) * perObject),
  ).filter((group) => group.length > 0);
  let stored = 0;
  await mapWithConcurrency(groups, BARE_WRITE_CONCURRENCY, async (group, index) => {
    const parts: Uint8Array[] = [];
    for (const data of group) parts.push(data, NEWLINE);
    const body = await gzip(Buffer.concat(parts));
    stored += body.length;
    await s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: `bare/part-${String(index).padStart(5, '0')}.gz`,
        Body: body,
        ContentLength: body.length,
      }),
    );
  });
  return stored;
};

/** The idempotency table of the second bare loop: serverless.yml's key schema, a table of its own. */
export interface DedupTable {
  name: string;
  properties: PipelineDefinition['idempotencyTable']['properties'];
}

/**
 * The one DynamoDB write per event that deduplication cannot skip: each record's (clientId,
 * eventId) parsed from the bytes read back, put with the store's attributes (deliveredAt,
 * expiresAt) by BatchWriteItem of 25, 20 calls in flight, unprocessed items resent.
 * Returns the items written.
 */
const writeDedupItems = async (
  dynamo: DynamoDBDocumentClient,
  table: string,
  records: readonly Uint8Array[],
): Promise<number> => {
  const nowMillis = Date.now();
  const deliveredAt = new Date(nowMillis).toISOString();
  const expiresAt = Math.floor(nowMillis / 1000) + BARE_DEDUP_TTL_SECONDS;
  const chunks: Uint8Array[][] = [];
  for (let i = 0; i < records.length; i += BARE_DEDUP_ITEMS_PER_CALL)
    chunks.push(records.slice(i, i + BARE_DEDUP_ITEMS_PER_CALL));
  const written = await mapWithConcurrency(chunks, BARE_DEDUP_CONCURRENCY, async (chunk) => {
    let pending = chunk.map((data) => {
      const event = JSON.parse(Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('utf8')) as {
        id: string;
        resources: string[];
      };
      return {
        PutRequest: {
          Item: { clientId: event.resources[0] ?? '', eventKey: `eventbridge#${event.id}`, deliveredAt, expiresAt },
        },
      };
    });
    let count = 0;
    for (let attempt = 1; pending.length > 0; attempt++) {
      if (attempt > 10) throw new Error(`DynamoDB left ${pending.length} writes unprocessed after 10 attempts`);
      if (attempt > 1) await sleep(backoffDelay(attempt - 1, { baseDelayMs: 50, maxDelayMs: 1_000 }));
      const response = await dynamo.send(new BatchWriteCommand({ RequestItems: { [table]: pending } }));
      const unprocessed = (response.UnprocessedItems?.[table] ?? []) as typeof pending;
      count += pending.length - unprocessed.length;
      pending = unprocessed;
    }
    return count;
  });
  return written.reduce((sum, count) => sum + count, 0);
};

export interface BareRun {
  wallMs: number;
  /** When the last PutRecords returned, the last record was read back, the last PutObject returned (from the start). */
  putMs: number;
  readMs: number;
  writeMs: number;
  /** The second bare loop only: when the last BatchWriteItem returned (from the start), and the items written. */
  dedupMs?: number;
  dedupItems?: number;
  cpu: CpuSnapshot;
  recordsRead: number;
  objects: number;
  storedBytes: number;
}

/**
 * Puts the records into a fresh stream (`shardCount` shards) while a reader per shard reads
 * them back (GetRecords, Limit 10,000, 20 ms wait when caught up), then, with `dedup`, writes
 * one idempotency item per record into a fresh table (writeDedupItems), then writes them to S3
 * as `objects` gzipped newline-joined objects. Timed from the first PutRecords to the last PutObject.
 */
const bareRoundTrip = async (
  env: Record<string, string>,
  name: string,
  shardCount: number,
  records: readonly ProducerRecord[],
  objects: number,
  dedup?: DedupTable,
): Promise<BareRun> => {
  const kinesis = createKinesisClient(env);
  const s3 = createS3Client(env);
  const dynamo = dedup ? createDynamoDbDocumentClient(env) : undefined;
  try {
    await kinesis.send(new CreateStreamCommand({ StreamName: name, ShardCount: shardCount }));
    await waitUntilStreamExists(
      { client: kinesis, maxWaitTime: 30, minDelay: 0.1, maxDelay: 0.5 },
      { StreamName: name },
    );
    await s3.send(new CreateBucketCommand({ Bucket: name }));
    if (dedup && dynamo) {
      await dynamo.send(
        new CreateTableCommand({
          TableName: dedup.name,
          AttributeDefinitions: dedup.properties.AttributeDefinitions as AttributeDefinition[],
          KeySchema: dedup.properties.KeySchema as KeySchemaElement[],
          BillingMode: 'PAY_PER_REQUEST',
        }),
      );
      await waitUntilTableExists(
        { client: dynamo, maxWaitTime: 30, minDelay: 0.1, maxDelay: 0.5 },
        { TableName: dedup.name },
      );
    }

    const cpuBefore = cpuSnapshot();
    const started = performance.now();
    const reading = readAll(kinesis, name, records.length);
    reading.catch(() => undefined); // awaited below; a put failure must not leave it unhandled
    await putAll(kinesis, name, records);
    const putMs = performance.now() - started;
    const read = (await reading).flat();
    const readMs = performance.now() - started;
    if (read.length !== records.length)
      throw new Error(`Bare round trip read ${read.length} of ${records.length} records`);
    const dedupItems = dedup && dynamo ? await writeDedupItems(dynamo, dedup.name, read) : undefined;
    const dedupMs = dedup ? performance.now() - started : undefined;
    if (dedupItems !== undefined && dedupItems !== read.length)
      throw new Error(`Bare dedup write stored ${dedupItems} of ${read.length} items`);
    const storedBytes = await writeObjects(s3, name, read, objects);
    const wallMs = performance.now() - started;
    const cpu = cpuDelta(cpuBefore, cpuSnapshot());
    // Not timed: free kinesalite (and dynalite) of these records before the pipeline's turn.
    await kinesis.send(new DeleteStreamCommand({ StreamName: name }));
    if (dedup && dynamo) await dynamo.send(new DeleteTableCommand({ TableName: dedup.name }));
    return {
      wallMs,
      putMs,
      readMs,
      writeMs: wallMs - (dedupMs ?? readMs),
      ...(dedupMs !== undefined && { dedupMs }),
      ...(dedupItems !== undefined && { dedupItems }),
      cpu,
      recordsRead: read.length,
      objects: Math.min(objects, read.length),
      storedBytes,
    };
  } finally {
    kinesis.destroy();
    s3.destroy();
    dynamo?.destroy();
  }
};

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

const newStages = (): ConsumerStages => ({
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
const consumerTimings = (stages: ConsumerStages) => ({
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
const pipelineRun = async (
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
