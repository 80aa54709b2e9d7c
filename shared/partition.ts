import { InvalidRecordError } from './errors';
import { normalizeEventTime } from './event-time';
import { type LakeLayout, layoutPartitionKeys, type PartitionKeys } from './lake-layout';

export type { PartitionKeys } from './lake-layout';

export interface PartitionInput {
  clientId: string;
  eventType: string;
  /** ISO 8601 event time with a zone. */
  time: string;
}

const UTC_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):\d{2}(:\d{2}(\.\d{1,9})?)?Z$/;

/** The event time as ISO 8601 UTC (`…Z`), checked to be a real hour; throws INVALID_EVENT_TIME. */
export const utcTimeOf = (time: string): string => {
  const utc = UTC_TIME.test(time) ? time : normalizeEventTime(time);
  const [, year, month, day, hour] = UTC_TIME.exec(utc) ?? [];
  if (
    year === undefined ||
    month === undefined ||
    day === undefined ||
    hour === undefined ||
    month < '01' ||
    month > '12' ||
    day < '01' ||
    day > '31' ||
    hour > '23'
  ) {
    throw new InvalidRecordError('INVALID_EVENT_TIME', `Event time is not a valid UTC time: ${time.slice(0, 64)}`);
  }
  return utc;
};

/**
 * The dynamic-partitioning function: the keys the layout's prefix uses (event_type bounded by
 * the configured list, dt and hour from the event time in UTC, client_id when opted in), every
 * value made S3- and Hive-safe injectively (shared/lake-layout.ts).
 */
export const partitionKeys = (layout: Pick<LakeLayout, 'keys' | 'eventTypes'>, input: PartitionInput): PartitionKeys =>
  layoutPartitionKeys(layout, { clientId: input.clientId, eventType: input.eventType, utcTime: utcTimeOf(input.time) });
