import type { KinesisStreamRecord } from 'aws-lambda';
import type { RecordOrigin } from '../quarantine/quarantine';

/** A Kinesis record after the edge: bytes decoded, metadata kept; no base64 past here. */
export interface StreamRecord {
  data: Buffer;
  arrivalMillis: number;
  origin: RecordOrigin;
}

export const decodeKinesisRecord = (record: KinesisStreamRecord): StreamRecord => {
  const arrivalMillis = Math.round(record.kinesis.approximateArrivalTimestamp * 1000);
  return {
    data: Buffer.from(record.kinesis.data, 'base64'),
    arrivalMillis,
    origin: {
      eventSourceArn: record.eventSourceARN,
      // eventID is `shardId-…:sequenceNumber`.
      shardId: record.eventID.split(':')[0],
      partitionKey: record.kinesis.partitionKey,
      sequenceNumber: record.kinesis.sequenceNumber,
      approximateArrivalTimestamp: new Date(arrivalMillis).toISOString(),
    },
  };
};
