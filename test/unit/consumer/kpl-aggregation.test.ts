import { BatchProcessor, EventType } from '@aws-lambda-powertools/batch';
import { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { FirehoseClient, PutRecordBatchCommand } from '@aws-sdk/client-firehose';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { BatchGetCommand, BatchWriteCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { KinesisConsumer, type RecordOutcome } from '../../../shared/consumer/kinesis-consumer';
import { deaggregate, isAggregated } from '../../../shared/consumer/kpl-aggregate';
import { FirehoseSink } from '../../../shared/delivery/firehose-sink';
import { InvalidRecordError } from '../../../shared/errors';
import { DynamoDbIdempotencyStore } from '../../../shared/idempotency/dynamodb-idempotency-store';
import { S3Quarantine } from '../../../shared/quarantine/s3-quarantine';
import { eventBridgeEnvelope, kinesisEvent, kinesisRecord, usageMeter } from '../../helpers/factories';
import { kplAggregate } from '../../helpers/kpl';

const documentClient = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' }));
const firehoseClient = new FirehoseClient({ region: 'us-east-1' });
const s3Client = new S3Client({ region: 'us-east-1' });
const dynamo = mockClient(documentClient);
const firehose = mockClient(firehoseClient);
const s3 = mockClient(s3Client);

let table: Map<string, Record<string, unknown>>;
/** Event ids Firehose refuses, with how many more times it refuses each. */
let refusals: Map<string, number>;
let deliveredIds: string[];

const idOf = (data: Uint8Array) => (JSON.parse(Buffer.from(data).toString('utf8')) as { id: string }).id;

const consumer = () =>
  new KinesisConsumer(
    new BatchProcessor(EventType.KinesisDataStreams),
    { environment: 'test', maxEventAgeSeconds: 7 * 86_400, maxFutureSkewSeconds: 900 },
    {
      store: new DynamoDbIdempotencyStore(documentClient, { tableName: 'idem', ttlSeconds: 3_600 }),
      sink: new FirehoseSink(firehoseClient, {
        deliveryStreamName: 'delivery',
        maxAttempts: 2,
        baseDelayMs: 1,
        maxDelayMs: 2,
      }),
      quarantine: new S3Quarantine(s3Client, 'lake', 'quarantine/'),
      logger: new Logger({ logLevel: 'SILENT' }),
    },
  );

const envelope = (id: string) => JSON.stringify(eventBridgeEnvelope({ id, resources: ['client-acme'] }));
const user = (data: string) => ({ partitionKey: 'client-acme', data });
const quarantineKeys = () => s3.commandCalls(PutObjectCommand).map((call) => call.args[0].input.Key);

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
    for (const { PutRequest } of input.RequestItems.idem)
      table.set(`${PutRequest.Item.clientId}/${PutRequest.Item.eventKey}`, PutRequest.Item);
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

describe('KPL-aggregated records', () => {
  it('de-aggregates what the library aggregated, in order, with subsequence numbers', async () => {
    const data = await kplAggregate([user('a'), { partitionKey: 'other', data: 'b' }]);

    const records = deaggregate(kinesisRecord(data, { raw: true }).kinesis);

    expect(isAggregated(data)).toBe(true);
    expect(isAggregated(Buffer.from(envelope('e1')))).toBe(false);
    expect(records).toEqual([
      { subSequenceNumber: 0, partitionKey: 'client-acme', data: Buffer.from('a') },
      { subSequenceNumber: 1, partitionKey: 'other', data: Buffer.from('b') },
    ]);
  });

  it('delivers, deduplicates and quarantines each user record on its own, and counts each', async () => {
    // Prepare: good, good, not JSON, a duplicate of the first, a meter with a bad value.
    const data = await kplAggregate([
      user(envelope('e1')),
      user(JSON.stringify(usageMeter({ meterValue: 5 }))),
      user('not json'),
      user(envelope('e1')),
      user(JSON.stringify({ hello: 'world' })),
    ]);
    const record = kinesisRecord(data, { raw: true });
    const outcomes: RecordOutcome[] = [];
    const subject = consumer();
    subject.onRecordOutcome((outcome) => outcomes.push(outcome));

    // Act
    const { response, summary } = await subject.processBatch(kinesisEvent([record]));

    // Assess
    expect(response).toEqual({ batchItemFailures: [] });
    expect(summary).toMatchObject({ in: 5, delivered: 2, duplicates: 1, quarantined: 2, failed: 0 });
    expect(summary.quarantineReasons).toEqual({ MALFORMED_JSON: 1, UNKNOWN_SOURCE: 1 });
    expect(deliveredIds).toHaveLength(2);
    const seq = record.kinesis.sequenceNumber;
    expect(
      outcomes
        .sort((a, b) => (a.subSequenceNumber ?? 0) - (b.subSequenceNumber ?? 0))
        .map((outcome) => [outcome.sequenceNumber, outcome.subSequenceNumber, outcome.result]),
    ).toEqual([
      [seq, 0, 'delivered'],
      [seq, 1, 'delivered'],
      [seq, 2, 'quarantined'],
      [seq, 3, 'duplicate'],
      [seq, 4, 'quarantined'],
    ]);
    // Each quarantined user record has its own key and keeps only its own bytes.
    expect(quarantineKeys()).toEqual(
      expect.arrayContaining([`quarantine/MALFORMED_JSON/2026/03/14/shardId-000000000000-${seq}-2.json`]),
    );
    const bodies = s3.commandCalls(PutObjectCommand).map((call) => JSON.parse(String(call.args[0].input.Body)));
    const malformed = bodies.find((body) => body.reason === 'MALFORMED_JSON');
    expect(malformed).toMatchObject({ dataText: 'not json', origin: { sequenceNumber: seq, subSequenceNumber: 2 } });
  });

  it('recognises user records delivered by an earlier batch as duplicates', async () => {
    const data = await kplAggregate([user(envelope('e1')), user(envelope('e2'))]);
    await consumer().processBatch(kinesisEvent([kinesisRecord(envelope('e1'), { raw: true })]));

    const { summary } = await consumer().processBatch(kinesisEvent([kinesisRecord(data, { raw: true })]));

    expect(summary).toMatchObject({ in: 2, delivered: 1, duplicates: 1 });
    expect(deliveredIds).toEqual(['e1', 'e2']);
  });

  it('retries the whole Kinesis record when one user record fails; the delivered ones are duplicates on the retry', async () => {
    const data = await kplAggregate([user(envelope('e1')), user(envelope('e2'))]);
    const record = kinesisRecord(data, { raw: true });
    const plain = kinesisRecord(envelope('e3'), { raw: true });
    refusals.set('e2', 2);

    const first = await consumer().processBatch(kinesisEvent([record, plain]));
    const retry = await consumer().processBatch(kinesisEvent([record]));

    expect(first.response.batchItemFailures).toEqual([{ itemIdentifier: record.kinesis.sequenceNumber }]);
    expect(first.summary).toMatchObject({ in: 3, delivered: 2, failed: 1 });
    expect(retry.summary).toMatchObject({ in: 2, delivered: 1, duplicates: 1, failed: 0 });
    expect(deliveredIds).toEqual(['e1', 'e3', 'e2']);
  });

  it('quarantines a corrupt aggregate whole as INVALID_AGGREGATE', async () => {
    const data = await kplAggregate([user(envelope('e1'))]);
    const corrupt = Buffer.from(data);
    corrupt[corrupt.length - 1] = (corrupt[corrupt.length - 1] ?? 0) ^ 0xff;
    const record = kinesisRecord(corrupt, { raw: true });

    const { response, summary } = await consumer().processBatch(kinesisEvent([record]));

    expect(() => deaggregate(record.kinesis)).toThrow(InvalidRecordError);
    expect(response).toEqual({ batchItemFailures: [] });
    expect(summary).toMatchObject({ in: 1, quarantined: 1, quarantineReasons: { INVALID_AGGREGATE: 1 } });
    expect(quarantineKeys()).toEqual([
      `quarantine/INVALID_AGGREGATE/2026/03/14/shardId-000000000000-${record.kinesis.sequenceNumber}.json`,
    ]);
    expect(deliveredIds).toEqual([]);
  });
});
