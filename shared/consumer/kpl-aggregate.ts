import { deaggregateSync } from 'aws-kinesis-agg';
import type { KinesisStreamRecordPayload } from 'aws-lambda';
import { InvalidRecordError } from '../errors';

/**
 * KPL aggregation (https://github.com/awslabs/amazon-kinesis-producer/blob/master/aggregation-format.md):
 * the Kinesis Producer Library packs many user records into one Kinesis record as
 * magic `F3 89 9A C2` + protobuf `AggregatedRecord` + MD5 of the protobuf. This wraps
 * `aws-kinesis-agg` (callback API, loosely typed) behind a synchronous, typed function.
 */
const MAGIC = [0xf3, 0x89, 0x9a, 0xc2] as const;

/** True when the bytes start with the KPL magic number (a plain JSON record never does: 0xF3 is not valid UTF-8 lead for JSON). */
export const isAggregated = (data: Buffer): boolean =>
  data.length >= MAGIC.length &&
  data[0] === MAGIC[0] &&
  data[1] === MAGIC[1] &&
  data[2] === MAGIC[2] &&
  data[3] === MAGIC[3];

/** One user record of an aggregate, its bytes decoded. */
export interface UserRecord {
  /** Index inside the aggregate: with the Kinesis sequence number, the user record's identity. */
  subSequenceNumber: number;
  partitionKey: string;
  data: Buffer;
}

/**
 * The user records of a KPL-aggregated Kinesis record, in order, with the checksum verified.
 * Throws InvalidRecordError('INVALID_AGGREGATE') for a bad checksum, an undecodable protobuf,
 * or an aggregate without records: retrying cannot fix any of them.
 */
export const deaggregate = (payload: KinesisStreamRecordPayload): UserRecord[] => {
  let failure: Error | undefined;
  let records: UserRecord[] | undefined;
  // Synchronous despite the callback. The callback can run twice (once with a per-record
  // error, once at the end), so the first error wins.
  deaggregateSync(payload, true, (error, userRecords) => {
    if (error) {
      failure ??= error;
      return;
    }
    records = (userRecords ?? []).map((record, index) => ({
      subSequenceNumber: typeof record.subSequenceNumber === 'number' ? record.subSequenceNumber : index,
      partitionKey: typeof record.partitionKey === 'string' ? record.partitionKey : payload.partitionKey,
      data: Buffer.from(record.data, 'base64'),
    }));
  });
  if (failure) {
    throw new InvalidRecordError('INVALID_AGGREGATE', `KPL-aggregated record does not decode: ${failure.message}`, {
      cause: failure,
    });
  }
  if (records === undefined || records.length === 0) {
    throw new InvalidRecordError('INVALID_AGGREGATE', 'KPL-aggregated record holds no user records');
  }
  return records;
};
