/**
 * The API-call capture middleware's added latency per invocation: the same no-op HTTP API
 * handler wrapped with middy, without and with `apiCallCapture`, invoked one after another
 * against a real kinesalite stream (the middleware's PutRecords round trip is on the path,
 * as in Lambda, where it flushes before the invocation returns), plus a third side with a stub
 * Kinesis client that accepts at once (the capture's own work: snapshot, masking, JSON, the
 * writer). The sides alternate in blocks, so drift in machine load hits all alike. Afterwards the stream is read back:
 * every wrapped invocation must have put exactly one api-call record.
 *
 * BENCH_CAPTURE_INVOCATIONS=N scales it (default 2,000 per side).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  CreateStreamCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type KinesisClient,
  ListShardsCommand,
  waitUntilStreamExists,
} from '@aws-sdk/client-kinesis';
import middy from '@middy/core';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { startLocalServers } from '../infra/local/runtime/local-servers';
import { createKinesisClient } from '../shared/aws/kinesis-client';
import { apiCallCapture } from '../shared/capture';

export const CAPTURE_DEFAULT_INVOCATIONS = 2_000;
const WARMUP = 100;
const BLOCK = 50;
const STREAM = 'capture-bench';
const CLIENT_ID = 'bench-co';

/** BENCH_CAPTURE_INVOCATIONS=N (per side; default 2,000). */
export const captureInvocationsFromEnv = (env: NodeJS.ProcessEnv = process.env): number => {
  const raw = env.BENCH_CAPTURE_INVOCATIONS?.trim();
  if (raw === undefined || raw === '') return CAPTURE_DEFAULT_INVOCATIONS;
  if (!/^\d+$/.test(raw) || Number(raw) < 1)
    throw new Error(`BENCH_CAPTURE_INVOCATIONS must be a positive integer, got "${raw}"`);
  return Number(raw);
};

export interface LatencyStats {
  p50Ms: number;
  p99Ms: number;
  meanMs: number;
  maxMs: number;
}

export interface CaptureFigures {
  invocations: number;
  bare: LatencyStats;
  wrapped: LatencyStats;
  /** The middleware with a stub Kinesis client that accepts at once: the capture's own work. */
  stubbed: LatencyStats;
  /** wrapped − bare, quantile by quantile. */
  addedP50Ms: number;
  addedP99Ms: number;
  /** CPU of this process per invocation (kinesalite runs in its own process). */
  bareCpuUs: number;
  wrappedCpuUs: number;
  stubbedCpuUs: number;
  /** api-call records read back from the stream / wrapped invocations (warm-up included). */
  recordsOnStream: number;
  recordsExpected: number;
  /** Capture failures the middleware logged (warn/error). */
  loggedProblems: number;
  recordBytes: number;
  seconds: number;
}

const quantile = (sorted: readonly number[], q: number): number =>
  sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] as number;

const stats = (samples: readonly number[]): LatencyStats => {
  const sorted = [...samples].sort((a, b) => a - b);
  return {
    p50Ms: quantile(sorted, 0.5),
    p99Ms: quantile(sorted, 0.99),
    meanMs: sorted.reduce((sum, value) => sum + value, 0) / sorted.length,
    maxMs: sorted[sorted.length - 1] as number,
  };
};

const context = (n: number): Context =>
  ({
    callbackWaitsForEmptyEventLoop: false,
    functionName: 'capture-bench',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:capture-bench',
    memoryLimitInMB: '256',
    awsRequestId: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
    logGroupName: '/aws/lambda/capture-bench',
    logStreamName: 'bench',
    getRemainingTimeInMillis: () => 10_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  }) as Context;

const countRecords = async (kinesis: KinesisClient): Promise<{ count: number; bytes: number }> => {
  const { Shards } = await kinesis.send(new ListShardsCommand({ StreamName: STREAM }));
  let count = 0;
  let bytes = 0;
  for (const shard of Shards ?? []) {
    let { ShardIterator: iterator } = await kinesis.send(
      new GetShardIteratorCommand({ StreamName: STREAM, ShardId: shard.ShardId, ShardIteratorType: 'TRIM_HORIZON' }),
    );
    while (iterator) {
      const response = await kinesis.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 10_000 }));
      for (const record of response.Records ?? []) {
        const payload = JSON.parse(Buffer.from(record.Data ?? new Uint8Array()).toString('utf8')) as {
          kind?: string;
          clientId?: string;
        };
        if (payload.kind === 'api-call' && payload.clientId === CLIENT_ID) {
          count += 1;
          bytes += record.Data?.length ?? 0;
        }
      }
      if ((response.Records ?? []).length === 0 || response.MillisBehindLatest === 0) break;
      iterator = response.NextShardIterator;
    }
  }
  return { count, bytes };
};

export const runCaptureBench = async (invocations = captureInvocationsFromEnv()): Promise<CaptureFigures> => {
  const started = performance.now();
  const servers = await startLocalServers();
  try {
    const env = { AWS_REGION: 'us-east-1', AWS_ENDPOINT_URL_KINESIS: servers.endpoints.kinesis };
    const kinesis = createKinesisClient(env);
    await kinesis.send(new CreateStreamCommand({ StreamName: STREAM, ShardCount: 1 }));
    await waitUntilStreamExists(
      { client: kinesis, maxWaitTime: 30, minDelay: 0.1, maxDelay: 0.5 },
      { StreamName: STREAM },
    );

    const event = JSON.parse(
      readFileSync(join(__dirname, '..', 'events', 'example-api-v2.json'), 'utf8'),
    ) as APIGatewayProxyEventV2;
    const noop = async (_event: APIGatewayProxyEventV2) => ({
      statusCode: 200,
      headers: { 'content-type': 'application/json' },
      body: '{"ok":true}',
    });
    let loggedProblems = 0;
    const count = () => {
      loggedProblems += 1;
    };
    const logger = { debug: () => undefined, info: () => undefined, warn: count, error: count };
    // Accepts every PutRecords at once, without serializing, signing or HTTP.
    const stubClient = {
      send: async (command: { input: { Records?: unknown[] } }) => ({
        FailedRecordCount: 0,
        Records: (command.input.Records ?? []).map(() => ({ SequenceNumber: '1', ShardId: 'shardId-000000000000' })),
      }),
    } as unknown as KinesisClient;
    const bare = middy(noop);
    const stubbed = middy(noop).use(
      apiCallCapture({
        streamName: STREAM,
        kinesisClient: stubClient,
        env,
        logger,
        identifyCompany: () => 'bench-stub',
      }),
    );
    const wrapped = middy(noop).use(
      apiCallCapture({ streamName: STREAM, kinesisClient: kinesis, env, logger, identifyCompany: () => CLIENT_ID }),
    );

    let n = 0;
    const time = async (handler: typeof bare, into: number[] | undefined): Promise<void> => {
      n += 1;
      const t0 = performance.now();
      await handler(event, context(n));
      const elapsed = performance.now() - t0;
      into?.push(elapsed);
    };
    for (let i = 0; i < WARMUP; i++) {
      await time(bare, undefined);
      await time(wrapped, undefined);
      await time(stubbed, undefined);
    }
    const bareSamples: number[] = [];
    const wrappedSamples: number[] = [];
    const stubbedSamples: number[] = [];
    let bareCpu = 0;
    let wrappedCpu = 0;
    let stubbedCpu = 0;
    const block = async (handler: typeof bare, into: number[], size: number): Promise<number> => {
      const cpu = process.cpuUsage();
      for (let i = 0; i < size; i++) await time(handler, into);
      const used = process.cpuUsage(cpu);
      return used.user + used.system;
    };
    // Alternating blocks, the order reversed every other round (ABC CBA …).
    for (let done = 0, round = 0; done < invocations; round++) {
      const size = Math.min(BLOCK, invocations - done);
      const sides = [
        async () => {
          bareCpu += await block(bare, bareSamples, size);
        },
        async () => {
          wrappedCpu += await block(wrapped, wrappedSamples, size);
        },
        async () => {
          stubbedCpu += await block(stubbed, stubbedSamples, size);
        },
      ];
      if (round % 2 === 1) sides.reverse();
      for (const side of sides) await side();
      done += size;
    }

    const onStream = await countRecords(kinesis);
    kinesis.destroy();
    const bareStats = stats(bareSamples);
    const wrappedStats = stats(wrappedSamples);
    return {
      invocations,
      bare: bareStats,
      wrapped: wrappedStats,
      stubbed: stats(stubbedSamples),
      addedP50Ms: wrappedStats.p50Ms - bareStats.p50Ms,
      addedP99Ms: wrappedStats.p99Ms - bareStats.p99Ms,
      bareCpuUs: bareCpu / invocations,
      wrappedCpuUs: wrappedCpu / invocations,
      stubbedCpuUs: stubbedCpu / invocations,
      recordsOnStream: onStream.count,
      recordsExpected: invocations + WARMUP,
      loggedProblems,
      recordBytes: onStream.count > 0 ? onStream.bytes / onStream.count : 0,
      seconds: (performance.now() - started) / 1000,
    };
  } finally {
    await servers.stop();
  }
};

/** `npx tsx bench/capture-bench.ts`: this benchmark alone. */
if (require.main === module) {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  runCaptureBench()
    .then((figures) => console.log(JSON.stringify(figures, null, 2)))
    .catch((error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    });
}
