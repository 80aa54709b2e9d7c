import { eventTypeOf } from '../../../shared/canonical-event';
import { adapt } from '../../../shared/sources';
import { meterIdentityId, USAGE_METER_LIMITS, usageMeterAdapter } from '../../../shared/sources/usage-meter';
import { eventBridgeEnvelope, normalizePayload, productAction, usageMeter } from '../../helpers/factories';

const METER_TIME = Date.parse('2026-03-14T15:08:00.000Z');

const dimensionsOf = (count: number): Record<string, string> =>
  Object.fromEntries(Array.from({ length: count }, (_, i) => [`d${i}`, `v${i}`]));

describe('usage-meter adapter', () => {
  it('maps a usage meter into the canonical event with a hash id', () => {
    // Prepare
    const meter = usageMeter();

    // Act
    const { source, event } = adapt(meter);

    // Assess
    expect(source).toBe('usage-meter');
    expect(event).toEqual({
      id: expect.stringMatching(/^derived:meter:[0-9a-f]{32}$/),
      source: 'usage.meters',
      'detail-type': 'api_requests',
      time: '2026-03-14T15:08:00.000Z',
      clientId: 'client-acme',
      detail: {
        eventType: 'api_requests',
        meterApiName: 'api_requests',
        meterValue: 120,
        meterTimeInMillis: METER_TIME,
        dimensions: { region: 'us-east-1', tier: 'pro' },
      },
    });
  });

  it('uses uniqueId as the id when the producer sent one, and keeps it in detail', () => {
    const { event } = adapt(usageMeter({ uniqueId: 'req-000042' }));

    expect(event.id).toBe('req-000042');
    expect(event.detail.uniqueId).toBe('req-000042');
  });

  it('defaults dimensions to {} and drops keys outside the shape', () => {
    const { dimensions: _dimensions, ...meter } = usageMeter();

    const { event } = adapt({ ...meter, note: 'ignored' });

    expect(event.detail.dimensions).toEqual({});
    expect(event.detail).not.toHaveProperty('note');
  });

  describe('stable hash id', () => {
    const idOf = (payload: Record<string, unknown>) => adapt(payload).event.id;

    it('is the same for the same fields in any key order, dimensions included', () => {
      // Prepare
      const a = {
        customerId: 'c1',
        meterApiName: 'm',
        meterValue: 3,
        meterTimeInMillis: METER_TIME,
        dimensions: { a: '1', b: '2' },
      };
      const b = {
        dimensions: { b: '2', a: '1' },
        meterTimeInMillis: METER_TIME,
        meterValue: 3,
        meterApiName: 'm',
        customerId: 'c1',
      };

      // Act / Assess
      expect(idOf(a)).toBe(idOf(b));
      expect(idOf(a)).toBe(meterIdentityId(a));
    });

    it('treats absent dimensions and {} as the same identity', () => {
      const { dimensions: _dimensions, ...bare } = usageMeter();

      expect(idOf(bare)).toBe(idOf({ ...bare, dimensions: {} }));
    });

    it.each([
      ['meterValue', { meterValue: 121 }],
      ['meterTimeInMillis', { meterTimeInMillis: METER_TIME + 1 }],
      ['meterApiName', { meterApiName: 'api_requests_v2' }],
      ['customerId', { customerId: 'client-globex' }],
      ['a dimension value', { dimensions: { region: 'eu-west-1', tier: 'pro' } }],
      ['an extra dimension', { dimensions: { region: 'us-east-1', tier: 'pro', plan: 'x' } }],
    ])('differs when %s differs', (_field, overrides) => {
      expect(idOf({ ...usageMeter(), ...overrides })).not.toBe(idOf({ ...usageMeter() }));
    });

    it('ignores fields outside the identity', () => {
      expect(idOf({ ...usageMeter(), note: 'x' })).toBe(idOf({ ...usageMeter() }));
    });

    it('gives way to uniqueId', () => {
      expect(idOf({ ...usageMeter({ uniqueId: 'u-1' }) })).toBe('u-1');
      expect(idOf({ ...usageMeter({ uniqueId: 'u-1', meterValue: 999 }) })).toBe('u-1');
    });
  });

  it('accepts values exactly at the limits', () => {
    // Prepare
    const max = USAGE_METER_LIMITS.maxFieldLength;
    const meter = usageMeter({
      customerId: 'c'.repeat(max),
      meterApiName: 'm'.repeat(max),
      uniqueId: 'u'.repeat(max),
      dimensions: { ...dimensionsOf(USAGE_METER_LIMITS.maxDimensions - 1), ['k'.repeat(max)]: 'v'.repeat(max) },
      meterValue: 0,
    });

    // Act
    const { event } = adapt(meter);

    // Assess
    expect(Object.keys(event.detail.dimensions as object)).toHaveLength(50);
    expect(adapt(usageMeter({ meterTimeInMillis: USAGE_METER_LIMITS.minTimeMillis })).event.time).toBe(
      '2000-01-01T00:00:00.000Z',
    );
    expect(adapt(usageMeter({ meterTimeInMillis: USAGE_METER_LIMITS.maxTimeMillis - 1 })).event.time).toBe(
      '2099-12-31T23:59:59.999Z',
    );
    expect(adapt(usageMeter({ meterValue: -2.5 })).event.detail.meterValue).toBe(-2.5);
  });

  it.each([
    ['no customerId', { customerId: undefined }, 'MISSING_CLIENT_ID'],
    ['a blank customerId', { customerId: '' }, 'MISSING_CLIENT_ID'],
    ['a customerId of 257 characters', { customerId: 'c'.repeat(257) }, 'SCHEMA_VIOLATION'],
    ['no meterValue', { meterValue: undefined }, 'INVALID_METER_VALUE'],
    ['a numeric string meterValue', { meterValue: '3' }, 'INVALID_METER_VALUE'],
    ['a null meterValue', { meterValue: null }, 'INVALID_METER_VALUE'],
    ['an infinite meterValue', { meterValue: Number.POSITIVE_INFINITY }, 'INVALID_METER_VALUE'],
    ['a NaN meterValue', { meterValue: Number.NaN }, 'INVALID_METER_VALUE'],
    ['no meterTimeInMillis', { meterTimeInMillis: undefined }, 'INVALID_EVENT_TIME'],
    ['a fractional meterTimeInMillis', { meterTimeInMillis: METER_TIME + 0.5 }, 'INVALID_EVENT_TIME'],
    ['meterTimeInMillis in seconds', { meterTimeInMillis: METER_TIME / 1000 }, 'INVALID_EVENT_TIME'],
    ['meterTimeInMillis at 2100-01-01', { meterTimeInMillis: Date.UTC(2100, 0, 1) }, 'INVALID_EVENT_TIME'],
    ['meterTimeInMillis one ms before 2000', { meterTimeInMillis: Date.UTC(2000, 0, 1) - 1 }, 'INVALID_EVENT_TIME'],
    ['an ISO string meterTimeInMillis', { meterTimeInMillis: '2026-03-14T15:08:00Z' }, 'INVALID_EVENT_TIME'],
    ['an empty meterApiName', { meterApiName: '' }, 'SCHEMA_VIOLATION'],
    ['a meterApiName of 257 characters', { meterApiName: 'm'.repeat(257) }, 'SCHEMA_VIOLATION'],
    ['an empty uniqueId', { uniqueId: '' }, 'SCHEMA_VIOLATION'],
    ['a uniqueId of 257 characters', { uniqueId: 'u'.repeat(257) }, 'SCHEMA_VIOLATION'],
    ['51 dimensions', { dimensions: dimensionsOf(51) }, 'SCHEMA_VIOLATION'],
    ['a numeric dimension value', { dimensions: { region: 1 } }, 'SCHEMA_VIOLATION'],
    ['a dimension value of 257 characters', { dimensions: { region: 'v'.repeat(257) } }, 'SCHEMA_VIOLATION'],
    ['a dimension key of 257 characters', { dimensions: { ['k'.repeat(257)]: 'v' } }, 'SCHEMA_VIOLATION'],
    ['dimensions that are an array', { dimensions: ['a'] }, 'SCHEMA_VIOLATION'],
  ])('rejects %s with %s', (_case, overrides, reason) => {
    // Prepare
    const payload: Record<string, unknown> = { ...usageMeter(), ...overrides };

    // Act / Assess
    expect(() => adapt(payload)).toThrow(expect.objectContaining({ reason, source: 'usage-meter' }));
  });

  it('names the offending field in its SCHEMA_VIOLATION message', () => {
    expect(() => adapt({ ...usageMeter(), dimensions: dimensionsOf(51) })).toThrow(/dimensions/);
  });

  it('claims usage meters and nothing that carries another source marker', () => {
    expect(usageMeterAdapter.matches({ ...usageMeter() })).toBe(true);
    expect(usageMeterAdapter.matches({ ...eventBridgeEnvelope() })).toBe(false);
    expect(usageMeterAdapter.matches({ ...eventBridgeEnvelope(), meterApiName: 'x' })).toBe(false);
    expect(usageMeterAdapter.matches({ ...productAction(), meterApiName: 'x' })).toBe(false);
    expect(usageMeterAdapter.matches({ ...usageMeter(), kind: 'client-event' })).toBe(false);
  });

  it('comes out of normalizeRecord as the canonical event, partitioned by meterApiName', () => {
    // Act
    const normalized = normalizePayload(usageMeter());

    // Assess
    expect(normalized.source).toBe('usage-meter');
    expect(normalized.event).toMatchObject({
      source: 'usage.meters',
      'detail-type': 'api_requests',
      clientId: 'client-acme',
      time: '2026-03-14T15:08:00.000Z',
      environment: 'test',
    });
    expect(normalized.key).toEqual({
      clientId: 'client-acme',
      source: 'usage-meter',
      eventId: adapt(usageMeter()).event.id,
    });
    expect(eventTypeOf(normalized.event)).toBe('api_requests');
  });

  it('gives two identical meter records one idempotency key', () => {
    const first = normalizePayload(usageMeter());
    const second = normalizePayload(usageMeter());

    expect(second.key).toEqual(first.key);
  });
});
