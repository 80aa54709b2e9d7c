import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import type * as KinesisSdk from '@aws-sdk/client-kinesis';
import type * as S3Sdk from '@aws-sdk/client-s3';
import type { Context, S3Event } from 'aws-lambda';
import { type AwsClientStub, mockClient } from 'aws-sdk-client-mock';
import { loadDropConfig } from '../../../shared/ingest/s3-drop-config';

const context = {
  functionName: 's3Drop',
  awsRequestId: 'req-1',
  getRemainingTimeInMillis: () => 900_000,
} as unknown as Context;
const sampleEvent = () =>
  JSON.parse(readFileSync(join(__dirname, '..', '..', '..', 'events', 's3-drop.json'), 'utf8')) as S3Event;

type Handler = (
  event: S3Event,
  context: Context,
) => Promise<{ files: { key: string; sent: number; rejected: number }[] }>;

interface Loaded {
  handler: Handler;
  s3: AwsClientStub<S3Sdk.S3Client>;
  kinesis: AwsClientStub<KinesisSdk.KinesisClient>;
  /** The SDK modules of the handler's registry (commands are matched by class). */
  S3: typeof S3Sdk;
  Kinesis: typeof KinesisSdk;
}

/** The handler in a fresh module registry, with the SDK clients of that registry mocked. */
const loadHandler = (env: Record<string, string | undefined>): Loaded => {
  const saved = { ...process.env };
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  try {
    let loaded: Loaded | undefined;
    jest.isolateModules(() => {
      const S3 = require('@aws-sdk/client-s3') as typeof S3Sdk;
      const Kinesis = require('@aws-sdk/client-kinesis') as typeof KinesisSdk;
      const s3 = mockClient(S3.S3Client);
      const kinesis = mockClient(Kinesis.KinesisClient);
      const { handler } = require('../../../functions/s3-drop/handler') as { handler: Handler };
      loaded = { handler, s3, kinesis, S3, Kinesis };
    });
    return loaded as Loaded;
  } finally {
    process.env = saved;
  }
};

const NO_ENDPOINTS = {
  AWS_ENDPOINT_URL: undefined,
  AWS_ENDPOINT_URL_S3: undefined,
  AWS_ENDPOINT_URL_KINESIS: undefined,
};

describe('drop config', () => {
  it('has defaults for everything but the stream', () => {
    expect(loadDropConfig({ STREAM_NAME: 'events' })).toEqual({
      streamName: 'events',
      ingestPrefix: 'ingest/',
      reportPrefix: 'failed-requests/',
      maxRecordBytes: 1024 * 1024,
      maxReportedRecords: 1_000,
      batchMaxBytes: 1024 * 1024,
      putMaxAttempts: 8,
      timeMarginMs: 30_000,
    });
  });

  it('names what is wrong', () => {
    expect(() => loadDropConfig({})).toThrow('Missing required environment variable STREAM_NAME');
    expect(() => loadDropConfig({ STREAM_NAME: 's', DROP_REPORT_PREFIX: 'reports' })).toThrow(
      "DROP_REPORT_PREFIX must end with '/'",
    );
    expect(() => loadDropConfig({ STREAM_NAME: 's', DROP_MAX_RECORD_BYTES: '5000000' })).toThrow(
      'DROP_MAX_RECORD_BYTES must be an integer',
    );
  });
});

describe('s3-drop handler', () => {
  it('fails at cold start naming a missing variable', () => {
    expect(() => loadHandler({ STREAM_NAME: undefined })).toThrow('Missing required environment variable STREAM_NAME');
  });

  it('runs the sample event: decodes the key, gunzips, sends the meters, reports the bad one', async () => {
    const meters = [
      {
        customerId: 'acme-corp',
        meterApiName: 'api_calls',
        meterValue: 3,
        meterTimeInMillis: 1795400000000,
        uniqueId: 'm-1',
      },
      { customerId: 'acme-corp', meterApiName: 'api_calls', meterValue: 'x', meterTimeInMillis: 1795400000001 },
    ];
    const { handler, s3, kinesis, S3, Kinesis } = loadHandler({ STREAM_NAME: 'events', AWS_REGION: 'us-east-1' });
    const { GetObjectCommand, PutObjectCommand } = S3;
    const { PutRecordsCommand } = Kinesis;
    s3.on(GetObjectCommand).callsFake(() => ({
      Body: Readable.from([gzipSync(meters.map((m) => JSON.stringify(m)).join('\n'))]),
    }));
    s3.on(PutObjectCommand).resolves({});
    kinesis.on(PutRecordsCommand).callsFake((input: { Records: unknown[] }) => ({
      FailedRecordCount: 0,
      Records: input.Records.map(() => ({ SequenceNumber: '1', ShardId: 'shardId-000000000000' })),
    }));

    const { files } = await handler(sampleEvent(), context);

    expect(s3.commandCalls(GetObjectCommand)[0]?.args[0].input).toEqual({
      Bucket: 'usage-pipeline-dev-lake-local',
      Key: 'ingest/11-23-2026/acme meters+2026-11-23.ndjson.gz',
    });
    expect(files).toEqual([
      expect.objectContaining({ key: 'ingest/11-23-2026/acme meters+2026-11-23.ndjson.gz', sent: 1, rejected: 1 }),
    ]);
    expect(kinesis.commandCalls(PutRecordsCommand)[0]?.args[0].input).toMatchObject({
      StreamName: 'events',
      Records: [{ PartitionKey: 'acme-corp' }],
    });
    expect(s3.commandCalls(PutObjectCommand)[0]?.args[0].input.Key).toMatch(
      /^failed-requests\/\d{2}-\d{2}-\d{4}\/ingest\/11-23-2026\/acme meters\+2026-11-23\.ndjson\.gz\.reason\.txt$/,
    );
  });

  it('explains how to run it when there are neither credentials nor local endpoints', async () => {
    const { handler, s3, S3 } = loadHandler({ STREAM_NAME: 'events', ...NO_ENDPOINTS });
    s3.on(S3.GetObjectCommand).rejects(
      Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' }),
    );

    await expect(handler(sampleEvent(), context)).rejects.toThrow(
      /Could not load credentials from any providers\. The s3Drop function reads the dropped object from S3.*npm start -- --keep-running/,
    );
  });
});
