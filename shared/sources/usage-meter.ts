import { createHash } from 'node:crypto';
import { z } from 'zod';
import { InvalidRecordError } from '../errors';
import { assertNotReserved, DERIVED_ID_PREFIX } from '../identifier';
import { PRODUCER_KINDS } from './api-call';
import { parseWith, type SourceAdapter } from './source-adapter';

/**
 * Usage meters: `{customerId, meterApiName, meterValue, meterTimeInMillis, uniqueId?,
 * dimensions?:{string:string}}`.
 *
 * Mapping: clientId = customerId, `detail-type` = detail.eventType = meterApiName (the lake
 * partition), time = new Date(meterTimeInMillis), source `usage.meters`,
 * detail = {eventType, meterApiName, meterValue, meterTimeInMillis, dimensions, uniqueId?}
 * (dimensions `{}` when absent). Keys outside this shape are dropped.
 *
 * id = uniqueId when the producer sent one; otherwise `meter-` + the first 32 hex characters
 * of the SHA-256 of the meter's identity: canonical JSON of customerId, meterApiName,
 * meterTimeInMillis, meterValue and the dimensions as [key, value] pairs sorted by key
 * (absent dimensions = `{}`). So two identical meter records are one usage and count once,
 * whatever their key order; any difference in those fields makes them two usages.
 *
 * Limits:
 * - customerId missing, null or blank → MISSING_CLIENT_ID; longer than 256 → SCHEMA_VIOLATION.
 * - meterValue must be a finite JSON number → INVALID_METER_VALUE. Numeric strings such as
 *   "3" are rejected, not coerced (a producer bug should surface, not be guessed at); the sign
 *   is not checked, so negative corrections pass.
 * - meterTimeInMillis must be an integer number of epoch milliseconds within
 *   [2000-01-01, 2100-01-01) → INVALID_EVENT_TIME. The accepted skew is the consumer's window
 *   ([arrival − 7 days, arrival + 15 minutes] → EVENT_TIME_OUT_OF_RANGE).
 * - meterApiName, uniqueId: 1–256 characters → SCHEMA_VIOLATION.
 * - dimensions: an object of at most 50 string → string entries, keys 1–256 and values
 *   0–256 characters → SCHEMA_VIOLATION.
 */
export const USAGE_METER_LIMITS = {
  maxFieldLength: 256,
  maxDimensions: 50,
  minTimeMillis: Date.UTC(2000, 0, 1),
  maxTimeMillis: Date.UTC(2100, 0, 1),
} as const;

const text = z.string().min(1).max(USAGE_METER_LIMITS.maxFieldLength);

export const usageMeterSchema = z.object({
  customerId: z.string().max(USAGE_METER_LIMITS.maxFieldLength),
  meterApiName: text,
  meterValue: z.number(),
  meterTimeInMillis: z.number(),
  uniqueId: text.optional(),
  dimensions: z
    .record(text, z.string().max(USAGE_METER_LIMITS.maxFieldLength))
    .refine((dimensions) => Object.keys(dimensions).length <= USAGE_METER_LIMITS.maxDimensions, {
      message: `at most ${USAGE_METER_LIMITS.maxDimensions} dimensions`,
    })
    .optional(),
});

export interface MeterIdentity {
  customerId: string;
  meterApiName: string;
  meterTimeInMillis: number;
  meterValue: number;
  dimensions?: Record<string, string>;
}

/** The id of a meter without uniqueId: stable over key order, different for any other field. */
export const meterIdentityId = (meter: MeterIdentity): string => {
  const dimensions = Object.entries(meter.dimensions ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const canonical = JSON.stringify([
    meter.customerId,
    meter.meterApiName,
    meter.meterTimeInMillis,
    meter.meterValue,
    dimensions,
  ]);
  return `${DERIVED_ID_PREFIX}meter:${createHash('sha256').update(canonical).digest('hex').slice(0, 32)}`;
};

export const usageMeterAdapter: SourceAdapter = {
  name: 'usage-meter',
  derivesIds: true,

  // Not ours when the payload also carries another source's marker (never guess).
  matches: (payload) =>
    'meterApiName' in payload &&
    !('action_name' in payload) &&
    !('detail-type' in payload) &&
    !PRODUCER_KINDS.has(payload.kind),

  toCanonical(payload) {
    const customerId = payload.customerId;
    if (
      customerId === undefined ||
      customerId === null ||
      (typeof customerId === 'string' && customerId.trim() === '')
    ) {
      throw new InvalidRecordError('MISSING_CLIENT_ID', 'Usage meter has no customerId');
    }
    const value = payload.meterValue;
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      // String(): JSON.stringify would print Infinity (1e400 in the input) and NaN as null.
      const shown = typeof value === 'number' ? String(value) : JSON.stringify(value)?.slice(0, 64);
      throw new InvalidRecordError(
        'INVALID_METER_VALUE',
        `Usage meter meterValue must be a finite number, got ${shown}`,
      );
    }
    // Beyond ±2^53 an integer is no longer exact in a double: billing would silently round it.
    if (Number.isInteger(value) && !Number.isSafeInteger(value)) {
      throw new InvalidRecordError(
        'INVALID_METER_VALUE',
        `Usage meter meterValue ${value} is beyond ±2^53 (${Number.MAX_SAFE_INTEGER}): it cannot be counted exactly`,
      );
    }
    const millis = payload.meterTimeInMillis;
    if (
      typeof millis !== 'number' ||
      !Number.isInteger(millis) ||
      millis < USAGE_METER_LIMITS.minTimeMillis ||
      millis >= USAGE_METER_LIMITS.maxTimeMillis
    ) {
      throw new InvalidRecordError(
        'INVALID_EVENT_TIME',
        `Usage meter meterTimeInMillis must be integer epoch milliseconds in [2000-01-01, 2100-01-01), got ${JSON.stringify(millis)?.slice(0, 64)}`,
      );
    }
    const meter = parseWith(usageMeterSchema, payload, 'usage meter');
    const dimensions = meter.dimensions ?? {};
    const detail: Record<string, unknown> = {
      eventType: meter.meterApiName,
      meterApiName: meter.meterApiName,
      meterValue: meter.meterValue,
      meterTimeInMillis: meter.meterTimeInMillis,
      dimensions,
    };
    if (meter.uniqueId !== undefined) {
      assertNotReserved('uniqueId', meter.uniqueId);
      detail.uniqueId = meter.uniqueId;
    }
    return {
      id: meter.uniqueId ?? meterIdentityId({ ...meter, dimensions }),
      source: 'usage.meters',
      'detail-type': meter.meterApiName,
      time: new Date(meter.meterTimeInMillis).toISOString(),
      clientId: meter.customerId,
      detail,
    };
  },
};
