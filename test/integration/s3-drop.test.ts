import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gunzipSync, gzipSync } from 'node:zlib';
import {
  CreateStreamCommand,
  DeleteStreamCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  ListShardsCommand,
  waitUntilStreamExists,
} from '@aws-sdk/client-kinesis';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { LocalPipeline } from '../../infra/local/pipeline/local-pipeline';
import { createKinesisClient } from '../../shared/aws/kinesis-client';
import { createS3Client } from '../../shared/aws/s3-client';
import { sharedStack } from '../helpers/shared-stack';

// The S3 drop location end to end: a file uploaded to the local S3, the ObjectCreated event
// delivered to the real s3Drop handler, its records through the stream, consumer and Firehose.
const ROOT = join(__dirname, '..', '..');
let pipeline: LocalPipeline;
let dir: string;

const HOUR_AGO = Date.now() - 3_600_000;
const meter = (customerId: string, i: number, extra: Record<string, unknown> = {}) => ({
  customerId,
  meterApiName: 'api_calls',
  meterValue: i,
  meterTimeInMillis: HOUR_AGO + i,
  uniqueId: `${customerId}-${i}`,
  ...extra,
});
const lines = (records: unknown[]) =>
  records.map((record) => (typeof record === 'string' ? record : JSON.stringify(record)));

const file = async (name: string, content: string | Buffer) => {
  const path = join(dir, name);
  await writeFile(path, content);
  return path;
};

interface LakeEvent {
  id: string;
  detail: { clientId: string; meterValue?: number };
}
// The client's events wherever the lake layout (serverless.yml custom.lake) puts them: this
// pipeline's bucket holds only this file's drops, so reading all of events/ is cheap.
const lakeOf = async (clientId: string): Promise<LakeEvent[]> => {
  const events: LakeEvent[] = [];
  for (const key of await pipeline.listKeys('events/')) {
    const body = await pipeline.getObject(key);
    const text = (key.endsWith('.gz') ? gunzipSync(body) : body).toString('utf8');
    for (const line of text.split('\n').filter(Boolean)) {
      const event = JSON.parse(line) as LakeEvent;
      if (event.detail.clientId === clientId) events.push(event);
    }
  }
  return events;
};
const lakeIds = async (clientId: string) => (await lakeOf(clientId)).map((event) => event.id).sort();

beforeAll(async () => {
  const { endpoints, definition } = sharedStack();
  dir = await mkdtemp(join(tmpdir(), 's3-drop-'));
  pipeline = await LocalPipeline.start({ endpoints, definition, suffix: '-drop' });
});

afterAll(async () => {
  await pipeline?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('the S3 drop location', () => {
  it('takes a JSON array file: every record in the lake, no report', async () => {
    const records = Array.from({ length: 30 }, (_, i) => meter('drop-array', i));
    const path = await file('array meters.json', JSON.stringify(records, null, 2));

    const { key, result, report } = await pipeline.drop(path);

    expect(key).toMatch(/^ingest\/\d{2}-\d{2}-\d{4}\/array meters\.json$/);
    expect(result).toMatchObject({
      format: 'json-array',
      records: 30,
      sent: 30,
      rejected: 0,
      bySource: { 'usage-meter': 30 },
    });
    expect(result.reportKey).toBeUndefined();
    expect(report).toBeUndefined();
    expect(await lakeIds('drop-array')).toEqual(records.map((r) => r.uniqueId).sort());
    expect(await pipeline.listKeys(`failed-requests/`)).not.toContainEqual(expect.stringContaining('array meters'));
    // The source object stays where it was dropped.
    expect(await pipeline.listKeys(key)).toEqual([key]);
  });

  it('takes an NDJSON file with blank lines and CRLF', async () => {
    const records = Array.from({ length: 25 }, (_, i) => meter('drop-ndjson', i));
    const path = await file('meters.ndjson', `\r\n${lines(records).join('\r\n\r\n')}\r\n`);

    const { result } = await pipeline.drop(path);

    expect(result).toMatchObject({ format: 'ndjson', records: 25, sent: 25 });
    expect(await lakeIds('drop-ndjson')).toEqual(records.map((r) => r.uniqueId).sort());
  });

  it('gunzips a .gz file', async () => {
    const records = Array.from({ length: 40 }, (_, i) => meter('drop-gzip', i));
    const path = await file('meters.ndjson.gz', gzipSync(lines(records).join('\n')));

    const { result } = await pipeline.drop(path);

    expect(result).toMatchObject({ compressed: true, format: 'ndjson', records: 40, sent: 40 });
    expect(await lakeIds('drop-gzip')).toHaveLength(40);
  });

  it('sends the good records of a file with bad lines and reports the bad ones with line and reason', async () => {
    const good = [meter('drop-bad', 1), meter('drop-bad', 2), meter('drop-bad', 3)];
    const content = lines([
      good[0],
      meter('drop-bad', 4, { meterValue: 'four' }),
      '{"customerId":"drop-bad","meterApiName":',
      good[1],
      { hello: 'world' },
      meter('', 6),
      good[2],
    ]).join('\n');
    const path = await file('partly bad+meters.ndjson', content);

    const { key, result, report } = await pipeline.drop(path);

    expect(result).toMatchObject({
      records: 7,
      sent: 3,
      rejected: 4,
      rejectionReasons: { INVALID_METER_VALUE: 1, MALFORMED_JSON: 1, UNKNOWN_SOURCE: 1, MISSING_CLIENT_ID: 1 },
    });
    const date = key.split('/')[1];
    expect(result.reportKey).toBe(`failed-requests/${date}/ingest/${date}/partly bad+meters.ndjson.reason.txt`);
    expect(await pipeline.listKeys(result.reportKey)).toEqual([result.reportKey]);
    expect(report).toContain('S3 drop report: RECORDS REJECTED');
    expect(report).toContain(`File        s3://${pipeline.names.bucket}/${key}`);
    expect(report).toMatch(/records read\s+7\n\s+sent to the stream\s+3 {2}\(usage-meter 3\)\n\s+rejected\s+4 /);
    expect(report).toMatch(/line 2 INVALID_METER_VALUE: Usage meter meterValue must be a finite number, got "four"/);
    expect(report).toMatch(/line 3 MALFORMED_JSON: Record is not valid JSON/);
    expect(report).toMatch(/line 5 UNKNOWN_SOURCE: Record matches no known source \(top-level keys: hello\)/);
    expect(report).toMatch(/line 6 MISSING_CLIENT_ID: /);
    expect(report).not.toMatch(/line [147] /);
    expect(await lakeIds('drop-bad')).toEqual(['drop-bad-1', 'drop-bad-2', 'drop-bad-3']);
  });

  it.each([
    ['a file that is not JSON', 'not-json.csv', 'customerId,meterApiName\nacme,calls\n', 'NOT_JSON'],
    ['a .gz file that is not gzip', 'fake.json.gz', '[{"customerId":"x"}]', 'BAD_GZIP'],
    [
      'a truncated array',
      'truncated.json',
      `[${JSON.stringify(meter('drop-cut', 1))},{"customerId":"drop-cut","meter`,
      'TRUNCATED_ARRAY',
    ],
  ])('reports %s as unreadable, saying what was read before the error', async (_name, fileName, content, code) => {
    const path = await file(fileName, content);

    const { result, report } = await pipeline.drop(path);

    expect(result.fileError?.code).toBe(code);
    expect(result.reportKey).toMatch(
      new RegExp(
        `^failed-requests/\\d{2}-\\d{2}-\\d{4}/ingest/\\d{2}-\\d{2}-\\d{4}/${fileName.replace('.', '\\.')}\\.reason\\.txt$`,
      ),
    );
    expect(report).toContain('S3 drop report: FILE UNREADABLE');
    expect(report).toContain(`File error\n  ${code}: `);
    if (code === 'TRUNCATED_ARRAY') {
      expect(report).toContain('The record before this point was handled as counted above');
      expect(await lakeIds('drop-cut')).toEqual(['drop-cut-1']);
    } else {
      expect(report).toContain('No record could be read from the file.');
    }
  });

  it('stores meters found in two files once (same uniqueId, or same content without one)', async () => {
    const noId = (i: number, order: 'a' | 'b') => {
      const { uniqueId: _unused, ...rest } = meter('drop-dup', i, { dimensions: { region: 'eu', plan: 'pro' } });
      return order === 'a' ? rest : Object.fromEntries(Object.entries(rest).reverse());
    };
    const first = await file(
      'day1.ndjson',
      lines([meter('drop-dup', 1), meter('drop-dup', 2), noId(10, 'a'), noId(11, 'a')]).join('\n'),
    );
    const second = await file(
      'day1-resent.json',
      JSON.stringify([meter('drop-dup', 2), meter('drop-dup', 3), noId(11, 'b'), noId(12, 'b')]),
    );
    const before = await pipeline.summary();

    await pipeline.drop(first);
    await pipeline.drop(second);

    const events = await lakeOf('drop-dup');
    expect(events).toHaveLength(6);
    expect(new Set(events.map((event) => event.id)).size).toBe(6);
    expect(events.map((event) => event.detail.meterValue).sort((a, b) => (a ?? 0) - (b ?? 0))).toEqual([
      1, 2, 3, 10, 11, 12,
    ]);
    const after = await pipeline.summary();
    expect(after.duplicates - before.duplicates).toBe(2);
  });

  it('streams large files through the real handler in its own process: every record on the stream, no report', async () => {
    // NDJSON written to disk as it is generated (never held in memory), ~4 KB per meter: about
    // 1 MB and 10 MB, so the large file spans many read chunks and PutRecords batches. The
    // handler runs in a fresh process, as in Lambda, and writes to a stream no consumer reads
    // (the consumer's work is covered above). Its memory and time are measured by the benchmark
    // (npm run bench, row 8, with the same helper and a 10 MB vs an 80 MB file), not here.
    const dimensions = Object.fromEntries(
      Array.from({ length: 15 }, (_, k) => [`dimension${k}`, String(k).repeat(256).slice(0, 256)]),
    );
    const generate = async (name: string, count: number, customerId: string) => {
      const path = join(dir, name);
      const out = createWriteStream(path);
      for (let i = 0; i < count; i++) {
        if (!out.write(`${JSON.stringify(meter(customerId, i, { dimensions }))}\n`)) await once(out, 'drain');
      }
      out.end();
      await once(out, 'finish');
      return { path, count, size: (await stat(path)).size, key: `ingest/01-01-2026/${name}` };
    };
    const small = await generate('small.ndjson', 250, 'drop-small');
    const large = await generate('large.ndjson', 2_500, 'drop-large');
    expect(large.size).toBeGreaterThan(10 * 1024 * 1024);
    const streamName = `${pipeline.names.stream}-large`;
    const kinesis = createKinesisClient(pipeline.env);
    await kinesis.send(new CreateStreamCommand({ StreamName: streamName, ShardCount: 1 }));
    await waitUntilStreamExists(
      { client: kinesis, maxWaitTime: 30, minDelay: 0.1, maxDelay: 0.5 },
      { StreamName: streamName },
    );
    const s3 = createS3Client(pipeline.env);
    const warmupKey = 'ingest/01-01-2026/warm-up.ndjson';
    await s3.send(
      new PutObjectCommand({
        Bucket: pipeline.names.bucket,
        Key: warmupKey,
        Body: JSON.stringify(meter('drop-large', -1)),
      }),
    );
    for (const { key, path, size } of [small, large]) {
      await s3.send(
        new PutObjectCommand({
          Bucket: pipeline.names.bucket,
          Key: key,
          Body: createReadStream(path),
          ContentLength: size,
        }),
      );
    }

    const { stdout } = await promisify(execFile)(
      process.execPath,
      [
        '--import',
        'tsx',
        'test/helpers/s3-drop-child.ts',
        JSON.stringify({
          env: {
            ...pipeline.env,
            STREAM_NAME: streamName,
            POWERTOOLS_LOG_LEVEL: 'ERROR',
            AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
          },
          bucket: pipeline.names.bucket,
          warmupKey,
          objects: [small, large].map(({ key, size }) => ({ key, size })),
        }),
      ],
      // Generous: a loaded machine must not fail this test on time (the benchmark times it).
      { cwd: ROOT, maxBuffer: 16 * 1024 * 1024, timeout: 240_000 },
    );

    const { runs } = JSON.parse(stdout.trim().split('\n').at(-1) ?? '') as {
      runs: {
        key: string;
        result: {
          files: {
            key: string;
            records: number;
            sent: number;
            rejected: number;
            refused: number;
            reportKey?: string;
          }[];
        };
      }[];
    };
    expect(runs.map((run) => run.key)).toEqual([small.key, large.key]);
    for (const [run, file] of [
      [runs[0], small],
      [runs[1], large],
    ] as const) {
      expect(run?.result.files).toEqual([
        expect.objectContaining({ key: file.key, records: file.count, sent: file.count, rejected: 0, refused: 0 }),
      ]);
      expect(run?.result.files[0]?.reportKey).toBeUndefined();
    }
    expect(await pipeline.listKeys('failed-requests/')).not.toContainEqual(
      expect.stringMatching(/(small|large|warm-up)\.ndjson/),
    );
    // Every record the handler counted as sent is on the stream, once: the warm-up meter and both files.
    const uniqueIds = new Set<string>();
    let onStream = 0;
    const { Shards } = await kinesis.send(new ListShardsCommand({ StreamName: streamName }));
    let { ShardIterator: iterator } = await kinesis.send(
      new GetShardIteratorCommand({
        StreamName: streamName,
        ShardId: Shards?.[0]?.ShardId,
        ShardIteratorType: 'TRIM_HORIZON',
      }),
    );
    while (iterator) {
      const {
        Records = [],
        NextShardIterator,
        MillisBehindLatest,
      } = await kinesis.send(new GetRecordsCommand({ ShardIterator: iterator }));
      for (const record of Records) {
        // The handler puts each record's original bytes.
        const { uniqueId } = JSON.parse(Buffer.from(record.Data ?? new Uint8Array()).toString('utf8')) as {
          uniqueId?: string;
        };
        onStream++;
        if (uniqueId !== undefined) uniqueIds.add(uniqueId);
      }
      iterator = Records.length === 0 && (MillisBehindLatest ?? 0) === 0 ? undefined : NextShardIterator;
    }
    expect(onStream).toBe(1 + small.count + large.count);
    expect(uniqueIds.size).toBe(1 + small.count + large.count);
    await kinesis.send(new DeleteStreamCommand({ StreamName: streamName }));
  }, 300_000);

  it('is available from the command line: npm start -- --drop FILE (without the built-in workload)', async () => {
    const path = await file(
      'cli meters.json',
      JSON.stringify([meter('drop-cli', 1), meter('drop-cli', 2), { hello: 1 }]),
    );

    const { stdout } = await promisify(execFile)(
      process.execPath,
      [join(ROOT, 'node_modules/tsx/dist/cli.mjs'), 'infra/local/cli/start.ts', '--drop', path, '--json'],
      { cwd: ROOT, maxBuffer: 16 * 1024 * 1024, timeout: 120_000 },
    );

    const summary = JSON.parse(stdout.trim().split('\n').at(-1) ?? '') as {
      in: number;
      delivered: number;
      drops: { key: string; records: number; sent: number; rejected: number; reportKey?: string }[];
    };
    expect(summary).toMatchObject({ in: 2, delivered: 2 });
    expect(summary.drops).toEqual([
      expect.objectContaining({
        key: expect.stringMatching(/^ingest\/\d{2}-\d{2}-\d{4}\/cli meters\.json$/),
        records: 3,
        sent: 2,
        rejected: 1,
      }),
    ]);
    expect(summary.drops[0]?.reportKey).toMatch(/^failed-requests\/.*cli meters\.json\.reason\.txt$/);
    expect(stdout).toContain('  S3 drops\n    ingest/');
    expect(stdout).toMatch(
      /cli meters\.json: 3 read, 2 sent, 1 rejected \(UNKNOWN_SOURCE 1\)\n {6}report failed-requests\//,
    );
  });
});
