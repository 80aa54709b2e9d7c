import { eventTypeOf } from '../../../shared/canonical-event';
import { adapt } from '../../../shared/sources';
import { PRODUCT_ACTION_LIMITS, productActionAdapter } from '../../../shared/sources/product-action';
import { eventBridgeEnvelope, normalizePayload, productAction, usageMeter } from '../../helpers/factories';

/** A metadata object whose JSON is exactly `bytes` long. */
const metadataOfSize = (bytes: number): Record<string, unknown> => {
  const overhead = JSON.stringify({ blob: '' }).length;
  return { blob: 'm'.repeat(bytes - overhead) };
};

describe('product-action adapter', () => {
  it('maps a product action into the canonical event', () => {
    // Prepare
    const action = productAction();

    // Act
    const { source, event } = adapt(action);

    // Assess
    expect(source).toBe('product-action');
    expect(event).toEqual({
      id: 'f3a1c2d4-5b6e-4f70-8a91-b2c3d4e5f601',
      source: 'product.actions',
      'detail-type': 'Purchased Subscription',
      time: '2026-03-14T15:08:00.000Z',
      clientId: 'client-acme',
      detail: {
        eventType: 'Purchased Subscription',
        user_id: 'user-12345',
        transaction_id: 'f3a1c2d4-5b6e-4f70-8a91-b2c3d4e5f601',
        request: action.request,
        metadata: { amount: 49.99, currency: 'USD', plan: 'pro', time_seconds: 12 },
      },
    });
  });

  it('accepts the minimal shape: no user_id, no metadata, request with only a time', () => {
    // Prepare
    const { user_id: _user, metadata: _metadata, ...minimal } = productAction({ request: { time: '2026-03-14T17:08:00+02:00' } });

    // Act
    const { event } = adapt(minimal);

    // Assess
    expect(event.time).toBe('2026-03-14T15:08:00.000Z');
    expect(event.detail).toEqual({
      eventType: 'Purchased Subscription',
      transaction_id: 'f3a1c2d4-5b6e-4f70-8a91-b2c3d4e5f601',
      request: { time: '2026-03-14T17:08:00+02:00' },
      metadata: {},
    });
  });

  it('lower-cases the transaction_id so one transaction is one id whatever its case', () => {
    const { event } = adapt(productAction({ transaction_id: 'F3A1C2D4-5B6E-4F70-8A91-B2C3D4E5F601' }));

    expect(event.id).toBe('f3a1c2d4-5b6e-4f70-8a91-b2c3d4e5f601');
    expect(event.detail.transaction_id).toBe('f3a1c2d4-5b6e-4f70-8a91-b2c3d4e5f601');
  });

  it('treats a null user_id as absent and drops keys outside the shape', () => {
    const payload = { ...productAction({ user_id: null as unknown as string }), session_token: 'secret' };

    const { event } = adapt(payload);

    expect(event.detail).not.toHaveProperty('user_id');
    expect(JSON.stringify(event)).not.toContain('secret');
  });

  it('accepts values exactly at the limits', () => {
    // Prepare
    const max = PRODUCT_ACTION_LIMITS;
    const action = productAction({
      action_name: 'a'.repeat(max.maxFieldLength),
      company_id: 'c'.repeat(max.maxFieldLength),
      user_id: 'u'.repeat(max.maxFieldLength),
      request: {
        time: '2026-03-14T15:08:00Z',
        uri: 'x'.repeat(max.maxUriLength),
        ip_address: 'i'.repeat(max.maxIpAddressLength),
        user_agent_string: 'b'.repeat(max.maxUserAgentLength),
      },
      metadata: metadataOfSize(max.maxMetadataBytes),
    });

    // Act
    const { event } = adapt(action);

    // Assess
    expect(event.clientId).toHaveLength(max.maxFieldLength);
    expect(Buffer.byteLength(JSON.stringify(event.detail.metadata))).toBe(max.maxMetadataBytes);
  });

  const request = productAction().request;
  it.each([
    ['no company_id', { company_id: undefined }, 'MISSING_CLIENT_ID'],
    ['a null company_id', { company_id: null }, 'MISSING_CLIENT_ID'],
    ['a blank company_id', { company_id: '   ' }, 'MISSING_CLIENT_ID'],
    ['a company_id of 257 characters', { company_id: 'c'.repeat(257) }, 'SCHEMA_VIOLATION'],
    ['a numeric company_id', { company_id: 42 }, 'SCHEMA_VIOLATION'],
    ['no transaction_id', { transaction_id: undefined }, 'INVALID_TRANSACTION_ID'],
    ['a transaction_id that is not a UUID', { transaction_id: 'txn-0001' }, 'INVALID_TRANSACTION_ID'],
    ['a UUID without dashes', { transaction_id: 'f3a1c2d45b6e4f708a91b2c3d4e5f601' }, 'INVALID_TRANSACTION_ID'],
    ['a numeric transaction_id', { transaction_id: 12345 }, 'INVALID_TRANSACTION_ID'],
    ['an empty action_name', { action_name: '' }, 'SCHEMA_VIOLATION'],
    ['an action_name of 257 characters', { action_name: 'a'.repeat(257) }, 'SCHEMA_VIOLATION'],
    ['a user_id of 257 characters', { user_id: 'u'.repeat(257) }, 'SCHEMA_VIOLATION'],
    ['no request', { request: undefined }, 'SCHEMA_VIOLATION'],
    ['a uri of 2049 characters', { request: { ...request, uri: 'x'.repeat(2049) } }, 'SCHEMA_VIOLATION'],
    ['an ip_address of 257 characters', { request: { ...request, ip_address: 'i'.repeat(257) } }, 'SCHEMA_VIOLATION'],
    ['a user agent of 1025 characters', { request: { ...request, user_agent_string: 'b'.repeat(1025) } }, 'SCHEMA_VIOLATION'],
    ['metadata that is an array', { metadata: [1, 2] }, 'SCHEMA_VIOLATION'],
    ['metadata one byte over 64 KiB', { metadata: metadataOfSize(64 * 1024 + 1) }, 'PAYLOAD_TOO_LARGE'],
    ['a request without a time', { request: { uri: '/x' } }, 'INVALID_EVENT_TIME'],
    ['a request time without a zone', { request: { time: '2026-03-14T15:08:00' } }, 'INVALID_EVENT_TIME'],
    ['a request time in epoch millis', { request: { time: 1_773_500_880_000 } }, 'INVALID_EVENT_TIME'],
  ])('rejects %s with %s', (_case, overrides, reason) => {
    // Prepare
    const payload: Record<string, unknown> = { ...productAction(), ...overrides };

    // Act / Assess
    expect(() => adapt(payload)).toThrow(expect.objectContaining({ reason, source: 'product-action' }));
  });

  it('names the offending field in its SCHEMA_VIOLATION message', () => {
    expect(() => adapt({ ...productAction(), user_id: 7 })).toThrow(/user_id/);
  });

  it('claims product actions and nothing that carries another source marker', () => {
    expect(productActionAdapter.matches({ ...productAction() })).toBe(true);
    expect(productActionAdapter.matches({ ...eventBridgeEnvelope() })).toBe(false);
    expect(productActionAdapter.matches({ ...eventBridgeEnvelope(), action_name: 'x' })).toBe(false);
    expect(productActionAdapter.matches({ ...usageMeter(), action_name: 'x' })).toBe(false);
    expect(productActionAdapter.matches({ ...productAction(), kind: 'client-event' })).toBe(false);
  });

  it('comes out of normalizeRecord as the canonical event, partitioned by action_name', () => {
    // Act
    const normalized = normalizePayload(productAction());

    // Assess
    expect(normalized.source).toBe('product-action');
    expect(normalized.event).toMatchObject({
      id: 'f3a1c2d4-5b6e-4f70-8a91-b2c3d4e5f601',
      source: 'product.actions',
      'detail-type': 'Purchased Subscription',
      clientId: 'client-acme',
      time: '2026-03-14T15:08:00.000Z',
      environment: 'test',
    });
    expect(normalized.key).toEqual({ clientId: 'client-acme', source: 'product-action', eventId: 'f3a1c2d4-5b6e-4f70-8a91-b2c3d4e5f601' });
    expect(eventTypeOf(normalized.event)).toBe('Purchased Subscription');
  });

  it('leaves the time window to the consumer: a month-old action is EVENT_TIME_OUT_OF_RANGE there', () => {
    const stale = productAction({ request: { time: '2026-02-10T00:00:00Z' } });

    expect(adapt(stale).event.time).toBe('2026-02-10T00:00:00.000Z');
    expect(() => normalizePayload(stale)).toThrow(
      expect.objectContaining({ reason: 'EVENT_TIME_OUT_OF_RANGE', source: 'product-action' }),
    );
  });
});
