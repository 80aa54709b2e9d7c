/** Stream records as the API-call capture library (`shared/capture`) writes them. */

export interface ApiCallRecordPayload {
  kind: 'api-call';
  id: string;
  clientId: string;
  apiCall: Record<string, unknown> & {
    request: Record<string, unknown>;
    response: Record<string, unknown>;
  };
}

/** A captured POST /widgets (one minute before the factories' arrival time). */
export const apiCallRecord = (overrides: Partial<ApiCallRecordPayload> = {}): ApiCallRecordPayload => ({
  kind: 'api-call',
  id: '0b7f3c2e-9a41-4d8e-b5c6-7d8e9f0a1b2c',
  clientId: 'client-acme',
  apiCall: {
    request: {
      time: '2026-03-14T15:08:00.000Z',
      uri: 'https://api.acme.example/widgets?color=blue',
      verb: 'POST',
      headers: { 'content-type': 'application/json', authorization: '*****', 'user-agent': 'curl/8.5.0' },
      ip_address: '203.0.113.42',
      body: { name: 'sprocket' },
      transfer_encoding: 'json',
    },
    response: {
      time: '2026-03-14T15:08:00.042Z',
      status: 201,
      headers: { 'content-type': 'application/json' },
      body: { id: 'w-1', name: 'sprocket' },
      transfer_encoding: 'json',
    },
    duration_ms: 42,
    user_id: 'user-12345',
    company_id: 'client-acme',
    api_version: '2026-01-01',
    metadata: { plan: 'pro' },
    request_id: 'c0ffee00-0000-4000-8000-000000000001',
  },
  ...overrides,
});

export interface UserProfilePayload {
  kind: 'user-profile';
  id: string;
  clientId: string;
  time: string;
  profile: {
    user_id?: string;
    company_id?: string;
    metadata?: Record<string, unknown>;
    campaign?: Record<string, unknown>;
  };
}

export const userProfileRecord = (overrides: Partial<UserProfilePayload> = {}): UserProfilePayload => ({
  kind: 'user-profile',
  id: '5a6b7c8d-1e2f-4a3b-8c4d-5e6f7a8b9c0d',
  clientId: 'client-acme',
  time: '2026-03-14T15:08:00.000Z',
  profile: {
    user_id: 'user-12345',
    company_id: 'client-acme',
    metadata: { email: 'ada@acme.example', plan: 'pro' },
    campaign: { utm_source: 'newsletter' },
  },
  ...overrides,
});

export interface CompanyProfilePayload {
  kind: 'company-profile';
  id: string;
  clientId: string;
  time: string;
  profile: { company_id?: string; metadata?: Record<string, unknown>; campaign?: Record<string, unknown> };
}

export const companyProfileRecord = (overrides: Partial<CompanyProfilePayload> = {}): CompanyProfilePayload => ({
  kind: 'company-profile',
  id: '6b7c8d9e-2f3a-4b4c-9d5e-6f7a8b9c0d1e',
  clientId: 'client-acme',
  time: '2026-03-14T15:08:00.000Z',
  profile: { company_id: 'client-acme', metadata: { seats: 40, industry: 'tools' } },
  ...overrides,
});
