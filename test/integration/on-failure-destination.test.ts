import { LocalPipeline } from '../../infra/local/pipeline/local-pipeline';
import { eventBridgeEnvelope } from '../helpers/factories';
import { type FaultProxy, startFaultProxy } from '../helpers/fault-proxy';
import { sharedStack } from '../helpers/shared-stack';

// The on-failure destination failing. Past maximumRetryAttempts Lambda discards a batch and sends a
// record of it to the on-failure destination (https://docs.aws.amazon.com/lambda/latest/dg/kinesis-on-failure-destination.html);
// when that send fails the records are gone from the mapping's view, Lambda counts a
// DestinationDeliveryFailures (https://docs.aws.amazon.com/lambda/latest/dg/monitoring-metrics-types.html),
// and only the log keeps the range. Locally the destination is an S3 prefix: its PutObject is
// refused here, and the summary must count those records as lost, not as discarded to a place
// that does not hold them.

let pipeline: LocalPipeline;
let proxy: FaultProxy;
const FAILING = 'od-fails-forever';
const errors: string[] = [];

beforeAll(async () => {
  const { endpoints, definition } = sharedStack();
  proxy = await startFaultProxy(endpoints.s3, ({ method, path }) =>
    method === 'PUT' && path.includes('/local-on-failure/')
      ? { status: 503, errorType: 'ServiceUnavailable', message: 'Injected' }
      : undefined,
  );
  pipeline = await LocalPipeline.start({
    endpoints: { ...endpoints, s3: proxy.url },
    definition: {
      ...definition,
      consumer: { ...definition.consumer, stream: { ...definition.consumer.stream, maximumRetryAttempts: 1 } },
    },
    suffix: '-onfailure',
    failRecord: (data) =>
      data.includes(FAILING) ? { errorCode: 'ServiceUnavailableException', errorMessage: 'Slow down.' } : undefined,
  });
  jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    errors.push(String(chunk));
    return true;
  });
});

afterAll(async () => {
  jest.restoreAllMocks();
  await pipeline?.stop();
  await proxy?.close();
});

it('counts records discarded to a failing on-failure destination as lost, and logs their range', async () => {
  // Prepare: one record Firehose always refuses, then a good one, on one shard.
  const time = new Date(Date.now() - 60_000).toISOString();
  const records = [FAILING, 'od-good'].map((id) => ({
    partitionKey: 'od-co',
    data: Buffer.from(JSON.stringify(eventBridgeEnvelope({ id, resources: ['od-co'], time }))),
  }));

  // Act
  await pipeline.put(records);
  await pipeline.drain();

  // Assess: the good record is in the lake; the failing one is lost, not "discarded".
  const summary = await pipeline.summary();
  expect(summary).toMatchObject({ in: 2, delivered: 1, duplicates: 0, quarantined: 0, discarded: 0, lost: 1 });
  expect(summary.in).toBe(
    summary.delivered + summary.duplicates + summary.quarantined + summary.discarded + summary.lost,
  );
  expect(await pipeline.listKeys('local-on-failure/')).toEqual([]);
  expect(proxy.injected.size).toBe(1);
  const logged = errors.join('');
  expect(logged).toMatch(/ERROR Discarding records after retries; .*"startSequenceNumber":"\d+"/);
  expect(logged).toMatch(
    /ERROR The on-failure destination rejected a record; the records are lost .*"startSequenceNumber":"\d+","endSequenceNumber":"\d+","records":2/,
  );
});
