import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CreateStreamCommand, DeleteStreamCommand, waitUntilStreamExists } from '@aws-sdk/client-kinesis';
import { DeleteObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import type { LocalPipeline } from '../infra/local/pipeline/local-pipeline';
import { createKinesisClient } from '../shared/aws/kinesis-client';
import { createS3Client } from '../shared/aws/s3-client';

const ROOT = join(__dirname, '..');
const MB = 1024 * 1024;
/** The child helper test/integration/s3-drop.test.ts also uses (the real handler, one fresh process). */
const CHILD = 'test/helpers/s3-drop-child.ts';
/** Node flags of the child: V8's young generation pinned small (see runS3DropRssBench). */
export const S3_DROP_CHILD_ARGS = ['--max-semi-space-size=1', '--import', 'tsx'];
const SMALL_RECORDS = 2_500;
const LARGE_RECORDS = 20_000;
/** The large file's peak RSS growth must stay under this fraction of its size (the bound the test had). */
export const S3_DROP_GROWTH_TARGET_OF_SIZE = 0.5;
/** Large − small growth must stay under this fraction of their size difference (the test's second bound). */
export const S3_DROP_DIFFERENCE_TARGET_OF_SIZE = 0.2;
const TIMEOUT_MS = 300_000;

/** What test/helpers/s3-drop-child.ts prints (one JSON line). */
interface ChildRun {
  key: string;
  result: { files: { records: number; sent: number; rejected: number; refused: number; reportKey?: string }[] };
  seconds: number;
  rssGrowthMb: number;
  atPeakMb: Record<string, number>;
}

export interface S3DropFile {
  name: string;
  records: number;
  bytes: number;
  seconds: number;
  rssGrowthMb: number;
  atPeakMb: Record<string, number>;
  /** The handler's own counts for the file. */
  read: number;
  sent: number;
  rejected: number;
  refused: number;
  reportKey?: string;
}

export interface S3DropRssResult {
  baselineMb: number;
  small: S3DropFile;
  large: S3DropFile;
  /** Bound on the large file's growth: half its size in MB. */
  growthTargetMb: number;
  /** Bound on large − small growth: 20 % of the size difference in MB. */
  differenceTargetMb: number;
  /** Every record of both files sent to the stream, nothing rejected or refused, no report. */
  allSent: boolean;
  command: string;
}

/**
 * NDJSON written to disk as it is generated (never held in memory), ~4 KB per meter (15
 * dimensions of 256 characters); the meter times an hour before now.
 */
const generate = async (dir: string, name: string, count: number): Promise<{ path: string; bytes: number }> => {
  const hourAgo = Date.now() - 3_600_000;
  const dimensions = Object.fromEntries(
    Array.from({ length: 15 }, (_, k) => [`dimension${k}`, String(k).repeat(256).slice(0, 256)]),
  );
  const path = join(dir, name);
  const out = createWriteStream(path);
  for (let i = 0; i < count; i++) {
    const meter = {
      customerId: 'bench-drop',
      meterApiName: 'api_calls',
      meterValue: i,
      meterTimeInMillis: hourAgo + i,
      uniqueId: `bench-drop-${name}-${i}`,
      dimensions,
    };
    if (!out.write(`${JSON.stringify(meter)}\n`)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
  return { path, bytes: (await stat(path)).size };
};

/**
 * Peak RSS growth of the real s3Drop handler streaming a ~10 MB and a ~80 MB NDJSON file, in a
 * fresh process of its own (as in Lambda, so its RSS is the drops' alone), through
 * test/helpers/s3-drop-child.ts: one warm-up object, then the two files one after the other,
 * RSS sampled every 10 ms, relative to the RSS after the warm-up. The files go into the running
 * pipeline's bucket and the handler writes to a stream of its own that no consumer reads (only
 * the read-validate-put loop is measured); stream, objects and files are removed afterwards.
 * The young generation is pinned small (--max-semi-space-size=1): by default V8 grows it, up to
 * a fixed cap, the longer a process allocates (about +20 MB more RSS, whatever the input), which
 * would blur a comparison of two file sizes.
 */
export const runS3DropRssBench = async (pipeline: LocalPipeline): Promise<S3DropRssResult> => {
  const dir = await mkdtemp(join(tmpdir(), 'usage-pipeline-bench-drop-'));
  const streamName = `${pipeline.names.stream}-drop-rss`;
  const bucket = pipeline.names.bucket;
  const kinesis = createKinesisClient(pipeline.env);
  const s3 = createS3Client(pipeline.env);
  const keys: string[] = [];
  let streamCreated = false;
  try {
    const small = {
      name: 'bench-small.ndjson',
      records: SMALL_RECORDS,
      ...(await generate(dir, 'bench-small.ndjson', SMALL_RECORDS)),
    };
    const large = {
      name: 'bench-large.ndjson',
      records: LARGE_RECORDS,
      ...(await generate(dir, 'bench-large.ndjson', LARGE_RECORDS)),
    };
    await kinesis.send(new CreateStreamCommand({ StreamName: streamName, ShardCount: 1 }));
    streamCreated = true;
    await waitUntilStreamExists(
      { client: kinesis, maxWaitTime: 30, minDelay: 0.1, maxDelay: 0.5 },
      { StreamName: streamName },
    );
    const warmupKey = 'ingest/01-01-2026/bench-warm-up.ndjson';
    const warmup = {
      customerId: 'bench-drop',
      meterApiName: 'api_calls',
      meterValue: 1,
      meterTimeInMillis: Date.now() - 3_600_000,
      uniqueId: 'bench-drop-warm-up',
    };
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: warmupKey, Body: JSON.stringify(warmup) }));
    keys.push(warmupKey);
    const objects = [small, large].map((file) => ({ ...file, key: `ingest/01-01-2026/${file.name}` }));
    for (const { key, path, bytes } of objects) {
      await s3.send(
        new PutObjectCommand({ Bucket: bucket, Key: key, Body: createReadStream(path), ContentLength: bytes }),
      );
      keys.push(key);
    }

    const input = {
      // serverless.yml's environment for s3Drop (batch bytes, record limit…), pointed at the local stack.
      env: {
        ...pipeline.definition.s3Drop?.environment,
        ...pipeline.env,
        STREAM_NAME: streamName,
        POWERTOOLS_LOG_LEVEL: 'ERROR',
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      },
      bucket,
      warmupKey,
      objects: objects.map(({ key, bytes }) => ({ key, size: bytes })),
    };
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [...S3_DROP_CHILD_ARGS, CHILD, JSON.stringify(input)],
      {
        cwd: ROOT,
        maxBuffer: 16 * MB,
        timeout: TIMEOUT_MS,
      },
    );
    const report = JSON.parse(stdout.trim().split('\n').at(-1) ?? '') as { baselineMb: number; runs: ChildRun[] };

    const figures = (file: (typeof objects)[number], run: ChildRun | undefined): S3DropFile => {
      if (!run) throw new Error(`${CHILD} reported no run for ${file.key}`);
      const counts = run.result.files[0];
      if (run.result.files.length !== 1 || !counts)
        throw new Error(`${CHILD} reported ${run.result.files.length} files for ${file.key}`);
      return {
        name: file.name,
        records: file.records,
        bytes: file.bytes,
        seconds: run.seconds,
        rssGrowthMb: run.rssGrowthMb,
        atPeakMb: run.atPeakMb,
        read: counts.records,
        sent: counts.sent,
        rejected: counts.rejected,
        refused: counts.refused,
        ...(counts.reportKey !== undefined && { reportKey: counts.reportKey }),
      };
    };
    const [smallObject, largeObject] = objects as [(typeof objects)[number], (typeof objects)[number]];
    const smallRun = figures(smallObject, report.runs[0]);
    const largeRun = figures(largeObject, report.runs[1]);
    const exact = (file: S3DropFile): boolean =>
      file.read === file.records &&
      file.sent === file.records &&
      file.rejected === 0 &&
      file.refused === 0 &&
      file.reportKey === undefined;
    return {
      baselineMb: report.baselineMb,
      small: smallRun,
      large: largeRun,
      growthTargetMb: (large.bytes / MB) * S3_DROP_GROWTH_TARGET_OF_SIZE,
      differenceTargetMb: ((large.bytes - small.bytes) / MB) * S3_DROP_DIFFERENCE_TARGET_OF_SIZE,
      allSent: exact(smallRun) && exact(largeRun),
      command: `node ${S3_DROP_CHILD_ARGS.join(' ')} ${CHILD}`,
    };
  } finally {
    // Not measured: free kinesalite and s3rver of the drops before anything else runs on them.
    if (streamCreated) await kinesis.send(new DeleteStreamCommand({ StreamName: streamName })).catch(() => undefined);
    for (const key of keys) await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key })).catch(() => undefined);
    kinesis.destroy();
    s3.destroy();
    await rm(dir, { recursive: true, force: true });
  }
};
