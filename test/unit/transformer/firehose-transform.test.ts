import { OTHER_EVENT_TYPE } from '../../../shared/lake-layout';
import { transformBatch } from '../../../shared/transformer/firehose-transform';
import {
  ARRIVAL_SECONDS,
  decodeBase64Json,
  eventBridgeEnvelope,
  firehoseEvent,
  testLayout,
} from '../../helpers/factories';

const canonical = {
  id: 'evt-1',
  source: 'client.events',
  'detail-type': 'ClientEvent',
  time: '2026-03-14T15:08:00.000Z',
  clientId: 'client-acme',
  detail: { eventType: 'searching', data: { searchTerm: 'games' } },
  receivedAt: '2026-03-14T15:09:26.000Z',
  environment: 'test',
  envelopeVersion: '2',
};

const transform = (payloads: (string | Buffer)[], layout = testLayout()) =>
  transformBatch(firehoseEvent(payloads), layout);
const DAY_MS = 86_400_000;

describe('transformBatch', () => {
  it('moves a canonical event’s clientId into detail, frames it with one newline and keys its partition', () => {
    // Act
    const { records } = transform([JSON.stringify(canonical)]);

    // Assess
    const [record] = records;
    expect(record?.result).toBe('Ok');
    const text = Buffer.from(record?.data ?? '', 'base64').toString('utf8');
    expect(text.endsWith('}\n')).toBe(true);
    expect(text.indexOf('\n')).toBe(text.length - 1);
    const { clientId: _moved, ...rest } = canonical;
    expect(JSON.parse(text)).toEqual({ ...rest, detail: { ...canonical.detail, clientId: 'client-acme' } });
    expect(record?.metadata?.partitionKeys).toEqual({ event_type: 'searching', dt: '2026-03-14' });
  });

  it('makes a raw EventBridge envelope (clientId in resources[0]) canonical, as the consumer would', () => {
    const envelope = eventBridgeEnvelope({
      resources: ['client-globex'],
      'detail-type': 'Order Placed',
      detail: { total: 3 },
    });

    const [record] = transform([JSON.stringify(envelope)]).records;

    expect(record?.result).toBe('Ok');
    const lake = decodeBase64Json(record?.data ?? '') as Record<string, unknown>;
    expect(lake).toMatchObject({
      id: envelope.id,
      source: envelope.source,
      'detail-type': 'Order Placed',
      detail: { total: 3, clientId: 'client-globex' },
      receivedAt: new Date(ARRIVAL_SECONDS * 1000).toISOString(),
      idScope: 'eventbridge',
    });
    expect(lake).not.toHaveProperty('resources');
    expect(lake).not.toHaveProperty('clientId');
    expect(record?.metadata?.partitionKeys).toEqual({ event_type: OTHER_EVENT_TYPE, dt: '2026-03-14' });
  });

  it('does not double the newline of a record that already ends with one', () => {
    const [record] = transform([`${JSON.stringify(canonical)}\n`]).records;

    expect(
      Buffer.from(record?.data ?? '', 'base64')
        .toString('utf8')
        .match(/\n/g),
    ).toHaveLength(1);
  });

  it('returns every recordId exactly once, in order, whatever the result', () => {
    // Prepare
    const payloads = [
      JSON.stringify(canonical),
      '',
      'not json',
      '   \n',
      JSON.stringify({ detail: {} }),
      JSON.stringify(canonical),
    ];

    // Act
    const { records } = transform(payloads);

    // Assess
    expect(records.map((record) => record.recordId)).toEqual(payloads.map((_, index) => `record-${index}`));
    expect(records.map((record) => record.result)).toEqual([
      'Ok',
      'Dropped',
      'ProcessingFailed',
      'Dropped',
      'ProcessingFailed',
      'Ok',
    ]);
  });

  it.each([
    ['not JSON', 'not json'],
    ['a JSON array', '[1,2]'],
    ['no detail', JSON.stringify({ ...canonical, detail: undefined })],
    ['no clientId anywhere', JSON.stringify({ ...canonical, clientId: undefined, resources: [] })],
    ['no event type', JSON.stringify({ ...canonical, 'detail-type': undefined, detail: {} })],
    ['an invalid time', JSON.stringify({ ...canonical, time: '14/03/2026' })],
    ['no time', JSON.stringify({ ...canonical, time: undefined })],
  ])('marks %s ProcessingFailed with the original data, without failing the batch', (_case, payload) => {
    const { records } = transform([payload, JSON.stringify(canonical)]);

    expect(records[0]).toEqual({
      recordId: 'record-0',
      result: 'ProcessingFailed',
      data: Buffer.from(payload).toString('base64'),
    });
    expect(records[1]?.result).toBe('Ok');
  });

  it('makes hostile partition values S3-safe and injective, keeping the real values in the data', () => {
    const layout = testLayout({
      LAKE_PREFIX:
        'events/client_id=!{partitionKeyFromLambda:client_id}/event_type=!{partitionKeyFromLambda:event_type}/dt=!{partitionKeyFromLambda:dt}/',
      LAKE_EVENT_TYPES: 'a/b\u0000c,a_b_c',
    });
    const hostile = { ...canonical, clientId: '../../other-tenant', detail: { eventType: 'a/b\u0000c' } };
    const twin = { ...canonical, clientId: '____other-tenant', detail: { eventType: 'a_b_c' } };

    const [record, twinRecord] = transform([JSON.stringify(hostile), JSON.stringify(twin)], layout).records;

    expect(record?.result).toBe('Ok');
    expect(record?.metadata?.partitionKeys).toMatchObject({
      client_id: expect.stringMatching(/^____other-tenant--[0-9a-f]{12}$/),
      event_type: expect.stringMatching(/^a_b_c--[0-9a-f]{12}$/),
    });
    expect(twinRecord?.metadata?.partitionKeys).toMatchObject({ client_id: '____other-tenant', event_type: 'a_b_c' });
    const data = decodeBase64Json(record?.data ?? '') as { detail: { clientId: string; eventType: string } };
    expect(data.detail).toMatchObject({ clientId: '../../other-tenant', eventType: 'a/b\u0000c' });
  });

  it('sends unlisted event types to _other and keeps the real type in the event', () => {
    const ofType = (eventType: string) => JSON.stringify({ ...canonical, detail: { eventType } });

    const records = transform([ofType('searching'), ofType('c'), ofType('d')]).records;

    expect(records.map((record) => record.metadata?.partitionKeys?.event_type)).toEqual([
      'searching',
      OTHER_EVENT_TYPE,
      OTHER_EVENT_TYPE,
    ]);
    expect(
      records.map(
        (record) => (decodeBase64Json(record.data ?? '') as { detail: { eventType: string } }).detail.eventType,
      ),
    ).toEqual(['searching', 'c', 'd']);
  });

  it.each([
    ['an empty clientId', { resources: [''], clientId: undefined }],
    ['a whitespace-only clientId', { clientId: '  \t ' }],
    ['a clientId with a lone surrogate', { clientId: 'acme\ud800' }],
    ['a whitespace-only event type', { detail: { eventType: '   ' }, 'detail-type': '   ' }],
  ])('marks %s ProcessingFailed (INVALID_IDENTIFIER or MISSING_CLIENT_ID), never partitioned', (_case, overrides) => {
    const [record] = transform([JSON.stringify({ ...canonical, ...overrides })]).records;

    expect(record?.result).toBe('ProcessingFailed');
    expect(record?.metadata).toBeUndefined();
  });

  it('re-checks the lateness window against receivedAt, so every partitioned event has a time the bound allows', () => {
    const received = new Date(ARRIVAL_SECONDS * 1000);
    const at = (offsetMs: number) => new Date(received.getTime() + offsetMs).toISOString();
    const event = (time: string) => JSON.stringify({ ...canonical, time, receivedAt: received.toISOString() });

    const records = transform([event(at(-6 * DAY_MS)), event(at(-8 * DAY_MS)), event(at(20 * 60_000))]).records;

    expect(records.map((record) => record.result)).toEqual(['Ok', 'ProcessingFailed', 'ProcessingFailed']);
    const wide = transform(
      [event(at(-8 * DAY_MS))],
      testLayout({ MAX_EVENT_AGE_SECONDS: String(35 * 86_400) }),
    ).records;
    expect(wide[0]?.result).toBe('Ok');
  });

  it('judges a raw envelope without receivedAt against its Firehose arrival', () => {
    const old = eventBridgeEnvelope({
      resources: ['client-globex'],
      time: new Date(ARRIVAL_SECONDS * 1000 - 30 * DAY_MS).toISOString(),
    });

    const [record] = transform([JSON.stringify(old)]).records;

    expect(record?.result).toBe('ProcessingFailed');
  });
});
