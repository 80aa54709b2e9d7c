import { LocalPipeline } from '../../infra/local/pipeline/local-pipeline';
import { eventBridgeEnvelope } from '../helpers/factories';
import { type FaultProxy, startFaultProxy } from '../helpers/fault-proxy';
import { sharedStack } from '../helpers/shared-stack';

// The local Firehose's S3 writes failing. Firehose retries a failed S3 delivery until the stream's
// retention ends (24 h for DirectPut), then the data is lost
// (https://docs.aws.amazon.com/firehose/latest/dev/troubleshooting.html); the local Firehose
// does the same with a retry period shortened here to 3 s (each attempt is
// the S3 client's own 3 SDK attempts). A brief failure costs only retries;
// one that outlasts the period loses the events in Firehose, and the summary must count them as
// not in the lake — never as delivered.

let pipeline: LocalPipeline;
let proxy: FaultProxy;
/** Data-object PUTs to refuse: a number counts down, 'all' refuses every one. */
let refuse: number | 'all' = 0;
const stderr: string[] = [];

beforeAll(async () => {
  const { endpoints, definition } = sharedStack();
  proxy = await startFaultProxy(endpoints.s3, ({ method, path }) => {
    if (method !== 'PUT' || !path.includes('/events/') || refuse === 0) return undefined;
    if (typeof refuse === 'number') refuse--;
    return { status: 500, errorType: 'InternalError', message: 'We encountered an internal error. Please try again.' };
  });
  pipeline = await LocalPipeline.start({
    endpoints: { ...endpoints, s3: proxy.url },
    definition,
    suffix: '-s3fail',
    firehoseS3Retry: { intervalMs: 100, durationMs: 3_000 },
  });
  jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stderr.push(String(chunk));
    return true;
  });
});

afterAll(async () => {
  jest.restoreAllMocks();
  await pipeline?.stop();
  await proxy?.close();
});

const events = (prefix: string, count: number) => {
  const time = new Date(Date.now() - 60_000).toISOString();
  return Array.from({ length: count }, (_, i) => ({
    partitionKey: `${prefix}-${i % 3}`,
    data: Buffer.from(
      JSON.stringify(eventBridgeEnvelope({ id: `${prefix}-${i}`, resources: [`${prefix}-${i % 3}`], time })),
    ),
  }));
};

it('retries S3 writes that fail for a while: every event reaches the lake once', async () => {
  // Prepare: the next 3 data-object PUTs fail (one write's 3 SDK attempts).
  refuse = 3;

  // Act
  await pipeline.put(events('s3a', 30));
  await pipeline.drain();

  // Assess
  const lake = await pipeline.verifyLake();
  const summary = await pipeline.summary(lake);
  expect(proxy.injected.size).toBeGreaterThan(0);
  expect(lake).toMatchObject({ events: 30, duplicateEvents: [] });
  expect(summary).toMatchObject({ in: 30, delivered: 30, notInLake: 0, errors: {} });
  expect(pipeline.firehoseStats()).toMatchObject({ discardedRecords: 0, deliveryErrors: 0, writing: 0 });
  expect(pipeline.firehoseStats().s3Retries).toBeGreaterThan(0);
});

it('counts the events of S3 writes given up on as not in the lake, and says so', async () => {
  // Prepare: every data-object write fails from now on.
  refuse = 'all';
  const before = pipeline.firehoseStats();

  // Act
  await pipeline.put(events('s3b', 20));
  await pipeline.drain();

  // Assess: the 30 earlier events stay delivered; the 20 new ones are counted where they are.
  const lake = await pipeline.verifyLake();
  const summary = await pipeline.summary(lake);
  expect(lake.events).toBe(30);
  expect(summary).toMatchObject({ in: 50, delivered: 30, notInLake: 20, duplicates: 0, quarantined: 0, discarded: 0 });
  expect(summary.in).toBe(summary.delivered + summary.notInLake);
  const stats = pipeline.firehoseStats();
  expect(stats.discardedRecords - before.discardedRecords).toBe(20);
  expect(stats.s3Retries).toBeGreaterThan(before.s3Retries);
  const logged = stderr.join('');
  expect(logged).toMatch(/\[firehose\] WARN S3 write of events\/\S+ failed .*retrying/);
  expect(logged).toMatch(
    /\[firehose\] ERROR PutObject s3:\/\/\S+ still failing after \d+ attempts, \d+ records discarded/,
  );
  refuse = 0;
});
