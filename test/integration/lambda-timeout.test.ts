import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateStreamCommand,
  type KinesisClient,
  PutRecordsCommand,
  waitUntilStreamExists,
} from '@aws-sdk/client-kinesis';
import type { KinesisStreamEvent } from 'aws-lambda';
import {
  type BatchProgress,
  DEFAULT_STREAM_SETTINGS,
  KinesisEventSource,
  type KinesisHandler,
} from '../../infra/local/kinesis-esm';
import { WorkerInvoker } from '../../infra/local/lambda/worker-invoker';
import { createKinesisClient } from '../../shared/aws/kinesis-client';
import { sharedStack } from '../helpers/shared-stack';

// Lambda stops an invocation at its timeout and resets the execution environment; the next
// invocation starts a new one (https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtime-environment.html,
// "Failures during the invoke phase"; https://docs.aws.amazon.com/lambda/latest/dg/configuration-timeout.html).
// The local runner models this with worker threads terminated at the timeout: the timed-out
// invocation writes nothing more, and only its retry's outcome counts.

const FIXTURE = join(__dirname, '..', 'fixtures', 'handlers', 'slow-first-attempt.ts');
const TIMEOUT_SECONDS = 1;
const SLOW_MS = 2_500;

let kinesis: KinesisClient;
let markers: string;
let streams = 0;
const runners: KinesisEventSource[] = [];
const invokers: WorkerInvoker<KinesisStreamEvent, unknown>[] = [];

beforeAll(() => {
  kinesis = createKinesisClient({ AWS_ENDPOINT_URL_KINESIS: sharedStack().endpoints.kinesis, AWS_REGION: 'us-east-1' });
});

beforeEach(() => {
  markers = mkdtempSync(join(tmpdir(), 'lambda-timeout-'));
});

afterEach(async () => {
  await Promise.all(runners.splice(0).map((runner) => runner.stop()));
  await Promise.all(invokers.splice(0).map((invoker) => invoker.close()));
  rmSync(markers, { recursive: true, force: true });
});

afterAll(() => kinesis?.destroy());

const streamWith = async (count: number): Promise<string> => {
  streams += 1;
  const name = `lambda-timeout-${process.pid}-${streams}`;
  await kinesis.send(new CreateStreamCommand({ StreamName: name, ShardCount: 1 }));
  await waitUntilStreamExists({ client: kinesis, maxWaitTime: 30, minDelay: 0.1, maxDelay: 0.5 }, { StreamName: name });
  await kinesis.send(
    new PutRecordsCommand({
      StreamName: name,
      Records: Array.from({ length: count }, (_, i) => ({ Data: Buffer.from(`{"n":${i}}`), PartitionKey: 'pk' })),
    }),
  );
  return name;
};

const run = async (
  streamName: string,
  how: { invoker: WorkerInvoker<KinesisStreamEvent, unknown> } | { handler: KinesisHandler },
) => {
  const batches: BatchProgress[] = [];
  const errors: string[] = [];
  const runner = new KinesisEventSource({
    kinesis,
    streamName,
    region: 'us-east-1',
    functionName: 'lambda-timeout-test',
    timeoutSeconds: TIMEOUT_SECONDS,
    settings: { ...DEFAULT_STREAM_SETTINGS, functionResponseType: 'ReportBatchItemFailures', maximumRetryAttempts: 2 },
    retryDelayMs: 1,
    maxRetryDelayMs: 5,
    pollIntervalMs: 20,
    onBatch: (batch) => batches.push(batch),
    logger: { error: (message) => errors.push(message) },
    ...how,
  });
  runners.push(runner);
  await runner.start();
  await runner.drain();
  return { batches, errors, stats: runner.stats() };
};

const workerInvoker = (env: Record<string, string>) => {
  const invoker = new WorkerInvoker<KinesisStreamEvent, unknown>({ modulePath: FIXTURE, exportName: 'handler', env });
  invokers.push(invoker);
  return invoker;
};

const markersNamed = (prefix: string) => readdirSync(markers).filter((name) => name.startsWith(prefix));
const pastTheSleep = () => new Promise((resolve) => setTimeout(resolve, SLOW_MS + 1_000));

it('stops a timed-out invocation in its worker: its late write never happens and its retry is what counts', async () => {
  // Prepare
  const stream = await streamWith(3);
  const invoker = workerInvoker({ MARKER_DIR: markers, SLOW_MS: String(SLOW_MS) });

  // Act: the first attempt sleeps past the 1 s timeout; wait until it would have woken up.
  const { batches, stats } = await run(stream, { invoker });
  await pastTheSleep();

  // Assess: one timeout then one success, in a fresh environment; no late write.
  expect(batches.map((batch) => batch.outcome)).toEqual(['functionError', 'success']);
  expect(stats).toMatchObject({ invocations: 2, recordsIn: 3, redelivered: 3, succeeded: 3, discarded: 0 });
  expect(invoker.environmentsStarted).toBe(2);
  expect(markersNamed('done-')).toHaveLength(1);
  expect(markersNamed('late-')).toEqual([]);
}, 30_000);

it('in this thread, the same timed-out invocation runs on and writes late (why the pipeline uses workers)', async () => {
  // Prepare: the fixture loaded in-process reads its environment at load.
  process.env.MARKER_DIR = markers;
  process.env.SLOW_MS = String(SLOW_MS);
  const { handler } = jest.requireActual<{ handler: KinesisHandler }>(FIXTURE);
  const stream = await streamWith(3);

  // Act
  const { batches } = await run(stream, { handler });
  await pastTheSleep();

  // Assess: the runner saw the same timeout, but the abandoned invocation still wrote.
  expect(batches.map((batch) => batch.outcome)).toEqual(['functionError', 'success']);
  expect(markersNamed('late-')).toHaveLength(1);
  delete process.env.MARKER_DIR;
  delete process.env.SLOW_MS;
}, 30_000);

it('fails an invocation whose environment cannot initialize, and discards the batch after its retries', async () => {
  // Prepare: no MARKER_DIR, so the module throws at load (the init phase).
  const stream = await streamWith(2);
  const invoker = workerInvoker({ SLOW_MS: '0' });

  // Act
  const { batches, errors, stats } = await run(stream, { invoker });

  // Assess: every attempt is a function error from a fresh environment; retries exhausted (2).
  expect(batches.map((batch) => batch.outcome)).toEqual(['functionError', 'functionError', 'functionError']);
  expect(stats).toMatchObject({ invocations: 3, discarded: 2 });
  expect(invoker.environmentsStarted).toBe(3);
  expect(errors).toEqual([expect.stringContaining('Discarding records after retries')]);
}, 30_000);
