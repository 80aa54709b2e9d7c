import { adapt } from '../../../shared/sources';
import { eventBridgeAdapter } from '../../../shared/sources/eventbridge';
import { eventBridgeEnvelope } from '../../helpers/factories';

describe('EventBridge adapter', () => {
  it('maps the reference client-event envelope, taking clientId from resources[0]', () => {
    // Prepare
    const envelope = eventBridgeEnvelope();

    // Act
    const { source, event } = adapt(envelope);

    // Assess
    expect(source).toBe('eventbridge');
    expect(event).toEqual({
      id: envelope.id,
      source: 'client.events',
      'detail-type': 'ClientEvent',
      time: '2026-03-14T15:08:00.000Z',
      clientId: 'client-acme',
      detail: envelope.detail,
    });
  });

  it('prefers a top-level clientId (the canonical event) over resources[0]', () => {
    const { event } = adapt(eventBridgeEnvelope({ clientId: 'client-globex', resources: ['arn:aws:events:x'] }));

    expect(event.clientId).toBe('client-globex');
  });

  it('accepts a top-level clientId with no resources at all', () => {
    const { resources: _ignored, ...withoutResources } = eventBridgeEnvelope({ clientId: 'client-initech' });

    expect(adapt(withoutResources).event.clientId).toBe('client-initech');
  });

  it('normalizes an offset event time to UTC', () => {
    const { event } = adapt(eventBridgeEnvelope({ time: '2026-03-14T17:08:00+02:00' }));

    expect(event.time).toBe('2026-03-14T15:08:00.000Z');
  });

  it.each([
    ['no clientId anywhere', { resources: [] }, 'MISSING_CLIENT_ID'],
    ['a blank clientId', { resources: ['  '] }, 'MISSING_CLIENT_ID'],
    ['an empty id', { id: '' }, 'SCHEMA_VIOLATION'],
    ['an id longer than 256 characters', { id: 'x'.repeat(257) }, 'SCHEMA_VIOLATION'],
    ['a clientId longer than 256 characters', { resources: ['c'.repeat(257)] }, 'SCHEMA_VIOLATION'],
    ['a detail that is not an object', { detail: 'text' as unknown as Record<string, unknown> }, 'SCHEMA_VIOLATION'],
    ['a time without a zone', { time: '2026-03-14T15:08:00' }, 'INVALID_EVENT_TIME'],
    ['a time that is not a date', { time: 'yesterday' }, 'INVALID_EVENT_TIME'],
  ])('rejects %s with %s', (_case, overrides, reason) => {
    expect(() => adapt(eventBridgeEnvelope(overrides))).toThrow(expect.objectContaining({ reason }));
  });

  it('names the offending fields in its SCHEMA_VIOLATION message', () => {
    expect(() => adapt(eventBridgeEnvelope({ source: 42 as unknown as string }))).toThrow(/source/);
  });

  it('only claims payloads that look like EventBridge envelopes', () => {
    expect(eventBridgeAdapter.matches({ 'detail-type': 'x', detail: {} })).toBe(true);
    expect(eventBridgeAdapter.matches({ action_name: 'x', company_id: 'y' })).toBe(false);
  });
});

describe('adapt', () => {
  it.each([[null], [[1, 2]], ['text'], [42]])('rejects the non-object %p as UNKNOWN_SOURCE', (payload) => {
    expect(() => adapt(payload)).toThrow(expect.objectContaining({ reason: 'UNKNOWN_SOURCE' }));
  });

  it('rejects an object that matches no adapter as UNKNOWN_SOURCE, listing its keys', () => {
    expect(() => adapt({ hello: 'world' })).toThrow(
      expect.objectContaining({ reason: 'UNKNOWN_SOURCE', message: expect.stringContaining('hello') }),
    );
  });
});
