import { randomUUID } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { DescribeDeliveryStreamCommand, type FirehoseClient, PutRecordBatchCommand } from '@aws-sdk/client-firehose';
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import {
  HttpEndpointConfigurationError,
  type HttpEndpointDestinationSettings,
  LocalFirehose,
  type LocalFirehoseOptions,
} from '../../infra/local/firehose';
import type { FirehoseSettings } from '../../infra/local/pipeline/serverless-config';
import { createFirehoseClient } from '../../shared/aws/firehose-client';
import { createS3Client } from '../../shared/aws/s3-client';
import {
  type Answer,
  type FirehoseEndpoint,
  failWith,
  json,
  ok,
  type Received,
  raw,
  startFirehoseEndpoint,
} from '../helpers/firehose-endpoint';
import { sharedStack } from '../helpers/shared-stack';

// The local Firehose with an HTTP endpoint destination, driven by the real Firehose SDK client,
// delivering to a real node:http endpoint that injects faults, and backing up to s3rver through
// the real S3 client. The contract asserted is AWS's: "Appendix - HTTP Endpoint Delivery Request
// and Response Specifications" (https://docs.aws.amazon.com/firehose/latest/dev/httpdeliveryrequestresponse.html),
// the error codes of "Troubleshooting HTTP Endpoints" (…/http_troubleshooting.html), and the
// failed-data record of "Handle data delivery failure" (…/retry.html).

const REGION = 'us-east-1';
const STREAM = 'usage-pipeline-test-route-tickets';
const ACCESS_KEY = 'vendor-access-key-123';
const ATTRIBUTES = { route: 'tickets', 'deployment-context': 'local' };
/** Every record "arrives" at this instant, so the backup's time prefix is known. */
const ARRIVAL = Date.parse('2026-03-14T15:09:26.000Z');
const MIB = 1024 * 1024;

const SETTINGS: FirehoseSettings = {
  deliveryStreamName: STREAM,
  prefix: '',
  errorOutputPrefix: '',
  bufferSizeBytes: MIB,
  // Long enough that only flush() (or the size hint) delivers, unless a test says otherwise.
  bufferIntervalSeconds: 900,
  compression: 'UNCOMPRESSED',
  dynamicPartitioning: false,
};

// --- The stream -------------------------------------------------------------------------------

let s3: S3Client;
let endpoint: FirehoseEndpoint;
let bucketCount = 0;
const started: { firehose: LocalFirehose; client: FirehoseClient }[] = [];

beforeAll(() => {
  s3 = createS3Client({ AWS_ENDPOINT_URL_S3: sharedStack().endpoints.s3, AWS_REGION: REGION });
});

beforeEach(async () => {
  endpoint = await startFirehoseEndpoint();
});

afterEach(async () => {
  await Promise.all(
    started.splice(0).map(async ({ firehose, client }) => {
      client.destroy();
      await firehose.stop();
    }),
  );
  await endpoint.close();
});

afterAll(() => s3?.destroy());

interface Harness {
  firehose: LocalFirehose;
  client: FirehoseClient;
  bucket: string;
  endpointErrors: { code: string; message: string; willRetry: boolean }[];
}

const startFirehose = async (
  destination: Partial<HttpEndpointDestinationSettings> = {},
  overrides: Partial<LocalFirehoseOptions> = {},
): Promise<Harness> => {
  const bucket = `routes-lake-${++bucketCount}`;
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  const endpointErrors: Harness['endpointErrors'] = [];
  const firehose = new LocalFirehose({
    settings: SETTINGS,
    region: REGION,
    s3,
    now: () => ARRIVAL,
    destination: {
      type: 'http-endpoint',
      url: endpoint.url,
      name: 'tickets',
      accessKey: ACCESS_KEY,
      commonAttributes: ATTRIBUTES,
      contentEncoding: 'GZIP',
      retryDurationSeconds: 60,
      // What routes.yml compiles: failed data in the lake bucket under routes/<name>/failed/.
      backup: {
        bucket,
        prefix: 'routes/tickets/failed/',
        errorOutputPrefix: 'routes/tickets/failed/errors/',
        compression: 'GZIP',
      },
      // Local knobs: a short acknowledgement timeout and back-off keep the tests fast.
      responseTimeoutMs: 400,
      backoff: { initialMs: 20, maxMs: 200 },
      ...destination,
    },
    onEndpointError: (error, willRetry) =>
      endpointErrors.push({
        code: (error as { errorCode?: string }).errorCode ?? '',
        message: error.message,
        willRetry,
      }),
    ...overrides,
  });
  const { endpoint: url } = await firehose.start();
  const client = createFirehoseClient({ AWS_ENDPOINT_URL_FIREHOSE: url, AWS_REGION: REGION });
  started.push({ firehose, client });
  return { firehose, client, bucket, endpointErrors };
};

/** PutRecordBatch of these strings; returns their RecordIds, in order. */
const put = async (client: FirehoseClient, records: string[]): Promise<string[]> => {
  const response = await client.send(
    new PutRecordBatchCommand({
      DeliveryStreamName: STREAM,
      Records: records.map((record) => ({ Data: Buffer.from(record) })),
    }),
  );
  expect(response.FailedPutCount).toBe(0);
  return (response.RequestResponses ?? []).map((entry) => entry.RecordId ?? '');
};

const listKeys = async (bucket: string): Promise<string[]> => {
  const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket }));
  return (page.Contents ?? []).map((object) => object.Key ?? '').sort();
};

const readBackup = async (bucket: string, key: string): Promise<Record<string, unknown>[]> => {
  const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  const text = gunzipSync(
    await (object.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray(),
  ).toString('utf8');
  expect(text.endsWith('\n')).toBe(true);
  return text
    .slice(0, -1)
    .split('\n')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
};

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// --- The request contract ---------------------------------------------------------------------

describe('the request', () => {
  it('is one POST of the buffer as separate base64 records, in order, with Firehose’s headers (GZIP)', async () => {
    // Prepare
    const { firehose, client, bucket } = await startFirehose();
    const records = ['{"id":"a","n":1}\n', 'plain text, no newline', '{"id":"c","emoji":"☕"}\n'];

    // Act
    const before = Date.now();
    await put(client, records);
    await firehose.flush();

    // Assess: one request, the documented headers, a gzipped body of separate records.
    expect(endpoint.received).toHaveLength(1);
    const [request] = endpoint.received as [Received];
    expect(request.method).toBe('POST');
    expect(request.path).toBe('/v1/firehose?tenant=acme');
    const requestId = request.headers['x-amz-firehose-request-id'];
    expect(requestId).toMatch(UUID);
    expect(request.headers).toMatchObject({
      'content-type': 'application/json',
      'content-encoding': 'gzip',
      'content-length': String(request.raw.length),
      'x-amz-firehose-protocol-version': '1.0',
      'x-amz-firehose-source-arn': `arn:aws:firehose:${REGION}:000000000000:deliverystream/${STREAM}`,
      'x-amz-firehose-access-key': ACCESS_KEY,
      'user-agent': 'Amazon Kinesis Data Firehose Agent/1.0',
    });
    expect(JSON.parse(String(request.headers['x-amz-firehose-common-attributes']))).toEqual({
      commonAttributes: ATTRIBUTES,
    });
    expect(gunzipSync(request.raw).length).toBeGreaterThan(0);
    expect(Object.keys(request.body)).toEqual(['requestId', 'timestamp', 'records']);
    expect(request.body.requestId).toBe(requestId);
    expect(Number.isInteger(request.body.timestamp)).toBe(true);
    expect(request.body.timestamp).toBeGreaterThanOrEqual(before);
    expect(request.body.records).toEqual(records.map((record) => ({ data: Buffer.from(record).toString('base64') })));
    expect(request.records).toEqual(records);

    expect(firehose.stats()).toMatchObject({
      received: 3,
      delivered: 3,
      buffered: 0,
      writing: 0,
      objectsWritten: 0,
      discardedRecords: 0,
      endpoint: { deliveredRecords: 3, requestsDelivered: 1, attempts: 1, failedAttempts: 0, backedUpRecords: 0 },
    });
    expect(await listKeys(bucket)).toEqual([]);
  });

  it('has no Content-Encoding header and a plain JSON body when compression is off', async () => {
    // Prepare
    const { firehose, client } = await startFirehose({ contentEncoding: 'NONE' });

    // Act
    await put(client, ['one', 'two']);
    await firehose.flush();

    // Assess
    const [request] = endpoint.received as [Received];
    expect(request.headers['content-encoding']).toBeUndefined();
    expect(JSON.parse(request.raw.toString('utf8'))).toEqual(request.body);
    expect(request.records).toEqual(['one', 'two']);
  });

  it('is sent when the buffering interval passes (IntervalInSeconds 0), one request ID per buffer', async () => {
    // Prepare
    const { firehose, client } = await startFirehose({}, { settings: { ...SETTINGS, bufferIntervalSeconds: 0 } });

    // Act: two PutRecordBatch calls, each its own buffer once the (zero) interval passes.
    await put(client, ['first-1', 'first-2']);
    for (let i = 0; i < 100 && endpoint.received.length < 1; i++) await sleep(20);
    await put(client, ['second-1']);
    for (let i = 0; i < 100 && endpoint.received.length < 2; i++) await sleep(20);

    // Assess
    expect(endpoint.received.map((request) => request.records)).toEqual([['first-1', 'first-2'], ['second-1']]);
    const ids = endpoint.received.map((request) => request.body.requestId);
    expect(new Set(ids).size).toBe(2);
    await firehose.flush();
    expect(firehose.stats().endpoint).toMatchObject({ deliveredRecords: 3, requestsDelivered: 2, attempts: 2 });
  });

  it('holds at most 10,000 records', async () => {
    // Prepare
    const { firehose, client } = await startFirehose();
    const records = Array.from({ length: 10_500 }, (_, i) => `r${i}`);

    // Act: 21 PutRecordBatch calls of 500 records.
    for (let i = 0; i < records.length; i += 500) await put(client, records.slice(i, i + 500));
    await firehose.flush();

    // Assess: the 10,000th record filled a request; the rest went at flush(), in order.
    expect(endpoint.received.map((request) => request.records.length)).toEqual([10_000, 500]);
    expect(endpoint.received.flatMap((request) => request.records)).toEqual(records);
  });

  it('is described by DescribeDeliveryStream without the access key', async () => {
    // Prepare
    const { client } = await startFirehose();

    // Act
    const described = await client.send(new DescribeDeliveryStreamCommand({ DeliveryStreamName: STREAM }));

    // Assess
    const destination = described.DeliveryStreamDescription?.Destinations?.[0]?.HttpEndpointDestinationDescription;
    expect(destination).toMatchObject({
      EndpointConfiguration: { Url: endpoint.url, Name: 'tickets' },
      BufferingHints: { SizeInMBs: 1, IntervalInSeconds: 900 },
      RequestConfiguration: { ContentEncoding: 'GZIP' },
      RetryOptions: { DurationInSeconds: 60 },
      S3BackupMode: 'FailedDataOnly',
      S3DestinationDescription: {
        Prefix: 'routes/tickets/failed/',
        ErrorOutputPrefix: 'routes/tickets/failed/errors/',
        CompressionFormat: 'GZIP',
      },
    });
    expect(destination?.RequestConfiguration?.CommonAttributes).toEqual([
      { AttributeName: 'route', AttributeValue: 'tickets' },
      { AttributeName: 'deployment-context', AttributeValue: 'local' },
    ]);
    expect(JSON.stringify(described)).not.toContain(ACCESS_KEY);
  });
});

// --- Failed attempts, retried -----------------------------------------------------------------

describe('a failed attempt', () => {
  const badResponses: [string, Answer, string][] = [
    ['a 500', failWith(500, 'Internal error'), 'HttpEndpoint.DestinationException'],
    [
      'a 2xx that is not 200',
      (request, response) => json(response, 202, { requestId: request.body.requestId, timestamp: 1 }),
      'HttpEndpoint.DestinationException',
    ],
    [
      'a redirect (not followed)',
      raw(302, { Location: '/elsewhere', 'Content-Length': '0' }, ''),
      'HttpEndpoint.DestinationException',
    ],
    [
      'a 200 whose body is not JSON',
      raw(200, { 'Content-Type': 'application/json', 'Content-Length': '9' }, 'not json!'),
      'HttpEndpoint.InvalidResponseFromDestination',
    ],
    [
      'a 200 with another requestId',
      (_request, response) => json(response, 200, { requestId: randomUUID(), timestamp: Date.now() }),
      'HttpEndpoint.InvalidResponseFromDestination',
    ],
    [
      'a 200 without requestId',
      (_request, response) => json(response, 200, { timestamp: Date.now() }),
      'HttpEndpoint.InvalidResponseFromDestination',
    ],
    [
      'a 200 whose timestamp is a string',
      (request, response) => json(response, 200, { requestId: request.body.requestId, timestamp: '1578090903599' }),
      'HttpEndpoint.InvalidResponseFromDestination',
    ],
    [
      'a 200 with an unexpected field',
      (request, response) => json(response, 200, { requestId: request.body.requestId, timestamp: 1, status: 'ok' }),
      'HttpEndpoint.InvalidResponseFromDestination',
    ],
    [
      'a 200 that is not application/json',
      (request, response) => {
        const text = JSON.stringify({ requestId: request.body.requestId, timestamp: 1 });
        response.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': Buffer.byteLength(text) });
        response.end(text);
      },
      'HttpEndpoint.InvalidResponseFromDestination',
    ],
    ['a 200 with an errorMessage', failWith(200, 'Partially rejected'), 'HttpEndpoint.DestinationException'],
    [
      'a response over 1 MiB',
      (request, response) =>
        json(response, 200, { requestId: request.body.requestId, timestamp: 1, errorMessage: 'x'.repeat(MIB) }),
      'HttpEndpoint.ResponseTooLarge',
    ],
    [
      'a response slower than the acknowledgement timeout',
      (request, response) => {
        const timer = setTimeout(() => ok(request, response), 1_000);
        response.on('close', () => clearTimeout(timer));
      },
      'HttpEndpoint.RequestTimeout',
    ],
    ['a reset connection', (_request, response) => response.socket?.resetAndDestroy(), 'HttpEndpoint.ConnectionReset'],
    [
      'a connection closed before the response',
      (_request, response) => response.socket?.destroy(),
      'HttpEndpoint.ConnectionReset',
    ],
  ];

  it.each(badResponses)(
    '(%s) is retried under the same request ID until the endpoint acknowledges',
    async (_what, answer, errorCode) => {
      // Prepare: the first request gets the bad answer, the next one a 200.
      const { firehose, client, bucket, endpointErrors } = await startFirehose();
      endpoint.script.push(answer);
      const records = ['r1', 'r2', 'r3'];

      // Act
      await put(client, records);
      await firehose.flush();
      await sleep(50);

      // Assess: two attempts of the same request (same ID, same records); delivered once.
      expect(endpoint.received).toHaveLength(2);
      const [first, second] = endpoint.received as [Received, Received];
      expect(second.body.requestId).toBe(first.body.requestId);
      expect(second.headers['x-amz-firehose-request-id']).toBe(first.body.requestId);
      expect(second.records).toEqual(records);
      expect(first.records).toEqual(records);
      expect(endpointErrors).toEqual([{ code: errorCode, message: expect.any(String), willRetry: true }]);
      expect(firehose.stats()).toMatchObject({
        delivered: 3,
        discardedRecords: 0,
        writing: 0,
        endpoint: { deliveredRecords: 3, requestsDelivered: 1, attempts: 2, failedAttempts: 1, backedUpRecords: 0 },
      });
      expect(await listKeys(bucket)).toEqual([]);
    },
  );

  it('waits longer before each retry (exponential back-off)', async () => {
    // Prepare: four failures, then a 200; back-off 40 ms × 2^n (± 15 %).
    const { firehose, client } = await startFirehose({ backoff: { initialMs: 40, maxMs: 10_000 } });
    const times: number[] = [];
    endpoint.fallback = (request, response) => {
      times.push(Date.now());
      (times.length <= 4 ? failWith(503, 'Slow down') : ok)(request, response);
    };

    // Act
    await put(client, ['x']);
    await firehose.flush();

    // Assess: gaps of about 40, 80, 160, 320 ms.
    const gaps = times.slice(1).map((time, i) => time - (times[i] ?? 0));
    expect(gaps).toHaveLength(4);
    [40, 80, 160, 320].forEach((expected, i) => {
      expect(gaps[i]).toBeGreaterThanOrEqual(expected * 0.85 - 5);
      expect(gaps[i]).toBeLessThan(expected * 1.15 + 150);
    });
  });

  it('answered 413 is a permanent failure: not retried, not backed up', async () => {
    // Prepare
    const { firehose, client, bucket, endpointErrors } = await startFirehose();
    endpoint.fallback = failWith(413, 'Payload too large');

    // Act
    await put(client, ['big']);
    const flushed = firehose.flush();

    // Assess
    await expect(flushed).rejects.toThrow(/413/);
    expect(endpoint.received).toHaveLength(1);
    expect(endpointErrors).toEqual([
      { code: 'HttpEndpoint.DestinationException', message: expect.stringContaining('413'), willRetry: false },
    ]);
    expect(firehose.stats()).toMatchObject({
      delivered: 0,
      deliveryErrors: 1,
      discardedRecords: 1,
      endpoint: { attempts: 1, backedUpRecords: 0 },
    });
    expect(await listKeys(bucket)).toEqual([]);
  });
});

// --- Past the retry duration: the S3 backup ---------------------------------------------------

describe('past the retry duration', () => {
  it('backs the records up to S3 as http-endpoint-failed records, none lost, none sent twice after a success', async () => {
    // Prepare: retries for 1 s of back-off. A first buffer is acknowledged after one 500; a
    // second buffer meets an endpoint that fails with 503 from then on.
    const { firehose, client, bucket, endpointErrors } = await startFirehose({
      retryDurationSeconds: 1,
      backoff: { initialMs: 50, maxMs: 200 },
    });
    endpoint.script.push(failWith(500, 'Internal error'));
    const delivered = ['ok-1', 'ok-2', 'ok-3'];
    const failed = ['failed-1', 'failed-2'];

    // Act
    await put(client, delivered);
    await firehose.flush();
    endpoint.fallback = failWith(503, 'Unavailable');
    const failingFrom = Date.now();
    const failedIds = await put(client, failed);
    await firehose.flush();
    const ended = Date.now();
    await sleep(100);

    // Assess: the first buffer was sent twice (one failure) and never again after its 200.
    const firstId = endpoint.received[0]?.body.requestId;
    const firstAttempts = endpoint.received.filter((request) => request.body.requestId === firstId);
    expect(firstAttempts).toHaveLength(2);
    expect(firstAttempts.every((request) => request.records.join() === delivered.join())).toBe(true);

    // The second buffer: retried under one request ID for the retry duration (1 s of back-off), then backed up.
    const retried = endpoint.received.filter((request) => request.body.requestId !== firstId);
    expect(new Set(retried.map((request) => request.body.requestId)).size).toBe(1);
    expect(retried.length).toBeGreaterThanOrEqual(4);
    expect(retried.every((request) => request.records.join() === failed.join())).toBe(true);
    expect(ended - failingFrom).toBeGreaterThanOrEqual(990);
    expect(endpointErrors.at(-1)).toMatchObject({ code: 'HttpEndpoint.DestinationException', willRetry: false });
    expect(endpointErrors.slice(0, -1).every((error) => error.willRetry)).toBe(true);

    // One backup object, named like Firehose's, under the error output prefix with http-endpoint-failed.
    const keys = await listKeys(bucket);
    expect(keys).toHaveLength(1);
    expect(keys[0]).toMatch(
      new RegExp(
        `^routes/tickets/failed/errors/http-endpoint-failed/2026/03/14/15/${STREAM}-1-2026-03-14-15-09-26-[0-9a-f-]{36}\\.gz$`,
      ),
    );
    const lines = await readBackup(bucket, keys[0] ?? '');
    expect(lines).toHaveLength(2);
    lines.forEach((line, i) => {
      expect(Object.keys(line)).toEqual([
        'attemptsMade',
        'arrivalTimestamp',
        'errorCode',
        'errorMessage',
        'attemptEndingTimestamp',
        'rawData',
        'subsequenceNumber',
        'dataId',
      ]);
      expect(line).toEqual({
        attemptsMade: retried.length,
        arrivalTimestamp: ARRIVAL,
        errorCode: 'HttpEndpoint.DestinationException',
        errorMessage: expect.stringMatching(
          /^The following response was received from the endpoint destination\. 503: .*"errorMessage":"Unavailable"/,
        ),
        attemptEndingTimestamp: expect.any(Number),
        rawData: Buffer.from(failed[i] ?? '').toString('base64'),
        subsequenceNumber: 0,
        dataId: `${failedIds[i]}.0`,
      });
      expect(line.attemptEndingTimestamp).toBeGreaterThanOrEqual(failingFrom);
      expect(line.attemptEndingTimestamp).toBeLessThanOrEqual(ended);
    });

    // Every record is in exactly one place: acknowledged by the endpoint, or in the backup.
    expect(firehose.stats()).toMatchObject({
      received: 5,
      delivered: 3,
      objectsWritten: 1,
      deliveryErrors: 0,
      discardedRecords: 0,
      writing: 0,
      buffered: 0,
      keys,
      endpoint: {
        deliveredRecords: 3,
        requestsDelivered: 1,
        attempts: 2 + retried.length,
        failedAttempts: 1 + retried.length,
        backedUpRecords: 2,
      },
    });
  });

  it('with RetryOptions.DurationInSeconds 0, backs up after the first failed attempt', async () => {
    // Prepare: the endpoint resets every connection.
    const { firehose, client, bucket } = await startFirehose({ retryDurationSeconds: 0 });
    endpoint.fallback = (_request, response) => response.socket?.resetAndDestroy();

    // Act
    await put(client, ['only']);
    await firehose.flush();

    // Assess
    expect(endpoint.received).toHaveLength(1);
    const keys = await listKeys(bucket);
    expect(keys).toHaveLength(1);
    const [line] = await readBackup(bucket, keys[0] ?? '');
    expect(line).toMatchObject({
      attemptsMade: 1,
      errorCode: 'HttpEndpoint.ConnectionReset',
      rawData: Buffer.from('only').toString('base64'),
    });
    expect(firehose.stats().endpoint).toMatchObject({ attempts: 1, failedAttempts: 1, backedUpRecords: 1 });
  });

  it('counts an endpoint that is not listening as HttpEndpoint.ConnectionFailed', async () => {
    // Prepare: nothing listens at the URL any more.
    const { firehose, client, bucket } = await startFirehose({ retryDurationSeconds: 0 });
    await endpoint.close();

    // Act
    await put(client, ['nowhere']);
    await firehose.flush();

    // Assess
    const keys = await listKeys(bucket);
    const [line] = await readBackup(bucket, keys[0] ?? '');
    expect(line).toMatchObject({ attemptsMade: 1, errorCode: 'HttpEndpoint.ConnectionFailed' });
  });
});

// --- Configuration ----------------------------------------------------------------------------

describe('the configuration', () => {
  const build = (
    settings: Partial<FirehoseSettings>,
    destination: Partial<HttpEndpointDestinationSettings> = {},
    extra: Partial<LocalFirehoseOptions> = {},
  ) =>
    new LocalFirehose({
      settings: { ...SETTINGS, ...settings },
      region: REGION,
      s3,
      destination: {
        type: 'http-endpoint',
        url: 'https://ingest.example.com/firehose',
        backup: { bucket: 'b', prefix: 'failed/' },
        ...destination,
      },
      ...extra,
    });

  it('takes the HTTP endpoint’s buffering hints, retry duration and attribute limits', () => {
    expect(() => build({ bufferSizeBytes: MIB / 2 })).toThrow(HttpEndpointConfigurationError);
    expect(() => build({ bufferSizeBytes: 65 * MIB })).toThrow(/SizeInMBs/);
    expect(() => build({ bufferIntervalSeconds: 901 })).toThrow(/IntervalInSeconds/);
    expect(() => build({}, { retryDurationSeconds: 7_201 })).toThrow(/DurationInSeconds/);
    expect(() => build({}, { accessKey: 'k'.repeat(4097) })).toThrow(/access key/);
    expect(() =>
      build({}, { commonAttributes: Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`a${i}`, 'v'])) }),
    ).toThrow(/50/);
    expect(() =>
      build({ bufferSizeBytes: 64 * MIB, bufferIntervalSeconds: 0 }, { retryDurationSeconds: 7_200 }),
    ).not.toThrow();
  });

  it('has no processor and no dynamic partitioning', () => {
    expect(() => build({}, {}, { transform: (event) => event })).toThrow(/no processor/);
    expect(() => build({ dynamicPartitioning: true })).toThrow(/dynamic partitioning/);
  });
});
