import { gunzipSync } from 'node:zlib';
import { type FirehoseClient, PutRecordBatchCommand } from '@aws-sdk/client-firehose';
import { LocalPipeline } from '../../infra/local/pipeline/local-pipeline';
import { createFirehoseClient } from '../../shared/aws/firehose-client';
import { clientEventRecordPayload, eventBridgeEnvelope, productAction, usageMeter } from '../helpers/factories';
import { kplAggregate } from '../helpers/kpl';
import { sharedStack } from '../helpers/shared-stack';

// Records as real producers write them: a KPL aggregate through the stream, and raw shapes put
// straight into the delivery stream (Direct PUT), on the embedded stack with the real handlers.
let pipeline: LocalPipeline;

const recentTime = (minutesAgo: number) => new Date(Date.now() - minutesAgo * 60_000).toISOString();
const event = (id: string, clientId: string) =>
  JSON.stringify(
    eventBridgeEnvelope({ id, resources: [clientId], time: recentTime(1), detail: { eventType: 'searching', n: id } }),
  );

interface LakeEvent {
  id: string;
  idScope?: string;
  receivedAt?: string;
  detail: { clientId: string };
}
const readLake = async (): Promise<{ key: string; event: LakeEvent }[]> => {
  const found: { key: string; event: LakeEvent }[] = [];
  for (const key of await pipeline.listKeys('events/')) {
    const text = gunzipSync(await pipeline.getObject(key)).toString('utf8');
    for (const line of text.split('\n').filter(Boolean)) found.push({ key, event: JSON.parse(line) as LakeEvent });
  }
  return found;
};
const lakeOf = async (clientId: string) => (await readLake()).filter(({ event }) => event.detail.clientId === clientId);

beforeAll(async () => {
  const { endpoints, definition } = sharedStack();
  pipeline = await LocalPipeline.start({ endpoints, definition, suffix: '-kpl' });
});

afterAll(async () => {
  await pipeline?.stop();
});

describe('records as real producers write them', () => {
  it('de-aggregates a KPL record: each user record ends in its own place and is counted', async () => {
    // Prepare: two good, one duplicate, one malformed user record in one Kinesis record.
    const data = await kplAggregate([
      { partitionKey: 'it-kpl', data: event('k1', 'it-kpl') },
      { partitionKey: 'it-kpl', data: event('k2', 'it-kpl') },
      { partitionKey: 'it-kpl', data: event('k1', 'it-kpl') },
      { partitionKey: 'it-kpl', data: '{"truncated":' },
    ]);

    // Act
    await pipeline.put([{ partitionKey: 'it-kpl', data }]);
    await pipeline.drain();

    // Assess
    expect((await lakeOf('it-kpl')).map(({ event: stored }) => stored.id).sort()).toEqual(['k1', 'k2']);
    const quarantined = await pipeline.listKeys('quarantine/MALFORMED_JSON/');
    expect(quarantined).toHaveLength(1);
    expect(quarantined[0]).toMatch(/-\d+-3\.json$/);
    const body = JSON.parse((await pipeline.getObject(quarantined[0] ?? '')).toString('utf8')) as {
      dataText: string;
      origin: { subSequenceNumber: number };
    };
    expect(body).toMatchObject({ dataText: '{"truncated":', origin: { subSequenceNumber: 3 } });
    const summary = await pipeline.summary();
    expect(summary).toMatchObject({
      in: 4,
      delivered: 2,
      duplicates: 1,
      quarantined: 1,
      quarantineReasons: { MALFORMED_JSON: 1 },
    });
  });

  it('lands raw shapes put straight into Firehose in canonical form, and fails what it cannot read', async () => {
    const firehose: FirehoseClient = createFirehoseClient(pipeline.env);
    const time = recentTime(1);
    const shapes = [
      productAction({
        company_id: 'it-direct-put',
        transaction_id: '0b0e7f8a-1c2d-4e3f-8a9b-0c1d2e3f4a5b',
        request: { ...productAction().request, time },
      }),
      usageMeter({ customerId: 'it-direct-put', meterTimeInMillis: Date.parse(time), uniqueId: 'meter-1' }),
      clientEventRecordPayload({ clientId: 'it-direct-put', receivedAt: time }),
      eventBridgeEnvelope({ id: 'eb-1', resources: ['it-direct-put'], time, detail: { eventType: 'searching' } }),
    ];
    const bad = JSON.stringify({ hello: 'it-direct-put' });

    const response = await firehose.send(
      new PutRecordBatchCommand({
        DeliveryStreamName: pipeline.names.deliveryStream,
        Records: [
          ...shapes.map((shape, index) => ({
            Data: Buffer.from(`${JSON.stringify(shape)}${index % 2 === 0 ? '\n' : ''}`),
          })),
          { Data: Buffer.from(bad) },
        ],
      }),
    );
    await pipeline.drain();

    expect(response.FailedPutCount).toBe(0);
    const lake = await lakeOf('it-direct-put');
    expect(lake).toHaveLength(4);
    for (const { key, event: stored } of lake) {
      expect(stored).toMatchObject({ idScope: expect.any(String), receivedAt: expect.any(String) });
      expect(key).toMatch(/^events\/event_type=[^/]+\/dt=\d{4}-\d{2}-\d{2}\/[^/]+\.gz$/);
    }
    expect(lake.map(({ event: stored }) => stored.idScope).sort()).toEqual([
      'client-event',
      'eventbridge',
      'product-action',
      'usage-meter',
    ]);
    const failed = (
      await Promise.all(
        (
          await pipeline.listKeys('errors/processing-failed/')
        ).map(async (key) => gunzipSync(await pipeline.getObject(key)).toString('utf8')),
      )
    )
      .flatMap((text) => text.split('\n').filter(Boolean))
      .map((line) => JSON.parse(line) as { rawData: string; errorCode?: string });
    expect(failed.map(({ rawData }) => Buffer.from(rawData, 'base64').toString('utf8'))).toContain(bad);
  });
});
