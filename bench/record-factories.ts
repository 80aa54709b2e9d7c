import type { FirehoseTransformationEvent, KinesisStreamEvent, KinesisStreamRecord } from 'aws-lambda';

/** Deterministic PRNG (mulberry32) so every run benchmarks the same bytes. */
export const createRandom = (seed: number): (() => number) => {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
};

const pick = <T>(random: () => number, items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;

const hex = (random: () => number, length: number): string => {
  let out = '';
  for (let i = 0; i < length; i++) out += Math.floor(random() * 16).toString(16);
  return out;
};

/** A v4-looking UUID from the PRNG. */
export const uuid = (random: () => number): string =>
  `${hex(random, 8)}-${hex(random, 4)}-4${hex(random, 3)}-a${hex(random, 3)}-${hex(random, 12)}`;

export const CLIENTS = ['acme-corp', 'globex', 'initech', 'umbrella-eu', 'hooli', 'stark-industries'] as const;

interface EventTypeSpec {
  detailType: string;
  eventType: string;
}

export const EVENT_TYPES: readonly EventTypeSpec[] = [
  { detailType: 'API Request', eventType: 'api.request' },
  { detailType: 'Feature Used', eventType: 'feature.used' },
  { detailType: 'Session Started', eventType: 'session.started' },
  { detailType: 'Session Ended', eventType: 'session.ended' },
  { detailType: 'Export Completed', eventType: 'export.completed' },
  { detailType: 'Quota Checked', eventType: 'billing.quota_checked' },
];

const ENDPOINTS = ['/v1/reports', '/v1/invoices/search', '/v2/users/me', '/v1/exports', '/v2/projects/list'];
const FEATURES = ['dashboard.filters', 'report.schedule', 'sso.login', 'csv.export', 'alerts.rules'];
const REGIONS = ['eu-west-1', 'us-east-1', 'ap-southeast-2'];
const PLANS = ['free', 'team', 'business', 'enterprise'];

/** A realistic usage detail (~280 bytes serialized). */
const usageDetail = (random: () => number, spec: EventTypeSpec, withEventType: boolean): Record<string, unknown> => ({
  ...(withEventType && { eventType: spec.eventType }),
  userId: `user-${hex(random, 10)}`,
  sessionId: `sess-${hex(random, 12)}`,
  plan: pick(random, PLANS),
  feature: pick(random, FEATURES),
  request: {
    method: pick(random, ['GET', 'POST', 'PUT']),
    path: pick(random, ENDPOINTS),
    status: pick(random, [200, 200, 200, 201, 204, 400, 404, 429]),
    latencyMs: Math.round(random() * 900) + 5,
    bytesOut: Math.round(random() * 250_000),
  },
  quantity: Math.round(random() * 100) + 1,
  client: { sdk: 'acme-sdk-js', sdkVersion: `3.${Math.floor(random() * 20)}.${Math.floor(random() * 10)}` },
});

export interface EventOptions {
  random: () => number;
  /** Event time in epoch milliseconds. */
  timeMillis: number;
  clientId?: string;
  id?: string;
}

/** A raw EventBridge envelope as a rule delivers it: clientId travels in resources[0]. */
export const eventBridgeEnvelope = (options: EventOptions): Record<string, unknown> => {
  const { random } = options;
  const spec = pick(random, EVENT_TYPES);
  return {
    version: '0',
    id: options.id ?? uuid(random),
    'detail-type': spec.detailType,
    source: 'com.acme.usage',
    account: '123456789012',
    time: new Date(options.timeMillis).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    region: pick(random, REGIONS),
    resources: [options.clientId ?? pick(random, CLIENTS)],
    detail: usageDetail(random, spec, random() < 0.5),
  };
};

/** A canonical event as the consumer writes it to Firehose: top-level clientId plus enrichment. */
export const canonicalEvent = (options: EventOptions): Record<string, unknown> => {
  const { random } = options;
  const spec = pick(random, EVENT_TYPES);
  return {
    id: options.id ?? uuid(random),
    source: 'com.acme.usage',
    'detail-type': spec.detailType,
    time: new Date(options.timeMillis).toISOString(),
    clientId: options.clientId ?? pick(random, CLIENTS),
    detail: usageDetail(random, spec, true),
    receivedAt: new Date(options.timeMillis + 1_500).toISOString(),
    environment: 'prod',
    envelopeVersion: '2',
  };
};

const toBase64 = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64');

export interface FirehoseBatch {
  event: FirehoseTransformationEvent;
  /** Mean size of the decoded records, bytes. */
  meanRecordBytes: number;
  canonical: number;
  envelopes: number;
}

/**
 * A Firehose transformation batch: canonical events as the consumer writes them, and
 * `envelopeShare` raw EventBridge envelopes (Direct PUT: they take the source adapters' path, so
 * the bare loop's output no longer matches them; row 1 measures the pipeline's own path, 0).
 */
export const firehoseBatch = (records: number, seed = 1, envelopeShare = 0): FirehoseBatch => {
  const random = createRandom(seed);
  const start = Date.parse('2026-03-02T08:00:00Z');
  let bytes = 0;
  let canonical = 0;
  const items = Array.from({ length: records }, (_, index) => {
    const timeMillis = start + Math.floor(random() * 6 * 3_600_000);
    const isCanonical = random() >= envelopeShare;
    if (isCanonical) canonical++;
    const json = JSON.stringify(
      isCanonical ? canonicalEvent({ random, timeMillis }) : eventBridgeEnvelope({ random, timeMillis }),
    );
    bytes += Buffer.byteLength(json);
    return {
      recordId: `49546986683135544286507457936321625675700192471156785154${String(index).padStart(6, '0')}`,
      approximateArrivalTimestamp: timeMillis + 2_000,
      data: Buffer.from(json).toString('base64'),
    };
  });
  return {
    event: {
      invocationId: 'bench-invocation',
      deliveryStreamArn: 'arn:aws:firehose:eu-west-1:123456789012:deliverystream/usage-events',
      region: 'eu-west-1',
      records: items,
    },
    meanRecordBytes: bytes / records,
    canonical,
    envelopes: records - canonical,
  };
};

const STREAM_ARN = 'arn:aws:kinesis:eu-west-1:123456789012:stream/usage-events';

/** One Kinesis record as Lambda delivers it; `arrivalMillis` becomes approximateArrivalTimestamp (seconds). */
export const kinesisRecord = (
  payload: unknown,
  sequence: bigint,
  arrivalMillis: number,
  shard = 0,
): KinesisStreamRecord => {
  const sequenceNumber = sequence.toString();
  const shardId = `shardId-${String(shard).padStart(12, '0')}`;
  return {
    kinesis: {
      kinesisSchemaVersion: '1.0',
      partitionKey: `pk-${sequenceNumber.slice(-6)}`,
      sequenceNumber,
      data: typeof payload === 'string' ? Buffer.from(payload).toString('base64') : toBase64(payload),
      approximateArrivalTimestamp: arrivalMillis / 1000,
    },
    eventSource: 'aws:kinesis',
    eventVersion: '1.0',
    eventID: `${shardId}:${sequenceNumber}`,
    eventName: 'aws:kinesis:Record',
    invokeIdentityArn: 'arn:aws:iam::123456789012:role/usage-consumer',
    awsRegion: 'eu-west-1',
    eventSourceARN: STREAM_ARN,
  };
};

export const kinesisEvent = (records: KinesisStreamRecord[]): KinesisStreamEvent => ({ Records: records });

/** Hands out increasing Kinesis sequence numbers and arrival times, like one shard. */
export class ShardClock {
  private sequence = 49_650_000_000_000_000_000_000_000_000_000_000_000_000_000n;
  constructor(private arrivalMillis: number) {}

  next(): { sequence: bigint; arrivalMillis: number } {
    this.sequence += 1n;
    this.arrivalMillis += 3;
    return { sequence: this.sequence, arrivalMillis: this.arrivalMillis };
  }
}

/**
 * Kinesis batches of valid EventBridge envelopes, every event unique. Event times lie
 * within the consumer's window: up to 6 h before arrival (window is −7 days … +15 min).
 */
export const kinesisBatches = (batches: number, perBatch: number, seed = 2): KinesisStreamEvent[] => {
  const random = createRandom(seed);
  const clock = new ShardClock(Date.parse('2026-03-02T09:00:00Z'));
  return Array.from({ length: batches }, () =>
    kinesisEvent(
      Array.from({ length: perBatch }, () => {
        const { sequence, arrivalMillis } = clock.next();
        const timeMillis = arrivalMillis - Math.floor(random() * 6 * 3_600_000);
        return kinesisRecord(eventBridgeEnvelope({ random, timeMillis }), sequence, arrivalMillis);
      }),
    ),
  );
};
