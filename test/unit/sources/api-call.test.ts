import { eventTypeOf } from '../../../shared/canonical-event';
import { adapt } from '../../../shared/sources';
import { API_CALL_LIMITS, apiCallAdapter } from '../../../shared/sources/api-call';
import { apiCallRecord } from '../../helpers/capture-factories';
import { eventBridgeEnvelope, normalizePayload, productAction, usageMeter } from '../../helpers/factories';

/** The record with `apiCall` fields overridden (request/response merged one level deep). */
const withApiCall = (overrides: Record<string, unknown>): Record<string, unknown> => {
  const record = apiCallRecord();
  return { ...record, apiCall: { ...record.apiCall, ...overrides } };
};
const withRequest = (overrides: Record<string, unknown>) =>
  withApiCall({ request: { ...apiCallRecord().apiCall.request, ...overrides } });
const withResponse = (overrides: Record<string, unknown>) =>
  withApiCall({ response: { ...apiCallRecord().apiCall.response, ...overrides } });

describe('api-call adapter', () => {
  it('maps a captured API call into the canonical event', () => {
    // Prepare
    const record = apiCallRecord();

    // Act
    const { source, event } = adapt(record);

    // Assess
    expect(source).toBe('api-call');
    expect(event).toEqual({
      id: '0b7f3c2e-9a41-4d8e-b5c6-7d8e9f0a1b2c',
      source: 'api.calls',
      'detail-type': 'ApiCall',
      time: '2026-03-14T15:08:00.000Z',
      clientId: 'client-acme',
      detail: { eventType: 'api_call', ...record.apiCall },
    });
  });

  it('accepts the minimal shape and drops keys outside it', () => {
    // Prepare
    const payload = {
      kind: 'api-call',
      id: 'id-1',
      clientId: 'client-acme',
      extra: 'dropped',
      apiCall: {
        request: { time: '2026-03-14T17:08:00+02:00', uri: '/widgets', verb: 'GET' },
        response: { time: '2026-03-14T15:08:00.003Z', status: 200 },
        duration_ms: 3,
        user_id: null,
        secret: 'dropped',
      },
    };

    // Act
    const { event } = adapt(payload);

    // Assess
    expect(event.time).toBe('2026-03-14T15:08:00.000Z');
    expect(event.detail).toEqual({
      eventType: 'api_call',
      request: { time: '2026-03-14T17:08:00+02:00', uri: '/widgets', verb: 'GET' },
      response: { time: '2026-03-14T15:08:00.003Z', status: 200 },
      duration_ms: 3,
    });
    expect(JSON.stringify(event)).not.toContain('dropped');
  });

  it('keeps bodies of any JSON type, multi-value headers and base64 bodies as sent', () => {
    const { event } = adapt(
      withApiCall({
        request: {
          time: '2026-03-14T15:08:00Z',
          uri: '/upload',
          verb: 'PUT',
          headers: { accept: ['a', 'b'] },
          body: 'aGk=',
          transfer_encoding: 'base64',
        },
        response: { time: '2026-03-14T15:08:00Z', status: 204, body: [1, 'two', null] },
      }),
    );

    expect(event.detail.request).toMatchObject({
      headers: { accept: ['a', 'b'] },
      body: 'aGk=',
      transfer_encoding: 'base64',
    });
    expect(event.detail.response).toMatchObject({ status: 204, body: [1, 'two', null] });
  });

  it('keeps the truncation marks of a body the library cut', () => {
    const { event } = adapt(
      withResponse({ body: 'abc', transfer_encoding: 'text', body_truncated: true, body_size: 70_000 }),
    );

    expect(event.detail.response).toMatchObject({
      body: 'abc',
      transfer_encoding: 'text',
      body_truncated: true,
      body_size: 70_000,
    });
  });

  it('accepts values exactly at the limits', () => {
    // Prepare
    const max = API_CALL_LIMITS;
    const overhead = JSON.stringify({ blob: '' }).length;
    const payload = {
      ...withApiCall({
        request: {
          time: '2026-03-14T15:08:00Z',
          uri: 'u'.repeat(max.maxUriLength),
          verb: 'V'.repeat(max.maxVerbLength),
        },
        response: { time: '2026-03-14T15:08:00Z', status: 599 },
        duration_ms: 0,
        user_id: 'u'.repeat(max.maxFieldLength),
        session_token: 's'.repeat(max.maxSessionTokenLength),
        metadata: { blob: 'm'.repeat(max.maxMetadataBytes - overhead) },
      }),
      id: 'i'.repeat(max.maxFieldLength),
      clientId: 'c'.repeat(max.maxFieldLength),
    };

    // Act
    const { event } = adapt(payload);

    // Assess
    expect(event.id).toHaveLength(max.maxFieldLength);
    expect(Buffer.byteLength(JSON.stringify(event.detail.metadata))).toBe(max.maxMetadataBytes);
  });

  it.each([
    ['no clientId', { clientId: undefined }, 'MISSING_CLIENT_ID'],
    ['a null clientId', { clientId: null }, 'MISSING_CLIENT_ID'],
    ['a blank clientId', { clientId: '  ' }, 'MISSING_CLIENT_ID'],
    ['a clientId of 257 characters', { clientId: 'c'.repeat(257) }, 'SCHEMA_VIOLATION'],
    ['a numeric clientId', { clientId: 7 }, 'SCHEMA_VIOLATION'],
    ['no id', { id: undefined }, 'SCHEMA_VIOLATION'],
    ['an id of 257 characters', { id: 'i'.repeat(257) }, 'SCHEMA_VIOLATION'],
    ['no apiCall', { apiCall: undefined }, 'SCHEMA_VIOLATION'],
    ['no request', withApiCall({ request: undefined }), 'SCHEMA_VIOLATION'],
    ['no response', withApiCall({ response: undefined }), 'SCHEMA_VIOLATION'],
    ['no uri', withRequest({ uri: undefined }), 'SCHEMA_VIOLATION'],
    ['a uri of 8193 characters', withRequest({ uri: 'u'.repeat(8193) }), 'SCHEMA_VIOLATION'],
    ['no verb', withRequest({ verb: undefined }), 'SCHEMA_VIOLATION'],
    ['a verb of 33 characters', withRequest({ verb: 'V'.repeat(33) }), 'SCHEMA_VIOLATION'],
    ['a numeric header value', withRequest({ headers: { 'x-n': 1 } }), 'SCHEMA_VIOLATION'],
    ['an ip_address of 257 characters', withRequest({ ip_address: 'i'.repeat(257) }), 'SCHEMA_VIOLATION'],
    ['a string body_truncated', withRequest({ body_truncated: 'yes' }), 'SCHEMA_VIOLATION'],
    ['a negative body_size', withResponse({ body_size: -1 }), 'SCHEMA_VIOLATION'],
    ['a status of 99', withResponse({ status: 99 }), 'SCHEMA_VIOLATION'],
    ['a status of 600', withResponse({ status: 600 }), 'SCHEMA_VIOLATION'],
    ['a string status', withResponse({ status: '200' }), 'SCHEMA_VIOLATION'],
    ['no duration_ms', withApiCall({ duration_ms: undefined }), 'SCHEMA_VIOLATION'],
    ['a negative duration_ms', withApiCall({ duration_ms: -1 }), 'SCHEMA_VIOLATION'],
    ['a user_id of 257 characters', withApiCall({ user_id: 'u'.repeat(257) }), 'SCHEMA_VIOLATION'],
    ['a company_id of 257 characters', withApiCall({ company_id: 'c'.repeat(257) }), 'SCHEMA_VIOLATION'],
    ['a request_id of 257 characters', withApiCall({ request_id: 'r'.repeat(257) }), 'SCHEMA_VIOLATION'],
    ['a session_token of 4097 characters', withApiCall({ session_token: 's'.repeat(4097) }), 'SCHEMA_VIOLATION'],
    ['metadata that is an array', withApiCall({ metadata: [1] }), 'SCHEMA_VIOLATION'],
    [
      'metadata one byte over 64 KiB',
      withApiCall({ metadata: { blob: 'm'.repeat(64 * 1024 - JSON.stringify({ blob: '' }).length + 1) } }),
      'PAYLOAD_TOO_LARGE',
    ],
    ['a request without a time', withRequest({ time: undefined }), 'INVALID_EVENT_TIME'],
    ['a request time without a zone', withRequest({ time: '2026-03-14T15:08:00' }), 'INVALID_EVENT_TIME'],
    ['a response time in epoch millis', withResponse({ time: 1_773_500_880_000 }), 'INVALID_EVENT_TIME'],
  ])('rejects %s with %s', (_case, overrides, reason) => {
    // Prepare
    const payload: Record<string, unknown> = { ...apiCallRecord(), ...overrides };

    // Act / Assess
    expect(() => adapt(payload)).toThrow(expect.objectContaining({ reason, source: 'api-call' }));
  });

  it('names the offending field in its SCHEMA_VIOLATION message', () => {
    expect(() => adapt(withResponse({ status: 'ok' }))).toThrow(/apiCall\.response\.status/);
  });

  it('claims API-call records and nothing that carries another source marker', () => {
    expect(apiCallAdapter.matches({ ...apiCallRecord() })).toBe(true);
    expect(apiCallAdapter.matches({ ...apiCallRecord(), kind: 'client-event' })).toBe(false);
    expect(apiCallAdapter.matches({ ...apiCallRecord(), action_name: 'x' })).toBe(false);
    expect(apiCallAdapter.matches({ ...apiCallRecord(), meterApiName: 'x' })).toBe(false);
    expect(apiCallAdapter.matches({ ...eventBridgeEnvelope(), kind: 'api-call' })).toBe(false);
    expect(apiCallAdapter.matches({ ...productAction() })).toBe(false);
    expect(apiCallAdapter.matches({ ...usageMeter() })).toBe(false);
  });

  it('comes out of normalizeRecord as the canonical event, partitioned under eventType=api_call', () => {
    // Act
    const normalized = normalizePayload(apiCallRecord());

    // Assess
    expect(normalized.source).toBe('api-call');
    expect(normalized.event).toMatchObject({
      id: '0b7f3c2e-9a41-4d8e-b5c6-7d8e9f0a1b2c',
      source: 'api.calls',
      'detail-type': 'ApiCall',
      clientId: 'client-acme',
      time: '2026-03-14T15:08:00.000Z',
      environment: 'test',
      detail: { eventType: 'api_call', response: { status: 201 } },
    });
    expect(normalized.key).toEqual({
      clientId: 'client-acme',
      source: 'api-call',
      eventId: '0b7f3c2e-9a41-4d8e-b5c6-7d8e9f0a1b2c',
    });
    expect(eventTypeOf(normalized.event)).toBe('api_call');
  });

  it('leaves the time window and the record size to the consumer', () => {
    const stale = withRequest({ time: '2026-02-10T00:00:00Z' });
    expect(() => normalizePayload(stale)).toThrow(
      expect.objectContaining({ reason: 'EVENT_TIME_OUT_OF_RANGE', source: 'api-call' }),
    );

    const huge = withResponse({ body: 'b'.repeat(1024 * 1024) });
    expect(() => normalizePayload(huge)).toThrow(
      expect.objectContaining({ reason: 'RECORD_TOO_LARGE', source: 'api-call' }),
    );
  });
});
