import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { S3Event } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import {
  type DropDependencies,
  decodeS3Key,
  encodeS3Key,
  processDropObject,
  processS3Event,
  StreamUnavailableError,
} from '../../../shared/ingest/s3-drop';
import { loadDropConfig } from '../../../shared/ingest/s3-drop-config';
import type { StreamRecordInput, WriteOutcome } from '../../../shared/ingest/stream-writer';

const s3 = mockClient(S3Client);
const NOW = new Date('2026-11-23T06:01:43.000Z');
const config = loadDropConfig({ STREAM_NAME: 'events' });
const silent = { info: jest.fn(), warn: jest.fn(), error: jest.fn() };

const meter = (i: number, overrides: Record<string, unknown> = {}) => ({
  customerId: `cust-${i % 3}`,
  meterApiName: 'api_calls',
  meterValue: i,
  meterTimeInMillis: Date.UTC(2026, 10, 23, 5, 0, 0, i),
  uniqueId: `u-${i}`,
  ...overrides,
});
const ndjson = (records: unknown[]) => records.map((record) => JSON.stringify(record)).join('\n');

/** A writer that accepts everything (or what `refuse` spares) and remembers each call. */
const fakeWriter = (refuse: (data: string) => string | undefined = () => undefined) => {
  const calls: StreamRecordInput[][] = [];
  return {
    calls,
    write: async (records: readonly StreamRecordInput[]): Promise<WriteOutcome[]> => {
      calls.push([...records]);
      return records.map((record) => {
        const code = refuse(Buffer.from(record.data).toString('utf8'));
        return code
          ? { ok: false as const, errorCode: code, errorMessage: 'Rate exceeded for shard' }
          : { ok: true as const, sequenceNumber: '1', shardId: 'shardId-000000000000' };
      });
    },
  };
};

const deps = (writer = fakeWriter()): DropDependencies & { writer: ReturnType<typeof fakeWriter> } => ({
  s3: new S3Client({ region: 'us-east-1' }),
  writer,
  logger: silent,
  now: () => NOW,
});

const serve = (body: Buffer | string | Readable, extra: Record<string, unknown> = {}) => {
  s3.on(GetObjectCommand).callsFake(() => ({
    Body: body instanceof Readable ? body : Readable.from([Buffer.from(body)]),
    ...extra,
  }));
  s3.on(PutObjectCommand).resolves({});
};

const reports = () =>
  s3
    .commandCalls(PutObjectCommand)
    .map((call) => ({ key: call.args[0].input.Key, body: String(call.args[0].input.Body) }));

const s3Event = (...keys: string[]): S3Event => ({
  Records: keys.map((key) => ({
    eventVersion: '2.1',
    eventSource: 'aws:s3',
    awsRegion: 'us-east-1',
    eventTime: NOW.toISOString(),
    eventName: 'ObjectCreated:Put',
    userIdentity: { principalId: 'AWS:X' },
    requestParameters: { sourceIPAddress: '127.0.0.1' },
    responseElements: { 'x-amz-request-id': 'r', 'x-amz-id-2': 'i' },
    s3: {
      s3SchemaVersion: '1.0',
      configurationId: 'drop',
      bucket: { name: 'lake', ownerIdentity: { principalId: 'X' }, arn: 'arn:aws:s3:::lake' },
      object: { key: encodeS3Key(key), size: 10, eTag: 'abc', sequencer: '0' },
    },
  })),
});

beforeEach(() => {
  s3.reset();
  jest.clearAllMocks();
});

describe('S3 event keys', () => {
  it.each([
    ['ingest/11-23-2026/my+file.json', 'ingest/11-23-2026/my file.json'],
    ['ingest/a%2Bb/%C3%A9t%C3%A9%3D1.ndjson', 'ingest/a+b/été=1.ndjson'],
    ['ingest/100%25+done%21.json', 'ingest/100% done!.json'],
    ['ingest/bad%E0%A4%A.json', 'ingest/bad%E0%A4%A.json'],
  ])('decodes %s', (encoded, key) => {
    expect(decodeS3Key(encoded)).toBe(key);
  });

  it('round-trips through the encoding S3 uses', () => {
    const key = 'ingest/11-23-2026/a b+c%d/é(1)=[x].json.gz';
    expect(encodeS3Key(key)).toBe('ingest/11-23-2026/a+b%2Bc%25d/%C3%A9(1)%3D%5Bx%5D.json.gz');
    expect(decodeS3Key(encodeS3Key(key))).toBe(key);
  });
});

describe('processDropObject', () => {
  it('sends every record of an NDJSON file with the clientId as partition key and the original bytes; no report', async () => {
    const lines = [meter(1), meter(2), meter(3)].map((record) => JSON.stringify(record));
    serve(`${lines.join('\r\n')}\r\n`);
    const d = deps();

    const result = await processDropObject({ bucket: 'lake', key: 'ingest/11-23-2026/a.ndjson' }, d, config);

    expect(result).toMatchObject({
      format: 'ndjson',
      records: 3,
      sent: 3,
      rejected: 0,
      refused: 0,
      bySource: { 'usage-meter': 3 },
    });
    expect(result.reportKey).toBeUndefined();
    expect(d.writer.calls.flat().map(({ partitionKey, data }) => [partitionKey, Buffer.from(data).toString()])).toEqual(
      [
        ['cust-1', lines[0]],
        ['cust-2', lines[1]],
        ['cust-0', lines[2]],
      ],
    );
    expect(reports()).toEqual([]);
  });

  it('reads a gzip JSON array and writes a report listing the bad records', async () => {
    const records = [
      meter(1),
      { ...meter(2), meterValue: 'three' },
      meter(3),
      { hello: 'world' },
      { ...meter(5), customerId: '' },
    ];
    const text = `[\n${records.map((record) => JSON.stringify(record)).join(',\n')},\n{"customerId": "x",}]\n`;
    serve(gzipSync(text));
    const d = deps();

    const result = await processDropObject({ bucket: 'lake', key: 'ingest/11-23-2026/vendor x.json.gz' }, d, config);

    expect(result).toMatchObject({
      compressed: true,
      format: 'json-array',
      records: 6,
      sent: 2,
      rejected: 4,
      rejectionReasons: { INVALID_METER_VALUE: 1, UNKNOWN_SOURCE: 1, MISSING_CLIENT_ID: 1, MALFORMED_JSON: 1 },
      reportKey: 'failed-requests/11-23-2026/ingest/11-23-2026/vendor x.json.gz.reason.txt',
    });
    const [report] = reports();
    expect(report?.key).toBe(result.reportKey);
    expect(report?.body).toContain('S3 drop report: RECORDS REJECTED');
    expect(report?.body).toContain('File        s3://lake/ingest/11-23-2026/vendor x.json.gz');
    expect(report?.body).toMatch(
      /record #2 \(line 3\) +INVALID_METER_VALUE: Usage meter meterValue must be a finite number, got "three"/,
    );
    expect(report?.body).toMatch(/record #4 \(line 5\) +UNKNOWN_SOURCE: /);
    expect(report?.body).toMatch(/record #6 \(line 7\) +MALFORMED_JSON: Record is not valid JSON/);
    expect(report?.body).toContain('{"customerId": "x",');
  });

  it('gunzips when S3 says Content-Encoding: gzip even without .gz in the key', async () => {
    serve(gzipSync(ndjson([meter(1)])), { ContentEncoding: 'gzip' });

    expect(await processDropObject({ bucket: 'lake', key: 'ingest/d/x' }, deps(), config)).toMatchObject({
      sent: 1,
      compressed: true,
    });
  });

  it('reports a .gz file that is not gzip as BAD_GZIP, sending nothing', async () => {
    serve(ndjson([meter(1)]));
    const d = deps();

    const result = await processDropObject({ bucket: 'lake', key: 'ingest/d/x.ndjson.gz' }, d, config);

    expect(result).toMatchObject({ records: 0, sent: 0, fileError: { code: 'BAD_GZIP' } });
    expect(d.writer.calls).toEqual([]);
    expect(reports()[0]?.body).toMatch(
      /FILE UNREADABLE[\s\S]*BAD_GZIP: The file cannot be gunzipped after 0 uncompressed bytes[\s\S]*No record could be read/,
    );
  });

  it('sends what a truncated gzip file held before the cut, and reports the cut', async () => {
    const full = gzipSync(ndjson(Array.from({ length: 2_000 }, (_, i) => meter(i))));
    serve(full.subarray(0, Math.floor(full.length * 0.6)));

    const result = await processDropObject({ bucket: 'lake', key: 'ingest/d/x.ndjson.gz' }, deps(), config);

    expect(result.fileError?.code).toBe('BAD_GZIP');
    expect(result.sent).toBeGreaterThan(100);
    expect(result.sent).toBeLessThan(2_000);
    expect(result.sent).toBe(result.records);
    expect(reports()[0]?.body).toContain(
      `The ${result.records} records before this point were handled as counted above`,
    );
  });

  it.each([
    [
      'a truncated array',
      '[{"customerId":"a","meterApiName":"m","meterValue":1,"meterTimeInMillis":1763870000000},{"customerId"',
      'TRUNCATED_ARRAY',
      1,
    ],
    ['a file that is not JSON', 'customerId,meterApiName\nacme,calls\n', 'NOT_JSON', 0],
    ['an empty file', '', 'EMPTY_FILE', 0],
  ])('reports %s as an unreadable file, sending what came before', async (_name, body, code, sent) => {
    serve(body);

    const result = await processDropObject({ bucket: 'lake', key: 'ingest/d/x.json' }, deps(), config);

    expect(result).toMatchObject({ sent, fileError: { code } });
    expect(reports()[0]?.body).toContain(`File error\n  ${code}: `);
  });

  it('hints at pretty-printed JSON when an NDJSON file starts with a lone brace', async () => {
    serve(JSON.stringify(meter(1), null, 2));

    const result = await processDropObject({ bucket: 'lake', key: 'ingest/d/x.json' }, deps(), config);

    expect(result.sent).toBe(0);
    expect(result.rejections[0]?.message).toContain('the file looks like pretty-printed JSON');
    expect(result.rejections[1]?.message).not.toContain('pretty-printed');
  });

  it('rejects a record over the size limit without buffering it', async () => {
    const big = JSON.stringify(meter(2, { dimensions: { pad: 'p'.repeat(200) } }));
    serve(`${JSON.stringify(meter(1))}\n${big}\n`);

    const result = await processDropObject({ bucket: 'lake', key: 'ingest/d/x' }, deps(), {
      ...config,
      maxRecordBytes: 100,
    });

    expect(result).toMatchObject({ sent: 0, rejected: 2, rejectionReasons: { RECORD_TOO_LARGE: 2 } });
    expect(result.rejections[1]).toMatchObject({ line: 2, excerpt: `${big.slice(0, 120)}…` });
  });

  it('batches ≤ 500 records per write and reads the file only as fast as batches are accepted', async () => {
    let chunksRead = 0;
    const chunks = function* () {
      for (let c = 0; c < 30; c++) {
        chunksRead++;
        yield Buffer.from(`${ndjson(Array.from({ length: 100 }, (_, i) => meter(c * 100 + i)))}\n`);
      }
    };
    serve(Readable.from(chunks(), { objectMode: false, highWaterMark: 1 }));
    const seenAtWrite: number[] = [];
    const writer = fakeWriter();
    const write = writer.write;
    writer.write = async (records) => {
      seenAtWrite.push(chunksRead);
      return write(records);
    };

    const result = await processDropObject({ bucket: 'lake', key: 'ingest/d/x' }, deps(writer), config);

    expect(result.sent).toBe(3_000);
    expect(writer.calls.map((call) => call.length)).toEqual([500, 500, 500, 500, 500, 500]);
    // The first batch went out long before the stream was read to its end.
    expect(seenAtWrite[0]).toBeLessThan(12);
    expect(seenAtWrite[seenAtWrite.length - 1]).toBe(30);
  });

  it('lists records Kinesis refused after its retries, and does not throw', async () => {
    serve(ndjson([meter(1), meter(2), meter(3)]));
    const d = deps(
      fakeWriter((data) => (data.includes('"u-2"') ? 'ProvisionedThroughputExceededException' : undefined)),
    );

    const result = await processDropObject({ bucket: 'lake', key: 'ingest/d/x' }, d, config);

    expect(result).toMatchObject({ sent: 2, refused: 1, refusalCodes: { ProvisionedThroughputExceededException: 1 } });
    expect(reports()[0]?.body).toMatch(
      /Refused by Kinesis after retries[^\n]*\n {2}line 2 +ProvisionedThroughputExceededException: Rate exceeded for shard/,
    );
  });

  it('throws when the stream refuses a whole batch (retry the file later), writing no report', async () => {
    serve(ndjson([meter(1), meter(2)]));

    await expect(
      processDropObject(
        { bucket: 'lake', key: 'ingest/d/x' },
        deps(fakeWriter(() => 'ResourceNotFoundException')),
        config,
      ),
    ).rejects.toThrow(StreamUnavailableError);
    expect(reports()).toEqual([]);
  });

  it('stops before the function times out and reports the file as incomplete', async () => {
    serve(ndjson(Array.from({ length: 1_000 }, (_, i) => meter(i))));
    let calls = 0;

    const result = await processDropObject({ bucket: 'lake', key: 'ingest/d/x' }, deps(), config, {
      remainingMs: () => (++calls < 700 ? 60_000 : 29_000),
    });

    expect(result.fileError).toMatchObject({ code: 'TIME_LIMIT', line: 700 });
    expect(result.fileError?.message).toContain('after 700 records (line 700)');
    expect(result.sent).toBe(700);
    expect(reports()[0]?.body).toContain('S3 drop report: INCOMPLETE');
  });
});

describe('processS3Event', () => {
  it('processes every object of the event, decoding keys, and skips what is outside the drop location', async () => {
    serve(ndjson([meter(1)]));
    const event = s3Event(
      'ingest/11-23-2026/a b.json',
      'ingest/11-23-2026/c+d.json',
      'failed-requests/x.reason.txt',
      'ingest/folder/',
    );

    const { files } = await processS3Event(event, deps(), config);

    expect(files.map((file) => [file.key, file.sent])).toEqual([
      ['ingest/11-23-2026/a b.json', 1],
      ['ingest/11-23-2026/c+d.json', 1],
    ]);
    expect(s3.commandCalls(GetObjectCommand).map((call) => call.args[0].input.Key)).toEqual([
      'ingest/11-23-2026/a b.json',
      'ingest/11-23-2026/c+d.json',
    ]);
    expect(silent.warn).toHaveBeenCalledTimes(2);
  });

  it('accepts the s3:TestEvent S3 sends when the notification is created', async () => {
    await expect(processS3Event({ Event: 's3:TestEvent' } as unknown as S3Event, deps(), config)).resolves.toEqual({
      files: [],
    });
  });

  it('skips an object deleted before it was read', async () => {
    s3.on(GetObjectCommand).rejects(
      Object.assign(new Error('The specified key does not exist.'), { name: 'NoSuchKey' }),
    );

    await expect(processS3Event(s3Event('ingest/d/gone.json'), deps(), config)).resolves.toEqual({ files: [] });
  });

  it('still processes the other objects when one fails unexpectedly, then throws so Lambda retries', async () => {
    let calls = 0;
    s3.on(GetObjectCommand).callsFake(() => {
      calls++;
      if (calls === 1) throw Object.assign(new Error('socket hang up'), { name: 'TimeoutError' });
      return { Body: Readable.from([Buffer.from(ndjson([meter(1)]))]) };
    });
    const d = deps();

    await expect(processS3Event(s3Event('ingest/d/1.json', 'ingest/d/2.json'), d, config)).rejects.toThrow(
      'socket hang up',
    );
    expect(d.writer.calls.flat()).toHaveLength(1);
    expect(silent.error).toHaveBeenCalledTimes(1);
  });
});
