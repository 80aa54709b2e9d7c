import { gunzipSync } from 'node:zlib';
import { type FirehoseClient, PutRecordBatchCommand } from '@aws-sdk/client-firehose';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { LocalPipeline } from '../../infra/local/pipeline/local-pipeline';
import { createDynamoDbDocumentClient } from '../../shared/aws/dynamodb-client';
import { createFirehoseClient } from '../../shared/aws/firehose-client';
import { eventBridgeEnvelope } from '../helpers/factories';
import { sharedStack } from '../helpers/shared-stack';

// End to end on the embedded stack: real SDK clients, real servers, the real handlers.
let pipeline: LocalPipeline;
/** Event ids the local Firehose refuses, with how many more times. */
const refusals = new Map<string, number>();

const recentTime = (minutesAgo: number) => new Date(Date.now() - minutesAgo * 60_000).toISOString();
const event = (id: string, clientId: string, eventType = 'searching', minutesAgo = 1) =>
  eventBridgeEnvelope({ id, resources: [clientId], time: recentTime(minutesAgo), detail: { eventType, n: id } });
const record = (payload: unknown, partitionKey = 'pk') => ({
  partitionKey,
  data: Buffer.from(typeof payload === 'string' ? payload : JSON.stringify(payload)),
});

interface LakeEvent {
  id: string;
  time: string;
  detail: { clientId: string; eventType?: string };
}

const readLake = async (prefix = 'events/'): Promise<{ key: string; event: LakeEvent }[]> => {
  const found: { key: string; event: LakeEvent }[] = [];
  for (const key of await pipeline.listKeys(prefix)) {
    const body = await pipeline.getObject(key);
    const text = gunzipSync(body).toString('utf8');
    for (const line of text.split('\n').filter(Boolean)) found.push({ key, event: JSON.parse(line) as LakeEvent });
  }
  return found;
};
/** The default layout has no client_id key: a client's events are found by their detail.clientId. */
const lakeOf = async (clientId: string) => (await readLake()).filter(({ event }) => event.detail.clientId === clientId);
const lakeIdsOf = async (clientId: string) => (await lakeOf(clientId)).map(({ event }) => event.id).sort();

beforeAll(async () => {
  const { endpoints, definition } = sharedStack();
  pipeline = await LocalPipeline.start({
    endpoints,
    definition,
    suffix: '-pipeline',
    failRecord: (data) => {
      const id = (JSON.parse(data.toString('utf8')) as { id?: string }).id ?? '';
      const left = refusals.get(id) ?? 0;
      if (left === 0) return undefined;
      refusals.set(id, left - 1);
      return { errorCode: 'ServiceUnavailableException', errorMessage: 'Slow down.' };
    },
  });
});

afterAll(async () => {
  await pipeline?.stop();
});

describe('the local pipeline', () => {
  it('delivers events into their partitions and records each in the idempotency table', async () => {
    // Prepare
    const events = [
      event('h1', 'it-happy', 'searching'),
      event('h2', 'it-happy', 'page_view'),
      event('h3', 'it-happy', 'searching', 90),
    ];

    // Act
    await pipeline.put(events.map((e) => record(e, 'it-happy')));
    await pipeline.drain();

    // Assess
    const lake = await lakeOf('it-happy');
    expect(lake.map(({ event }) => event.id).sort()).toEqual(['h1', 'h2', 'h3']);
    for (const { key, event: stored } of lake) {
      // searching and page_view are listed in serverless.yml (custom.lake.eventTypes): their own partition.
      expect(key).toMatch(
        new RegExp(`^events/event_type=${stored.detail.eventType}/dt=${stored.time.slice(0, 10)}/[^/]+\\.gz$`),
      );
      expect(stored.detail.clientId).toBe('it-happy');
    }
    const item = await createDynamoDbDocumentClient(pipeline.env).send(
      new GetCommand({ TableName: pipeline.names.table, Key: { clientId: 'it-happy', eventKey: 'eventbridge#h1' } }),
    );
    expect(item.Item).toMatchObject({
      clientId: 'it-happy',
      eventKey: 'eventbridge#h1',
      expiresAt: expect.any(Number),
    });
  });

  it('stores duplicates within a batch and across batches once', async () => {
    const a = event('d1', 'it-dup');
    const b = event('d2', 'it-dup');

    await pipeline.put([record(a), record(b), record(a)]);
    await pipeline.drain();
    await pipeline.put([record(a), record(b)]);
    await pipeline.drain();

    expect(await lakeIdsOf('it-dup')).toEqual(['d1', 'd2']);
  });

  it('redelivers after a partial failure without duplicating what already got through', async () => {
    // Prepare: Firehose refuses r2 on every one of the consumer's attempts in the first invocation
    refusals.set('r2', 5);
    const before = (await pipeline.summary()).retriedRecords;

    // Act
    await pipeline.put(['r1', 'r2', 'r3'].map((id) => record(event(id, 'it-retry'))));
    await pipeline.drain();

    // Assess
    expect((await pipeline.summary()).retriedRecords).toBeGreaterThan(before);
    expect(await lakeIdsOf('it-retry')).toEqual(['r1', 'r2', 'r3']);
  });

  it('quarantines malformed records with their reason and raw bytes', async () => {
    const truncated = '{"version":"0","id":"q1"';
    const unknown = JSON.stringify({ hello: 'world' });
    const noClient = JSON.stringify({ ...event('q3', 'x'), resources: [] });

    await pipeline.put([record(truncated), record(unknown), record(noClient)]);
    await pipeline.drain();

    const expectations: [string, string][] = [
      ['MALFORMED_JSON', truncated],
      ['UNKNOWN_SOURCE', unknown],
      ['MISSING_CLIENT_ID', noClient],
    ];
    for (const [reason, raw] of expectations) {
      const keys = await pipeline.listKeys(`quarantine/${reason}/`);
      const bodies = await Promise.all(
        keys.map(async (key) => JSON.parse((await pipeline.getObject(key)).toString('utf8'))),
      );
      expect(bodies).toContainEqual(
        expect.objectContaining({
          reason,
          message: expect.any(String),
          dataBase64: Buffer.from(raw).toString('base64'),
        }),
      );
    }
  });

  it('keeps hostile clientId and eventType values out of object keys and in the data', async () => {
    await pipeline.put([record(event('x1', '../../it-evil', '../../../etc/passwd'))]);
    await pipeline.drain();

    const [found, ...more] = await lakeOf('../../it-evil');
    expect(more).toEqual([]);
    // An unlisted type shares event_type=_other; the event keeps its real type.
    expect(found?.key).toMatch(/^events\/event_type=_other\/dt=\d{4}-\d{2}-\d{2}\/[^/]+\.gz$/);
    expect(found?.event.detail.eventType).toBe('../../../etc/passwd');
    expect((await pipeline.listKeys()).every((key) => !key.includes('..'))).toBe(true);
  });

  it('sends records the transformer cannot process to the processing-failed error prefix', async () => {
    // An EventBridge rule can deliver straight to the delivery stream, bypassing the consumer.
    const firehose: FirehoseClient = createFirehoseClient(pipeline.env);
    const good = eventBridgeEnvelope({ id: 'f1', resources: ['it-direct'], time: recentTime(1) });
    const bad = JSON.stringify({ ...good, id: 'f2', resources: [] });

    const response = await firehose.send(
      new PutRecordBatchCommand({
        DeliveryStreamName: pipeline.names.deliveryStream,
        Records: [{ Data: Buffer.from(JSON.stringify(good)) }, { Data: Buffer.from(bad) }],
      }),
    );
    await pipeline.drain();

    expect(response.FailedPutCount).toBe(0);
    expect(await lakeIdsOf('it-direct')).toEqual(['f1']);
    const errorKeys = await pipeline.listKeys('errors/processing-failed/');
    const failed = (
      await Promise.all(errorKeys.map(async (key) => gunzipSync(await pipeline.getObject(key)).toString('utf8')))
    )
      .flatMap((text) => text.split('\n').filter(Boolean))
      .map((line) => JSON.parse(line) as { rawData: string });
    expect(failed.map(({ rawData }) => Buffer.from(rawData, 'base64').toString('utf8'))).toContain(bad);
  });

  it('reconciles: in = delivered + duplicates + quarantined, and the lake holds each delivered event once', async () => {
    const summary = await pipeline.summary();
    const lake = await pipeline.verifyLake();

    expect(summary.errors).toEqual({});
    expect(summary.in).toBe(summary.delivered + summary.duplicates + summary.quarantined + summary.discarded);
    expect(summary.discarded).toBe(0);
    expect(summary.duplicates).toBe(3);
    expect(lake.duplicateEvents).toEqual([]);
    expect(lake.misplacedEvents).toEqual([]);
    // The direct-to-Firehose event bypassed the consumer: it is in the lake but not in `in`.
    expect(lake.events).toBe(summary.delivered + 1);
  });
});
