import { LocalPipeline } from '../../infra/local/pipeline/local-pipeline';
import { type LocalServers, startLocalServers } from '../../infra/local/runtime/local-servers';
import { eventBridgeEnvelope } from '../helpers/factories';
import { sharedStack } from '../helpers/shared-stack';

// dynalite stalled (SIGSTOP) for longer than the consumer's timeout. Lambda stops an invocation at
// its timeout wherever it is (https://docs.aws.amazon.com/lambda/latest/dg/configuration-timeout.html);
// the consumer's clients time out their requests (2 s here, 3 SDK attempts) and it starts a call
// only when the calls after it fit, so no invocation outlives its timeout, nothing is delivered
// twice and nothing is lost: the lake is exact once dynalite answers again.

const TIMEOUT_SECONDS = 30;
const STALL_MS = 35_000;
let servers: LocalServers;
let pipeline: LocalPipeline;

beforeAll(async () => {
  // Own servers: stopping the shared dynalite would stall every other test file.
  servers = await startLocalServers();
  process.env.AWS_REQUEST_TIMEOUT_MS = '2000';
  const { definition } = sharedStack();
  pipeline = await LocalPipeline.start({
    endpoints: servers.endpoints,
    definition: { ...definition, consumer: { ...definition.consumer, timeoutSeconds: TIMEOUT_SECONDS } },
    suffix: '-stall',
    // Every failed batch logs each record's error: hundreds of lines while dynalite is stopped.
    logLevel: 'SILENT',
  });
}, 60_000);

afterAll(async () => {
  const dynalite = servers?.processes.find((server) => server.service === 'dynalite')?.child;
  dynalite?.kill('SIGCONT');
  await pipeline?.stop();
  await servers?.stop();
  delete process.env.AWS_REQUEST_TIMEOUT_MS;
});

const events = (prefix: string, count: number, time: string) =>
  Array.from({ length: count }, (_, i) => ({
    partitionKey: `stall-${i % 5}`,
    data: Buffer.from(
      JSON.stringify(eventBridgeEnvelope({ id: `${prefix}-${i}`, resources: [`stall-${i % 5}`], time })),
    ),
  }));

it('delivers every event exactly once after dynalite stalls past the function timeout', async () => {
  // Prepare: some traffic before the stall, so the stall hits a running pipeline.
  const time = new Date(Date.now() - 60_000).toISOString();
  const dynalite = servers.processes.find((server) => server.service === 'dynalite')?.child;
  expect(dynalite?.pid).toBeDefined();
  await pipeline.put(events('before', 200, time));
  await pipeline.drain();

  // Act: stall dynalite, send more, let the stall outlast the consumer's timeout, resume.
  dynalite?.kill('SIGSTOP');
  await pipeline.put(events('during', 300, time));
  await new Promise((resolve) => setTimeout(resolve, STALL_MS));
  dynalite?.kill('SIGCONT');
  await pipeline.drain();

  // Assess: every event in the lake once; the stall showed as retries, not as losses or copies.
  const lake = await pipeline.verifyLake();
  const summary = await pipeline.summary(lake);
  expect(lake.duplicateEvents).toEqual([]);
  expect(lake.events).toBe(500);
  expect(summary).toMatchObject({ in: 500, delivered: 500, duplicates: 0, quarantined: 0, discarded: 0, errors: {} });
  expect(summary.retriedRecords).toBeGreaterThan(0);
}, 180_000);
