import type { _Record as SdkRecord } from '@aws-sdk/client-kinesis';
import type { KinesisStreamRecord } from 'aws-lambda';
import type { RecordSource } from './types';

/** An SDK record as the Lambda event carries it. */
export const toLambdaRecord = (record: SdkRecord, source: RecordSource): KinesisStreamRecord => {
  const sequenceNumber = record.SequenceNumber ?? '';
  const data = record.Data ?? new Uint8Array();
  return {
    kinesis: {
      kinesisSchemaVersion: '1.0',
      partitionKey: record.PartitionKey ?? '',
      sequenceNumber,
      data: Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('base64'),
      approximateArrivalTimestamp: (record.ApproximateArrivalTimestamp?.getTime() ?? Date.now()) / 1000,
    },
    eventSource: 'aws:kinesis',
    eventVersion: '1.0',
    eventID: `${source.shardId}:${sequenceNumber}`,
    eventName: 'aws:kinesis:record',
    invokeIdentityArn: source.invokeIdentityArn,
    awsRegion: source.region,
    eventSourceARN: source.streamArn,
  };
};

const JSON_SAFE = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;
const jsonStringBytes = (value: string): number =>
  JSON_SAFE.test(value) ? value.length + 2 : Buffer.byteLength(JSON.stringify(value));

const EMPTY_RECORD_BYTES = Buffer.byteLength(
  JSON.stringify({
    kinesis: {
      kinesisSchemaVersion: '',
      partitionKey: '',
      sequenceNumber: '',
      data: '',
      approximateArrivalTimestamp: 0,
    },
    eventSource: '',
    eventVersion: '',
    eventID: '',
    eventName: '',
    invokeIdentityArn: '',
    awsRegion: '',
    eventSourceARN: '',
  } satisfies KinesisStreamRecord),
);

/** Bytes of `JSON.stringify(record)`, computed without serialising the record. */
export const recordJsonBytes = (record: KinesisStreamRecord): number => {
  const k = record.kinesis;
  const strings = [
    k.kinesisSchemaVersion,
    k.partitionKey,
    k.sequenceNumber,
    k.data,
    record.eventSource,
    record.eventVersion,
    record.eventID,
    record.eventName,
    record.invokeIdentityArn,
    record.awsRegion,
    record.eventSourceARN,
  ];
  let bytes = EMPTY_RECORD_BYTES - 1 + JSON.stringify(k.approximateArrivalTimestamp).length;
  for (const value of strings) bytes += jsonStringBytes(value) - 2;
  return bytes;
};
