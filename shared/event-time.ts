import { InvalidRecordError } from './errors';

// Offset or Z is required: a time without a zone is ambiguous and would land in the wrong hour.
const ISO_WITH_ZONE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/;

// The same without the zone, for sources whose reference reads a zone-less time as UTC.
const ISO_WITHOUT_ZONE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?$/;

export interface EventTimeOptions {
  /** A time without a zone is UTC (Moesif's Actions API reads `2024-03-01T04:45:42.914` so) rather than rejected. */
  zonelessIsUtc?: boolean;
}

/**
 * Parses an ISO 8601 time with a zone (or, with `zonelessIsUtc`, without one, read as UTC) and
 * returns it normalized to UTC (`toISOString`).
 */
export const normalizeEventTime = (value: unknown, options: EventTimeOptions = {}): string => {
  const zoneless = options.zonelessIsUtc === true && typeof value === 'string' && ISO_WITHOUT_ZONE.test(value);
  if (typeof value !== 'string' || !(zoneless || ISO_WITH_ZONE.test(value))) {
    throw new InvalidRecordError(
      'INVALID_EVENT_TIME',
      `Event time must be an ISO 8601 string ${options.zonelessIsUtc ? '(UTC when it has no zone)' : 'with a zone'} (e.g. 2026-01-31T12:00:00Z), got ${JSON.stringify(value)?.slice(0, 64)}`,
    );
  }
  // Date.parse reads a zone-less date-time as local time: pin it to UTC.
  const millis = Date.parse(zoneless ? `${value}Z` : value);
  if (Number.isNaN(millis)) {
    throw new InvalidRecordError('INVALID_EVENT_TIME', `Event time is not a real date: ${value}`);
  }
  return new Date(millis).toISOString();
};

export interface TimeWindow {
  maxEventAgeSeconds: number;
  maxFutureSkewSeconds: number;
}

/**
 * Checks the event time against the moment the record reached the stream, not "now",
 * so a record retried days later is judged as it was when it arrived.
 */
export const assertTimeInWindow = (isoTime: string, arrivalMillis: number, window: TimeWindow): void => {
  const millis = Date.parse(isoTime);
  const earliest = arrivalMillis - window.maxEventAgeSeconds * 1000;
  const latest = arrivalMillis + window.maxFutureSkewSeconds * 1000;
  if (millis < earliest || millis > latest) {
    throw new InvalidRecordError(
      'EVENT_TIME_OUT_OF_RANGE',
      `Event time ${isoTime} is outside the accepted window [${new Date(earliest).toISOString()}, ${new Date(latest).toISOString()}] around its arrival`,
    );
  }
};
