import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { FirehoseClient, PutRecordBatchCommand, ResourceNotFoundException } from '@aws-sdk/client-firehose';
import { KinesisClient, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import {
  CopyObjectCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  NoSuchKey,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import type { PipelineDefinition } from '../../../infra/local/pipeline/serverless-config';
import { defaultWaveSeconds, main, partitionOfFor, type RedriveCliDeps } from '../../../scripts/redrive';
import { RedriveError, type RedriveErrorsOptions, redriveErrors, redriveQuarantine } from '../../../shared/redrive';

// --- An in-memory bucket behind the S3 mock: the re-drive's effects are read back from it -------

const s3Mock = mockClient(S3Client);
const firehoseMock = mockClient(FirehoseClient);
const kinesisMock = mockClient(KinesisClient);

const BUCKET = 'lake';
let objects: Map<string, Buffer>;
/** The S3 calls that change something, in order: `Copy a→b`, `Delete a`, `Put a`. */
let writes: string[];

const etagOf = (body: Buffer) => `"${createHash('md5').update(body).digest('hex')}"`;
const toBuffer = (body: unknown): Buffer =>
  typeof body === 'string' ? Buffer.from(body) : Buffer.from(body as Uint8Array);
const noSuchKey = () =>
  new NoSuchKey({ message: 'The specified key does not exist.', $metadata: { httpStatusCode: 404 } });

const installFakeS3 = () => {
  s3Mock.on(ListObjectsV2Command).callsFake((input: { Prefix?: string }) => ({
    IsTruncated: false,
    Contents: [...objects.keys()]
      .filter((key) => key.startsWith(input.Prefix ?? ''))
      .sort()
      .map((Key) => ({ Key })),
  }));
  s3Mock.on(GetObjectCommand).callsFake((input: { Key: string }) => {
    const body = objects.get(input.Key);
    if (!body) throw noSuchKey();
    return { Body: Readable.from([body]), ETag: etagOf(body) };
  });
  s3Mock.on(PutObjectCommand).callsFake((input: { Key: string; Body: unknown }) => {
    writes.push(`Put ${input.Key}`);
    objects.set(input.Key, toBuffer(input.Body));
    return { ETag: etagOf(toBuffer(input.Body)) };
  });
  s3Mock.on(CopyObjectCommand).callsFake((input: { Key: string; CopySource: string; CopySourceIfMatch?: string }) => {
    const source = decodeURI(input.CopySource.slice(input.CopySource.indexOf('/') + 1));
    const body = objects.get(source);
    if (!body) throw noSuchKey();
    if (input.CopySourceIfMatch !== undefined && input.CopySourceIfMatch !== etagOf(body)) {
      throw new S3ServiceException({
        name: 'PreconditionFailed',
        $fault: 'client',
        message: 'At least one of the pre-conditions you specified did not hold',
        $metadata: {},
      });
    }
    writes.push(`Copy ${source} -> ${input.Key}`);
    objects.set(input.Key, body);
    return { CopyObjectResult: { ETag: etagOf(body) } };
  });
  s3Mock.on(DeleteObjectCommand).callsFake((input: { Key: string }) => {
    writes.push(`Delete ${input.Key}`);
    objects.delete(input.Key);
    return {};
  });
};

/** Firehose accepting everything, remembering each call's records as text. */
let firehoseCalls: string[][];
const acceptAll = (onCall: (call: number) => void = () => undefined) =>
  firehoseMock.on(PutRecordBatchCommand).callsFake((input: { Records: { Data: Uint8Array }[] }) => {
    firehoseCalls.push(input.Records.map(({ Data }) => Buffer.from(Data).toString()));
    onCall(firehoseCalls.length);
    return {
      FailedPutCount: 0,
      RequestResponses: input.Records.map((_, i) => ({ RecordId: `r${firehoseCalls.length}-${i}` })),
    };
  });

beforeEach(() => {
  s3Mock.reset();
  firehoseMock.reset();
  kinesisMock.reset();
  objects = new Map();
  writes = [];
  firehoseCalls = [];
  installFakeS3();
});

const s3 = () => new S3Client({ region: 'us-east-1' });
const firehose = () => new FirehoseClient({ region: 'us-east-1' });
const kinesis = () => new KinesisClient({ region: 'us-east-1' });

const errorLine = (data: string, errorCode = 'DynamicPartitioning.ActivePartitionsLimitExceeded') =>
  JSON.stringify({
    attemptsMade: 1,
    arrivalTimestamp: 1_773_500_966_000,
    errorCode,
    errorMessage: 'The number of active partitions exceeded the limit of 500.',
    attemptEndingTimestamp: 1_773_500_967_000,
    rawData: Buffer.from(data).toString('base64'),
  });
const ndjson = (records: readonly string[]) => `${records.map((data) => errorLine(data)).join('\n')}\n`;
const events = (prefix: string, count: number) => Array.from({ length: count }, (_, i) => `{"id":"${prefix}-${i}"}`);

const PF = 'errors/partitioning-failed/year=2026/month=03/day=14/hour=15';
const PROC = 'errors/processing-failed/year=2026/month=03/day=14/hour=15';

const run = (overrides: Partial<RedriveErrorsOptions> = {}, lines: string[] = []) =>
  redriveErrors(
    { s3: s3(), firehose: firehose() },
    {
      bucket: BUCKET,
      deliveryStreamName: 'delivery',
      sleep: async () => {},
      log: (line) => void lines.push(line),
      ...overrides,
    },
  );

describe('redriveErrors', () => {
  it('re-drives gzip and plain objects (detected by their bytes, not the key) and moves them', async () => {
    const gzipKey = `${PF}/delivery-1-2026-03-14-15-09-26-a`; // gzip without .gz
    const plainKey = `${PROC}/delivery-1-2026-03-14-15-09-26-b.gz`; // plain despite .gz
    objects.set(gzipKey, gzipSync(ndjson(events('g', 3))));
    objects.set(plainKey, Buffer.from(ndjson(events('p', 2))));
    acceptAll();

    const result = await run();

    expect(firehoseCalls).toEqual([events('g', 3), events('p', 2)]);
    expect(result).toMatchObject({
      mode: 'errors',
      dryRun: false,
      found: 2,
      objects: 2,
      records: 5,
      interrupted: false,
      skipped: [],
    });
    expect(result.byType).toEqual({ 'partitioning-failed': 3, 'processing-failed': 2 });
    expect([...objects.keys()].sort()).toEqual([`redriven/${gzipKey}`, `redriven/${plainKey}`]);
  });

  it('moves by copying then deleting the original, then drops the marker', async () => {
    const key = `${PF}/one`;
    objects.set(key, Buffer.from(ndjson(events('a', 2))));
    const etag = etagOf(objects.get(key) as Buffer);
    acceptAll();

    await run();

    expect(writes).toEqual([
      `Put redrive-progress/${key}.json`,
      `Copy ${key} -> redriven/${key}`,
      `Delete ${key}`,
      `Delete redrive-progress/${key}.json`,
    ]);
    const copy = s3Mock.commandCalls(CopyObjectCommand)[0]?.args[0].input;
    expect(copy).toEqual({
      Bucket: BUCKET,
      Key: `redriven/${key}`,
      CopySource: `${BUCKET}/${key}`,
      CopySourceIfMatch: etag,
    });
    expect(s3Mock.commandCalls(DeleteObjectCommand).some((call) => call.args[0].input.Key === key)).toBe(true);
  });

  it('a second run re-drives nothing', async () => {
    objects.set(`${PF}/one`, Buffer.from(ndjson(events('a', 2))));
    acceptAll();
    await run();

    const again = await run();

    expect(again).toMatchObject({ found: 0, objects: 0, records: 0 });
    expect(firehoseCalls).toHaveLength(1);
  });

  it('sends at most 500 records and 4 MiB per PutRecordBatch call', async () => {
    objects.set(`${PF}/many`, gzipSync(ndjson(events('m', 1_201))));
    const big = Array.from({ length: 9 }, (_, i) => `${i}`.padEnd(900 * 1024, 'x'));
    objects.set(`${PF}/big`, Buffer.from(ndjson(big)));
    acceptAll();

    const result = await run();

    // `big` sorts first.
    expect(firehoseCalls.map((call) => call.length)).toEqual([4, 4, 1, 500, 500, 201]);
    for (const call of firehoseCalls)
      expect(call.reduce((sum, data) => sum + data.length, 0)).toBeLessThanOrEqual(4 * 1024 * 1024);
    expect(result.records).toBe(1_210);
  });

  it('retries only the entries Firehose refused', async () => {
    objects.set(`${PF}/one`, Buffer.from(ndjson(events('a', 4))));
    firehoseMock.on(PutRecordBatchCommand).callsFake((input: { Records: { Data: Uint8Array }[] }) => {
      const data = input.Records.map(({ Data }) => Buffer.from(Data).toString());
      firehoseCalls.push(data);
      const first = firehoseCalls.length === 1;
      return {
        FailedPutCount: first ? 2 : 0,
        RequestResponses: data.map((text, i) =>
          first && i % 2 === 1
            ? { ErrorCode: 'ServiceUnavailableException', ErrorMessage: 'Slow down.' }
            : { RecordId: text },
        ),
      };
    });

    const result = await run();

    expect(firehoseCalls).toEqual([events('a', 4), [events('a', 4)[1], events('a', 4)[3]]]);
    expect(result.objects).toBe(1);
    expect(objects.has(`redriven/${PF}/one`)).toBe(true);
  });

  it('gives up after 8 attempts: one-line error, object left in place, marker at the accepted prefix', async () => {
    const key = `${PF}/stuck`;
    objects.set(key, Buffer.from(ndjson(['ok-0', 'ok-1', 'bad', 'ok-3'])));
    firehoseMock.on(PutRecordBatchCommand).callsFake((input: { Records: { Data: Uint8Array }[] }) => ({
      FailedPutCount: 1,
      RequestResponses: input.Records.map(({ Data }) =>
        Buffer.from(Data).toString() === 'bad'
          ? { ErrorCode: 'InternalFailure', ErrorMessage: 'boom' }
          : { RecordId: 'x' },
      ),
    }));

    const failure = run().then(
      () => undefined,
      (error: unknown) => error,
    );

    const error = await failure;
    expect(error).toBeInstanceOf(RedriveError);
    expect((error as Error).message).toBe(
      `PutRecordBatch delivery failed: 1 of 4 records still refused after 8 attempts (InternalFailure: boom); s3://lake/${key} left in place with 2 of 4 records done`,
    );
    expect(firehoseMock.commandCalls(PutRecordBatchCommand)).toHaveLength(8);
    expect(objects.has(key)).toBe(true);
    expect(JSON.parse(String(objects.get(`redrive-progress/${key}.json`)))).toEqual({
      key,
      etag: etagOf(objects.get(key) as Buffer),
      recordsDone: 2,
    });
  });

  it('stops at once on a client error from PutRecordBatch', async () => {
    objects.set(`${PF}/one`, Buffer.from(ndjson(['a'])));
    firehoseMock
      .on(PutRecordBatchCommand)
      .rejects(
        new ResourceNotFoundException({ message: 'Firehose delivery not found.', $metadata: { httpStatusCode: 400 } }),
      );

    await expect(run()).rejects.toThrow(
      /PutRecordBatch delivery failed: 1 of 1 records still refused after 1 attempts \(ResourceNotFoundException/,
    );
  });

  it('resumes after an interruption from the progress marker, re-putting nothing', async () => {
    const key = `${PF}/long`;
    const data = events('l', 1_200);
    objects.set(key, gzipSync(ndjson(data)));
    const controller = new AbortController();
    acceptAll((call) => {
      if (call === 1) controller.abort(); // Ctrl-C while the first chunk is in flight
    });

    const first = await run({ signal: controller.signal });

    expect(first).toMatchObject({ interrupted: true, objects: 0, records: 500 });
    expect(objects.has(key)).toBe(true);
    expect(JSON.parse(String(objects.get(`redrive-progress/${key}.json`)))).toEqual({
      key,
      etag: etagOf(objects.get(key) as Buffer),
      recordsDone: 500,
    });

    const lines: string[] = [];
    const second = await run({}, lines);

    expect(second).toMatchObject({ interrupted: false, objects: 1, records: 700 });
    expect(firehoseCalls.flat()).toEqual(data);
    expect(lines).toContain(`[1/1] ${key}: resuming after 500 of 1200 records`);
    expect([...objects.keys()]).toEqual([`redriven/${key}`]);
  });

  it('ignores a marker written for other content (ETag differs)', async () => {
    const key = `${PF}/replaced`;
    objects.set(key, Buffer.from(ndjson(events('r', 3))));
    objects.set(`redrive-progress/${key}.json`, Buffer.from(JSON.stringify({ key, etag: '"old"', recordsDone: 2 })));
    acceptAll();

    const result = await run();

    expect(firehoseCalls).toEqual([events('r', 3)]);
    expect(result.records).toBe(3);
    expect(objects.has(`redrive-progress/${key}.json`)).toBe(false);
  });

  it('finishes the move of an object whose records were all done, and deletes orphaned markers', async () => {
    const key = `${PF}/done`;
    objects.set(key, Buffer.from(ndjson(events('d', 2))));
    objects.set(
      `redrive-progress/${key}.json`,
      Buffer.from(JSON.stringify({ key, etag: etagOf(objects.get(key) as Buffer), recordsDone: 2 })),
    );
    objects.set(`redrive-progress/${PF}/gone.json`, Buffer.from('{}'));
    acceptAll();

    const result = await run();

    expect(firehoseCalls).toEqual([]);
    expect(result).toMatchObject({ objects: 1, records: 0 });
    expect([...objects.keys()]).toEqual([`redriven/${key}`]);
  });

  it('dry run changes nothing and reports what would be re-driven', async () => {
    const resumed = `${PF}/half`;
    objects.set(resumed, gzipSync(ndjson(events('h', 10))));
    objects.set(
      `redrive-progress/${resumed}.json`,
      Buffer.from(JSON.stringify({ key: resumed, etag: etagOf(objects.get(resumed) as Buffer), recordsDone: 4 })),
    );
    objects.set(`redrive-progress/${PF}/orphan.json`, Buffer.from('{}'));
    objects.set(`${PROC}/p`, Buffer.from(ndjson(events('p', 3))));
    const before = new Map(objects);
    acceptAll();
    const lines: string[] = [];

    const result = await run({ dryRun: true }, lines);

    expect(result).toMatchObject({
      dryRun: true,
      found: 2,
      objects: 2,
      records: 9,
      byType: { 'partitioning-failed': 6, 'processing-failed': 3 },
    });
    expect(writes).toEqual([]);
    expect(objects).toEqual(before);
    expect(firehoseMock.commandCalls(PutRecordBatchCommand)).toHaveLength(0);
    expect(lines).toContain(`[2/2] ${PROC}/p: would re-drive 3 records (processing-failed)`);
  });

  it('skips an object that is not error records, leaving it in place, and re-drives the rest', async () => {
    objects.set(`${PF}/a-bad`, Buffer.from(`${errorLine('x')}\n{oops\n`));
    objects.set(`${PF}/b-good`, Buffer.from(ndjson(['y'])));
    acceptAll();

    const result = await run();

    expect(result.skipped).toEqual([{ key: `${PF}/a-bad`, reason: 'line 2 is not JSON' }]);
    expect(firehoseCalls).toEqual([['y']]);
    expect(objects.has(`${PF}/a-bad`)).toBe(true);
  });

  it('lists only the --type asked for', async () => {
    objects.set(`${PF}/a`, Buffer.from(ndjson(['a'])));
    objects.set(`${PROC}/b`, Buffer.from(ndjson(['b'])));
    acceptAll();

    const result = await run({ types: ['processing-failed'] });

    expect(firehoseCalls).toEqual([['b']]);
    expect(result.sources).toEqual(['errors/processing-failed/']);
    expect(objects.has(`${PF}/a`)).toBe(true);
  });

  describe('partition waves', () => {
    const record = (partition: string, i: number) => `{"p":"${partition}","i":${i}}`;
    const partitionOf = (data: Buffer) => (JSON.parse(data.toString()) as { p: string }).p;

    it('sends at most maxPartitions distinct partitions per wave and waits between waves, across objects', async () => {
      objects.set(`${PF}/1`, Buffer.from(ndjson(['a', 'a', 'b', 'c', 'a'].map(record))));
      objects.set(`${PF}/2`, Buffer.from(ndjson(['a', 'd', 'e', 'b'].map(record))));
      acceptAll();
      const timeline: string[] = [];
      firehoseMock.on(PutRecordBatchCommand).callsFake((input: { Records: { Data: Uint8Array }[] }) => {
        const partitions = input.Records.map(({ Data }) => partitionOf(Buffer.from(Data)));
        timeline.push(`put ${partitions.join('')}`);
        return { FailedPutCount: 0, RequestResponses: partitions.map(() => ({ RecordId: 'x' })) };
      });
      const lines: string[] = [];

      const result = await run(
        {
          partitionOf,
          maxPartitions: 2,
          waveSeconds: 7,
          sleep: async (ms) => void timeline.push(`sleep ${ms}`),
        },
        lines,
      );

      // Each object's records are grouped by partition first (1: a a a b c; 2: a d e b), so a wave
      // carries whole partitions; the wave goes on across objects.
      expect(timeline).toEqual([
        'put aaab',
        'sleep 7000',
        'put c',
        'put a',
        'sleep 7000',
        'put de',
        'sleep 7000',
        'put b',
      ]);
      expect(lines.filter((line) => line.startsWith('waiting'))).toEqual(
        Array.from({ length: 3 }, () => 'waiting 7 s for Firehose to close 2 partitions…'),
      );
      expect(result.records).toBe(9);
    });

    it('never waits without partitionOf (every record is the same partition)', async () => {
      objects.set(`${PF}/1`, Buffer.from(ndjson(['a', 'b', 'c'].map(record))));
      acceptAll();
      const sleeps: number[] = [];

      await run({ maxPartitions: 1, sleep: async (ms) => void sleeps.push(ms) });

      expect(sleeps).toEqual([]);
      expect(firehoseCalls).toHaveLength(1);
    });

    it('an interruption during a wave wait stops at once, with the marker already written', async () => {
      const key = `${PF}/1`;
      objects.set(key, Buffer.from(ndjson(['a', 'b'].map(record))));
      acceptAll();
      const controller = new AbortController();

      const result = await run({
        partitionOf,
        maxPartitions: 1,
        signal: controller.signal,
        // A wait that only ends by the signal.
        sleep: () => {
          controller.abort();
          return new Promise<void>(() => undefined);
        },
      });

      expect(result).toMatchObject({ interrupted: true, records: 1 });
      expect(JSON.parse(String(objects.get(`redrive-progress/${key}.json`)))).toMatchObject({ recordsDone: 1 });
    });
  });
});

// --- Quarantine ------------------------------------------------------------------------------

const quarantineObject = (partitionKey: string, data: string, reason = 'MALFORMED_JSON') =>
  Buffer.from(
    `${JSON.stringify({
      reason,
      message: 'Record is not valid JSON',
      quarantinedAt: '2026-03-14T15:09:27.000Z',
      origin: {
        shardId: 'shardId-000000000000',
        partitionKey,
        sequenceNumber: '1',
        approximateArrivalTimestamp: '2026-03-14T15:09:26.000Z',
      },
      dataBase64: Buffer.from(data).toString('base64'),
      dataText: data,
    })}\n`,
  );
const QKEY = (reason: string, n: number) => `quarantine/${reason}/2026/03/14/shardId-000000000000-${n}.json`;

let kinesisCalls: { partitionKey: string; data: string }[][];
const kinesisAcceptAll = () =>
  kinesisMock.on(PutRecordsCommand).callsFake((input: { Records: { PartitionKey: string; Data: Uint8Array }[] }) => {
    kinesisCalls.push(
      input.Records.map((r) => ({ partitionKey: r.PartitionKey, data: Buffer.from(r.Data).toString() })),
    );
    return {
      FailedRecordCount: 0,
      Records: input.Records.map((_, i) => ({
        SequenceNumber: `${kinesisCalls.length}${i}`,
        ShardId: 'shardId-000000000000',
      })),
    };
  });

describe('redriveQuarantine', () => {
  beforeEach(() => {
    kinesisCalls = [];
  });
  const runQuarantine = (overrides: Partial<Parameters<typeof redriveQuarantine>[1]> = {}) =>
    redriveQuarantine(
      { s3: s3(), kinesis: kinesis() },
      { bucket: BUCKET, streamName: 'events', reason: 'MALFORMED_JSON', sleep: async () => {}, ...overrides },
    );

  it('puts each record back with its partition key and bytes, then moves it; other reasons stay', async () => {
    objects.set(QKEY('MALFORMED_JSON', 1), quarantineObject('acme', '{"a":'));
    objects.set(QKEY('MALFORMED_JSON', 2), quarantineObject('globex', 'nope'));
    objects.set(QKEY('UNKNOWN_SOURCE', 3), quarantineObject('initech', '{}', 'UNKNOWN_SOURCE'));
    kinesisAcceptAll();

    const result = await runQuarantine();

    expect(kinesisCalls).toEqual([
      [{ partitionKey: 'acme', data: '{"a":' }],
      [{ partitionKey: 'globex', data: 'nope' }],
    ]);
    expect(result).toMatchObject({
      mode: 'quarantine',
      objects: 2,
      records: 2,
      byType: { MALFORMED_JSON: 2 },
      movedTo: 'redriven/quarantine/MALFORMED_JSON/',
    });
    expect([...objects.keys()].sort()).toEqual([
      QKEY('UNKNOWN_SOURCE', 3),
      `redriven/${QKEY('MALFORMED_JSON', 1)}`,
      `redriven/${QKEY('MALFORMED_JSON', 2)}`,
    ]);
    expect(writes.slice(0, 2)).toEqual([
      `Copy ${QKEY('MALFORMED_JSON', 1)} -> redriven/${QKEY('MALFORMED_JSON', 1)}`,
      `Delete ${QKEY('MALFORMED_JSON', 1)}`,
    ]);
    expect((await runQuarantine()).found).toBe(0);
  });

  it('retries failed entries, then fails with one line and leaves the object in place', async () => {
    objects.set(QKEY('MALFORMED_JSON', 1), quarantineObject('acme', 'x'));
    kinesisMock.on(PutRecordsCommand).resolves({
      FailedRecordCount: 1,
      Records: [{ ErrorCode: 'ProvisionedThroughputExceededException', ErrorMessage: 'Rate exceeded for shard' }],
    });

    await expect(runQuarantine()).rejects.toThrow(
      new RedriveError(
        `PutRecords events failed after 8 attempts (ProvisionedThroughputExceededException: Rate exceeded for shard); s3://lake/${QKEY('MALFORMED_JSON', 1)} left in place`,
      ),
    );
    expect(kinesisMock.commandCalls(PutRecordsCommand)).toHaveLength(8);
    expect(objects.has(QKEY('MALFORMED_JSON', 1))).toBe(true);
  });

  it('dry run changes nothing', async () => {
    objects.set(QKEY('MALFORMED_JSON', 1), quarantineObject('acme', 'x'));
    const before = new Map(objects);

    const result = await runQuarantine({ dryRun: true });

    expect(result).toMatchObject({ dryRun: true, objects: 1, records: 1 });
    expect(objects).toEqual(before);
    expect(kinesisMock.commandCalls(PutRecordsCommand)).toHaveLength(0);
  });

  it('stops after the current object when interrupted', async () => {
    for (const n of [1, 2, 3]) objects.set(QKEY('MALFORMED_JSON', n), quarantineObject('acme', `${n}`));
    const controller = new AbortController();
    kinesisMock.on(PutRecordsCommand).callsFake(() => {
      controller.abort();
      return { FailedRecordCount: 0, Records: [{ SequenceNumber: '1', ShardId: 's' }] };
    });

    const result = await runQuarantine({ signal: controller.signal });

    expect(result).toMatchObject({ interrupted: true, objects: 1, records: 1 });
    expect(objects.has(`redriven/${QKEY('MALFORMED_JSON', 1)}`)).toBe(true);
    expect(objects.has(QKEY('MALFORMED_JSON', 2))).toBe(true);
  });
});

// --- The CLI ---------------------------------------------------------------------------------

const DEFINITION = {
  service: 'usage-pipeline',
  stage: 'dev',
  region: 'eu-west-1',
  bucket: 'Usage-Pipeline-Dev-Lake',
  stream: { name: 'usage-pipeline-dev-events', shardCount: 1 },
  consumer: { environment: { QUARANTINE_PREFIX: 'quarantine/' } },
  transformer: { environment: { LAKE_EVENT_TYPES: 'page_view' } },
  firehose: {
    deliveryStreamName: 'usage-pipeline-dev-delivery',
    errorOutputPrefix: 'errors/!{firehose:error-output-type}/year=!{timestamp:yyyy}/',
    bufferIntervalSeconds: 60,
    processor: { bufferSizeBytes: 1_048_576, bufferIntervalSeconds: 30, numberOfRetries: 3 },
  },
} as unknown as PipelineDefinition;

const cli = async (argv: string[], overrides: Partial<RedriveCliDeps> = {}) => {
  const out: string[] = [];
  const err: string[] = [];
  const stages: string[] = [];
  const code = await main(argv, {
    env: { AWS_REGION: 'us-east-1' },
    loadDefinition: async (stage) => {
      stages.push(stage);
      return DEFINITION;
    },
    stdout: (text) => void out.push(text),
    stderr: (text) => void err.push(text),
    onSignal: () => () => undefined,
    exitNow: () => undefined,
    sleep: async () => {},
    ...overrides,
  });
  const lines = (chunks: string[]) => chunks.join('').split('\n').filter(Boolean);
  return { code, stdout: lines(out), stderr: lines(err), stages };
};
const LAKE = 'usage-pipeline-dev-lake';

describe('npm run redrive (main)', () => {
  it.each([
    [['errors', '--bogus']],
    [['nope']],
    [[]],
    [['quarantine']],
    [['quarantine', '--reason', 'NOT_A_CODE']],
    [['errors', '--max-partitions', 'many']],
    [['errors', '--type']],
  ])('%j: exit 2, one line on stderr, nothing else', async (argv) => {
    const { code, stdout, stderr, stages } = await cli(argv);

    expect(code).toBe(2);
    expect(stderr).toHaveLength(1);
    expect(stderr[0]).toMatch(/^redrive: \S/);
    expect(stderr[0]).not.toMatch(/\s+at\s/);
    expect(stdout).toEqual([]);
    expect(stages).toEqual([]);
  });

  it('--help prints the usage', async () => {
    const { code, stdout } = await cli(['--help']);
    expect(code).toBe(0);
    expect(stdout[0]).toBe('Usage: npm run redrive -- errors [options]');
  });

  it('takes the names from the stage (bucket lower-cased) and ends with the JSON line', async () => {
    objects.set(`errors/partitioning-failed/year=2026/x.gz`, gzipSync(ndjson(events('x', 3))));
    acceptAll();
    const { code, stdout, stderr, stages } = await cli(['errors', '--json', '--stage', 'prod']);

    expect(code).toBe(0);
    expect(stages).toEqual(['prod']);
    expect(s3Mock.commandCalls(ListObjectsV2Command)[0]?.args[0].input.Bucket).toBe(LAKE);
    expect(firehoseMock.commandCalls(PutRecordBatchCommand)[0]?.args[0].input.DeliveryStreamName).toBe(
      'usage-pipeline-dev-delivery',
    );
    expect(stdout).toEqual([
      `re-drove 3 records from 1 object (partitioning-failed 3) into usage-pipeline-dev-delivery; moved to s3://${LAKE}/redriven/errors/`,
      '{"mode":"errors","dryRun":false,"objects":1,"records":3,"byType":{"partitioning-failed":3}}',
    ]);
    expect(stderr[0]).toBe(
      `found 1 object under s3://${LAKE}/errors/partitioning-failed/, s3://${LAKE}/errors/processing-failed/`,
    );
  });

  it('honours the name overrides', async () => {
    objects.set(QKEY('MALFORMED_JSON', 1), quarantineObject('acme', 'x'));
    kinesisCalls = [];
    kinesisAcceptAll();

    const { code, stdout } = await cli([
      'quarantine',
      '--reason',
      'MALFORMED_JSON',
      '--bucket',
      'Other',
      '--stream',
      'my-stream',
      '--json',
    ]);

    expect(code).toBe(0);
    expect(s3Mock.commandCalls(ListObjectsV2Command)[0]?.args[0].input).toMatchObject({
      Bucket: 'other',
      Prefix: 'quarantine/MALFORMED_JSON/',
    });
    expect(kinesisMock.commandCalls(PutRecordsCommand)[0]?.args[0].input.StreamName).toBe('my-stream');
    expect(stdout.at(-1)).toBe(
      '{"mode":"quarantine","dryRun":false,"objects":1,"records":1,"byType":{"MALFORMED_JSON":1}}',
    );
  });

  it('says when there is nothing to re-drive, exit 0', async () => {
    const { code, stdout } = await cli(['quarantine', '--reason', 'EMPTY_RECORD']);
    expect(code).toBe(0);
    expect(stdout).toEqual([`nothing to re-drive: no objects under s3://${LAKE}/quarantine/EMPTY_RECORD/`]);
  });

  it('dry run: reports and changes nothing', async () => {
    objects.set(`errors/processing-failed/year=2026/x`, Buffer.from(ndjson(events('x', 2))));
    const { code, stdout } = await cli(['errors', '--dry-run', '--json']);
    expect(code).toBe(0);
    expect(stdout).toEqual([
      'dry run: would re-drive 2 records from 1 object (processing-failed 2) into usage-pipeline-dev-delivery; nothing was changed',
      '{"mode":"errors","dryRun":true,"objects":1,"records":2,"byType":{"processing-failed":2}}',
    ]);
    expect(writes).toEqual([]);
  });

  it('derives the wave wait from the Firehose buffering: 60 + 30 + 5 s', () => {
    expect(defaultWaveSeconds(DEFINITION)).toBe(95);
  });

  it('paces by the partition the transformer will give each record, under the stage layout', () => {
    const partitionOf = partitionOfFor(DEFINITION);
    const event = (eventType: string, time: string) =>
      Buffer.from(
        JSON.stringify({
          id: 'e',
          'detail-type': 'X',
          source: 's',
          time,
          receivedAt: time,
          detail: { eventType, clientId: 'acme' },
        }),
      );

    expect(partitionOf?.(event('page_view', '2026-03-14T15:08:00.000Z'))).toBe(
      'events/event_type=page_view/dt=2026-03-14/',
    );
    expect(partitionOf?.(event('unlisted', '2026-03-15T00:00:00.000Z'))).toBe(
      'events/event_type=_other/dt=2026-03-15/',
    );
    // A record the transformer would fail goes to the error output, not to a data partition.
    expect(partitionOf?.(Buffer.from('not json'))).toBeUndefined();
  });

  it('on SIGINT finishes the chunk, prints how to continue and exits 130', async () => {
    objects.set(`errors/partitioning-failed/year=2026/x`, Buffer.from(ndjson(events('x', 1_000))));
    let signal: () => void = () => undefined;
    acceptAll(() => signal());

    const { code, stdout, stderr } = await cli(['errors', '--json'], {
      onSignal: (handler) => {
        signal = handler;
        return () => undefined;
      },
    });

    expect(code).toBe(130);
    expect(stderr).toContain('interrupted: 500 records re-driven so far; run the same command again to continue');
    expect(stdout).toEqual([
      '{"mode":"errors","dryRun":false,"objects":0,"records":500,"byType":{"partitioning-failed":500},"interrupted":true}',
    ]);
    expect(firehoseCalls).toHaveLength(1);
  });

  it('a second signal stops at once', async () => {
    objects.set(`errors/partitioning-failed/year=2026/x`, Buffer.from(ndjson(['a'])));
    let signal: () => void = () => undefined;
    const exits: number[] = [];
    acceptAll(() => {
      signal();
      signal();
    });

    await cli(['errors'], {
      onSignal: (handler) => {
        signal = handler;
        return () => undefined;
      },
      exitNow: (code) => void exits.push(code),
    });

    expect(exits).toEqual([130]);
  });

  it('an AWS failure is one line naming the call, exit 1', async () => {
    s3Mock
      .on(ListObjectsV2Command)
      .rejects(
        new S3ServiceException({ name: 'AccessDenied', $fault: 'client', message: 'Access Denied', $metadata: {} }),
      );

    const { code, stdout, stderr } = await cli(['errors']);

    expect(code).toBe(1);
    expect(stdout).toEqual([]);
    expect(stderr).toEqual([
      `redrive: ListObjectsV2 s3://${LAKE}/errors/partitioning-failed/ failed: AccessDenied: Access Denied`,
    ]);
  });

  it('a serverless.yml that cannot be resolved is one line, exit 1', async () => {
    const { code, stderr } = await cli(['errors'], {
      loadDefinition: async () => {
        throw new Error('Command failed: osls print\nstack trace here');
      },
    });
    expect(code).toBe(1);
    expect(stderr).toEqual(['redrive: cannot resolve serverless.yml for stage dev: Error: Command failed: osls print']);
  });

  it('objects that could not be read are reported and make the exit code 1', async () => {
    objects.set(`errors/partitioning-failed/year=2026/bad`, Buffer.from('nope\n'));
    const { code, stdout, stderr } = await cli(['errors', '--json']);
    expect(code).toBe(1);
    expect(stderr).toContain(
      '[1/1] skipped errors/partitioning-failed/year=2026/bad: line 1 is not JSON; left in place',
    );
    expect(stdout.at(-1)).toBe('{"mode":"errors","dryRun":false,"objects":0,"records":0,"byType":{},"skipped":1}');
  });
});
