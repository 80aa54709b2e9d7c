import { eventTypeOf } from '../../../shared/canonical-event';
import { adapt } from '../../../shared/sources';
import {
  CLIENT_EVENT_LIMITS,
  clientEventAdapter,
  parseClientEventEntry,
  toClientEventRecord,
} from '../../../shared/sources/client-event';
import {
  clientEventRecordPayload,
  eventBridgeEnvelope,
  normalizePayload,
  productAction,
  usageMeter,
} from '../../helpers/factories';

const RECEIVED_AT = new Date('2026-03-14T15:09:20.000Z');
const ENTRY_TEXT = '{"eventType":"searching","schemaVersion":1,"data":{"searchTerm":"games"}}';

/** Data whose JSON is exactly `bytes` long. */
const dataOfSize = (bytes: number): Record<string, unknown> => ({
  blob: 'd'.repeat(bytes - JSON.stringify({ blob: '' }).length),
});

describe('parseClientEventEntry', () => {
  it('parses the escaped entry string of an API request into the entry', () => {
    // Prepare
    const body = JSON.parse(`{"entries":[{"entry":${JSON.stringify(ENTRY_TEXT)}}]}`) as {
      entries: { entry: string }[];
    };

    // Act
    const entry = parseClientEventEntry(body.entries[0]?.entry ?? '');

    // Assess
    expect(entry).toEqual({ eventType: 'searching', schemaVersion: 1, data: { searchTerm: 'games' } });
  });

  it('also unwraps the whole item text {"entry":"…"}', () => {
    expect(parseClientEventEntry(JSON.stringify({ entry: ENTRY_TEXT }))).toEqual({
      eventType: 'searching',
      schemaVersion: 1,
      data: { searchTerm: 'games' },
    });
  });

  it("keeps keys beyond eventType, schemaVersion, data and time (the AWS sample's ticket)", () => {
    const text =
      '{"eventType":"loyaltypurchase","schemaVersion":1,"data":{"points":120},"ticket":{"subject":"Call me","priority":"high"}}';

    expect(parseClientEventEntry(text)).toEqual({
      eventType: 'loyaltypurchase',
      schemaVersion: 1,
      data: { points: 120 },
      ticket: { subject: 'Call me', priority: 'high' },
    });
  });

  it('never turns a __proto__ key into a prototype or a detail key', () => {
    const entry = parseClientEventEntry('{"eventType":"x","__proto__":{"polluted":true}}');
    const record = toClientEventRecord(entry, 'client-acme', 'id', RECEIVED_AT);

    expect(({} as { polluted?: boolean }).polluted).toBeUndefined();
    expect(Object.getPrototypeOf(adapt(record).event.detail)).toBe(Object.prototype);
    expect((adapt(record).event.detail as { polluted?: boolean }).polluted).toBeUndefined();
  });

  it.each([
    ['text that is not JSON', '{"eventType":', 'MALFORMED_JSON'],
    ['a wrapped entry that is not JSON', '{"entry":"{oops"}', 'MALFORMED_JSON'],
    ['a JSON array', '[1,2]', 'SCHEMA_VIOLATION'],
    ['an entry without eventType', '{"data":{}}', 'SCHEMA_VIOLATION'],
    ['an entry that carries a clientId', '{"eventType":"x","clientId":"client-globex"}', 'SCHEMA_VIOLATION'],
    ['an entry with a bad time', '{"eventType":"x","time":"now"}', 'INVALID_EVENT_TIME'],
    ['entry text over 96 KiB', `{"eventType":"x","data":"${'d'.repeat(96 * 1024)}"}`, 'PAYLOAD_TOO_LARGE'],
  ])('rejects %s with %s', (_case, text, reason) => {
    expect(() => parseClientEventEntry(text)).toThrow(expect.objectContaining({ reason }));
  });
});

describe('toClientEventRecord', () => {
  it('builds the stream record with the authorizer clientId and the API id', () => {
    // Act
    const record = toClientEventRecord(parseClientEventEntry(ENTRY_TEXT), 'client-acme', 'entry-id-1', RECEIVED_AT);

    // Assess
    expect(record).toEqual({
      kind: 'client-event',
      id: 'entry-id-1',
      clientId: 'client-acme',
      receivedAt: '2026-03-14T15:09:20.000Z',
      entry: { eventType: 'searching', schemaVersion: 1, data: { searchTerm: 'games' } },
    });
  });

  it('keeps an entry time and a string schemaVersion', () => {
    const entry = { eventType: 'page_view', schemaVersion: '2.1', time: '2026-03-14T15:00:00Z' };

    expect(toClientEventRecord(entry, 'client-acme', 'id', RECEIVED_AT).entry).toEqual(entry);
  });

  it('accepts data exactly at 64 KiB and values exactly at 256 characters', () => {
    // Prepare
    const max = CLIENT_EVENT_LIMITS.maxFieldLength;
    const entry = {
      eventType: 'e'.repeat(max),
      schemaVersion: 's'.repeat(max),
      data: dataOfSize(CLIENT_EVENT_LIMITS.maxDataBytes),
    };

    // Act
    const record = toClientEventRecord(entry, 'c'.repeat(max), 'i'.repeat(max), RECEIVED_AT);

    // Assess
    expect(adapt(JSON.parse(JSON.stringify(record))).event.detail.data).toEqual(entry.data);
  });

  it.each([
    [
      'data one byte over 64 KiB',
      { eventType: 'x', data: dataOfSize(64 * 1024 + 1) },
      'client-acme',
      'id',
      'PAYLOAD_TOO_LARGE',
    ],
    ['data that JSON cannot serialize', { eventType: 'x', data: { n: 1n } }, 'client-acme', 'id', 'SCHEMA_VIOLATION'],
    ['an eventType of 257 characters', { eventType: 'e'.repeat(257) }, 'client-acme', 'id', 'SCHEMA_VIOLATION'],
    ['an empty eventType', { eventType: '' }, 'client-acme', 'id', 'SCHEMA_VIOLATION'],
    ['a boolean schemaVersion', { eventType: 'x', schemaVersion: true }, 'client-acme', 'id', 'SCHEMA_VIOLATION'],
    ['an entry that is not an object', 'searching', 'client-acme', 'id', 'SCHEMA_VIOLATION'],
    ['a blank clientId', { eventType: 'x' }, ' ', 'id', 'MISSING_CLIENT_ID'],
    ['a clientId of 257 characters', { eventType: 'x' }, 'c'.repeat(257), 'id', 'SCHEMA_VIOLATION'],
    ['an empty id', { eventType: 'x' }, 'client-acme', '', 'SCHEMA_VIOLATION'],
    ['an id of 257 characters', { eventType: 'x' }, 'client-acme', 'i'.repeat(257), 'SCHEMA_VIOLATION'],
    [
      'an entry time without a zone',
      { eventType: 'x', time: '2026-03-14T15:00:00' },
      'client-acme',
      'id',
      'INVALID_EVENT_TIME',
    ],
  ])('rejects %s with %s', (_case, entry, clientId, id, reason) => {
    expect(() => toClientEventRecord(entry, clientId, id, RECEIVED_AT)).toThrow(expect.objectContaining({ reason }));
  });

  it('rejects an invalid receivedAt with INVALID_EVENT_TIME', () => {
    expect(() => toClientEventRecord({ eventType: 'x' }, 'client-acme', 'id', new Date(Number.NaN))).toThrow(
      expect.objectContaining({ reason: 'INVALID_EVENT_TIME' }),
    );
  });
});

describe('client-event adapter', () => {
  it('maps a client-event record into the canonical event, timed at receivedAt', () => {
    // Act
    const { source, event } = adapt(clientEventRecordPayload());

    // Assess
    expect(source).toBe('client-event');
    expect(event).toEqual({
      id: '7d9e4c1a-2b3f-4a5c-9d6e-0f1a2b3c4d5e',
      source: 'client.events',
      'detail-type': 'ClientEvent',
      time: '2026-03-14T15:09:20.000Z',
      clientId: 'client-acme',
      detail: { eventType: 'searching', schemaVersion: 1, data: { searchTerm: 'games' } },
    });
  });

  it("keeps an entry's extra keys in the detail, next to data", () => {
    const entry = {
      eventType: 'loyaltypurchase',
      schemaVersion: 1,
      data: { points: 120 },
      ticket: { subject: 'Call me' },
    };
    const record = toClientEventRecord(entry, 'client-acme', 'id-1', RECEIVED_AT);

    const { event } = adapt(record);

    expect(record.entry).toEqual(entry);
    expect(event.detail).toEqual({
      eventType: 'loyaltypurchase',
      schemaVersion: 1,
      data: { points: 120 },
      ticket: { subject: 'Call me' },
    });
  });

  it('accepts data and extra keys exactly at 64 KiB together', () => {
    const half = CLIENT_EVENT_LIMITS.maxDataBytes / 2;
    const entry = {
      eventType: 'x',
      data: dataOfSize(half),
      ticket: 'x'.repeat(half - JSON.stringify({ ticket: '' }).length),
    };

    expect(adapt(toClientEventRecord(entry, 'client-acme', 'id', RECEIVED_AT)).event.detail).toHaveProperty('ticket');
  });

  it('prefers the entry time, normalized to UTC', () => {
    const { event } = adapt(
      clientEventRecordPayload({ entry: { eventType: 'searching', time: '2026-03-14T16:05:00+01:00' } }),
    );

    expect(event.time).toBe('2026-03-14T15:05:00.000Z');
    expect(event.detail).toEqual({ eventType: 'searching' });
  });

  it.each([
    ['a blank clientId', { clientId: '' }, 'MISSING_CLIENT_ID'],
    ['no clientId', { clientId: undefined }, 'SCHEMA_VIOLATION'],
    ['no id', { id: undefined }, 'SCHEMA_VIOLATION'],
    ['an entry without eventType', { entry: { data: {} } }, 'SCHEMA_VIOLATION'],
    ['an entry that carries a clientId', { entry: { eventType: 'x', clientId: 'client-globex' } }, 'SCHEMA_VIOLATION'],
    [
      'data and extra keys together over 64 KiB',
      { entry: { eventType: 'x', data: dataOfSize(32 * 1024), ticket: dataOfSize(32 * 1024) } },
      'PAYLOAD_TOO_LARGE',
    ],
    ['data one byte over 64 KiB', { entry: { eventType: 'x', data: dataOfSize(64 * 1024 + 1) } }, 'PAYLOAD_TOO_LARGE'],
    ['a receivedAt that is not a time', { receivedAt: 'soon' }, 'INVALID_EVENT_TIME'],
    ['an entry time that is not a time', { entry: { eventType: 'x', time: 'soon' } }, 'INVALID_EVENT_TIME'],
  ])('rejects %s with %s', (_case, overrides, reason) => {
    // Prepare
    const payload: Record<string, unknown> = { ...clientEventRecordPayload(), ...overrides };

    // Act / Assess
    expect(() => adapt(payload)).toThrow(expect.objectContaining({ reason, source: 'client-event' }));
  });

  it('reads back exactly what toClientEventRecord wrote', () => {
    const record = toClientEventRecord(
      { eventType: 'checkout', data: { amount: 3 } },
      'client-globex',
      'id-9',
      RECEIVED_AT,
    );

    expect(adapt(JSON.parse(JSON.stringify(record))).event).toEqual({
      id: 'id-9',
      source: 'client.events',
      'detail-type': 'ClientEvent',
      time: '2026-03-14T15:09:20.000Z',
      clientId: 'client-globex',
      detail: { eventType: 'checkout', data: { amount: 3 } },
    });
  });

  it('claims client-event records and nothing that carries another source marker', () => {
    expect(clientEventAdapter.matches({ ...clientEventRecordPayload() })).toBe(true);
    expect(clientEventAdapter.matches({ kind: 'other' })).toBe(false);
    expect(clientEventAdapter.matches({ ...eventBridgeEnvelope() })).toBe(false);
    expect(clientEventAdapter.matches({ ...eventBridgeEnvelope(), kind: 'client-event' })).toBe(false);
    expect(clientEventAdapter.matches({ ...productAction(), kind: 'client-event' })).toBe(false);
    expect(clientEventAdapter.matches({ ...usageMeter(), kind: 'client-event' })).toBe(false);
  });

  it('comes out of normalizeRecord as the canonical event, partitioned by the entry eventType', () => {
    // Act
    const normalized = normalizePayload(clientEventRecordPayload());

    // Assess
    expect(normalized.source).toBe('client-event');
    expect(normalized.event).toMatchObject({
      id: '7d9e4c1a-2b3f-4a5c-9d6e-0f1a2b3c4d5e',
      source: 'client.events',
      'detail-type': 'ClientEvent',
      clientId: 'client-acme',
      time: '2026-03-14T15:09:20.000Z',
    });
    expect(eventTypeOf(normalized.event)).toBe('searching');
  });
});
