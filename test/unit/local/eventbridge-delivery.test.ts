import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { compileRule, toEnvelope } from '../../../infra/local/eventbridge/bus';
import { memoryDeadLetterQueue, sqsDeadLetterQueue } from '../../../infra/local/eventbridge/dead-letter';
import { Deliveries, type RuleRuntime } from '../../../infra/local/eventbridge/delivery';
import type { AttemptOutcome, Target } from '../../../infra/local/eventbridge/targets/target';
import type { EventEnvelope, RouteStats } from '../../../infra/local/eventbridge/types';
import { ROUTING_DETAIL_TYPE, ROUTING_SOURCE } from '../../../shared/routes/cloudformation';
import type { Route } from '../../../shared/routes/routes-file';

// One event's delivery to one rule target, with a scripted target: retries, giving up and the
// dead letter EventBridge writes ("Event retry policy and using dead-letter queues",
// https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rule-dlq.html): the message body is
// the event, its attributes RULE_ARN, TARGET_ARN, ERROR_CODE, ERROR_MESSAGE,
// EXHAUSTED_RETRY_CONDITION and RETRY_ATTEMPTS; errors that are not retriable go to the DLQ
// without retries.

const RULE_ARN = 'arn:aws:events:us-east-1:000000000000:rule/test-routing/tickets';
const TARGET_ARN = 'arn:aws:events:us-east-1:000000000000:api-destination/tickets';

const route = {
  name: 'tickets',
  pattern: { source: ['client.events'] },
  input: { pathsMap: { id: '$.id' }, template: '{"externalId": "<id>"}' },
  target: {
    type: 'http',
    url: 'https://tickets.example.com',
    method: 'POST',
    headers: {},
    query: {},
    rateLimitPerSecond: 300,
    retry: { maximumAttempts: 3, maximumEventAgeSeconds: 60 },
  },
} as unknown as Route;

const failure = (retryable: boolean, status: number): AttemptOutcome => ({
  ok: false,
  retryable,
  errorCode: 'ERROR_FROM_TARGET',
  errorMessage: `The API destination answered ${status}`,
  status,
});

/** A target that answers from a script (then succeeds), recording each attempt's input. */
const scriptedTarget = (script: AttemptOutcome[], maximumAttempts = 3) => {
  const inputs: string[] = [];
  const target: Target = {
    arn: TARGET_ARN,
    retryPolicy: { maximumAttempts, maximumEventAgeSeconds: 60 },
    deliver: async (_envelope, input) => {
      inputs.push(input);
      return script.shift() ?? { ok: true, status: 200 };
    },
  };
  return { target, inputs };
};

const setup = (target: Target) => {
  const stats: RouteStats = { matched: 0, delivered: 0, retried: 0, deadLettered: 0, dropped: 0, pending: 0 };
  const deadLetters = memoryDeadLetterQueue();
  const rule: RuleRuntime = { compiled: compileRule(route), arn: RULE_ARN, target, deadLetters, stats };
  const abort = new AbortController();
  const noop = () => {};
  const deliveries = new Deliveries({
    now: Date.now,
    random: () => 0,
    timing: { backoffBaseMs: 10, backoffMaxMs: 40, requestTimeoutMs: 5_000 },
    logger: { debug: noop, info: noop, warn: noop, error: noop },
    signal: abort.signal,
  });
  const envelope: EventEnvelope = toEnvelope(
    {
      source: ROUTING_SOURCE,
      detailType: ROUTING_DETAIL_TYPE,
      detail: { id: 'evt-1', source: 'client.events' },
      resources: [],
    },
    { account: '000000000000', region: 'us-east-1', nowMs: Date.now() },
  );
  return { stats, deadLetters, rule, abort, deliveries, envelope };
};

describe('a delivery', () => {
  it('retries retriable failures with the rendered input and stops at the first success', async () => {
    // Prepare
    const { target, inputs } = scriptedTarget([failure(true, 500), failure(true, 503)]);
    const { stats, deadLetters, rule, deliveries, envelope } = setup(target);

    // Act
    deliveries.start(rule, envelope, Date.now());
    await deliveries.drain();

    // Assess
    expect(inputs).toEqual(['{"externalId": "evt-1"}', '{"externalId": "evt-1"}', '{"externalId": "evt-1"}']);
    expect(stats).toEqual({ matched: 1, delivered: 1, retried: 2, deadLettered: 0, dropped: 0, pending: 0 });
    expect(deadLetters.messages).toEqual([]);
  });

  it('dead-letters the event, untransformed, once MaximumRetryAttempts retries have failed', async () => {
    // Prepare
    const { target, inputs } = scriptedTarget([failure(true, 500), failure(true, 500), failure(true, 500)], 2);
    const { stats, deadLetters, rule, deliveries, envelope } = setup(target);

    // Act
    deliveries.start(rule, envelope, Date.now());
    await deliveries.drain();

    // Assess
    expect(inputs).toHaveLength(3);
    expect(stats).toMatchObject({ matched: 1, delivered: 0, retried: 2, deadLettered: 1 });
    expect(deadLetters.messages).toEqual([
      {
        body: JSON.stringify(envelope),
        attributes: {
          RULE_ARN,
          TARGET_ARN,
          ERROR_CODE: 'ERROR_FROM_TARGET',
          ERROR_MESSAGE: 'The API destination answered 500',
          EXHAUSTED_RETRY_CONDITION: 'MaximumRetryAttempts',
          RETRY_ATTEMPTS: '2',
        },
      },
    ]);
  });

  it('dead-letters a failure that is not retriable at once, without an exhausted condition', async () => {
    // Prepare
    const { target, inputs } = scriptedTarget([failure(false, 400)]);
    const { stats, deadLetters, rule, deliveries, envelope } = setup(target);

    // Act
    deliveries.start(rule, envelope, Date.now());
    await deliveries.drain();

    // Assess
    expect(inputs).toHaveLength(1);
    expect(stats).toMatchObject({ delivered: 0, retried: 0, deadLettered: 1 });
    expect(deadLetters.messages[0]?.attributes).toEqual({
      RULE_ARN,
      TARGET_ARN,
      ERROR_CODE: 'ERROR_FROM_TARGET',
      ERROR_MESSAGE: 'The API destination answered 400',
      RETRY_ATTEMPTS: '0',
    });
  });

  it('dead-letters with MaximumEventAgeInSeconds when the event is too old to retry', async () => {
    // Prepare: the event was taken in 61 s ago, past its 60 s maximum age.
    const { target } = scriptedTarget([failure(true, 503)]);
    const { deadLetters, rule, deliveries, envelope } = setup(target);

    // Act
    deliveries.start(rule, envelope, Date.now() - 61_000);
    await deliveries.drain();

    // Assess
    expect(deadLetters.messages[0]?.attributes).toMatchObject({
      EXHAUSTED_RETRY_CONDITION: 'MaximumEventAgeInSeconds',
      RETRY_ATTEMPTS: '0',
    });
  });

  it('counts an event the dead-letter queue refuses as dropped', async () => {
    // Prepare
    const { target } = scriptedTarget([failure(false, 404)]);
    const { stats, rule, deliveries, envelope } = setup(target);
    rule.deadLetters = { send: async () => Promise.reject(new Error('queue gone')) };

    // Act
    deliveries.start(rule, envelope, Date.now());
    await deliveries.drain();

    // Assess
    expect(stats).toMatchObject({ matched: 1, delivered: 0, deadLettered: 0, dropped: 1, pending: 0 });
  });

  it('stops retrying when the bus stops, and counts the event as dropped', async () => {
    // Prepare: a target that always fails, with long backoff so the delivery is waiting.
    const { target, inputs } = scriptedTarget(Array.from({ length: 10 }, () => failure(true, 500)));
    const { stats, rule, abort, deliveries, envelope } = setup(target);
    deliveries.start(rule, envelope, Date.now());
    await new Promise((resolve) => setTimeout(resolve, 25));

    // Act
    abort.abort();
    await deliveries.settled();

    // Assess
    expect(inputs.length).toBeLessThan(4);
    expect(stats).toMatchObject({ delivered: 0, deadLettered: 0, dropped: 1, pending: 0 });
  });
});

describe('the SQS dead-letter queue', () => {
  it('sends the body and every attribute as a String message attribute', async () => {
    // Prepare
    const sqs = mockClient(SQSClient);
    sqs.on(SendMessageCommand).resolves({ MessageId: 'm-1' });
    const queue = sqsDeadLetterQueue(
      new SQSClient({ region: 'us-east-1' }),
      'http://127.0.0.1:1/000000000000/tickets-dlq',
    );

    // Act
    await queue.send('{"id":"evt-1"}', { ERROR_CODE: 'TIMEOUT', RETRY_ATTEMPTS: '3' });

    // Assess
    expect(sqs.commandCalls(SendMessageCommand)[0]?.args[0].input).toEqual({
      QueueUrl: 'http://127.0.0.1:1/000000000000/tickets-dlq',
      MessageBody: '{"id":"evt-1"}',
      MessageAttributes: {
        ERROR_CODE: { DataType: 'String', StringValue: 'TIMEOUT' },
        RETRY_ATTEMPTS: { DataType: 'String', StringValue: '3' },
      },
    });
    sqs.restore();
  });
});
