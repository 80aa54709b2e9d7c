import { InvalidRecordError } from './errors';

// Offset or Z is required: a time without a zone is ambiguous and would land in the wrong hour.
const ISO_WITH_ZONE =
  /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/;

/** Parses an ISO 8601 time with a zone and returns it normalized to UTC (`toISOString`). */
export const normalizeEventTime = (value: unknown): string => {
  if (typeof value !== 'string' || !ISO_WITH_ZONE.test(value)) {
    throw new InvalidRecordError(
      'INVALID_EVENT_TIME',
      `Event time must be an ISO 8601 string with a zone (e.g. 2026-01-31T12:00:00Z), got ${JSON.stringify(value)?.slice(0, 64)}`,
    );
  }
  const millis = Date.parse(value);
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
