import { CANONICAL_SCHEMA_VERSION, eventTypeOf } from '../../../shared/canonical-event';
import { ARRIVAL_SECONDS, eventBridgeEnvelope, normalizePayload } from '../../helpers/factories';

const normalize = (payload: unknown, raw = false) => normalizePayload(payload, { raw });

describe('normalizeRecord', () => {
  it('produces the enriched canonical event, its bytes, its idempotency key and its partition', () => {
    // Act
    const normalized = normalize(eventBridgeEnvelope());

    // Assess
    expect(normalized.event).toEqual({
      id: 'a1b2c3d4-0000-4000-8000-000000000001',
      source: 'client.events',
      'detail-type': 'ClientEvent',
      time: '2026-03-14T15:08:00.000Z',
      clientId: 'client-acme',
      detail: { eventType: 'searching', schemaVersion: 1, data: { searchTerm: 'games' } },
      receivedAt: new Date(ARRIVAL_SECONDS * 1000).toISOString(),
      idScope: 'eventbridge',
      environment: 'test',
      envelopeVersion: CANONICAL_SCHEMA_VERSION,
    });
    expect(JSON.parse(normalized.body.toString('utf8'))).toEqual(normalized.event);
    expect(normalized.key).toEqual({
      clientId: 'client-acme',
      source: 'eventbridge',
      eventId: 'a1b2c3d4-0000-4000-8000-000000000001',
    });
    expect(eventTypeOf(normalized.event)).toBe('searching');
  });

  it('falls back to detail-type for the partition eventType', () => {
    const normalized = normalize(eventBridgeEnvelope({ 'detail-type': 'Processed Payment', detail: { amount: 3 } }));

    expect(eventTypeOf(normalized.event)).toBe('Processed Payment');
  });

  it.each([
    ['an empty record', '', 'EMPTY_RECORD'],
    ['truncated JSON', '{"id":"1","detail-type":', 'MALFORMED_JSON'],
    ['bytes that are not UTF-8 JSON', Buffer.from([0xff, 0xfe, 0x00]), 'MALFORMED_JSON'],
  ])('quarantines %s as %s', (_case, raw, reason) => {
    expect(() => normalize(raw, true)).toThrow(expect.objectContaining({ reason }));
  });

  it('judges the event time against the arrival time, not the clock', () => {
    const arrival = new Date(ARRIVAL_SECONDS * 1000);
    const at = (offsetSeconds: number) => new Date(arrival.getTime() + offsetSeconds * 1000).toISOString();

    expect(normalize(eventBridgeEnvelope({ time: at(-7 * 86_400) })).event.time).toBe(at(-7 * 86_400));
    expect(normalize(eventBridgeEnvelope({ time: at(900) })).event.time).toBe(at(900));
    expect(() => normalize(eventBridgeEnvelope({ time: at(-7 * 86_400 - 1) }))).toThrow(
      expect.objectContaining({ reason: 'EVENT_TIME_OUT_OF_RANGE' }),
    );
    expect(() => normalize(eventBridgeEnvelope({ time: at(901) }))).toThrow(
      expect.objectContaining({ reason: 'EVENT_TIME_OUT_OF_RANGE' }),
    );
  });

  it('rejects an event too large for one Firehose record as RECORD_TOO_LARGE', () => {
    const huge = eventBridgeEnvelope({ detail: { blob: 'x'.repeat(1_024_000) } });

    expect(() => normalize(huge)).toThrow(expect.objectContaining({ reason: 'RECORD_TOO_LARGE' }));
  });
});

describe('normalizeRecord source attribution', () => {
  it('names the claiming adapter on a rejection raised after adaptation', () => {
    const stale = eventBridgeEnvelope({ time: '2020-01-01T00:00:00Z' });

    expect(() => normalize(stale)).toThrow(
      expect.objectContaining({ reason: 'EVENT_TIME_OUT_OF_RANGE', source: 'eventbridge' }),
    );
  });

  it('leaves the source unset when no adapter claimed the record', () => {
    expect(() => normalize('not json', true)).toThrow(
      expect.objectContaining({ reason: 'MALFORMED_JSON', source: undefined }),
    );
  });
});
