import { LocalPipeline } from '../../infra/local/pipeline/local-pipeline';
import { eventBridgeEnvelope } from '../helpers/factories';
import { sharedStack } from '../helpers/shared-stack';

// Reconciliation counts each record once. When a record keeps failing, Lambda retries from the
// lowest failed sequence number and, past maximumRetryAttempts, sends the whole remaining range to
// the on-failure destination (https://docs.aws.amazon.com/lambda/latest/dg/services-kinesis-errors.html):
// records of that range that had already ended (quarantined, delivered) are not discarded again.

let pipeline: LocalPipeline;
const FAILING = 'rc-fails-forever';

beforeAll(async () => {
  const { endpoints, definition } = sharedStack();
  pipeline = await LocalPipeline.start({
    endpoints,
    definition: {
      ...definition,
      consumer: { ...definition.consumer, stream: { ...definition.consumer.stream, maximumRetryAttempts: 2 } },
    },
    suffix: '-reconcile',
    failRecord: (data) =>
      data.includes(FAILING) ? { errorCode: 'ServiceUnavailableException', errorMessage: 'Slow down.' } : undefined,
  });
});

afterAll(async () => {
  await pipeline?.stop();
});

it('counts a quarantined or delivered record inside a discarded range once, where it ended', async () => {
  // Prepare: one shard, in this order: the record Firehose always refuses, a malformed one, a good one.
  const time = new Date(Date.now() - 60_000).toISOString();
  const records = [
    JSON.stringify(eventBridgeEnvelope({ id: FAILING, resources: ['rc-co'], time })),
    '{"truncated',
    JSON.stringify(eventBridgeEnvelope({ id: 'rc-good', resources: ['rc-co'], time })),
  ].map((text) => ({ partitionKey: 'rc-co', data: Buffer.from(text) }));

  // Act
  await pipeline.put(records);
  await pipeline.drain();

  // Assess
  const summary = await pipeline.summary();
  expect(summary).toMatchObject({ in: 3, delivered: 1, duplicates: 0, quarantined: 1, discarded: 1, errors: {} });
  expect(summary.in).toBe(summary.delivered + summary.duplicates + summary.quarantined + summary.discarded);
  const onFailure = await pipeline.listKeys('local-on-failure/');
  expect(onFailure).toHaveLength(1);
  const info = (
    JSON.parse((await pipeline.getObject(onFailure[0] as string)).toString('utf8')) as {
      KinesisBatchInfo: { batchSize: number };
    }
  ).KinesisBatchInfo;
  // The destination still gets the whole range, as Lambda sends it.
  expect(info.batchSize).toBe(3);
});
