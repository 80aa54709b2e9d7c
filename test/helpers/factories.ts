import type { FirehoseTransformationEvent, KinesisStreamEvent, KinesisStreamRecord } from 'aws-lambda';

export const STREAM_ARN = 'arn:aws:kinesis:us-east-1:123456789012:stream/usage-pipeline-test-events';
/** A fixed arrival time: event times in tests are relative to it, never to "now". */
export const ARRIVAL_SECONDS = Date.parse('2026-03-14T15:09:26.000Z') / 1000;

export interface EventBridgeEnvelope {
  version: string;
  id: string;
  'detail-type': string;
  source: string;
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: Record<string, unknown>;
  clientId?: string;
}

export const eventBridgeEnvelope = (overrides: Partial<EventBridgeEnvelope> = {}): EventBridgeEnvelope => ({
  version: '0',
  id: 'a1b2c3d4-0000-4000-8000-000000000001',
  'detail-type': 'ClientEvent',
  source: 'client.events',
  account: '123456789012',
  time: '2026-03-14T15:08:00Z',
  region: 'us-east-1',
  resources: ['client-acme'],
  detail: { eventType: 'searching', schemaVersion: 1, data: { searchTerm: 'games' } },
  ...overrides,
});

let sequence = 0n;
const nextSequenceNumber = (): string => {
  sequence += 1n;
  return (49_590_338_271_490_256_608_559_692_538_361_571_095_921_575_989_136_588_898n + sequence).toString();
};

/** A Kinesis record whose data is the given bytes (or JSON of the given value). */
export const kinesisRecord = (
  payload: unknown,
  options: { arrivalSeconds?: number; partitionKey?: string; raw?: boolean } = {},
): KinesisStreamRecord => {
  const sequenceNumber = nextSequenceNumber();
  const bytes = options.raw ? Buffer.from(payload as string | Uint8Array) : Buffer.from(JSON.stringify(payload));
  return {
    kinesis: {
      kinesisSchemaVersion: '1.0',
      partitionKey: options.partitionKey ?? 'client-acme',
      sequenceNumber,
      data: bytes.toString('base64'),
      approximateArrivalTimestamp: options.arrivalSeconds ?? ARRIVAL_SECONDS,
    },
    eventSource: 'aws:kinesis',
    eventVersion: '1.0',
    eventID: `shardId-000000000000:${sequenceNumber}`,
    eventName: 'aws:kinesis:record',
    invokeIdentityArn: 'arn:aws:iam::123456789012:role/consumer',
    awsRegion: 'us-east-1',
    eventSourceARN: STREAM_ARN,
  };
};

export const kinesisEvent = (records: KinesisStreamRecord[]): KinesisStreamEvent => ({ Records: records });

export const firehoseEvent = (payloads: (string | Buffer)[]): FirehoseTransformationEvent => ({
  invocationId: 'invocation-1',
  deliveryStreamArn: 'arn:aws:firehose:us-east-1:123456789012:deliverystream/usage-pipeline-test-delivery',
  region: 'us-east-1',
  records: payloads.map((payload, index) => ({
    recordId: `record-${index}`,
    approximateArrivalTimestamp: ARRIVAL_SECONDS * 1000,
    data: Buffer.from(payload).toString('base64'),
  })),
});

export const decodeBase64Json = (data: string): unknown => JSON.parse(Buffer.from(data, 'base64').toString('utf8'));
