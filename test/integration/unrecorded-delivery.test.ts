import { LocalPipeline } from '../../infra/local/pipeline/local-pipeline';
import { eventBridgeEnvelope } from '../helpers/factories';
import { type FaultProxy, startFaultProxy } from '../helpers/fault-proxy';
import { sharedStack } from '../helpers/shared-stack';

// BatchWriteItem failing after Firehose accepted the events. The consumer records an event in the
// idempotency table only once Firehose has taken it; when that write fails (here a 500
// InternalServerError on every attempt: https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_BatchWriteItem.html#API_BatchWriteItem_Errors)
// the events are in the lake, so failing the records would deliver them twice. They count as
// delivered and `unrecorded` (summary, UnrecordedDeliveries metric, an error log); a later
// redelivery of them is not deduplicated, and the lake check shows the copies.

let pipeline: LocalPipeline;
let proxy: FaultProxy;
let failWrites = true;

beforeAll(async () => {
  const { endpoints, definition } = sharedStack();
  proxy = await startFaultProxy(endpoints.dynamodb, ({ target }) =>
    failWrites && target === 'DynamoDB_20120810.BatchWriteItem'
      ? { status: 500, errorType: 'InternalServerError', message: 'Injected' }
      : undefined,
  );
  pipeline = await LocalPipeline.start({
    endpoints: { ...endpoints, dynamodb: proxy.url },
    definition,
    suffix: '-unrecorded',
    logLevel: 'SILENT',
  });
});

afterAll(async () => {
  await pipeline?.stop();
  await proxy?.close();
});

const events = (count: number, time: string) =>
  Array.from({ length: count }, (_, i) => ({
    partitionKey: `ur-${i % 3}`,
    data: Buffer.from(JSON.stringify(eventBridgeEnvelope({ id: `ur-${i}`, resources: [`ur-${i % 3}`], time }))),
  }));

it('counts events delivered but not recorded, and shows the copies a redelivery of them makes', async () => {
  // Prepare
  const time = new Date(Date.now() - 60_000).toISOString();

  // Act 1: every BatchWriteItem fails while the events go through.
  await pipeline.put(events(40, time));
  await pipeline.drain();
  const first = await pipeline.summary();

  // Assess 1: in the lake once each, none retried, all flagged unrecorded.
  expect(proxy.injected.get('DynamoDB_20120810.BatchWriteItem')).toBeGreaterThan(0);
  expect(first).toMatchObject({
    in: 40,
    delivered: 40,
    duplicates: 0,
    quarantined: 0,
    discarded: 0,
    unrecorded: 40,
    errors: {},
  });
  const lake = await pipeline.verifyLake();
  expect(lake).toMatchObject({ events: 40, duplicateEvents: [] });

  // Act 2: the table answers again; a producer sends the same events once more.
  failWrites = false;
  await pipeline.put(events(40, time));
  await pipeline.drain();

  // Assess 2: not deduplicated (nothing was recorded): the lake check names each copy.
  const second = await pipeline.summary();
  expect(second).toMatchObject({ in: 80, delivered: 80, duplicates: 0, unrecorded: 40 });
  const after = await pipeline.verifyLake();
  expect(after.events).toBe(80);
  expect(after.duplicateEvents).toHaveLength(40);
});
