/**
 * Runs the real s3Drop handler in a fresh process (as Lambda would) for S3 objects one after
 * the other and prints one JSON line: each run's result and the process's peak memory during
 * it, relative to one baseline taken after a warm-up object (a warm Lambda: the SDK code
 * loaded on first use is not counted as a file's memory).
 * Usage: tsx test/helpers/s3-drop-child.ts '<json: {env, bucket, warmupKey, objects: [{key, size}]}>'
 * (npm run bench, row 8, bench/s3-drop-rss-bench.ts, measures the memory of a 10 MB and an 80 MB
 * drop with it; test/integration/s3-drop.test.ts checks the counts of two smaller drops with it,
 * nothing about memory or time).
 */
import type { Context, S3Event } from 'aws-lambda';
import { loadHandlerModule } from '../../infra/local/lambda/handler-module';
import { encodeS3Key } from '../../shared/ingest/s3-drop';

interface Input {
  env: Record<string, string>;
  bucket: string;
  warmupKey: string;
  objects: { key: string; size: number }[];
}

const eventFor = (bucket: string, key: string, size: number) =>
  ({
    Records: [
      { eventName: 'ObjectCreated:Put', s3: { bucket: { name: bucket }, object: { key: encodeS3Key(key), size } } },
    ],
  }) as unknown as S3Event;

const megabytes = (bytes: number) => Math.round((bytes / 1024 / 1024) * 10) / 10;

const main = async () => {
  const input = JSON.parse(process.argv[2] ?? '{}') as Input;
  Object.assign(process.env, input.env);
  // As the local stack loads a handler: with AWS_CALL_LOG set, its calls are recorded as s3Drop's.
  const { handler } = loadHandlerModule<(event: S3Event, context: Context) => Promise<unknown>>(
    'functions/s3-drop/handler',
    'handler',
  );
  const context = {
    functionName: 's3Drop',
    awsRequestId: 'child',
    getRemainingTimeInMillis: () => 900_000,
  } as unknown as Context;
  await handler(eventFor(input.bucket, input.warmupKey, 0), context);
  const baseline = process.memoryUsage().rss;
  const runs = [];
  for (const object of input.objects) {
    let peak = process.memoryUsage();
    const sample = () => {
      const now = process.memoryUsage();
      if (now.rss > peak.rss) peak = now;
    };
    const sampler = setInterval(sample, 10);
    const started = Date.now();
    const result = await handler(eventFor(input.bucket, object.key, object.size), context);
    clearInterval(sampler);
    sample();
    runs.push({
      key: object.key,
      result,
      seconds: (Date.now() - started) / 1000,
      rssGrowthMb: megabytes(peak.rss - baseline),
      atPeakMb: {
        rss: megabytes(peak.rss),
        heapUsed: megabytes(peak.heapUsed),
        heapTotal: megabytes(peak.heapTotal),
        arrayBuffers: megabytes(peak.arrayBuffers),
      },
    });
  }
  process.stdout.write(`${JSON.stringify({ baselineMb: megabytes(baseline), runs })}\n`);
};

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(1);
  },
);
