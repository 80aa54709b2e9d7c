import type { Context } from 'aws-lambda';
import { eventBridgeEnvelope, firehoseEvent, kinesisEvent, kinesisRecord } from '../../helpers/factories';

const context = {
  functionName: 'fn',
  awsRequestId: 'req-1',
  getRemainingTimeInMillis: () => 30_000,
} as unknown as Context;

const loadIsolated = <T>(path: string, env: Record<string, string | undefined>): T => {
  const saved = { ...process.env };
  Object.assign(process.env, env);
  for (const [name, value] of Object.entries(env)) if (value === undefined) delete process.env[name];
  try {
    let loaded: T | undefined;
    jest.isolateModules(() => {
      loaded = require(path) as T;
    });
    return loaded as T;
  } finally {
    process.env = saved;
  }
};

type Handler = (event: unknown, context: Context) => Promise<unknown>;

describe('kinesis-consumer handler', () => {
  const env = {
    ENVIRONMENT: 'test',
    DELIVERY_STREAM_NAME: 'delivery',
    IDEMPOTENCY_TABLE_NAME: 'idem',
    QUARANTINE_BUCKET_NAME: 'lake',
  };

  it('fails at cold start naming a missing variable', () => {
    expect(() =>
      loadIsolated('../../../functions/kinesis-consumer/handler', { ...env, IDEMPOTENCY_TABLE_NAME: undefined }),
    ).toThrow('Missing required environment variable IDEMPOTENCY_TABLE_NAME');
  });

  it('processes a batch end to end in dry-run mode and returns the partial-failure response', async () => {
    const { handler } = loadIsolated<{ handler: Handler }>('../../../functions/kinesis-consumer/handler', {
      ...env,
      DRY_RUN: 'true',
    });
    const event = kinesisEvent([kinesisRecord(eventBridgeEnvelope()), kinesisRecord('oops', { raw: true })]);

    await expect(handler(event, context)).resolves.toEqual({ batchItemFailures: [] });
  });
});

describe('firehose-transformer handler', () => {
  it('answers a transformation event with one result per record', async () => {
    const { handler } = loadIsolated<{ handler: Handler }>('../../../functions/firehose-transformer/handler', {});
    const event = firehoseEvent([JSON.stringify(eventBridgeEnvelope()), 'bad']);

    const result = (await handler(event, context)) as { records: { recordId: string; result: string }[] };

    expect(result.records.map(({ recordId, result }) => [recordId, result])).toEqual([
      ['record-0', 'Ok'],
      ['record-1', 'ProcessingFailed'],
    ]);
  });
});
