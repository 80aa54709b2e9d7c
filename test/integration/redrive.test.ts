import { randomUUID } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import type { FirehoseClient } from '@aws-sdk/client-firehose';
import {
  CreateStreamCommand,
  DescribeStreamCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type KinesisClient,
  waitUntilStreamExists,
} from '@aws-sdk/client-kinesis';
import {
  CreateBucketCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import type { FirehoseTransformationEvent, FirehoseTransformationResult } from 'aws-lambda';
import { LocalFirehose } from '../../infra/local/firehose';
import type { FirehoseSettings } from '../../infra/local/pipeline/serverless-config';
import { main } from '../../scripts/redrive';
import { createFirehoseClient } from '../../shared/aws/firehose-client';
import { createKinesisClient } from '../../shared/aws/kinesis-client';
import { createS3Client } from '../../shared/aws/s3-client';
import { S3Quarantine } from '../../shared/quarantine/s3-quarantine';
import { redriveErrors, redriveQuarantine } from '../../shared/redrive';
import { sharedStack } from '../helpers/shared-stack';

// The re-drive against real servers: error and quarantine objects in s3rver, records back into a
// local Firehose (real SDK client, a pass-through processor, dynamic partitioning capped at 2
// active partitions) and into a kinesalite stream, read back from the lake and the shard.

const REGION = 'us-east-1';
const SUFFIX = `${process.pid}-${Date.now().toString(36)}`;
const BUCKET = `redrive-${SUFFIX}`;
const STREAM = `redrive-events-${SUFFIX}`;
const DELIVERY = `redrive-delivery-${SUFFIX}`;
/** The local Firehose's active-partition quota: pacing must keep every wave within it. */
const MAX_PARTITIONS = 2;

const SETTINGS: FirehoseSettings = {
  deliveryStreamName: DELIVERY,
  prefix: 'events/p=!{partitionKeyFromLambda:p}/',
  errorOutputPrefix:
    'errors/!{firehose:error-output-type}/year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/hour=!{timestamp:HH}/',
  bufferSizeBytes: 64 * 1024 * 1024,
  // Partitions close 1 s after they open; the processor is invoked at once.
  bufferIntervalSeconds: 1,
  compression: 'GZIP',
  dynamicPartitioning: true,
  processor: { bufferSizeBytes: 1024 * 1024, bufferIntervalSeconds: 0, numberOfRetries: 0 },
};

/** Pass-through: the record as it is plus a newline, partitioned by its `p`. */
const passThrough = (event: FirehoseTransformationEvent): FirehoseTransformationResult => ({
  records: event.records.map((record) => {
    const text = Buffer.from(record.data, 'base64').toString('utf8');
    return {
      recordId: record.recordId,
      result: 'Ok',
      data: Buffer.from(`${text}\n`).toString('base64'),
      metadata: { partitionKeys: { p: (JSON.parse(text) as { p: string }).p } },
    };
  }),
});
const partitionOf = (data: Buffer) => (JSON.parse(data.toString('utf8')) as { p: string }).p;

let s3: S3Client;
let kinesis: KinesisClient;
let firehoseClient: FirehoseClient;
let firehose: LocalFirehose;
let env: Record<string, string>;

beforeAll(async () => {
  const { endpoints } = sharedStack();
  s3 = createS3Client({ AWS_ENDPOINT_URL_S3: endpoints.s3, AWS_REGION: REGION });
  kinesis = createKinesisClient({ AWS_ENDPOINT_URL_KINESIS: endpoints.kinesis, AWS_REGION: REGION });
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
  await kinesis.send(new CreateStreamCommand({ StreamName: STREAM, ShardCount: 1 }));
  await waitUntilStreamExists(
    { client: kinesis, maxWaitTime: 30, minDelay: 0.1, maxDelay: 0.5 },
    { StreamName: STREAM },
  );
  firehose = new LocalFirehose({
    settings: SETTINGS,
    bucket: BUCKET,
    region: REGION,
    s3,
    transform: passThrough,
    maxActivePartitions: MAX_PARTITIONS,
  });
  const { endpoint } = await firehose.start();
  firehoseClient = createFirehoseClient({ AWS_ENDPOINT_URL_FIREHOSE: endpoint, AWS_REGION: REGION });
  env = {
    AWS_REGION: REGION,
    AWS_ENDPOINT_URL_S3: endpoints.s3,
    AWS_ENDPOINT_URL_KINESIS: endpoints.kinesis,
    AWS_ENDPOINT_URL_FIREHOSE: endpoint,
  };
});

afterAll(async () => {
  await firehose?.stop();
  firehoseClient?.destroy();
  kinesis?.destroy();
  s3?.destroy();
});

const listKeys = async (prefix: string): Promise<string[]> => {
  const page = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: prefix }));
  return (page.Contents ?? []).flatMap((object) => (object.Key ? [object.Key] : [])).sort();
};
const getBytes = async (key: string): Promise<Buffer> => {
  const object = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
  return Buffer.from(await (object.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray());
};
const put = (key: string, body: Buffer | string) =>
  s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body }));

const errorObject = (records: readonly string[], errorCode: string) =>
  `${records
    .map((data) =>
      JSON.stringify({
        attemptsMade: 1,
        arrivalTimestamp: Date.now() - 60_000,
        errorCode,
        errorMessage: 'failed',
        attemptEndingTimestamp: Date.now() - 59_000,
        rawData: Buffer.from(data).toString('base64'),
      }),
    )
    .join('\n')}\n`;

const readShard = async (): Promise<{ partitionKey: string; data: Buffer }[]> => {
  const { StreamDescription: description } = await kinesis.send(new DescribeStreamCommand({ StreamName: STREAM }));
  const shardId = description?.Shards?.[0]?.ShardId;
  const { ShardIterator: iterator } = await kinesis.send(
    new GetShardIteratorCommand({ StreamName: STREAM, ShardId: shardId, ShardIteratorType: 'TRIM_HORIZON' }),
  );
  const { Records: records = [] } = await kinesis.send(
    new GetRecordsCommand({ ShardIterator: iterator, Limit: 1_000 }),
  );
  return records.map((record) => ({ partitionKey: record.PartitionKey ?? '', data: Buffer.from(record.Data ?? []) }));
};

describe('npm run redrive against the local servers', () => {
  it('errors: re-drives gzip and plain error objects into Firehose in waves, moves them, and a second run does nothing', async () => {
    const hour = 'year=2026/month=03/day=14/hour=15';
    const gzipped = ['a', 'b', 'a', 'c', 'd', 'e'].map((p, i) => JSON.stringify({ p, i, from: 'gzip' }));
    const plain = ['e', 'f', 'a'].map((p, i) => JSON.stringify({ p, i, from: 'plain' }));
    const gzipKey = `errors/partitioning-failed/${hour}/${DELIVERY}-1-2026-03-14-15-09-26-${randomUUID()}.gz`;
    const plainKey = `errors/processing-failed/${hour}/${DELIVERY}-1-2026-03-14-15-09-27-${randomUUID()}`;
    await put(gzipKey, gzipSync(errorObject(gzipped, 'DynamicPartitioning.ActivePartitionsLimitExceeded')));
    const plainBody = errorObject(plain, 'Lambda.ProcessingFailedStatus');
    await put(plainKey, plainBody);
    const lines: string[] = [];

    const result = await redriveErrors(
      { s3, firehose: firehoseClient },
      {
        bucket: BUCKET,
        deliveryStreamName: DELIVERY,
        partitionOf,
        maxPartitions: MAX_PARTITIONS,
        waveSeconds: 2,
        log: (line) => void lines.push(line),
      },
    );
    await firehose.flush();

    expect(result).toMatchObject({
      objects: 2,
      records: 9,
      byType: { 'partitioning-failed': 6, 'processing-failed': 3 },
      interrupted: false,
      skipped: [],
    });
    // {a,b} {c,d} {e,f} {a}: three waits, and the 2-partition quota never overflowed.
    expect(lines.filter((line) => line.startsWith('waiting 2 s for Firehose to close 2 partitions'))).toHaveLength(3);
    expect(firehose.stats()).toMatchObject({ received: 9, partitioningFailed: 0, processingFailed: 0, delivered: 9 });

    const lake: string[] = [];
    for (const key of await listKeys('events/')) {
      const partition = /^events\/p=([a-z])\//.exec(key)?.[1];
      for (const line of gunzipSync(await getBytes(key))
        .toString('utf8')
        .split('\n')
        .filter(Boolean)) {
        expect(partitionOf(Buffer.from(line))).toBe(partition);
        lake.push(line);
      }
    }
    expect(lake.sort()).toEqual([...gzipped, ...plain].sort());

    expect(await listKeys('errors/')).toEqual([]);
    expect(await listKeys('redriven/')).toEqual([`redriven/${gzipKey}`, `redriven/${plainKey}`].sort());
    // The moved object is the original, byte for byte.
    expect(
      gunzipSync(await getBytes(`redriven/${gzipKey}`))
        .toString('utf8')
        .split('\n')
        .filter(Boolean),
    ).toHaveLength(gzipped.length);
    expect((await getBytes(`redriven/${plainKey}`)).toString('utf8')).toBe(plainBody);
    expect(await listKeys('redrive-progress/')).toEqual([]);

    const again = await redriveErrors(
      { s3, firehose: firehoseClient },
      { bucket: BUCKET, deliveryStreamName: DELIVERY },
    );
    expect(again).toMatchObject({ found: 0, objects: 0, records: 0 });
    expect(firehose.stats().received).toBe(9);
  });

  it('quarantine: puts the records back into the stream with their partition keys, through the core and the CLI', async () => {
    const quarantine = new S3Quarantine(s3, BUCKET, 'quarantine/');
    const origin = (partitionKey: string, sequenceNumber: string) => ({
      shardId: 'shardId-000000000000',
      partitionKey,
      sequenceNumber,
      approximateArrivalTimestamp: '2026-03-14T15:09:26.000Z',
    });
    const binary = Buffer.from([0xff, 0x00, 0x7b]);
    await quarantine.put({
      reason: 'MALFORMED_JSON',
      message: 'not JSON',
      origin: origin('acme', '1'),
      data: Buffer.from('{"clientId":"acme",'),
    });
    await quarantine.put({
      reason: 'MALFORMED_JSON',
      message: 'not JSON',
      origin: origin('globex', '2'),
      data: binary,
    });
    await quarantine.put({
      reason: 'SCHEMA_VIOLATION',
      message: 'bad',
      origin: origin('initech', '3'),
      data: Buffer.from('{"clientId":"initech"}'),
    });

    const result = await redriveQuarantine(
      { s3, kinesis },
      { bucket: BUCKET, streamName: STREAM, reason: 'MALFORMED_JSON' },
    );

    expect(result).toMatchObject({ objects: 2, records: 2, byType: { MALFORMED_JSON: 2 } });
    expect(await readShard()).toEqual([
      { partitionKey: 'acme', data: Buffer.from('{"clientId":"acme",') },
      { partitionKey: 'globex', data: binary },
    ]);
    expect(await listKeys('quarantine/')).toEqual([
      'quarantine/SCHEMA_VIOLATION/2026/03/14/shardId-000000000000-3.json',
    ]);
    expect(await listKeys('redriven/quarantine/')).toEqual([
      'redriven/quarantine/MALFORMED_JSON/2026/03/14/shardId-000000000000-1.json',
      'redriven/quarantine/MALFORMED_JSON/2026/03/14/shardId-000000000000-2.json',
    ]);
    expect(
      (await redriveQuarantine({ s3, kinesis }, { bucket: BUCKET, streamName: STREAM, reason: 'MALFORMED_JSON' }))
        .found,
    ).toBe(0);

    // The command itself, names from the test stage's definition overridden to this file's resources.
    const out: string[] = [];
    const err: string[] = [];
    const code = await main(
      [
        'quarantine',
        '--reason',
        'SCHEMA_VIOLATION',
        '--stage',
        'test',
        '--bucket',
        BUCKET,
        '--stream',
        STREAM,
        '--json',
      ],
      {
        env,
        loadDefinition: async () => sharedStack().definition,
        stdout: (text) => void out.push(text),
        stderr: (text) => void err.push(text),
        onSignal: () => () => undefined,
      },
    );

    expect({ code, stderr: err.join('') }).toEqual({
      code: 0,
      stderr: expect.stringContaining(`found 1 object under s3://${BUCKET}/quarantine/SCHEMA_VIOLATION/`),
    });
    expect(out.join('').trim().split('\n')).toEqual([
      `re-drove 1 record from 1 object (SCHEMA_VIOLATION 1) into ${STREAM}; moved to s3://${BUCKET}/redriven/quarantine/SCHEMA_VIOLATION/`,
      '{"mode":"quarantine","dryRun":false,"objects":1,"records":1,"byType":{"SCHEMA_VIOLATION":1}}',
    ]);
    expect((await readShard()).map((record) => record.partitionKey)).toEqual(['acme', 'globex', 'initech']);
    expect(await listKeys('quarantine/')).toEqual([]);
  });
});
