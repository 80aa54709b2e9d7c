import type { FirehoseTransformationEvent, KinesisStreamEvent, KinesisStreamRecord } from 'aws-lambda';
import { type NormalizedEvent, normalizeRecord } from '../../shared/consumer/normalize';
import { decodeKinesisRecord } from '../../shared/consumer/stream-record';
import { type LakeLayout, loadLakeLayout } from '../../shared/lake-layout';

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

export interface ProductActionPayload {
  action_name: string;
  company_id: string;
  user_id?: string;
  transaction_id: string;
  request: { time: string; uri?: string; ip_address?: string; user_agent_string?: string };
  metadata?: Record<string, unknown>;
}

/** A product action as a product's backend sends it (a purchase, one minute before arrival). */
export const productAction = (overrides: Partial<ProductActionPayload> = {}): ProductActionPayload => ({
  action_name: 'Purchased Subscription',
  company_id: 'client-acme',
  user_id: 'user-12345',
  transaction_id: 'f3a1c2d4-5b6e-4f70-8a91-b2c3d4e5f601',
  request: {
    time: '2026-03-14T15:08:00Z',
    uri: 'https://app.acme.example/billing/checkout?plan=pro',
    ip_address: '203.0.113.42',
    user_agent_string: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 Safari/605.1.15',
  },
  metadata: { amount: 49.99, currency: 'USD', plan: 'pro', time_seconds: 12 },
  ...overrides,
});

export interface UsageMeterPayload {
  customerId: string;
  meterApiName: string;
  meterValue: number;
  meterTimeInMillis: number;
  uniqueId?: string;
  dimensions?: Record<string, string>;
}

/** A usage meter as a metering client sends it (API calls in one region, one minute before arrival). */
export const usageMeter = (overrides: Partial<UsageMeterPayload> = {}): UsageMeterPayload => ({
  customerId: 'client-acme',
  meterApiName: 'api_requests',
  meterValue: 120,
  meterTimeInMillis: Date.parse('2026-03-14T15:08:00.000Z'),
  dimensions: { region: 'us-east-1', tier: 'pro' },
  ...overrides,
});

export interface ClientEventRecordPayload {
  kind: 'client-event';
  id: string;
  clientId: string;
  receivedAt: string;
  entry: { eventType: string; schemaVersion?: string | number; data?: unknown; time?: string };
}

/** One HTTP API entry as the API writes it to the stream (clientId from the authorizer). */
export const clientEventRecordPayload = (
  overrides: Partial<ClientEventRecordPayload> = {},
): ClientEventRecordPayload => ({
  kind: 'client-event',
  id: '7d9e4c1a-2b3f-4a5c-9d6e-0f1a2b3c4d5e',
  clientId: 'client-acme',
  receivedAt: '2026-03-14T15:09:20.000Z',
  entry: { eventType: 'searching', schemaVersion: 1, data: { searchTerm: 'games' } },
  ...overrides,
});

/** The consumer's default time window, for tests that normalize one payload. */
export const NORMALIZE_OPTIONS = { environment: 'test', maxEventAgeSeconds: 7 * 86_400, maxFutureSkewSeconds: 900 };

/** A payload as the consumer sees it: put in a Kinesis record, decoded, normalized. */
export const normalizePayload = (payload: unknown, options: { raw?: boolean } = {}): NormalizedEvent =>
  normalizeRecord(decodeKinesisRecord(kinesisRecord(payload, options)), NORMALIZE_OPTIONS);

/** A lake layout as the transformer loads it from serverless.yml's custom.lake, with test overrides. */
export const testLayout = (env: Record<string, string> = {}): LakeLayout =>
  loadLakeLayout({ LAKE_EVENT_TYPES: 'searching,api_call,check out,check_out', ...env });
