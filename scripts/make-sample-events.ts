/**
 * Writes the sample Lambda events used by `sls invoke local`:
 *
 *   events/kinesis-batch.json           → kinesisConsumer    (KinesisStreamEvent)
 *   events/firehose-transformation.json → firehoseTransformer (FirehoseTransformationEvent)
 *
 * Run: npx tsx scripts/make-sample-events.ts
 *
 * Everything is fixed (arrival time, ids, sequence numbers), so the output is byte-for-byte
 * reproducible. Event times are a few seconds/minutes before the fixed arrival timestamp: the
 * consumer judges the time window against `approximateArrivalTimestamp`, not "now", so the
 * samples stay valid forever. This file is the readable source of the base64 payloads.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type {
  FirehoseTransformationEvent,
  FirehoseTransformationEventRecord,
  KinesisStreamEvent,
  KinesisStreamRecord,
} from 'aws-lambda';
import { CANONICAL_SCHEMA_VERSION, type CanonicalEvent } from '../shared/canonical-event';

const REGION = 'us-east-1';
const ACCOUNT = '123456789012';
const STAGE = 'dev';
const SERVICE = 'usage-pipeline';
const STREAM_ARN = `arn:aws:kinesis:${REGION}:${ACCOUNT}:stream/${SERVICE}-${STAGE}-events`;
const DELIVERY_STREAM_ARN = `arn:aws:firehose:${REGION}:${ACCOUNT}:deliverystream/${SERVICE}-${STAGE}-delivery`;
const CONSUMER_ROLE_ARN = `arn:aws:iam::${ACCOUNT}:role/${SERVICE}-${STAGE}-KinesisConsumerRole-EXAMPLE`;
const SHARD_ID = 'shardId-000000000000';

/** 2026-01-15T10:30:00.123Z: when the first record reached the stream. */
const ARRIVAL_MS = Date.UTC(2026, 0, 15, 10, 30, 0, 123);
/** Seconds before arrival → ISO event time (`Z`). */
const secondsBefore = (seconds: number): string => new Date(ARRIVAL_MS - seconds * 1000).toISOString();

/** Kinesis sequence numbers are decimal strings (56 digits in practice), increasing per shard. */
const FIRST_SEQUENCE = 49_668_143_918_524_360_810_274_559_284_617_289_103_684_245_651_013_632_002n;
const sequenceNumber = (index: number): string => (FIRST_SEQUENCE + BigInt(index) * 65_536n).toString();

type Json = Record<string, unknown>;

interface EnvelopeInput {
  id: string;
  detailType: string;
  clientId?: string;
  secondsBeforeArrival: number;
  detail: Json;
}

/** An EventBridge event as a rule forwards it: the clientId travels in resources[0]. */
const envelope = ({ id, detailType, clientId, secondsBeforeArrival, detail }: EnvelopeInput): Json => ({
  version: '0',
  id,
  'detail-type': detailType,
  source: 'com.example.client-events',
  account: ACCOUNT,
  time: secondsBefore(secondsBeforeArrival),
  region: REGION,
  resources: clientId === undefined ? [] : [clientId],
  detail,
});

const searching = (query: string, results: number): Json => ({
  eventType: 'searching',
  schemaVersion: '1',
  data: { query, results, durationMs: 38 + results },
});
const pageView = (path: string, referrer: string | null): Json => ({
  eventType: 'page_view',
  schemaVersion: '1',
  data: { path, referrer, viewportWidth: 1440 },
});

// ---------------------------------------------------------------------------------------------
// Kinesis batch for the consumer
// ---------------------------------------------------------------------------------------------

interface KinesisSample {
  /** What the record is for; also the expected outcome. */
  note: string;
  partitionKey: string;
  /** Raw record bytes: a JSON value, or a string written as is. */
  payload: Json | string;
}

const acmeSearch = envelope({
  id: '6f1c2d9e-0a51-4b7a-9d0e-1b2c3d4e5f01',
  detailType: 'Client Event',
  clientId: 'acme-corp',
  secondsBeforeArrival: 42,
  detail: searching('usage report', 12),
});

const kinesisSamples: KinesisSample[] = [
  { note: 'delivered: acme-corp searching', partitionKey: 'acme-corp', payload: acmeSearch },
  {
    note: 'delivered: acme-corp page_view',
    partitionKey: 'acme-corp',
    payload: envelope({
      id: '6f1c2d9e-0a51-4b7a-9d0e-1b2c3d4e5f02',
      detailType: 'Client Event',
      clientId: 'acme-corp',
      secondsBeforeArrival: 37,
      detail: pageView('/dashboard', null),
    }),
  },
  {
    note: 'delivered: globex page_view',
    partitionKey: 'globex',
    payload: envelope({
      id: 'a3e5b7c9-1d2f-4a6b-8c0d-2e4f6a8b0c01',
      detailType: 'Client Event',
      clientId: 'globex',
      secondsBeforeArrival: 95,
      detail: pageView('/pricing', 'https://www.example.com/'),
    }),
  },
  {
    note: 'delivered: globex searching, event time with a +01:00 offset (normalized to UTC)',
    partitionKey: 'globex',
    payload: {
      ...envelope({
        id: 'a3e5b7c9-1d2f-4a6b-8c0d-2e4f6a8b0c02',
        detailType: 'Client Event',
        clientId: 'globex',
        secondsBeforeArrival: 0,
        detail: searching('invoices 2025', 3),
      }),
      time: '2026-01-15T11:28:30+01:00',
    },
  },
  {
    note: 'delivered: initech, top-level clientId (no resources), eventType from detail-type',
    partitionKey: 'initech',
    payload: {
      ...envelope({
        id: 'c4d6e8f0-2a3b-4c5d-9e6f-3a5b7c9d1e01',
        detailType: 'Report Exported',
        secondsBeforeArrival: 180,
        detail: { schemaVersion: '1', data: { format: 'csv', rows: 1250 } },
      }),
      clientId: 'initech',
    },
  },
  {
    note: 'delivered: initech page_view',
    partitionKey: 'initech',
    payload: envelope({
      id: 'c4d6e8f0-2a3b-4c5d-9e6f-3a5b7c9d1e02',
      detailType: 'Client Event',
      clientId: 'initech',
      secondsBeforeArrival: 12,
      detail: pageView('/reports', '/dashboard'),
    }),
  },
  { note: 'duplicate: same id and clientId as the first record', partitionKey: 'acme-corp', payload: acmeSearch },
  {
    note: 'quarantined MALFORMED_JSON: truncated JSON',
    partitionKey: 'acme-corp',
    payload:
      '{"version":"0","id":"6f1c2d9e-0a51-4b7a-9d0e-1b2c3d4e5f03","detail-type":"Client Event","detail":{"eventTy',
  },
  { note: 'quarantined UNKNOWN_SOURCE: not an event shape', partitionKey: 'unknown', payload: { hello: 'world' } },
  {
    note: 'quarantined MISSING_CLIENT_ID: no resources[0] and no clientId',
    partitionKey: 'unknown',
    payload: envelope({
      id: 'e7f9a1b3-4c5d-4e6f-8a0b-4c6d8e0f2a01',
      detailType: 'Client Event',
      secondsBeforeArrival: 20,
      detail: searching('orphan', 0),
    }),
  },
];

const toBytes = (payload: object | string): Buffer =>
  Buffer.from(typeof payload === 'string' ? payload : JSON.stringify(payload), 'utf8');

const kinesisRecord = (sample: KinesisSample, index: number): KinesisStreamRecord => {
  const sequence = sequenceNumber(index);
  return {
    kinesis: {
      kinesisSchemaVersion: '1.0',
      partitionKey: sample.partitionKey,
      sequenceNumber: sequence,
      data: toBytes(sample.payload).toString('base64'),
      // Epoch seconds with milliseconds, 125 ms apart.
      approximateArrivalTimestamp: (ARRIVAL_MS + index * 125) / 1000,
    },
    eventSource: 'aws:kinesis',
    eventVersion: '1.0',
    eventID: `${SHARD_ID}:${sequence}`,
    eventName: 'aws:kinesis:record',
    invokeIdentityArn: CONSUMER_ROLE_ARN,
    awsRegion: REGION,
    eventSourceARN: STREAM_ARN,
  };
};

const kinesisEvent: KinesisStreamEvent = { Records: kinesisSamples.map(kinesisRecord) };

// ---------------------------------------------------------------------------------------------
// Firehose transformation batch for the transformer
// ---------------------------------------------------------------------------------------------

/** What the consumer writes to Firehose for an EventBridge envelope (see shared/consumer/normalize.ts). */
const canonical = (event: Json, receivedAt: string, clientId?: string): CanonicalEvent => ({
  id: event.id as string,
  source: event.source as string,
  'detail-type': event['detail-type'] as string,
  time: new Date(event.time as string).toISOString(),
  clientId: clientId ?? (event.resources as string[])[0] ?? '',
  detail: event.detail as Json,
  receivedAt,
  idScope: 'eventbridge',
  environment: STAGE,
  envelopeVersion: CANONICAL_SCHEMA_VERSION,
});

const receivedAt = (index: number): string => new Date(ARRIVAL_MS + index * 125).toISOString();

interface FirehoseSample {
  note: string;
  payload: CanonicalEvent | Json | string;
}

const firehoseSamples: FirehoseSample[] = [
  {
    note: 'Ok: canonical event from the consumer (top-level clientId) → clientId=acme-corp/eventType=searching',
    payload: canonical(acmeSearch, receivedAt(0)),
  },
  {
    note: 'Ok: canonical event → clientId=globex/eventType=page_view',
    payload: canonical(kinesisSamples[2]?.payload as Json, receivedAt(2)),
  },
  {
    note: 'Ok: canonical event, eventType from detail-type → eventType=Report_Exported',
    payload: canonical(kinesisSamples[4]?.payload as Json, receivedAt(4), 'initech'),
  },
  {
    note: 'Ok: raw EventBridge envelope (clientId in resources[0]) → clientId=globex/eventType=searching',
    payload: envelope({
      id: 'a3e5b7c9-1d2f-4a6b-8c0d-2e4f6a8b0c03',
      detailType: 'Client Event',
      clientId: 'globex',
      secondsBeforeArrival: 8,
      detail: searching('quarterly usage', 7),
    }),
  },
  {
    note: 'Ok: raw EventBridge envelope from the previous hour → hour=09',
    payload: envelope({
      id: '6f1c2d9e-0a51-4b7a-9d0e-1b2c3d4e5f04',
      detailType: 'Client Event',
      clientId: 'acme-corp',
      secondsBeforeArrival: 31 * 60,
      detail: pageView('/settings/billing', '/dashboard'),
    }),
  },
  { note: 'Dropped: blank record', payload: '\n' },
  { note: 'ProcessingFailed MALFORMED_JSON: not JSON', payload: 'clientId=acme-corp;eventType=searching' },
  {
    note: 'ProcessingFailed MISSING_CLIENT_ID: envelope without resources[0] or clientId',
    payload: envelope({
      id: 'e7f9a1b3-4c5d-4e6f-8a0b-4c6d8e0f2a02',
      detailType: 'Client Event',
      secondsBeforeArrival: 5,
      detail: pageView('/', null),
    }),
  },
];

/** Firehose record ids are opaque decimal strings; keep the realistic shape. */
const FIRST_RECORD_ID = 49_668_143_927_305_172_551_823_660_491_904_231_787_450_871_283_476_660_226n;

const firehoseEvent: FirehoseTransformationEvent = {
  invocationId: '4c5b7f0e-8d2a-4e61-9b3c-0f1e2d3c4b5a',
  deliveryStreamArn: DELIVERY_STREAM_ARN,
  region: REGION,
  records: firehoseSamples.map(
    (sample, index): FirehoseTransformationEventRecord => ({
      recordId: (FIRST_RECORD_ID + BigInt(index)).toString(),
      // Epoch milliseconds (Kinesis uses seconds), a few seconds after the consumer wrote them.
      approximateArrivalTimestamp: ARRIVAL_MS + 2_000 + index * 40,
      data: toBytes(sample.payload).toString('base64'),
    }),
  ),
};

// ---------------------------------------------------------------------------------------------

const root = join(__dirname, '..');
const write = (file: string, value: unknown): void => {
  writeFileSync(join(root, file), `${JSON.stringify(value, null, 2)}\n`);
};

write('events/kinesis-batch.json', kinesisEvent);
write('events/firehose-transformation.json', firehoseEvent);

const show = (notes: string[]): string => notes.map((note, index) => `  ${index}: ${note}`).join('\n');
console.log(`events/kinesis-batch.json (${kinesisSamples.length} records)\n${show(kinesisSamples.map((s) => s.note))}`);
console.log(
  `events/firehose-transformation.json (${firehoseSamples.length} records)\n${show(firehoseSamples.map((s) => s.note))}`,
);
