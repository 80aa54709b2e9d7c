import { EventTypeLimiter, OTHER_EVENT_TYPE } from '../../../shared/partition';
import { transformBatch } from '../../../shared/transformer/firehose-transform';
import { decodeBase64Json, eventBridgeEnvelope, firehoseEvent } from '../../helpers/factories';

const canonical = {
  id: 'evt-1',
  source: 'client.events',
  'detail-type': 'ClientEvent',
  time: '2026-03-14T15:08:00.000Z',
  clientId: 'client-acme',
  detail: { eventType: 'searching', data: { searchTerm: 'games' } },
  receivedAt: '2026-03-14T15:09:26.000Z',
  environment: 'test',
  schemaVersion: '1',
};

const transform = (payloads: (string | Buffer)[], limiter = new EventTypeLimiter(50)) =>
  transformBatch(firehoseEvent(payloads), limiter);

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
    expect(record?.metadata?.partitionKeys).toEqual({
      clientId: 'client-acme',
      eventType: 'searching',
      year: '2026',
      month: '03',
      day: '14',
      hour: '15',
    });
  });

  it('takes a raw EventBridge envelope’s clientId from resources[0] and empties resources', () => {
    const envelope = eventBridgeEnvelope({ resources: ['client-globex'], 'detail-type': 'Order Placed', detail: { total: 3 } });

    const [record] = transform([JSON.stringify(envelope)]).records;

    expect(record?.result).toBe('Ok');
    expect(decodeBase64Json(record?.data ?? '')).toEqual({
      ...envelope,
      resources: [],
      detail: { total: 3, clientId: 'client-globex' },
    });
    expect(record?.metadata?.partitionKeys).toMatchObject({ clientId: 'client-globex', eventType: 'Order_Placed' });
  });

  it('does not double the newline of a record that already ends with one', () => {
    const [record] = transform([`${JSON.stringify(canonical)}\n`]).records;

    expect(Buffer.from(record?.data ?? '', 'base64').toString('utf8').match(/\n/g)).toHaveLength(1);
  });

  it('returns every recordId exactly once, in order, whatever the result', () => {
    // Prepare
    const payloads = [JSON.stringify(canonical), '', 'not json', '   \n', JSON.stringify({ detail: {} }), JSON.stringify(canonical)];

    // Act
    const { records } = transform(payloads);

    // Assess
    expect(records.map((record) => record.recordId)).toEqual(payloads.map((_, index) => `record-${index}`));
    expect(records.map((record) => record.result)).toEqual(['Ok', 'Dropped', 'ProcessingFailed', 'Dropped', 'ProcessingFailed', 'Ok']);
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

  it('makes hostile partition values S3-safe', () => {
    const hostile = { ...canonical, clientId: '../../other-tenant', detail: { eventType: 'a/b\u0000c' } };

    const [record] = transform([JSON.stringify(hostile)]).records;

    expect(record?.result).toBe('Ok');
    expect(record?.metadata?.partitionKeys).toMatchObject({ clientId: '____other-tenant', eventType: 'a_b_c' });
    expect((decodeBase64Json(record?.data ?? '') as { detail: { clientId: string } }).detail.clientId).toBe(
      '../../other-tenant',
    );
  });

  it('bounds distinct eventType partitions per client across batches', () => {
    const limiter = new EventTypeLimiter(2);
    const ofType = (eventType: string) => JSON.stringify({ ...canonical, detail: { eventType } });

    const first = transform([ofType('a'), ofType('b')], limiter).records;
    const second = transform([ofType('c'), ofType('a')], limiter).records;

    const types = [...first, ...second].map((record) => record.metadata?.partitionKeys?.eventType);
    expect(types).toEqual(['a', 'b', OTHER_EVENT_TYPE, 'a']);
  });
});
