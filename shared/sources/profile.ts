import { z } from 'zod';
import type { AdaptedEvent } from '../canonical-event';
import { normalizeEventTime } from '../event-time';
import { API_CALL_LIMITS, assertObjectSize, assertRecordClientId } from './api-call';
import { parseWith, type SourceAdapter } from './source-adapter';

/**
 * User and company profiles written by the capture library's `updateUser`,
 * `updateUsersBatch`, `updateCompany` and `updateCompaniesBatch` (`shared/capture`):
 * - `{kind: "user-profile", id, clientId, time, profile: {user_id, company_id?, ip_address?, session_token?,
 *   user_agent_string?, modified_time?, metadata?, campaign?}}`
 * - `{kind: "company-profile", id, clientId, time, profile: {company_id, company_domain?, ip_address?,
 *   session_token?, user_agent_string?, modified_time?, metadata?, campaign?}}`
 *
 * Mapping: id = `id` (the library's UUID), clientId = `clientId`, time = `time`, source
 * `profiles`, `detail-type` `UserProfile` / `CompanyProfile`, detail = {eventType:
 * "user_profile" | "company_profile", ...profile} (the lake partition). Keys outside the shape
 * are dropped.
 *
 * Limits:
 * - clientId missing, null or blank → MISSING_CLIENT_ID; longer than 256 → SCHEMA_VIOLATION.
 * - profile.user_id (user profiles) and profile.company_id (company profiles) are required,
 *   1–256 characters, as are id and an optional company_id → SCHEMA_VIOLATION.
 * - metadata and campaign: JSON objects of at most 64 KiB serialized each → SCHEMA_VIOLATION
 *   when not an object, PAYLOAD_TOO_LARGE when bigger.
 * - time: ISO 8601 with a zone → INVALID_EVENT_TIME; the consumer's window applies.
 */
export const USER_PROFILE_KIND = 'user-profile';
export const COMPANY_PROFILE_KIND = 'company-profile';

const text = z.string().min(1).max(API_CALL_LIMITS.maxFieldLength);
const object = z.record(z.string(), z.unknown()).nullish();
/** What every profile may carry besides its ids (written by the capture library). */
const common = {
  metadata: object,
  campaign: object,
  ip_address: z.string().max(API_CALL_LIMITS.maxIpAddressLength).nullish(),
  session_token: z.string().max(API_CALL_LIMITS.maxSessionTokenLength).nullish(),
  user_agent_string: z.string().max(API_CALL_LIMITS.maxSessionTokenLength).nullish(),
  modified_time: z.string().max(64).nullish(),
};

const envelope = {
  id: text,
  clientId: z.string().max(API_CALL_LIMITS.maxFieldLength),
  // Checked by normalizeEventTime, so a missing or bad time is INVALID_EVENT_TIME.
  time: z.unknown().optional(),
};

const userProfileSchema = z.object({
  ...envelope,
  kind: z.literal(USER_PROFILE_KIND),
  profile: z.object({ user_id: text, company_id: text.nullish(), ...common }),
});

const companyProfileSchema = z.object({
  ...envelope,
  kind: z.literal(COMPANY_PROFILE_KIND),
  profile: z.object({ company_id: text, company_domain: text.nullish(), ...common }),
});

interface ProfileKind {
  adapterName: string;
  kind: string;
  what: string;
  eventType: string;
  detailType: string;
  schema: z.ZodType<{
    id: string;
    clientId: string;
    time?: unknown;
    profile: { metadata?: Record<string, unknown> | null; campaign?: Record<string, unknown> | null } & Record<
      string,
      unknown
    >;
  }>;
}

const profileAdapter = (spec: ProfileKind): SourceAdapter => ({
  name: spec.adapterName,

  // Not ours when the payload also carries another source's marker (never guess).
  matches: (payload) =>
    payload.kind === spec.kind &&
    !('action_name' in payload) &&
    !('meterApiName' in payload) &&
    !('detail-type' in payload),

  toCanonical(payload): AdaptedEvent {
    assertRecordClientId(payload.clientId, spec.what);
    const record = parseWith(spec.schema, payload, spec.what);
    assertObjectSize(record.profile.metadata, 'metadata', spec.what);
    assertObjectSize(record.profile.campaign, 'campaign', spec.what);
    const time = normalizeEventTime(record.time);
    const detail: Record<string, unknown> = { eventType: spec.eventType };
    for (const [key, value] of Object.entries(record.profile)) {
      if (value !== undefined && value !== null) detail[key] = value;
    }
    return {
      id: record.id,
      source: 'profiles',
      'detail-type': spec.detailType,
      time,
      clientId: record.clientId,
      detail,
    };
  },
});

export const userProfileAdapter: SourceAdapter = profileAdapter({
  adapterName: 'user-profile',
  kind: USER_PROFILE_KIND,
  what: 'User profile',
  eventType: 'user_profile',
  detailType: 'UserProfile',
  schema: userProfileSchema,
});

export const companyProfileAdapter: SourceAdapter = profileAdapter({
  adapterName: 'company-profile',
  kind: COMPANY_PROFILE_KIND,
  what: 'Company profile',
  eventType: 'company_profile',
  detailType: 'CompanyProfile',
  schema: companyProfileSchema,
});
