import { randomUUID } from 'node:crypto';
import { CaptureBuffer, type FlushResult } from './capture-buffer';
import {
  type CaptureTransportOptions,
  DEFAULT_PROFILE_FLUSH_TIMEOUT_MS,
  type ResolvedTransport,
  resolveTransport,
} from './options';
import {
  CAPTURE_LIMITS,
  type CompanyProfile,
  type CompanyProfileRecord,
  isPlainObject,
  type UserProfile,
  type UserProfileRecord,
} from './records';

/** Thrown (as a rejection) by the profile calls for invalid input; nothing is sent then. */
export class CaptureValidationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CaptureValidationError';
  }
}

/** What the profile calls resolve to: how many records went on the stream and how many did not. */
export type ProfileSendResult = FlushResult;

const requiredId = (value: unknown, field: string, where: string): string => {
  if (typeof value !== 'string' || value.trim() === '' || value.length > CAPTURE_LIMITS.maxFieldLength) {
    throw new CaptureValidationError(
      `${where}: ${field} must be a non-empty string of at most ${CAPTURE_LIMITS.maxFieldLength} characters`,
    );
  }
  return value;
};

const optionalObject = (value: unknown, field: string, where: string): Record<string, unknown> | undefined => {
  if (value === undefined || value === null) return undefined;
  if (!isPlainObject(value)) throw new CaptureValidationError(`${where}: ${field} must be a JSON object`);
  let bytes: number;
  try {
    bytes = Buffer.byteLength(JSON.stringify(value), 'utf8');
  } catch {
    throw new CaptureValidationError(`${where}: ${field} must be JSON-serializable`);
  }
  if (bytes > CAPTURE_LIMITS.maxObjectBytes) {
    throw new CaptureValidationError(
      `${where}: ${field} is ${bytes} bytes serialized; the limit is ${CAPTURE_LIMITS.maxObjectBytes}`,
    );
  }
  return value;
};

const snakeCase = (key: string): string => key.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`);

/** The input with camelCase keys (userId, companyDomain, utmSource…) as snake_case; a snake_case key wins when both are given. */
const snakeKeys = (input: Record<string, unknown>): Record<string, unknown> => {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(input)) {
    const snake = snakeCase(key);
    if (snake !== key && key in input && snake in input) continue;
    if (value !== undefined && value !== null) out[snake] = value;
  }
  return out;
};

const PROFILE_STRING_FIELDS = ['ip_address', 'session_token', 'user_agent_string'] as const;
const CAMPAIGN_STRING_FIELDS = [
  'utm_source',
  'utm_medium',
  'utm_campaign',
  'utm_term',
  'utm_content',
  'referrer',
  'referring_domain',
  'gclid',
] as const;

const optionalText = (
  value: unknown,
  field: string,
  where: string,
  max: number = CAPTURE_LIMITS.maxFieldLength,
): string | undefined => {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string' || value.length > max) {
    throw new CaptureValidationError(`${where}: ${field} must be a string of at most ${max} characters`);
  }
  return value === '' ? undefined : value;
};

/** modified_time as ISO 8601: a Date, epoch milliseconds or a parseable string. */
const modifiedTime = (value: unknown, where: string): string | undefined => {
  if (value === undefined || value === null) return undefined;
  const date =
    value instanceof Date
      ? value
      : typeof value === 'number' || typeof value === 'string'
        ? new Date(value)
        : undefined;
  if (date === undefined || Number.isNaN(date.getTime()))
    throw new CaptureValidationError(`${where}: modified_time must be a date`);
  return date.toISOString();
};

/** ip_address, session_token, user_agent_string, modified_time, metadata, campaign (campaign keys camelCase or snake_case). */
const commonFields = (input: Record<string, unknown>, where: string): Record<string, unknown> => {
  const out: Record<string, unknown> = {};
  for (const field of PROFILE_STRING_FIELDS) {
    const value = optionalText(
      input[field],
      field,
      where,
      field === 'ip_address' ? CAPTURE_LIMITS.maxFieldLength : CAPTURE_LIMITS.maxSessionTokenLength,
    );
    if (value !== undefined) out[field] = value;
  }
  const modified = modifiedTime(input.modified_time, where);
  if (modified !== undefined) out.modified_time = modified;
  const metadata = optionalObject(input.metadata, 'metadata', where);
  if (metadata) out.metadata = metadata;
  const campaignInput = optionalObject(input.campaign, 'campaign', where);
  if (campaignInput) {
    const campaign = snakeKeys(campaignInput);
    for (const field of CAMPAIGN_STRING_FIELDS)
      optionalText(campaign[field], `campaign.${field}`, where, CAPTURE_LIMITS.maxUriLength);
    out.campaign = campaign;
  }
  return out;
};

const userRecord = (raw: unknown, where: string, transport: ResolvedTransport, time: string): UserProfileRecord => {
  if (!isPlainObject(raw)) throw new CaptureValidationError(`${where}: a user profile must be an object`);
  const input = snakeKeys(raw);
  const profile: UserProfile = { user_id: requiredId(input.user_id, 'user_id', where), ...commonFields(input, where) };
  if (input.company_id !== undefined && input.company_id !== null)
    profile.company_id = requiredId(input.company_id, 'company_id', where);
  const clientId = profile.company_id ?? transport.defaultClientId();
  if (clientId === undefined) {
    throw new CaptureValidationError(
      `${where}: no clientId: give company_id or set defaultClientId (CAPTURE_DEFAULT_CLIENT_ID)`,
    );
  }
  return { kind: 'user-profile', id: randomUUID(), clientId, time, profile };
};

const companyRecord = (raw: unknown, where: string, time: string): CompanyProfileRecord => {
  if (!isPlainObject(raw)) throw new CaptureValidationError(`${where}: a company profile must be an object`);
  const input = snakeKeys(raw);
  const profile: CompanyProfile = {
    company_id: requiredId(input.company_id, 'company_id', where),
    ...commonFields(input, where),
  };
  const domain = optionalText(input.company_domain, 'company_domain', where);
  if (domain !== undefined) profile.company_domain = domain;
  return { kind: 'company-profile', id: randomUUID(), clientId: profile.company_id, time, profile };
};

const send = async (
  options: CaptureTransportOptions | undefined,
  build: (transport: ResolvedTransport, time: string) => (UserProfileRecord | CompanyProfileRecord)[],
): Promise<ProfileSendResult> => {
  const transport = resolveTransport(options ?? {}, DEFAULT_PROFILE_FLUSH_TIMEOUT_MS);
  // Validation throws inside the async function: the promise rejects, nothing is sent.
  const records = build(transport, new Date().toISOString());
  const buffer = new CaptureBuffer(transport);
  try {
    let dropped = 0;
    for (const record of records) if (!buffer.add(record)) dropped++;
    const result = await buffer.flush();
    return { sent: result.sent, notSent: result.notSent + dropped };
  } finally {
    // Drops (CaptureRecordsDropped) are emitted when the call ends, as at the end of an invocation.
    transport.metrics.flush();
  }
};

const asArray = (value: unknown, where: string): unknown[] => {
  if (!Array.isArray(value)) throw new CaptureValidationError(`${where}: expected an array`);
  return value;
};

/**
 * Puts a user profile (`user_id` required; `company_id`, `ip_address`, `session_token`,
 * `user_agent_string`, `modified_time`, `metadata`, `campaign` optional; camelCase keys such as
 * `userId` accepted too) on
 * the stream. Rejects with a CaptureValidationError on invalid input (nothing sent); stream
 * trouble does not reject: it is logged, counted in `notSent` and as CaptureRecordsDropped.
 */
export const updateUser = (user: UserProfile, options?: CaptureTransportOptions): Promise<ProfileSendResult> =>
  send(options, (transport, time) => [userRecord(user, 'updateUser', transport, time)]);

/** Several user profiles in one go; one invalid entry rejects the whole batch (nothing sent). */
export const updateUsersBatch = (
  users: readonly UserProfile[],
  options?: CaptureTransportOptions,
): Promise<ProfileSendResult> =>
  send(options, (transport, time) =>
    asArray(users, 'updateUsersBatch').map((user, index) =>
      userRecord(user, `updateUsersBatch: users[${index}]`, transport, time),
    ),
  );

/** Puts a company profile (`company_id` required, also the record's clientId) on the stream. */
export const updateCompany = (company: CompanyProfile, options?: CaptureTransportOptions): Promise<ProfileSendResult> =>
  send(options, (_transport, time) => [companyRecord(company, 'updateCompany', time)]);

/** Several company profiles in one go; one invalid entry rejects the whole batch (nothing sent). */
export const updateCompaniesBatch = (
  companies: readonly CompanyProfile[],
  options?: CaptureTransportOptions,
): Promise<ProfileSendResult> =>
  send(options, (_transport, time) =>
    asArray(companies, 'updateCompaniesBatch').map((company, index) =>
      companyRecord(company, `updateCompaniesBatch: companies[${index}]`, time),
    ),
  );
