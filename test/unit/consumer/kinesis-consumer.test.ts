import { BatchProcessor, EventType } from '@aws-lambda-powertools/batch';
import { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { FirehoseClient, PutRecordBatchCommand } from '@aws-sdk/client-firehose';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { BatchGetCommand, BatchWriteCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Context, KinesisStreamRecord } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { CANONICAL_SCHEMA_VERSION } from '../../../shared/canonical-event';
import { type ConsumerDependencies, KinesisConsumer } from '../../../shared/consumer/kinesis-consumer';
import { FirehoseSink } from '../../../shared/delivery/firehose-sink';
import { DynamoDbIdempotencyStore } from '../../../shared/idempotency/dynamodb-idempotency-store';
import { RecordingMetrics } from '../../../shared/metrics';
import { S3Quarantine } from '../../../shared/quarantine/s3-quarantine';
import { eventBridgeEnvelope, kinesisEvent, kinesisRecord, normalizePayload } from '../../helpers/factories';

const documentClient = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' }));
const firehoseClient = new FirehoseClient({ region: 'us-east-1' });
const s3Client = new S3Client({ region: 'us-east-1' });
const dynamo = mockClient(documentClient);
const firehose = mockClient(firehoseClient);
const s3 = mockClient(s3Client);

/** A tiny stand-in for the table's semantics: what was written can be read back. */
let table: Map<string, Record<string, unknown>>;
/** Event ids Firehose refuses, with how many more times it refuses each. */
let refusals: Map<string, number>;
/** Event ids Firehose accepted, in order. */
let deliveredIds: string[];

const idOf = (data: Uint8Array) => (JSON.parse(Buffer.from(data).toString('utf8')) as { id: string }).id;

const BUDGET = { requestTimeoutMs: 1_000, marginMs: 500 };
/** A Lambda context with a fixed amount of time left (the consumer only asks how much). */
const withTimeLeft = (remainingMs: () => number) => ({ getRemainingTimeInMillis: remainingMs }) as unknown as Context;

const sink = (maxAttempts = 3) =>
  new FirehoseSink(firehoseClient, { deliveryStreamName: 'delivery', maxAttempts, baseDelayMs: 1, maxDelayMs: 2 });

/** The consumer on the mocked clients; tests swap in the dependencies they observe. */
const consumer = (deps: Partial<ConsumerDependencies> = {}) =>
  new KinesisConsumer(
    new BatchProcessor(EventType.KinesisDataStreams),
    { environment: 'test', maxEventAgeSeconds: 7 * 86_400, maxFutureSkewSeconds: 900, budget: BUDGET },
    {
      store: new DynamoDbIdempotencyStore(documentClient, { tableName: 'idem', ttlSeconds: 3_600 }),
      sink: sink(),
      quarantine: new S3Quarantine(s3Client, 'lake', 'quarantine/'),
      logger: new Logger({ logLevel: 'SILENT' }),
      ...deps,
    },
  );

const envelope = (id: string, clientId = 'client-acme') => eventBridgeEnvelope({ id, resources: [clientId] });
const failedSequences = (response: { batchItemFailures: { itemIdentifier: string }[] }) =>
  response.batchItemFailures.map((failure) => failure.itemIdentifier);
const seq = (record: KinesisStreamRecord) => record.kinesis.sequenceNumber;

beforeEach(() => {
  table = new Map();
  refusals = new Map();
  deliveredIds = [];
  dynamo.reset();
  firehose.reset();
  s3.reset();
  dynamo.on(BatchGetCommand).callsFake((input) => ({
    Responses: {
      idem: input.RequestItems.idem.Keys.flatMap((key: { clientId: string; eventKey: string }) => {
        const item = table.get(`${key.clientId}/${key.eventKey}`);
        return item ? [item] : [];
      }),
    },
  }));
  dynamo.on(BatchWriteCommand).callsFake((input) => {
    for (const { PutRequest } of input.RequestItems.idem) {
      table.set(`${PutRequest.Item.clientId}/${PutRequest.Item.eventKey}`, PutRequest.Item);
    }
    return {};
  });
  firehose.on(PutRecordBatchCommand).callsFake((input: { Records: { Data: Uint8Array }[] }) => {
    const responses = input.Records.map(({ Data }) => {
      const id = idOf(Data);
      const left = refusals.get(id) ?? 0;
      if (left > 0) {
        refusals.set(id, left - 1);
        return { ErrorCode: 'ServiceUnavailableException', ErrorMessage: 'Slow down.' };
      }
      deliveredIds.push(id);
      return { RecordId: `rid-${id}` };
    });
    return { FailedPutCount: responses.filter((r) => 'ErrorCode' in r).length, RequestResponses: responses };
  });
  s3.on(PutObjectCommand).resolves({});
});

describe('KinesisConsumer', () => {
  it('delivers valid records in one PutRecordBatch and writes one idempotency item per event', async () => {
    // Prepare
    const records = [
      kinesisRecord(envelope('e1')),
      kinesisRecord(envelope('e2')),
      kinesisRecord(envelope('e3', 'client-globex')),
    ];

    // Act
    const { response, summary } = await consumer().processBatch(kinesisEvent(records));

    // Assess
    expect(response).toEqual({ batchItemFailures: [] });
    expect(summary).toEqual({
      in: 3,
      delivered: 3,
      duplicates: 0,
      quarantined: 0,
      failed: 0,
      quarantineReasons: {},
      unrecorded: 0,
      routed: 0,
      unrouted: 0,
    });
    expect(deliveredIds).toEqual(['e1', 'e2', 'e3']);
    expect(firehose.commandCalls(PutRecordBatchCommand)).toHaveLength(1);
    const written = dynamo
      .commandCalls(BatchWriteCommand)
      .flatMap((call) => call.args[0].input.RequestItems?.idem ?? []);
    expect(written).toHaveLength(3);
  });

  it('delivers the canonical event: enriched, clientId at the top level', async () => {
    await consumer().processBatch(kinesisEvent([kinesisRecord(envelope('e1'))]));

    const data = firehose.commandCalls(PutRecordBatchCommand)[0]?.args[0].input.Records?.[0]?.Data as Uint8Array;
    expect(JSON.parse(Buffer.from(data).toString('utf8'))).toMatchObject({
      id: 'e1',
      clientId: 'client-acme',
      environment: 'test',
      envelopeVersion: CANONICAL_SCHEMA_VERSION,
      receivedAt: expect.any(String),
    });
  });

  it('collapses duplicates inside one batch without asking DynamoDB about them twice', async () => {
    const records = [kinesisRecord(envelope('e1')), kinesisRecord(envelope('e2')), kinesisRecord(envelope('e1'))];

    const { summary } = await consumer().processBatch(kinesisEvent(records));

    expect(summary).toMatchObject({ delivered: 2, duplicates: 1 });
    expect(deliveredIds).toEqual(['e1', 'e2']);
    const asked = dynamo
      .commandCalls(BatchGetCommand)
      .flatMap((call) => call.args[0].input.RequestItems?.idem?.Keys ?? []);
    expect(asked).toHaveLength(2);
  });

  it('scopes ids by client: the same id from two clients is two events', async () => {
    const records = [kinesisRecord(envelope('same', 'client-acme')), kinesisRecord(envelope('same', 'client-globex'))];

    const { summary } = await consumer().processBatch(kinesisEvent(records));

    expect(summary).toMatchObject({ delivered: 2, duplicates: 0 });
  });

  it('drops events delivered by an earlier batch, without delivering or writing them again', async () => {
    // Prepare
    await consumer().processBatch(kinesisEvent([kinesisRecord(envelope('e1'))]));
    dynamo.resetHistory();
    firehose.resetHistory();

    // Act
    const { response, summary } = await consumer().processBatch(
      kinesisEvent([kinesisRecord(envelope('e1')), kinesisRecord(envelope('e2'))]),
    );

    // Assess
    expect(response.batchItemFailures).toEqual([]);
    expect(summary).toMatchObject({ delivered: 1, duplicates: 1 });
    expect(deliveredIds).toEqual(['e1', 'e2']);
    expect(
      dynamo.commandCalls(BatchWriteCommand).flatMap((c) => c.args[0].input.RequestItems?.idem ?? []),
    ).toHaveLength(1);
  });

  it('reports a record Firehose keeps refusing, records nothing for it, and delivers it on redelivery', async () => {
    // Prepare
    const records = [kinesisRecord(envelope('e1')), kinesisRecord(envelope('e2')), kinesisRecord(envelope('e3'))];
    refusals.set('e2', 3);

    // Act: first delivery fails e2 after every attempt
    const first = await consumer().processBatch(kinesisEvent(records));

    // Assess
    expect(failedSequences(first.response)).toEqual([seq(records[1] as KinesisStreamRecord)]);
    expect(first.summary).toMatchObject({ delivered: 2, failed: 1 });
    expect(table.has('client-acme/e2')).toBe(false);

    // Act: Lambda redelivers from the failed record on (e2, e3)
    const retry = await consumer().processBatch(kinesisEvent(records.slice(1)));

    // Assess: e2 delivered now, e3 recognised as a duplicate
    expect(retry.response.batchItemFailures).toEqual([]);
    expect(retry.summary).toMatchObject({ delivered: 1, duplicates: 1 });
    expect(deliveredIds).toEqual(['e1', 'e3', 'e2']);
  });

  it('fails an in-batch duplicate together with its first copy when that copy is not delivered', async () => {
    const records = [kinesisRecord(envelope('e1')), kinesisRecord(envelope('e1'))];
    refusals.set('e1', 3);

    const { response, summary } = await consumer().processBatch(
      kinesisEvent([...records, kinesisRecord(envelope('e9'))]),
    );

    expect(failedSequences(response)).toEqual(records.map(seq));
    expect(summary).toMatchObject({ delivered: 1, duplicates: 0, failed: 2 });
  });

  it('quarantines a bad record with its reason and raw bytes, and does not fail the batch', async () => {
    // Prepare
    const bad = kinesisRecord('{"id": "broken', { raw: true });
    const records = [kinesisRecord(envelope('e1')), bad];

    // Act
    const { response, summary } = await consumer().processBatch(kinesisEvent(records));

    // Assess
    expect(response.batchItemFailures).toEqual([]);
    expect(summary).toMatchObject({ delivered: 1, quarantined: 1, quarantineReasons: { MALFORMED_JSON: 1 } });
    const put = s3.commandCalls(PutObjectCommand)[0]?.args[0].input;
    expect(put?.Bucket).toBe('lake');
    expect(put?.Key).toBe(`quarantine/MALFORMED_JSON/2026/03/14/shardId-000000000000-${seq(bad)}.json`);
    const body = JSON.parse(String(put?.Body));
    expect(body).toMatchObject({
      reason: 'MALFORMED_JSON',
      message: expect.stringContaining('not valid JSON'),
      origin: { sequenceNumber: seq(bad), shardId: 'shardId-000000000000', partitionKey: 'client-acme' },
      dataBase64: bad.kinesis.data,
      dataText: '{"id": "broken',
    });
  });

  it('retries (never drops) a bad record whose quarantine write fails', async () => {
    s3.on(PutObjectCommand).rejects(new Error('S3 down'));
    const bad = kinesisRecord({ hello: 'world' });

    const { response, summary } = await consumer().processBatch(kinesisEvent([kinesisRecord(envelope('e1')), bad]));

    expect(failedSequences(response)).toEqual([seq(bad)]);
    expect(summary).toMatchObject({ delivered: 1, quarantined: 0, failed: 1 });
  });

  it('fails the valid records, not the batch, when the idempotency table cannot be read', async () => {
    dynamo.on(BatchGetCommand).rejects(new Error('throttled'));
    const good = kinesisRecord(envelope('e1'));

    const { response, summary } = await consumer().processBatch(kinesisEvent([good, kinesisRecord('', { raw: true })]));

    expect(failedSequences(response)).toEqual([seq(good)]);
    expect(summary).toMatchObject({ failed: 1, quarantined: 1, delivered: 0 });
    expect(firehose.commandCalls(PutRecordBatchCommand)).toHaveLength(0);
  });

  it('throws when every record fails, so Lambda sees a function error and can bisect', async () => {
    refusals.set('e1', 99);

    await expect(consumer().processBatch(kinesisEvent([kinesisRecord(envelope('e1'))]))).rejects.toThrow(
      /All records failed/,
    );
  });

  it('reconciles its counts: in = delivered + duplicates + quarantined + failed', async () => {
    // Prepare: a mixed batch
    refusals.set('e4', 99);
    const records = [
      kinesisRecord(envelope('e1')),
      kinesisRecord(envelope('e1')),
      kinesisRecord(envelope('e2', 'client-globex')),
      kinesisRecord('not json', { raw: true }),
      kinesisRecord({ hello: 'world' }),
      kinesisRecord(eventBridgeEnvelope({ id: 'e3', resources: [] })),
      kinesisRecord(envelope('e4')),
    ];

    // Act
    const { summary } = await consumer().processBatch(kinesisEvent(records));

    // Assess
    expect(summary).toEqual({
      in: 7,
      delivered: 2,
      duplicates: 1,
      quarantined: 3,
      failed: 1,
      quarantineReasons: { MALFORMED_JSON: 1, UNKNOWN_SOURCE: 1, MISSING_CLIENT_ID: 1 },
      unrecorded: 0,
      routed: 0,
      unrouted: 0,
    });
    expect(summary.delivered + summary.duplicates + summary.quarantined + summary.failed).toBe(summary.in);
  });
});

describe('KinesisConsumer invocation budget', () => {
  // Lambda stops the sandbox at the timeout wherever the code is; the consumer starts a call only
  // when it and the calls that must follow can finish (budget: 1 s per call, 0.5 s margin).
  it('starts nothing it cannot finish: the valid records fail as batchItemFailures, untouched', async () => {
    // Prepare: 2.9 s left, less than read + put + record (3 × 1 s) + 0.5 s; the bad record's
    // quarantine write (one call) still fits.
    const records = [kinesisRecord(envelope('t1')), kinesisRecord(envelope('t2'))];
    const bad = kinesisRecord('{"truncated', { raw: true });

    // Act
    const { response, summary } = await consumer().processBatch(
      kinesisEvent([...records, bad]),
      withTimeLeft(() => 2_900),
    );

    // Assess
    expect(failedSequences(response)).toEqual(records.map(seq));
    expect(summary).toMatchObject({ delivered: 0, quarantined: 1, failed: 2 });
    expect(dynamo.commandCalls(BatchGetCommand)).toHaveLength(0);
    expect(firehose.commandCalls(PutRecordBatchCommand)).toHaveLength(0);
  });

  it('still quarantines a bad record when one call fits, and retries it when none does', async () => {
    const bad = kinesisRecord('{"truncated', { raw: true });

    const enough = await consumer().processBatch(
      kinesisEvent([bad]),
      withTimeLeft(() => 1_600),
    );
    const tooLittle = await consumer()
      .processBatch(
        kinesisEvent([kinesisRecord('{"truncated', { raw: true })]),
        withTimeLeft(() => 1_400),
      )
      .catch((error: Error) => error);

    expect(enough.summary).toMatchObject({ quarantined: 1, failed: 0 });
    // The only record failed: Lambda sees a function error and retries (or bisects) the batch.
    expect(tooLittle).toBeInstanceOf(Error);
    expect(s3.commandCalls(PutObjectCommand)).toHaveLength(1);
  });

  it('retries Firehose only while the put and the record write still fit, and records what got through', async () => {
    // Prepare: t2 is refused once; after the first put only 2.4 s are left (< 2 × 1 s + 0.5 s).
    refusals.set('t2', 1);
    let left = 3_600;
    firehose.on(PutRecordBatchCommand).callsFake((input: { Records: { Data: Uint8Array }[] }) => {
      left = 2_400;
      const responses = input.Records.map(({ Data }) => {
        const id = idOf(Data);
        if ((refusals.get(id) ?? 0) > 0) {
          refusals.set(id, 0);
          return { ErrorCode: 'ServiceUnavailableException', ErrorMessage: 'Slow down.' };
        }
        deliveredIds.push(id);
        return { RecordId: `rid-${id}` };
      });
      return { FailedPutCount: responses.filter((r) => 'ErrorCode' in r).length, RequestResponses: responses };
    });
    const records = [kinesisRecord(envelope('t1')), kinesisRecord(envelope('t2'))];

    // Act
    const { response, summary } = await consumer().processBatch(
      kinesisEvent(records),
      withTimeLeft(() => left),
    );

    // Assess: one attempt only; t1 delivered and recorded, t2 left for Kinesis to retry.
    expect(firehose.commandCalls(PutRecordBatchCommand)).toHaveLength(1);
    expect(deliveredIds).toEqual(['t1']);
    expect([...table.keys()]).toEqual(['client-acme/eventbridge#t1']);
    expect(failedSequences(response)).toEqual([seq(records[1] as KinesisStreamRecord)]);
    expect(summary).toMatchObject({ delivered: 1, failed: 1 });
  });
});

describe('KinesisConsumer record outcomes', () => {
  it('names the adapter that rejected a record it claimed', async () => {
    const subject = consumer();
    const outcomes: { source: string; reason?: string }[] = [];
    subject.onRecordOutcome((outcome) => outcomes.push(outcome));

    await subject.processBatch(kinesisEvent([kinesisRecord(eventBridgeEnvelope({ resources: [] }))]));

    expect(outcomes).toEqual([expect.objectContaining({ source: 'eventbridge', reason: 'MISSING_CLIENT_ID' })]);
  });

  it('tells listeners what happened to each record, with the quarantine or retry reason', async () => {
    // Prepare
    refusals.set('e2', 99);
    const records = [
      kinesisRecord(envelope('e1')),
      kinesisRecord(envelope('e1')),
      kinesisRecord('[]', { raw: true }),
      kinesisRecord(envelope('e2')),
    ];
    const subject = consumer();
    const outcomes: unknown[] = [];
    subject.onRecordOutcome((outcome) => outcomes.push(outcome));

    // Act
    await subject.processBatch(kinesisEvent(records));

    // Assess
    const shardId = 'shardId-000000000000';
    expect(outcomes).toEqual(
      expect.arrayContaining([
        {
          shardId,
          sequenceNumber: seq(records[0] as KinesisStreamRecord),
          result: 'delivered',
          source: 'eventbridge',
          key: { clientId: 'client-acme', source: 'eventbridge', eventId: 'e1' },
        },
        {
          shardId,
          sequenceNumber: seq(records[1] as KinesisStreamRecord),
          result: 'duplicate',
          source: 'eventbridge',
          key: { clientId: 'client-acme', source: 'eventbridge', eventId: 'e1' },
        },
        {
          shardId,
          sequenceNumber: seq(records[2] as KinesisStreamRecord),
          result: 'quarantined',
          reason: 'UNKNOWN_SOURCE',
          source: 'unknown',
        },
        {
          shardId,
          sequenceNumber: seq(records[3] as KinesisStreamRecord),
          result: 'failed',
          reason: 'DELIVERY_FAILED',
          source: 'unknown',
        },
      ]),
    );
    expect(outcomes).toHaveLength(4);
  });
});

describe('DeliveryBatch', () => {
  it('serializes flushes, so a copy submitted after the first flush started is a duplicate, not a second delivery', async () => {
    // Prepare: a sink that takes a while, and a second submission one tick after the first flush began
    const { DeliveryBatch } = await import('../../../shared/consumer/delivery-batch');
    const { InMemoryIdempotencyStore } = await import('../../../shared/idempotency/idempotency-store');
    const delivered: number[] = [];
    const sink = {
      deliver: async (records: readonly Uint8Array[]) => {
        await new Promise((resolve) => setTimeout(resolve, 20));
        delivered.push(records.length);
        return records.map(() => ({ ok: true as const }));
      },
    };
    const batch = new DeliveryBatch(new InMemoryIdempotencyStore(), sink, new Logger({ logLevel: 'SILENT' }));
    const normalized = normalizePayload(envelope('e1'));

    // Act
    const first = batch.submit(normalized);
    await new Promise((resolve) => setImmediate(resolve));
    const second = batch.submit(normalized);

    // Assess
    await expect(Promise.all([first, second])).resolves.toEqual(['delivered', 'duplicate']);
    expect(delivered).toEqual([1]);
  });
});

describe('KinesisConsumer metrics', () => {
  it('counts every batch: records in, delivered, duplicates, quarantined by reason, failed', async () => {
    // Prepare
    const metrics = new RecordingMetrics();
    const subject = consumer({ sink: sink(1), metrics });
    refusals.set('m3', 1);
    const records = [envelope('m1'), envelope('m1'), envelope('m3')].map((payload) => kinesisRecord(payload));

    // Act
    await subject.processBatch(kinesisEvent([...records, kinesisRecord('{"bad', { raw: true })]));

    // Assess
    expect(Object.fromEntries(metrics.counts)).toEqual({
      RecordsIn: 4,
      Delivered: 1,
      Duplicates: 1,
      Quarantined: 1,
      'Quarantined{Reason=MALFORMED_JSON}': 1,
      Failed: 1,
      UnrecordedDeliveries: 0,
    });
  });

  it('counts events delivered whose idempotency record could not be written, and marks their outcomes', async () => {
    // Prepare: Firehose takes the events, then BatchWriteItem fails.
    dynamo
      .on(BatchWriteCommand)
      .rejects(Object.assign(new Error('Internal server error'), { name: 'InternalServerError' }));
    const metrics = new RecordingMetrics();
    const logger = new Logger({ logLevel: 'SILENT' });
    const errors = jest.spyOn(logger, 'error');
    const subject = consumer({ sink: sink(1), metrics, logger });
    const outcomes: unknown[] = [];
    subject.onRecordOutcome((outcome) => outcomes.push(outcome));

    // Act
    const { response } = await subject.processBatch(
      kinesisEvent(['u1', 'u2'].map((id) => kinesisRecord(envelope(id)))),
    );

    // Assess: delivered (in Firehose, not retried), counted as unrecorded, logged at error.
    expect(response.batchItemFailures).toEqual([]);
    expect(deliveredIds).toEqual(['u1', 'u2']);
    expect(metrics.counts.get('Delivered')).toBe(2);
    expect(metrics.counts.get('UnrecordedDeliveries')).toBe(2);
    expect(outcomes).toEqual([
      expect.objectContaining({ result: 'delivered', unrecorded: true }),
      expect.objectContaining({ result: 'delivered', unrecorded: true }),
    ]);
    expect(errors).toHaveBeenCalledWith(
      'Delivered events could not be recorded; a redelivery of them would not be deduplicated',
      expect.objectContaining({ count: 2 }),
    );
  });
});

describe('KinesisConsumer whole-batch failure log', () => {
  it('logs one line with the record errors counted by code, not every record stack', async () => {
    // Prepare: the idempotency table cannot be read, so every record fails.
    dynamo.on(BatchGetCommand).rejects(new Error('connect ECONNREFUSED'));
    const logger = new Logger({ logLevel: 'SILENT' });
    const errors = jest.spyOn(logger, 'error');
    const subject = consumer({ sink: sink(1), logger });

    // Act
    await expect(
      subject.processBatch(kinesisEvent(['f1', 'f2', 'f3'].map((id) => kinesisRecord(envelope(id))))),
    ).rejects.toThrow();

    // Assess
    const batchLines = errors.mock.calls.filter(
      ([message]) => message === 'Batch failed as a whole; Kinesis will retry it',
    );
    expect(batchLines).toHaveLength(1);
    expect(batchLines[0]?.[1]).toMatchObject({
      failed: 3,
      recordErrorCodes: { IDEMPOTENCY_UNAVAILABLE: 3 },
      firstRecordError: { message: 'Idempotency table read failed', cause: 'connect ECONNREFUSED' },
    });
    expect(batchLines[0]?.[1]).not.toHaveProperty('error');
  });
});

describe('KinesisConsumer routing (routes.yml)', () => {
  const router = (fail: (id: string) => boolean = () => false) => {
    const published: string[] = [];
    const kept: { ids: string[]; reason: { errorCode: string } }[] = [];
    return {
      published,
      kept,
      deps: {
        publisher: {
          publish: async (events: readonly Uint8Array[]) =>
            events.map((data) => {
              const id = idOf(data);
              if (fail(id))
                return { ok: false as const, errorCode: 'ThrottlingException', errorMessage: 'Rate exceeded' };
              published.push(id);
              return { ok: true as const };
            }),
        },
        unrouted: {
          put: async (events: readonly Uint8Array[], reason: { errorCode: string; errorMessage: string }) => {
            kept.push({ ids: events.map(idOf), reason });
            return 's3://lake/unrouted/x.ndjson';
          },
        },
      },
    };
  };

  it('publishes only what Firehose took: not duplicates, not quarantined records', async () => {
    // Prepare
    const routing = router();
    const metrics = new RecordingMetrics();
    const subject = consumer({ router: routing.deps, metrics });
    table.set('client-acme/eventbridge#seen', { clientId: 'client-acme', eventKey: 'eventbridge#seen' });
    const records = [envelope('r1'), envelope('r1'), envelope('seen'), envelope('r2')].map((payload) =>
      kinesisRecord(payload),
    );

    // Act
    const { summary } = await subject.processBatch(kinesisEvent([...records, kinesisRecord('{"bad', { raw: true })]));

    // Assess
    expect(routing.published.sort()).toEqual(['r1', 'r2']);
    expect(summary).toMatchObject({ delivered: 2, duplicates: 2, quarantined: 1, routed: 2, unrouted: 0 });
    expect(metrics.counts.get('Routed')).toBe(2);
  });

  it('keeps what the bus did not take under unrouted/, without failing the records', async () => {
    // Prepare
    const routing = router((id) => id === 'r2');
    const subject = consumer({ router: routing.deps });

    // Act
    const { response, summary } = await subject.processBatch(
      kinesisEvent(['r1', 'r2'].map((id) => kinesisRecord(envelope(id)))),
    );

    // Assess
    expect(response.batchItemFailures).toEqual([]);
    expect(summary).toMatchObject({ delivered: 2, routed: 1, unrouted: 1 });
    expect(routing.kept).toEqual([
      { ids: ['r2'], reason: { errorCode: 'ThrottlingException', errorMessage: 'Rate exceeded' } },
    ]);
  });
});
