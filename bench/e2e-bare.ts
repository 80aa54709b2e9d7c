// The bare baseline of the end-to-end run: put, read back, optional dedup write, write to S3, with no pipeline code.
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
import type { ProducerRecord } from '../infra/local/pipeline/local-pipeline';
import type { PipelineDefinition } from '../infra/local/pipeline/serverless-config';
import { createDynamoDbDocumentClient } from '../shared/aws/dynamodb-client';
import { createKinesisClient } from '../shared/aws/kinesis-client';
import { createS3Client } from '../shared/aws/s3-client';
import { backoffDelay, mapWithConcurrency, sleep } from '../shared/concurrency';
import { type CpuSnapshot, cpuDelta, cpuSnapshot } from './process-cpu';

const gzip = promisify(gzipCallback);

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
export const bareRoundTrip = async (
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
