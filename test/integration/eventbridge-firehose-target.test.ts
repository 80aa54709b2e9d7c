import { compileRule } from '../../infra/local/eventbridge/bus';
import { memoryDeadLetterQueue } from '../../infra/local/eventbridge/dead-letter';
import { Deliveries, type RuleRuntime } from '../../infra/local/eventbridge/delivery';
import { firehoseTarget } from '../../infra/local/eventbridge/targets/firehose';
import type { Target, TargetContext } from '../../infra/local/eventbridge/targets/target';
import type { DeliveryTiming, EventEnvelope } from '../../infra/local/eventbridge/types';
import { LocalFirehose } from '../../infra/local/firehose';
import { createS3Client } from '../../shared/aws/s3-client';
import type { Route } from '../../shared/routes/routes-file';
import { type FirehoseEndpoint, startFirehoseEndpoint } from '../helpers/firehose-endpoint';
import { sharedStack } from '../helpers/shared-stack';

// The EventBridge rule target of `type: firehose-http` routes, against a real LocalFirehose (its
// HTTP endpoint destination delivering to a real node:http endpoint) through the real Firehose
// SDK client: one attempt is one PutRecord of the rendered input; the bus (delivery.ts) retries
// per the rule target's RetryPolicy and dead-letters what Firehose refuses for good.

const REGION = 'us-east-1';
const ACCOUNT = '000000000000';
const STREAM = 'usage-pipeline-test-route-vendor-batches';
const RULE_ARN = `arn:aws:events:${REGION}:${ACCOUNT}:rule/usage-pipeline-test-routing/vendor-batches`;
const MIB = 1024 * 1024;

const ROUTE: Route = {
  name: 'vendor-batches',
  pattern: { detail: { eventType: ['purchase'] } },
  target: {
    type: 'firehose-http',
    url: 'https://ingest.vendor.example/firehose',
    auth: { type: 'apiKey', secret: 'vendor/firehose' },
    buffering: { sizeMiB: 1, intervalSeconds: 60 },
    retryDurationSeconds: 300,
    commonAttributes: {},
  },
};

const TIMING: DeliveryTiming = { backoffBaseMs: 10, backoffMaxMs: 40, requestTimeoutMs: 2_000 };
const quiet = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };

let endpoint: FirehoseEndpoint;
let firehose: LocalFirehose;
let firehoseEndpoint: string;
/** The Firehose's fault injection: how many of the next records to refuse with ServiceUnavailableException. */
let refuse = 0;
let controller: AbortController;
const targets: Target[] = [];
const s3 = createS3Client({ AWS_ENDPOINT_URL_S3: sharedStack().endpoints.s3, AWS_REGION: REGION });

beforeEach(async () => {
  refuse = 0;
  controller = new AbortController();
  endpoint = await startFirehoseEndpoint('/firehose');
  firehose = new LocalFirehose({
    settings: {
      deliveryStreamName: STREAM,
      prefix: '',
      errorOutputPrefix: '',
      bufferSizeBytes: MIB,
      bufferIntervalSeconds: 900,
      compression: 'UNCOMPRESSED',
      dynamicPartitioning: false,
    },
    region: REGION,
    s3,
    destination: {
      type: 'http-endpoint',
      url: endpoint.url,
      accessKey: 'k',
      backup: { bucket: 'unused', prefix: 'routes/vendor-batches/failed/' },
    },
    failRecord: () => {
      if (refuse === 0) return undefined;
      refuse--;
      return { errorCode: 'ServiceUnavailableException', errorMessage: 'Slow down.' };
    },
  });
  ({ endpoint: firehoseEndpoint } = await firehose.start());
});

afterEach(async () => {
  controller.abort();
  for (const target of targets.splice(0)) await target.close?.();
  await firehose.stop();
  await endpoint.close();
});

afterAll(() => s3.destroy());

const contextFor = (): TargetContext => ({
  region: REGION,
  accountId: ACCOUNT,
  busName: 'usage-pipeline-test-routing',
  ruleArn: RULE_ARN,
  url: ROUTE.target.url,
  secrets: () => undefined,
  logger: quiet,
  timing: TIMING,
  now: Date.now,
  signal: controller.signal,
});

const makeTarget = (deliveryStreamName = STREAM, endpointUrl = firehoseEndpoint): Target => {
  const target = firehoseTarget({ streamOf: () => ({ endpoint: endpointUrl, deliveryStreamName }) })(
    ROUTE,
    contextFor(),
  );
  targets.push(target);
  return target;
};

const envelope = (id: string): EventEnvelope => ({
  version: '0',
  id,
  'detail-type': 'CanonicalEvent',
  source: 'usage-pipeline.routing',
  account: ACCOUNT,
  time: '2026-03-14T15:09:26Z',
  region: REGION,
  resources: [],
  detail: { id: `evt-${id}`, eventType: 'purchase', data: { amount: 12 } },
});

/** Delivers through the bus's delivery loop (render, attempt, RetryPolicy, dead-letter queue). */
const deliverThroughBus = async (target: Target, events: EventEnvelope[]) => {
  const deadLetters = memoryDeadLetterQueue();
  const rule: RuleRuntime = {
    compiled: compileRule(ROUTE),
    arn: RULE_ARN,
    target,
    deadLetters,
    stats: { matched: 0, delivered: 0, retried: 0, deadLettered: 0, dropped: 0, pending: 0 },
  };
  const deliveries = new Deliveries({
    now: Date.now,
    random: () => 0.5,
    timing: TIMING,
    logger: quiet,
    signal: controller.signal,
  });
  for (const event of events) deliveries.start(rule, event, Date.now());
  await deliveries.drain();
  return { stats: rule.stats, deadLetters: deadLetters.messages };
};

it('puts the input, as is, as one record into the route’s delivery stream', async () => {
  // Prepare
  const target = makeTarget();
  const input = '{"externalId":"evt-1","details":{"amount":12}}';

  // Act
  const outcome = await target.deliver(envelope('1'), input);
  await firehose.flush();

  // Assess: one record, the input byte for byte, delivered on to the endpoint.
  expect(outcome).toEqual({ ok: true, status: 200 });
  expect(target.arn).toBe(`arn:aws:firehose:${REGION}:${ACCOUNT}:deliverystream/${STREAM}`);
  expect(target.retryPolicy).toEqual({ maximumAttempts: 185, maximumEventAgeSeconds: 86_400 });
  expect(endpoint.received.map((request) => request.records)).toEqual([[input]]);
  expect(firehose.stats()).toMatchObject({ received: 1, delivered: 1 });
});

it('is retried by the bus while Firehose throttles, then delivered once', async () => {
  // Prepare: Firehose refuses the next two records with ServiceUnavailableException.
  const target = makeTarget();
  refuse = 2;

  // Act: the route has no input, so the bus sends the canonical event ($.detail).
  const { stats, deadLetters } = await deliverThroughBus(target, [envelope('2')]);
  await firehose.flush();

  // Assess
  expect(stats).toMatchObject({ matched: 1, delivered: 1, retried: 2, deadLettered: 0, dropped: 0, pending: 0 });
  expect(deadLetters).toEqual([]);
  expect(firehose.stats()).toMatchObject({ rejected: 2, received: 1, delivered: 1 });
  expect(endpoint.received.flatMap((request) => request.records).map((record) => JSON.parse(record))).toEqual([
    envelope('2').detail,
  ]);
});

it('says a throttled attempt is retryable (THROTTLING)', async () => {
  // Prepare
  const target = makeTarget();
  refuse = 1;

  // Act
  const outcome = await target.deliver(envelope('3'), '{}');

  // Assess
  expect(outcome).toMatchObject({ ok: false, retryable: true, errorCode: 'THROTTLING', status: 503 });
  expect(outcome.ok || outcome.errorMessage).toMatch(/ServiceUnavailableException/);
});

it('dead-letters at once, without retries, for a delivery stream that does not exist (NO_RESOURCE)', async () => {
  // Prepare
  const target = makeTarget('no-such-stream');

  // Act
  const { stats, deadLetters } = await deliverThroughBus(target, [envelope('4')]);

  // Assess
  expect(stats).toMatchObject({ matched: 1, delivered: 0, retried: 0, deadLettered: 1 });
  expect(deadLetters).toHaveLength(1);
  expect(JSON.parse(deadLetters[0]?.body ?? '')).toEqual(envelope('4'));
  expect(deadLetters[0]?.attributes).toMatchObject({
    RULE_ARN,
    TARGET_ARN: `arn:aws:firehose:${REGION}:${ACCOUNT}:deliverystream/no-such-stream`,
    ERROR_CODE: 'NO_RESOURCE',
    RETRY_ATTEMPTS: '0',
  });
  expect(deadLetters[0]?.attributes.ERROR_MESSAGE).toMatch(/ResourceNotFoundException/);
  expect(firehose.stats().received).toBe(0);
});

it('says a record Firehose refuses as too large is not retryable (INVALID_PARAMETER)', async () => {
  // Prepare
  const target = makeTarget();

  // Act: over Firehose's 1,000 KiB record limit.
  const outcome = await target.deliver(envelope('5'), 'x'.repeat(1_024_001));

  // Assess
  expect(outcome).toMatchObject({ ok: false, retryable: false, errorCode: 'INVALID_PARAMETER', status: 400 });
});

it('says an unreachable Firehose is retryable (CONNECTION_FAILURE)', async () => {
  // Prepare: nothing listens there any more.
  await firehose.stop();
  const target = makeTarget(STREAM, firehoseEndpoint);

  // Act
  const outcome = await target.deliver(envelope('6'), '{}');

  // Assess
  expect(outcome).toMatchObject({ ok: false, retryable: true, errorCode: 'CONNECTION_FAILURE' });
});
