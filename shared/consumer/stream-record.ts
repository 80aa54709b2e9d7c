import type { KinesisStreamRecord } from 'aws-lambda';
import type { RecordOrigin } from '../quarantine/quarantine';

/** A Kinesis record after the edge: bytes decoded, metadata kept; no base64 past here. */
export interface StreamRecord {
  data: Buffer;
  arrivalMillis: number;
  origin: RecordOrigin;
}

/**
 * The shard of a Kinesis record: eventID is `shardId-…:sequenceNumber`. Same result as
 * `eventID.split(':')[0]` without building an array; it runs for every record.
 */
export const shardIdOf = (eventID: string): string => {
  const colon = eventID.indexOf(':');
  return colon === -1 ? eventID : eventID.slice(0, colon);
};

export const decodeKinesisRecord = (record: KinesisStreamRecord): StreamRecord => {
  const arrivalMillis = Math.round(record.kinesis.approximateArrivalTimestamp * 1000);
  return {
    data: Buffer.from(record.kinesis.data, 'base64'),
    arrivalMillis,
    origin: {
      eventSourceArn: record.eventSourceARN,
      shardId: shardIdOf(record.eventID),
      partitionKey: record.kinesis.partitionKey,
      sequenceNumber: record.kinesis.sequenceNumber,
      approximateArrivalTimestamp: new Date(arrivalMillis).toISOString(),
    },
  };
};
