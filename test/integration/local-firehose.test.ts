import { gunzipSync } from 'node:zlib';
import {
  DescribeDeliveryStreamCommand,
  type FirehoseClient,
  InvalidArgumentException,
  ListDeliveryStreamsCommand,
  PutRecordBatchCommand,
  PutRecordCommand,
  ResourceNotFoundException,
} from '@aws-sdk/client-firehose';
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import type { FirehoseTransformationEvent, FirehoseTransformationResult } from 'aws-lambda';
import { LocalFirehose, type LocalFirehoseOptions } from '../../infra/local/firehose';
import type { FirehoseSettings } from '../../infra/local/pipeline/serverless-config';
import { type LocalServers, startLocalServers } from '../../infra/local/runtime/local-servers';
import { createFirehoseClient } from '../../shared/aws/firehose-client';
import { createS3Client } from '../../shared/aws/s3-client';
import { FirehoseSink } from '../../shared/delivery/firehose-sink';
import { loadLakeLayout } from '../../shared/lake-layout';
import { transformBatch } from '../../shared/transformer/firehose-transform';
import { eventBridgeEnvelope } from '../helpers/factories';

// The local Firehose on a real port, driven by the real Firehose SDK client, transforming with the
// real transformer logic and writing through the real S3 client to s3rver.

const REGION = 'us-east-1';
const STREAM = 'usage-pipeline-test-delivery';
/** Every record "arrives" at this instant, so error prefixes (arrival time) are known. */
const ARRIVAL = Date.parse('2026-03-14T15:09:26.000Z');
const ERROR_HOUR = 'year=2026/month=03/day=14/hour=15/';
const LAMBDA_ARN = `arn:aws:lambda:${REGION}:000000000000:function:usage-pipeline-test-firehoseTransformer`;

const SETTINGS: FirehoseSettings = {
  deliveryStreamName: STREAM,
  prefix:
    'events/client_id=!{partitionKeyFromLambda:client_id}/event_type=!{partitionKeyFromLambda:event_type}/dt=!{partitionKeyFromLambda:dt}/hour=!{partitionKeyFromLambda:hour}/',
  errorOutputPrefix:
    'errors/!{firehose:error-output-type}/year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/hour=!{timestamp:HH}/',
  bufferSizeBytes: 64 * 1024 * 1024,
  bufferIntervalSeconds: 60,
  compression: 'GZIP',
  dynamicPartitioning: true,
  processor: { bufferSizeBytes: 1024 * 1024, bufferIntervalSeconds: 60, numberOfRetries: 3 },
};

// The transformer's logic with a layout that matches this prefix (client_id opted in, hourly).
const LAYOUT = loadLakeLayout({ LAKE_PREFIX: SETTINGS.prefix, LAKE_EVENT_TYPES: 'purchase,searching' });
const realTransform = async (event: FirehoseTransformationEvent): Promise<FirehoseTransformationResult> =>
  transformBatch(event, LAYOUT);

let servers: LocalServers;
let s3: S3Client;
let bucketCount = 0;
const started: LocalFirehose[] = [];

beforeAll(async () => {
  servers = await startLocalServers();
  s3 = createS3Client({ AWS_ENDPOINT_URL_S3: servers.endpoints.s3, AWS_REGION: REGION });
});

afterEach(async () => {
  await Promise.all(started.splice(0).map((firehose) => firehose.stop()));
});

afterAll(async () => {
  s3?.destroy();
  await servers?.stop();
});

interface Harness {
  firehose: LocalFirehose;
  client: FirehoseClient;
  bucket: string;
}

/** A fresh bucket and a started local Firehose writing to it. */
const startFirehose = async (overrides: Partial<LocalFirehoseOptions> = {}): Promise<Harness> => {
  const bucket = `lake-${++bucketCount}`;
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  const firehose = new LocalFirehose({
    settings: SETTINGS,
    bucket,
    region: REGION,
    s3,
    transform: realTransform,
    processorArn: LAMBDA_ARN,
    now: () => ARRIVAL,
    ...overrides,
  });
  started.push(firehose);
  const { endpoint } = await firehose.start();
  const client = createFirehoseClient({ AWS_ENDPOINT_URL_FIREHOSE: endpoint, AWS_REGION: REGION });
  return { firehose, client, bucket };
};

const listKeys = async (bucket: string, prefix = ''): Promise<string[]> => {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
    for (const object of page.Contents ?? []) if (object.Key) keys.push(object.Key);
    token = page.NextContinuationToken;
  } while (token);
  return keys.sort();
};

const readLines = async (bucket: string, key: string): Promise<string[]> => {
  const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  const text = gunzipSync(
    await (object.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray(),
  ).toString('utf8');
  expect(text.endsWith('\n')).toBe(true);
  return text.slice(0, -1).split('\n');
};

const event = (id: string, clientId: string, eventType: string) =>
  eventBridgeEnvelope({ id, resources: [clientId], detail: { eventType, n: id } });
const json = (value: unknown) => ({ Data: Buffer.from(JSON.stringify(value)) });

/** Polls a condition that background work makes true (no assertion on how long it takes). */
const eventually = async (condition: () => boolean, what: string): Promise<void> => {
  const deadline = Date.now() + 20_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
};

const KEY_NAME = new RegExp(`/${STREAM}-1-2026-03-14-15-09-26-[0-9a-f-]{36}\\.gz$`);

describe('LocalFirehose API (real Firehose SDK client)', () => {
  it('reports per-record failures and the sink retries only those records', async () => {
    const attempts = new Map<string, number>();
    const { client, firehose } = await startFirehose({
      failRecord: (data) => {
        const id = (JSON.parse(data.toString('utf8')) as { id: string }).id;
        const seen = (attempts.get(id) ?? 0) + 1;
        attempts.set(id, seen);
        return id === 'e-2' && seen === 1
          ? { errorCode: 'ServiceUnavailableException', errorMessage: 'Slow down.' }
          : undefined;
      },
    });

    // The raw call: HTTP 200 with the failure reported in place.
    const direct = await client.send(
      new PutRecordBatchCommand({
        DeliveryStreamName: STREAM,
        Records: [json(event('e-1', 'client-a', 'searching')), json(event('e-2', 'client-a', 'searching'))],
      }),
    );
    expect(direct.FailedPutCount).toBe(1);
    expect(direct.Encrypted).toBe(false);
    expect(direct.RequestResponses?.[0]).toEqual({ RecordId: expect.any(String) });
    expect(direct.RequestResponses?.[1]).toEqual({
      ErrorCode: 'ServiceUnavailableException',
      ErrorMessage: 'Slow down.',
    });

    // The pipeline's sink: only the refused record goes again.
    attempts.clear();
    const sink = new FirehoseSink(client, {
      deliveryStreamName: STREAM,
      maxAttempts: 3,
      baseDelayMs: 1,
      maxDelayMs: 2,
    });
    const outcomes = await sink.deliver(
      ['e-1', 'e-2', 'e-3'].map((id) => Buffer.from(JSON.stringify(event(id, 'client-a', 'searching')))),
    );

    expect(outcomes).toEqual([{ ok: true }, { ok: true }, { ok: true }]);
    expect(Object.fromEntries(attempts)).toEqual({ 'e-1': 1, 'e-2': 2, 'e-3': 1 });
    expect(firehose.stats()).toMatchObject({ received: 4, rejected: 2 });
  });

  it('answers PutRecord with a record id', async () => {
    const { client, firehose } = await startFirehose();

    const response = await client.send(
      new PutRecordCommand({ DeliveryStreamName: STREAM, Record: json(event('single', 'client-a', 'searching')) }),
    );

    expect(response.RecordId).toMatch(/^\d{56}$/);
    expect(firehose.stats().received).toBe(1);
  });

  it('returns the AWS validation errors, which the SDK deserializes', async () => {
    const { client, firehose } = await startFirehose();
    const small = { Data: Buffer.from('x') };

    const tooMany = client.send(
      new PutRecordBatchCommand({ DeliveryStreamName: STREAM, Records: Array.from({ length: 501 }, () => small) }),
    );
    await expect(tooMany).rejects.toMatchObject({
      name: 'ValidationException',
      $fault: 'client',
      message: expect.stringContaining(
        "at 'records' failed to satisfy constraint: Member must have length less than or equal to 500",
      ),
    });

    const tooBig = client.send(
      new PutRecordBatchCommand({
        DeliveryStreamName: STREAM,
        Records: Array.from({ length: 5 }, () => ({ Data: Buffer.alloc(1_000 * 1024) })),
      }),
    );
    await expect(tooBig).rejects.toBeInstanceOf(InvalidArgumentException);
    await expect(tooBig).rejects.toThrow('Records size exceeds 4 MB limit');

    const recordTooBig = client.send(
      new PutRecordBatchCommand({ DeliveryStreamName: STREAM, Records: [small, { Data: Buffer.alloc(1_024_001) }] }),
    );
    await expect(recordTooBig).rejects.toMatchObject({
      name: 'ValidationException',
      message: expect.stringContaining("at 'records.2.member.data' failed to satisfy constraint"),
    });

    const unknown = client.send(new PutRecordBatchCommand({ DeliveryStreamName: 'no-such-stream', Records: [small] }));
    await expect(unknown).rejects.toBeInstanceOf(ResourceNotFoundException);

    const empty = client.send(new PutRecordBatchCommand({ DeliveryStreamName: STREAM, Records: [] }));
    await expect(empty).rejects.toMatchObject({ name: 'ValidationException' });

    // Nothing from the rejected calls was accepted; the largest valid batch is.
    expect(firehose.stats().received).toBe(0);
    const full = await client.send(
      new PutRecordBatchCommand({ DeliveryStreamName: STREAM, Records: Array.from({ length: 500 }, () => small) }),
    );
    expect(full.FailedPutCount).toBe(0);
    expect(full.RequestResponses).toHaveLength(500);
  });

  it('describes and lists the delivery stream', async () => {
    const { client, firehose } = await startFirehose();

    const { DeliveryStreamDescription: description } = await client.send(
      new DescribeDeliveryStreamCommand({ DeliveryStreamName: STREAM }),
    );
    const listed = await client.send(new ListDeliveryStreamsCommand({}));

    expect(description).toMatchObject({
      DeliveryStreamName: STREAM,
      DeliveryStreamARN: firehose.deliveryStreamArn,
      DeliveryStreamStatus: 'ACTIVE',
      DeliveryStreamType: 'DirectPut',
    });
    expect(description?.CreateTimestamp).toBeInstanceOf(Date);
    expect(description?.Destinations?.[0]?.ExtendedS3DestinationDescription).toMatchObject({
      Prefix: SETTINGS.prefix,
      ErrorOutputPrefix: SETTINGS.errorOutputPrefix,
      CompressionFormat: 'GZIP',
      DynamicPartitioningConfiguration: { Enabled: true },
    });
    expect(listed).toMatchObject({ DeliveryStreamNames: [STREAM], HasMoreDeliveryStreams: false });
    await expect(
      client.send(new DescribeDeliveryStreamCommand({ DeliveryStreamName: 'no-such-stream' })),
    ).rejects.toBeInstanceOf(ResourceNotFoundException);
  });
});

describe('LocalFirehose delivery (real transformer, s3rver)', () => {
  it('partitions Ok records into gzipped objects, drops Dropped and writes ProcessingFailed to the error prefix', async () => {
    const { client, firehose, bucket } = await startFirehose();
    const events = [
      event('a-1', 'client-a', 'searching'),
      event('a-2', 'client-a', 'searching'),
      event('a-3', 'client-a', 'purchase'),
      event('b-1', 'client-b', 'searching'),
      event('b-2', 'client-b', 'searching'),
    ];
    const malformed = '{"not json';
    await client.send(
      new PutRecordBatchCommand({
        DeliveryStreamName: STREAM,
        Records: [...events.map(json), { Data: Buffer.from('  \n') }, { Data: Buffer.from(malformed) }],
      }),
    );

    await firehose.flush();

    const hour = 'dt=2026-03-14/hour=15/';
    const dataKeys = await listKeys(bucket, 'events/');
    expect(dataKeys.map((key) => key.slice(0, key.lastIndexOf('/') + 1))).toEqual([
      `events/client_id=client-a/event_type=purchase/${hour}`,
      `events/client_id=client-a/event_type=searching/${hour}`,
      `events/client_id=client-b/event_type=searching/${hour}`,
    ]);
    for (const key of dataKeys) expect(key).toMatch(KEY_NAME);

    const idsByKey: Record<string, string[]> = {};
    for (const key of dataKeys) {
      const lines = await readLines(bucket, key);
      idsByKey[key.split('/').slice(1, 3).join('/')] = lines.map((line) => (JSON.parse(line) as { id: string }).id);
    }
    expect(idsByKey).toEqual({
      'client_id=client-a/event_type=purchase': ['a-3'],
      'client_id=client-a/event_type=searching': ['a-1', 'a-2'],
      'client_id=client-b/event_type=searching': ['b-1', 'b-2'],
    });

    const errorKeys = await listKeys(bucket, 'errors/');
    expect(errorKeys).toHaveLength(1);
    expect(errorKeys[0]).toMatch(new RegExp(`^errors/processing-failed/${ERROR_HOUR}`));
    const errorLines = (await readLines(bucket, errorKeys[0] as string)).map(
      (line) => JSON.parse(line) as Record<string, unknown>,
    );
    expect(errorLines).toEqual([
      {
        attemptsMade: 1,
        arrivalTimestamp: ARRIVAL,
        errorCode: 'Lambda.ProcessingFailedStatus',
        errorMessage: 'ProcessingFailed status set for record',
        attemptEndingTimestamp: ARRIVAL,
        rawData: Buffer.from(malformed).toString('base64'),
        lambdaArn: LAMBDA_ARN,
      },
    ]);

    expect(firehose.stats()).toMatchObject({
      received: 7,
      transformed: 7,
      ok: 5,
      dropped: 1,
      processingFailed: 1,
      delivered: 5,
      errorRecordsWritten: 1,
      objectsWritten: 4,
      buffered: 0,
      keys: expect.arrayContaining([...dataKeys, ...errorKeys]),
    });
  });

  it('delivers once the size hints are reached, without flush()', async () => {
    const { client, firehose, bucket } = await startFirehose({
      settings: {
        ...SETTINGS,
        bufferSizeBytes: 4 * 1024,
        bufferIntervalSeconds: 900,
        processor: { bufferSizeBytes: 2 * 1024, bufferIntervalSeconds: 900, numberOfRetries: 0 },
      },
    });
    const ids = Array.from({ length: 60 }, (_, index) => `s-${index}`);
    await client.send(
      new PutRecordBatchCommand({
        DeliveryStreamName: STREAM,
        Records: ids.map((id) => json(event(id, 'client-s', 'searching'))),
      }),
    );

    await eventually(() => firehose.stats().objectsWritten >= 2, 'size-triggered objects');
    const early = await listKeys(bucket, 'events/client_id=client-s/');
    expect(early.length).toBeGreaterThanOrEqual(2);
    expect(firehose.stats().invocations).toBeGreaterThanOrEqual(2);

    await firehose.flush();
    const keys = await listKeys(bucket, 'events/client_id=client-s/');
    const delivered: string[] = [];
    for (const key of keys) {
      const lines = await readLines(bucket, key);
      expect(lines.join('\n').length + 1).toBeLessThanOrEqual(4 * 1024);
      delivered.push(...lines.map((line) => (JSON.parse(line) as { id: string }).id));
    }
    expect(delivered.sort()).toEqual([...ids].sort());
  });

  it('delivers when the buffering interval expires, without flush()', async () => {
    const { client, firehose, bucket } = await startFirehose({
      settings: {
        ...SETTINGS,
        bufferIntervalSeconds: 0,
        processor: { bufferSizeBytes: 1024 * 1024, bufferIntervalSeconds: 0, numberOfRetries: 3 },
      },
    });

    await client.send(
      new PutRecordBatchCommand({ DeliveryStreamName: STREAM, Records: [json(event('t-1', 'client-t', 'searching'))] }),
    );

    await eventually(() => firehose.stats().objectsWritten === 1, 'the interval-triggered object');
    const [key] = await listKeys(bucket, 'events/');
    expect(key).toMatch(/^events\/client_id=client-t\/event_type=searching\//);
    expect(await readLines(bucket, key as string)).toHaveLength(1);
  });

  it('retries a failing processor, then writes the whole batch to processing-failed', async () => {
    let calls = 0;
    const { client, firehose, bucket } = await startFirehose({
      settings: {
        ...SETTINGS,
        processor: { bufferSizeBytes: 1024 * 1024, bufferIntervalSeconds: 60, numberOfRetries: 2 },
      },
      transform: async () => {
        calls++;
        throw new Error('boom');
      },
    });
    const records = [json(event('f-1', 'client-f', 'searching')), json(event('f-2', 'client-f', 'searching'))];
    await client.send(new PutRecordBatchCommand({ DeliveryStreamName: STREAM, Records: records }));

    await firehose.flush();

    expect(calls).toBe(3);
    expect(await listKeys(bucket, 'events/')).toEqual([]);
    const [errorKey, ...others] = await listKeys(bucket, 'errors/');
    expect(others).toEqual([]);
    expect(errorKey).toMatch(new RegExp(`^errors/processing-failed/${ERROR_HOUR}`));
    const lines = (await readLines(bucket, errorKey as string)).map(
      (line) => JSON.parse(line) as Record<string, unknown>,
    );
    expect(lines).toEqual(
      records.map((record) =>
        expect.objectContaining({
          attemptsMade: 3,
          errorCode: 'Lambda.FunctionError',
          errorMessage: expect.stringContaining('boom'),
          rawData: record.Data.toString('base64'),
          lambdaArn: LAMBDA_ARN,
        }),
      ),
    );
    expect(firehose.stats()).toMatchObject({ invocations: 3, invocationErrors: 3, processingFailed: 2, ok: 0 });
  });

  it.each([
    [
      'a missing record id',
      (result: FirehoseTransformationResult) => ({ records: result.records.slice(1) }),
      'Lambda.MissingRecordId',
    ],
    [
      'a duplicated record id',
      (result: FirehoseTransformationResult) => ({ records: [...result.records, result.records[0]] }),
      'Lambda.DuplicatedRecordId',
    ],
    [
      'an invalid result',
      (result: FirehoseTransformationResult) => ({
        records: result.records.map((record) => ({ ...record, result: 'Fine' })),
      }),
      'Lambda.JsonProcessingException',
    ],
    ['a response without records', () => ({ items: [] }), 'Lambda.JsonProcessingException'],
  ])('treats %s as a failed invocation: retried, then processing-failed', async (_case, corrupt, errorCode) => {
    let calls = 0;
    const { client, firehose, bucket } = await startFirehose({
      settings: {
        ...SETTINGS,
        processor: { bufferSizeBytes: 1024 * 1024, bufferIntervalSeconds: 60, numberOfRetries: 1 },
      },
      transform: async (transformationEvent) => {
        calls++;
        return corrupt(await realTransform(transformationEvent));
      },
    });
    const records = [json(event('r-1', 'client-r', 'searching')), json(event('r-2', 'client-r', 'searching'))];
    await client.send(new PutRecordBatchCommand({ DeliveryStreamName: STREAM, Records: records }));

    await firehose.flush();

    expect(calls).toBe(2);
    expect(await listKeys(bucket, 'events/')).toEqual([]);
    const [errorKey] = await listKeys(bucket, 'errors/processing-failed/');
    const lines = (await readLines(bucket, errorKey as string)).map(
      (line) => JSON.parse(line) as Record<string, unknown>,
    );
    expect(lines).toEqual(
      records.map((record) =>
        expect.objectContaining({ attemptsMade: 2, errorCode, rawData: record.Data.toString('base64') }),
      ),
    );
  });

  it('delivers normally when a retried invocation succeeds', async () => {
    let calls = 0;
    const { client, firehose, bucket } = await startFirehose({
      transform: async (transformationEvent) => {
        calls++;
        if (calls === 1) throw new Error('cold start hiccup');
        return realTransform(transformationEvent);
      },
    });
    await client.send(
      new PutRecordBatchCommand({
        DeliveryStreamName: STREAM,
        Records: [json(event('k-1', 'client-k', 'searching')), json(event('k-2', 'client-k', 'searching'))],
      }),
    );

    await firehose.flush();

    expect(await listKeys(bucket, 'errors/')).toEqual([]);
    const [key] = await listKeys(bucket, 'events/client_id=client-k/');
    const ids = (await readLines(bucket, key as string)).map((line) => (JSON.parse(line) as { id: string }).id);
    expect(ids).toEqual(['k-1', 'k-2']);
    expect(firehose.stats()).toMatchObject({ invocations: 2, invocationErrors: 1, ok: 2, processingFailed: 0 });
  });

  it('writes Ok records without the partition keys the prefix needs to partitioning-failed', async () => {
    const { client, firehose, bucket } = await startFirehose({
      transform: async (transformationEvent) => {
        const result = await realTransform(transformationEvent);
        return { records: result.records.map(({ metadata: _metadata, ...record }) => record) };
      },
    });
    const record = json(event('p-1', 'client-p', 'searching'));
    await client.send(new PutRecordBatchCommand({ DeliveryStreamName: STREAM, Records: [record] }));

    await firehose.flush();

    expect(await listKeys(bucket, 'events/')).toEqual([]);
    const [errorKey] = await listKeys(bucket, 'errors/');
    expect(errorKey).toMatch(new RegExp(`^errors/partitioning-failed/${ERROR_HOUR}`));
    const [line] = (await readLines(bucket, errorKey as string)).map(
      (text) => JSON.parse(text) as Record<string, unknown>,
    );
    expect(line).toMatchObject({ errorCode: 'DynamicPartitioning.MetadataExtractionFailed', attemptsMade: 1 });
    expect(JSON.parse(Buffer.from(line?.rawData as string, 'base64').toString('utf8'))).toMatchObject({ id: 'p-1' });
    expect(firehose.stats()).toMatchObject({ ok: 1, partitioningFailed: 1, delivered: 0 });
  });

  it('stops listening and discards nothing it already delivered', async () => {
    const { client, firehose, bucket } = await startFirehose();
    await client.send(
      new PutRecordBatchCommand({ DeliveryStreamName: STREAM, Records: [json(event('z-1', 'client-z', 'searching'))] }),
    );
    await firehose.flush();

    await firehose.stop();

    await expect(
      client.send(new PutRecordCommand({ DeliveryStreamName: STREAM, Record: { Data: Buffer.from('late') } })),
    ).rejects.toThrow();
    expect(await listKeys(bucket, 'events/client_id=client-z/')).toHaveLength(1);
  });
});
