import { BatchProcessor, EventType } from '@aws-lambda-powertools/batch';
import { CreateTableCommand, DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { KinesisStreamEvent, KinesisStreamRecord } from 'aws-lambda';
import { startLocalServer } from '../infra/local/runtime/local-servers';
import { baseClientConfig } from '../shared/aws/client-config';
import { createDynamoDbDocumentClient } from '../shared/aws/dynamodb-client';
import type { Env } from '../shared/config';
import { type BatchSummary, KinesisConsumer } from '../shared/consumer/kinesis-consumer';
import { DynamoDbIdempotencyStore } from '../shared/idempotency/dynamodb-idempotency-store';
import { keyString } from '../shared/idempotency/idempotency-store';
import { NORMALIZE_OPTIONS } from './consumer-bench';
import { CountingQuarantine, RecordingSink, silentLogger } from './in-memory-deps';
import { createRandom, eventBridgeEnvelope, kinesisEvent, kinesisRecord, ShardClock } from './record-factories';

export const WRITES_TARGET = 1.0;
const TABLE = 'bench-idempotency';
const ROUNDS = 2;
const BATCH_SIZE = 500;

/** Counts what actually goes over the wire, independently of the store's own counter. */
export interface WireCounts {
  batchWriteCalls: number;
  itemsSent: number;
  itemsUnprocessed: number;
  batchGetCalls: number;
  keysRead: number;
}

const countRequests = (client: DynamoDBDocumentClient, counts: WireCounts): void => {
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const result = await next(args);
      const input = args.input as { RequestItems?: Record<string, unknown[] | { Keys?: unknown[] }> };
      const output = result.output as {
        UnprocessedItems?: Record<string, unknown[]>;
      };
      if (context.commandName === 'BatchWriteItemCommand') {
        counts.batchWriteCalls++;
        for (const requests of Object.values(input.RequestItems ?? {})) {
          if (Array.isArray(requests)) counts.itemsSent += requests.length;
        }
        for (const requests of Object.values(output.UnprocessedItems ?? {})) counts.itemsUnprocessed += requests.length;
      } else if (context.commandName === 'BatchGetItemCommand') {
        counts.batchGetCalls++;
        for (const request of Object.values(input.RequestItems ?? {})) {
          if (!Array.isArray(request)) counts.keysRead += request.Keys?.length ?? 0;
        }
      }
      return result;
    },
    { step: 'initialize', name: 'benchRequestCounter' },
  );
};

const createTable = async (env: Env): Promise<void> => {
  const client = new DynamoDBClient(baseClientConfig('dynamodb', env));
  try {
    await client.send(
      new CreateTableCommand({
        TableName: TABLE,
        AttributeDefinitions: [
          { AttributeName: 'clientId', AttributeType: 'S' },
          { AttributeName: 'eventKey', AttributeType: 'S' },
        ],
        KeySchema: [
          { AttributeName: 'clientId', KeyType: 'HASH' },
          { AttributeName: 'eventKey', KeyType: 'RANGE' },
        ],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
    for (let i = 0; i < 50; i++) {
      const { Table } = await client.send(new DescribeTableCommand({ TableName: TABLE }));
      if (Table?.TableStatus === 'ACTIVE') return;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    throw new Error(`Table ${TABLE} did not become ACTIVE`);
  } finally {
    client.destroy();
  }
};

interface Step {
  name: string;
  event: KinesisStreamEvent;
}

interface Workload {
  steps: Step[];
  uniqueKeys: Set<string>;
  /** Events the sink rejects on their first attempt (partial failure). */
  failFirst: Set<string>;
  records: number;
}

const keyOf = (record: KinesisStreamRecord): string => {
  const payload = JSON.parse(Buffer.from(record.kinesis.data, 'base64').toString('utf8')) as {
    id: string;
    resources: string[];
  };
  return keyString({ clientId: payload.resources[0] as string, source: 'eventbridge', eventId: payload.id });
};

/**
 * Per round, five Kinesis invocations on one shard:
 *  A  new events + in-batch duplicates (a producer retry landing in the same batch);
 *  B  new events + in-batch duplicates + copies of events from A (duplicates across batches);
 *  A' A again, byte for byte (Lambda redelivering a batch it already processed);
 *  C  new events + in-batch duplicates, where the sink rejects every 10th new event on its
 *     first attempt (Firehose partial failure → batchItemFailures), one of them duplicated;
 *  C' C again (the retry after the partial failure).
 */
const buildWorkload = (): Workload => {
  const random = createRandom(3);
  const clock = new ShardClock(Date.parse('2026-03-02T12:00:00Z'));
  const uniqueKeys = new Set<string>();
  const failFirst = new Set<string>();
  const steps: Step[] = [];
  let records = 0;

  const freshRecord = (): KinesisStreamRecord => {
    const { sequence, arrivalMillis } = clock.next();
    const timeMillis = arrivalMillis - Math.floor(random() * 3 * 86_400_000);
    const record = kinesisRecord(eventBridgeEnvelope({ random, timeMillis }), sequence, arrivalMillis);
    uniqueKeys.add(keyOf(record));
    return record;
  };
  /** The same payload again under a new sequence number: what a producer retry looks like. */
  const copyOf = (record: KinesisStreamRecord): KinesisStreamRecord => {
    const { sequence, arrivalMillis } = clock.next();
    return kinesisRecord(Buffer.from(record.kinesis.data, 'base64').toString('utf8'), sequence, arrivalMillis);
  };
  const withInBatchDuplicates = (fresh: KinesisStreamRecord[], duplicates: number): KinesisStreamRecord[] => {
    const out = [...fresh];
    for (let i = 0; i < duplicates; i++) {
      const source = fresh[Math.floor(random() * fresh.length)] as KinesisStreamRecord;
      out.splice(Math.floor(random() * (out.length + 1)), 0, copyOf(source));
    }
    return out;
  };
  const pushStep = (name: string, batch: KinesisStreamRecord[]): void => {
    steps.push({ name, event: kinesisEvent(batch) });
    records += batch.length;
  };

  for (let round = 1; round <= ROUNDS; round++) {
    const aFresh = Array.from({ length: 450 }, freshRecord);
    const a = withInBatchDuplicates(aFresh, BATCH_SIZE - 450);
    pushStep(`r${round} A: 450 new + 50 in-batch duplicates`, a);

    const bFresh = Array.from({ length: 400 }, freshRecord);
    const bCross = Array.from({ length: 50 }, () =>
      copyOf(aFresh[Math.floor(random() * aFresh.length)] as KinesisStreamRecord),
    );
    const b = withInBatchDuplicates([...bFresh, ...bCross], BATCH_SIZE - 450);
    pushStep(`r${round} B: 400 new + 50 from A + 50 in-batch dups`, b);

    pushStep(`r${round} A': full redelivery of A`, a);

    const cFresh = Array.from({ length: 450 }, freshRecord);
    cFresh.forEach((record, index) => {
      if (index % 10 === 0) failFirst.add(keyOf(record));
    });
    // One duplicate of a failing event: the later copy must share the first copy's fate.
    const c = withInBatchDuplicates(cFresh, BATCH_SIZE - 451);
    c.splice(Math.floor(random() * c.length), 0, copyOf(cFresh[0] as KinesisStreamRecord));
    pushStep(`r${round} C: 450 new + 50 dups, sink fails 45 once`, c);
    pushStep(`r${round} C': redelivery of C after the partial failure`, c);
  }
  return { steps, uniqueKeys, failFirst, records };
};

export interface StepResult {
  name: string;
  records: number;
  summary: BatchSummary;
  batchItemFailures: number;
  storeWrites: number;
}

export interface DynamoWritesResult {
  steps: StepResult[];
  records: number;
  uniqueEvents: number;
  delivered: number;
  duplicates: number;
  failedThenRetried: number;
  quarantined: number;
  sinkDistinct: number;
  sinkAcceptedTotal: number;
  sinkRejected: number;
  deliveredExactlyOnce: boolean;
  missing: number;
  deliveredMoreThanOnce: number;
  storeWrites: number;
  wire: WireCounts;
  writesPerUniqueEvent: number;
  wireWritesPerUniqueEvent: number;
  seconds: number;
  endpoint: string;
}

export const runDynamoWritesBench = async (): Promise<DynamoWritesResult> => {
  const server = await startLocalServer('dynalite');
  const started = performance.now();
  try {
    const env: Env = { AWS_REGION: 'us-east-1', AWS_ENDPOINT_URL_DYNAMODB: server.endpoint };
    await createTable(env);

    const client = createDynamoDbDocumentClient(env);
    const wire: WireCounts = { batchWriteCalls: 0, itemsSent: 0, itemsUnprocessed: 0, batchGetCalls: 0, keysRead: 0 };
    countRequests(client, wire);
    const store = new DynamoDbIdempotencyStore(client, { tableName: TABLE, ttlSeconds: 8 * 86_400 });

    const workload = buildWorkload();
    const sink = new RecordingSink((key) => workload.failFirst.has(key));
    const quarantine = new CountingQuarantine();
    const consumer = new KinesisConsumer(new BatchProcessor(EventType.KinesisDataStreams), NORMALIZE_OPTIONS, {
      store,
      sink,
      quarantine,
      logger: silentLogger(),
    });

    const steps: StepResult[] = [];
    for (const step of workload.steps) {
      const writesBefore = store.writes;
      const { response, summary } = await consumer.processBatch(step.event);
      steps.push({
        name: step.name,
        records: step.event.Records.length,
        summary,
        batchItemFailures: response.batchItemFailures.length,
        storeWrites: store.writes - writesBefore,
      });
    }
    client.destroy();

    let missing = 0;
    let deliveredMoreThanOnce = 0;
    for (const key of workload.uniqueKeys) {
      const count = sink.accepted.get(key) ?? 0;
      if (count === 0) missing++;
      else if (count > 1) deliveredMoreThanOnce++;
    }
    const sinkAcceptedTotal = [...sink.accepted.values()].reduce((sum, count) => sum + count, 0);
    const total = (pick: (summary: BatchSummary) => number): number =>
      steps.reduce((sum, step) => sum + pick(step.summary), 0);
    const uniqueEvents = workload.uniqueKeys.size;
    const wireWrites = wire.itemsSent - wire.itemsUnprocessed;
    return {
      steps,
      records: workload.records,
      uniqueEvents,
      delivered: total((summary) => summary.delivered),
      duplicates: total((summary) => summary.duplicates),
      failedThenRetried: total((summary) => summary.failed),
      quarantined: total((summary) => summary.quarantined),
      sinkDistinct: sink.accepted.size,
      sinkAcceptedTotal,
      sinkRejected: sink.rejected,
      deliveredExactlyOnce:
        missing === 0 &&
        deliveredMoreThanOnce === 0 &&
        sink.accepted.size === uniqueEvents &&
        sinkAcceptedTotal === uniqueEvents,
      missing,
      deliveredMoreThanOnce,
      storeWrites: store.writes,
      wire,
      writesPerUniqueEvent: store.writes / uniqueEvents,
      wireWritesPerUniqueEvent: wireWrites / uniqueEvents,
      seconds: (performance.now() - started) / 1000,
      endpoint: server.endpoint,
    };
  } finally {
    await server.stop();
  }
};
