import { eventTypeOf } from '../../../shared/canonical-event';
import { adapt } from '../../../shared/sources';
import { companyProfileAdapter, userProfileAdapter } from '../../../shared/sources/profile';
import { apiCallRecord, companyProfileRecord, userProfileRecord } from '../../helpers/capture-factories';
import { eventBridgeEnvelope, normalizePayload, productAction } from '../../helpers/factories';

const overhead = JSON.stringify({ blob: '' }).length;
const objectOfSize = (bytes: number) => ({ blob: 'm'.repeat(bytes - overhead) });

describe('user-profile adapter', () => {
  it('maps a user profile into the canonical event', () => {
    // Prepare
    const record = userProfileRecord();

    // Act
    const { source, event } = adapt(record);

    // Assess
    expect(source).toBe('user-profile');
    expect(event).toEqual({
      id: '5a6b7c8d-1e2f-4a3b-8c4d-5e6f7a8b9c0d',
      source: 'profiles',
      'detail-type': 'UserProfile',
      time: '2026-03-14T15:08:00.000Z',
      clientId: 'client-acme',
      detail: {
        eventType: 'user_profile',
        user_id: 'user-12345',
        company_id: 'client-acme',
        metadata: { email: 'ada@acme.example', plan: 'pro' },
        campaign: { utm_source: 'newsletter' },
      },
    });
  });

  it('accepts the minimal shape (only user_id) and drops keys outside it', () => {
    const { event } = adapt({ ...userProfileRecord({ profile: { user_id: 'u-1' } }), extra: 'dropped' });

    expect(event.detail).toEqual({ eventType: 'user_profile', user_id: 'u-1' });
    expect(JSON.stringify(event)).not.toContain('dropped');
  });

  it('accepts metadata and campaign of exactly 64 KiB each', () => {
    const profile = { user_id: 'u-1', metadata: objectOfSize(64 * 1024), campaign: objectOfSize(64 * 1024) };
    expect(adapt(userProfileRecord({ profile })).event.detail.user_id).toBe('u-1');
  });

  it.each([
    ['no clientId', { clientId: undefined }, 'MISSING_CLIENT_ID'],
    ['a blank clientId', { clientId: ' ' }, 'MISSING_CLIENT_ID'],
    ['a clientId of 257 characters', { clientId: 'c'.repeat(257) }, 'SCHEMA_VIOLATION'],
    ['no id', { id: undefined }, 'SCHEMA_VIOLATION'],
    ['an id of 257 characters', { id: 'i'.repeat(257) }, 'SCHEMA_VIOLATION'],
    ['no profile', { profile: undefined }, 'SCHEMA_VIOLATION'],
    ['no user_id', { profile: { company_id: 'client-acme' } }, 'SCHEMA_VIOLATION'],
    ['an empty user_id', { profile: { user_id: '' } }, 'SCHEMA_VIOLATION'],
    ['a user_id of 257 characters', { profile: { user_id: 'u'.repeat(257) } }, 'SCHEMA_VIOLATION'],
    ['a numeric user_id', { profile: { user_id: 42 } }, 'SCHEMA_VIOLATION'],
    ['a company_id of 257 characters', { profile: { user_id: 'u', company_id: 'c'.repeat(257) } }, 'SCHEMA_VIOLATION'],
    ['metadata that is a string', { profile: { user_id: 'u', metadata: 'x' } }, 'SCHEMA_VIOLATION'],
    [
      'metadata one byte over 64 KiB',
      { profile: { user_id: 'u', metadata: objectOfSize(64 * 1024 + 1) } },
      'PAYLOAD_TOO_LARGE',
    ],
    [
      'campaign one byte over 64 KiB',
      { profile: { user_id: 'u', campaign: objectOfSize(64 * 1024 + 1) } },
      'PAYLOAD_TOO_LARGE',
    ],
    ['no time', { time: undefined }, 'INVALID_EVENT_TIME'],
    ['a time without a zone', { time: '2026-03-14T15:08:00' }, 'INVALID_EVENT_TIME'],
  ])('rejects %s with %s', (_case, overrides, reason) => {
    const payload: Record<string, unknown> = { ...userProfileRecord(), ...overrides };

    expect(() => adapt(payload)).toThrow(expect.objectContaining({ reason, source: 'user-profile' }));
  });

  it('comes out of normalizeRecord partitioned under eventType=user_profile', () => {
    const normalized = normalizePayload(userProfileRecord());

    expect(normalized.source).toBe('user-profile');
    expect(normalized.event).toMatchObject({ source: 'profiles', 'detail-type': 'UserProfile', environment: 'test' });
    expect(normalized.key).toEqual({
      clientId: 'client-acme',
      source: 'user-profile',
      eventId: '5a6b7c8d-1e2f-4a3b-8c4d-5e6f7a8b9c0d',
    });
    expect(eventTypeOf(normalized.event)).toBe('user_profile');
  });
});

describe('company-profile adapter', () => {
  it('maps a company profile into the canonical event', () => {
    const { source, event } = adapt(companyProfileRecord());

    expect(source).toBe('company-profile');
    expect(event).toEqual({
      id: '6b7c8d9e-2f3a-4b4c-9d5e-6f7a8b9c0d1e',
      source: 'profiles',
      'detail-type': 'CompanyProfile',
      time: '2026-03-14T15:08:00.000Z',
      clientId: 'client-acme',
      detail: { eventType: 'company_profile', company_id: 'client-acme', metadata: { seats: 40, industry: 'tools' } },
    });
  });

  it.each([
    ['no clientId', { clientId: undefined }, 'MISSING_CLIENT_ID'],
    ['a null clientId', { clientId: null }, 'MISSING_CLIENT_ID'],
    ['no company_id', { profile: { metadata: {} } }, 'SCHEMA_VIOLATION'],
    ['a company_id of 257 characters', { profile: { company_id: 'c'.repeat(257) } }, 'SCHEMA_VIOLATION'],
    ['campaign that is an array', { profile: { company_id: 'c', campaign: [] } }, 'SCHEMA_VIOLATION'],
    [
      'metadata one byte over 64 KiB',
      { profile: { company_id: 'c', metadata: objectOfSize(64 * 1024 + 1) } },
      'PAYLOAD_TOO_LARGE',
    ],
    ['a time in epoch millis', { time: 1_773_500_880_000 }, 'INVALID_EVENT_TIME'],
  ])('rejects %s with %s', (_case, overrides, reason) => {
    const payload: Record<string, unknown> = { ...companyProfileRecord(), ...overrides };

    expect(() => adapt(payload)).toThrow(expect.objectContaining({ reason, source: 'company-profile' }));
  });

  it('comes out of normalizeRecord partitioned under eventType=company_profile', () => {
    const normalized = normalizePayload(companyProfileRecord());

    expect(normalized.source).toBe('company-profile');
    expect(eventTypeOf(normalized.event)).toBe('company_profile');
  });

  it('leaves the time window to the consumer', () => {
    const stale = companyProfileRecord({ time: '2026-02-10T00:00:00Z' });
    expect(() => normalizePayload(stale)).toThrow(
      expect.objectContaining({ reason: 'EVENT_TIME_OUT_OF_RANGE', source: 'company-profile' }),
    );
  });
});

describe('profile routing', () => {
  it('each adapter claims its own kind only, and nothing carrying another marker', () => {
    expect(userProfileAdapter.matches({ ...userProfileRecord() })).toBe(true);
    expect(userProfileAdapter.matches({ ...companyProfileRecord() })).toBe(false);
    expect(companyProfileAdapter.matches({ ...companyProfileRecord() })).toBe(true);
    expect(companyProfileAdapter.matches({ ...userProfileRecord() })).toBe(false);
    for (const adapter of [userProfileAdapter, companyProfileAdapter]) {
      expect(adapter.matches({ ...apiCallRecord() })).toBe(false);
      expect(adapter.matches({ ...productAction() })).toBe(false);
      expect(adapter.matches({ ...eventBridgeEnvelope(), kind: 'user-profile' })).toBe(false);
      expect(adapter.matches({ ...eventBridgeEnvelope(), kind: 'company-profile' })).toBe(false);
    }
  });
});
