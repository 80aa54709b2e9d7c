import { LocalPipeline } from '../../infra/local/pipeline/local-pipeline';
import { eventBridgeEnvelope } from '../helpers/factories';
import { LOCALSTACK_VARIABLE, sharedStack } from '../helpers/shared-stack';

// The subset LocalStack serves (Kinesis, DynamoDB, S3) with the pipeline's own local Firehose
// in front of LocalStack's S3. Without a Docker engine these are reported as skipped, never passed.
const endpoint = process.env[LOCALSTACK_VARIABLE];
const describeWithLocalStack = endpoint === undefined ? describe.skip : describe;

describeWithLocalStack('the pipeline on LocalStack', () => {
  let pipeline: LocalPipeline;

  beforeAll(async () => {
    const url = endpoint as string;
    pipeline = await LocalPipeline.start({
      endpoints: { kinesis: url, dynamodb: url, s3: url },
      definition: sharedStack().definition,
      suffix: '-localstack',
    });
  });

  afterAll(async () => {
    await pipeline?.stop();
  });

  it('delivers, deduplicates and quarantines against LocalStack services', async () => {
    const time = new Date(Date.now() - 60_000).toISOString();
    const a = eventBridgeEnvelope({ id: 'ls-1', resources: ['ls-client'], time });
    const b = eventBridgeEnvelope({ id: 'ls-2', resources: ['ls-client'], time });
    const records = [a, b, a].map((e) => ({ partitionKey: 'ls-client', data: Buffer.from(JSON.stringify(e)) }));

    await pipeline.put([...records, { partitionKey: 'bad', data: Buffer.from('not json') }]);
    await pipeline.drain();

    const summary = await pipeline.summary();
    expect(summary).toMatchObject({ in: 4, delivered: 2, duplicates: 1, quarantined: 1 });
    const lake = await pipeline.verifyLake();
    expect(lake).toMatchObject({ events: 2, duplicateEvents: [], misplacedEvents: [] });
  });
});
