import { BatchProcessor, EventType } from '@aws-lambda-powertools/batch';
import { Logger } from '@aws-lambda-powertools/logger';
import { eventTypeOf } from '../../../shared/canonical-event';
import { KinesisConsumer } from '../../../shared/consumer/kinesis-consumer';
import { InMemoryIdempotencyStore } from '../../../shared/idempotency/idempotency-store';
import { adapt } from '../../../shared/sources';
import { PRODUCT_ACTION_LIMITS, productActionAdapter } from '../../../shared/sources/product-action';
import {
  eventBridgeEnvelope,
  kinesisEvent,
  kinesisRecord,
  NORMALIZE_OPTIONS,
  normalizePayload,
  productAction,
  usageMeter,
} from '../../helpers/factories';

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
    const {
      user_id: _user,
      metadata: _metadata,
      ...minimal
    } = productAction({ request: { time: '2026-03-14T17:08:00+02:00' } });

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
    const payload = { ...productAction({ user_id: null as unknown as string }), api_key: 'secret' };

    const { event } = adapt(payload);

    expect(event.detail).not.toHaveProperty('user_id');
    expect(JSON.stringify(event)).not.toContain('secret');
  });

  it('keeps session_token, subscription_id and request.uri in the detail', () => {
    const action = { ...productAction(), session_token: 'sess-9f8e', subscription_id: 'sub-0042' };

    const { event } = adapt(action);

    expect(event.detail).toMatchObject({
      session_token: 'sess-9f8e',
      subscription_id: 'sub-0042',
      request: { uri: 'https://app.acme.example/billing/checkout?plan=pro' },
    });
  });

  it('reads a request time without a zone as UTC, as the Actions API does', () => {
    const { event } = adapt(productAction({ request: { time: '2026-03-14T15:08:00.914' } }));

    expect(event.time).toBe('2026-03-14T15:08:00.914Z');
    // As sent in the detail; normalized in the envelope.
    expect(event.detail.request).toEqual({ time: '2026-03-14T15:08:00.914' });
  });

  describe('without transaction_id', () => {
    const { transaction_id: _id, ...idless } = productAction();

    it('derives a stable id in the reserved namespace and keeps no transaction_id in the detail', () => {
      const { event } = adapt(idless);

      expect(event.id).toMatch(/^derived:action:[0-9a-f]{32}$/);
      expect(event.id).toBe(adapt({ ...idless }).event.id);
      expect(event.detail).not.toHaveProperty('transaction_id');
    });

    it('gives the same id whatever the key order, and the same time written with or without a zone', () => {
      const reordered = {
        metadata: { time_seconds: 12, plan: 'pro', currency: 'USD', amount: 49.99 },
        request: { ...idless.request, time: '2026-03-14T15:08:00' },
        user_id: idless.user_id,
        company_id: idless.company_id,
        action_name: idless.action_name,
      };

      expect(adapt(reordered).event.id).toBe(adapt(idless).event.id);
    });

    it.each([
      ['action_name', { action_name: 'Cancelled Subscription' }],
      ['company_id', { company_id: 'client-globex' }],
      ['user_id', { user_id: 'user-6789' }],
      ['session_token', { session_token: 'sess-1' }],
      ['subscription_id', { subscription_id: 'sub-1' }],
      ['request.time', { request: { ...idless.request, time: '2026-03-14T15:08:01Z' } }],
      ['request.uri', { request: { ...idless.request, uri: '/other' } }],
      ['a nested metadata value', { metadata: { ...idless.metadata, plan: { name: 'pro', seats: 2 } } }],
    ])('gives another id when %s differs', (_field, change) => {
      expect(adapt({ ...idless, ...change }).event.id).not.toBe(adapt(idless).event.id);
    });

    it('treats a null transaction_id as absent', () => {
      expect(adapt({ ...idless, transaction_id: null }).event.id).toBe(adapt(idless).event.id);
    });
  });

  describe('without request.time', () => {
    const { time: _time, ...untimedRequest } = productAction().request;
    const untimed = { ...productAction(), request: untimedRequest };

    it('takes the arrival time as the event time, and keeps the request as sent', () => {
      const { event } = adapt(untimed, undefined, { receivedAt: '2026-03-14T15:09:26.000Z' });

      expect(event.time).toBe('2026-03-14T15:09:26.000Z');
      expect(event.detail.request).toEqual(untimedRequest);
    });

    it('accepts an action with no request at all', () => {
      const { request: _request, ...bare } = productAction();

      const { event } = adapt(bare, undefined, { receivedAt: '2026-03-14T15:09:26.000Z' });

      expect(event.time).toBe('2026-03-14T15:09:26.000Z');
      expect(event.detail.request).toEqual({});
    });

    it("is timed by the record's Kinesis arrival in the consumer", () => {
      const normalized = normalizePayload(untimed);

      expect(normalized.event.time).toBe('2026-03-14T15:09:26.000Z');
      expect(normalized.event.receivedAt).toBe('2026-03-14T15:09:26.000Z');
    });

    it('is INVALID_EVENT_TIME when the adapter is called with no arrival', () => {
      expect(() => productActionAdapter.toCanonical(untimed)).toThrow(
        expect.objectContaining({ reason: 'INVALID_EVENT_TIME' }),
      );
    });

    it('keeps one id for an id-less, time-less action across arrivals (a re-send is the same action)', () => {
      const { transaction_id: _id, ...bare } = untimed;
      const first = adapt(bare, undefined, { receivedAt: '2026-03-14T15:09:26.000Z' }).event;
      const again = adapt(bare, undefined, { receivedAt: '2026-03-14T16:00:00.000Z' }).event;

      expect(again.id).toBe(first.id);
      expect(again.time).not.toBe(first.time);
    });
  });

  it('counts identical id-less actions once through the consumer, across batches', async () => {
    // Prepare: the consumer with an in-memory store and a sink that records what it delivers
    const delivered: string[] = [];
    const sink = {
      deliver: async (records: readonly Uint8Array[]) => {
        for (const record of records)
          delivered.push((JSON.parse(Buffer.from(record).toString('utf8')) as { id: string }).id);
        return records.map(() => ({ ok: true as const }));
      },
    };
    const consumer = new KinesisConsumer(
      new BatchProcessor(EventType.KinesisDataStreams),
      { ...NORMALIZE_OPTIONS, budget: { requestTimeoutMs: 1_000, marginMs: 500 } },
      {
        store: new InMemoryIdempotencyStore(),
        sink,
        quarantine: { put: async () => 'quarantine/x' },
        logger: new Logger({ logLevel: 'SILENT' }),
      },
    );
    const { transaction_id: _id, ...idless } = productAction();
    const { transaction_id: _other, ...different } = productAction({ metadata: { amount: 10 } });

    // Act
    const first = await consumer.processBatch(
      kinesisEvent([kinesisRecord(idless), kinesisRecord(different), kinesisRecord({ ...idless })]),
    );
    const second = await consumer.processBatch(kinesisEvent([kinesisRecord(idless)]));

    // Assess
    expect(first.summary).toMatchObject({ in: 3, delivered: 2, duplicates: 1, quarantined: 0 });
    expect(second.summary).toMatchObject({ in: 1, delivered: 0, duplicates: 1 });
    expect(delivered).toHaveLength(2);
    expect(delivered[0]).toMatch(/^derived:action:/);
    expect(new Set(delivered).size).toBe(2);
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
    ['a transaction_id that is not a UUID', { transaction_id: 'txn-0001' }, 'INVALID_TRANSACTION_ID'],
    ['a UUID without dashes', { transaction_id: 'f3a1c2d45b6e4f708a91b2c3d4e5f601' }, 'INVALID_TRANSACTION_ID'],
    ['a numeric transaction_id', { transaction_id: 12345 }, 'INVALID_TRANSACTION_ID'],
    ['an empty action_name', { action_name: '' }, 'SCHEMA_VIOLATION'],
    ['an action_name of 257 characters', { action_name: 'a'.repeat(257) }, 'SCHEMA_VIOLATION'],
    ['a user_id of 257 characters', { user_id: 'u'.repeat(257) }, 'SCHEMA_VIOLATION'],
    ['a uri of 2049 characters', { request: { ...request, uri: 'x'.repeat(2049) } }, 'SCHEMA_VIOLATION'],
    ['an ip_address of 257 characters', { request: { ...request, ip_address: 'i'.repeat(257) } }, 'SCHEMA_VIOLATION'],
    [
      'a user agent of 1025 characters',
      { request: { ...request, user_agent_string: 'b'.repeat(1025) } },
      'SCHEMA_VIOLATION',
    ],
    ['metadata that is an array', { metadata: [1, 2] }, 'SCHEMA_VIOLATION'],
    ['metadata one byte over 64 KiB', { metadata: metadataOfSize(64 * 1024 + 1) }, 'PAYLOAD_TOO_LARGE'],
    ['a request time in epoch millis', { request: { time: 1_773_500_880_000 } }, 'INVALID_EVENT_TIME'],
    ['a request time that is only a date', { request: { time: '2026-03-14' } }, 'INVALID_EVENT_TIME'],
    [
      'a transaction_id in the derived namespace',
      { transaction_id: 'derived:action:0123456789abcdef0123456789abcdef' },
      'INVALID_TRANSACTION_ID',
    ],
    ['an empty session_token', { session_token: '' }, 'SCHEMA_VIOLATION'],
    ['a session_token of 1025 characters', { session_token: 's'.repeat(1025) }, 'SCHEMA_VIOLATION'],
    ['a subscription_id of 257 characters', { subscription_id: 's'.repeat(257) }, 'SCHEMA_VIOLATION'],
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
    expect(normalized.key).toEqual({
      clientId: 'client-acme',
      source: 'product-action',
      eventId: 'f3a1c2d4-5b6e-4f70-8a91-b2c3d4e5f601',
    });
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
