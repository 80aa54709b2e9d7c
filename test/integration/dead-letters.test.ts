import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { closeServer, readBody } from '../../infra/local/runtime/http-server';
import { LocalSqs } from '../../infra/local/sqs';
import { main, UsageError } from '../../scripts/dead-letters';
import { createSqsClient } from '../../shared/aws/sqs-client';
import {
  DEAD_LETTER_RETENTION_SECONDS,
  deadLetterQueueName,
  ROUTING_DETAIL_TYPE,
  ROUTING_SOURCE,
  redriveDetailType,
  routingBusName,
} from '../../shared/routes/cloudformation';

// npm run dead-letters against the local SQS (real SQS client) and a stand-in EventBridge that
// records PutEvents. The dead letters are what EventBridge sends a rule target's dead-letter queue
// when it gives up (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rule-dlq.html):
// the event as the body, why in the message attributes RULE_ARN, TARGET_ARN, ERROR_CODE,
// ERROR_MESSAGE, EXHAUSTED_RETRY_CONDITION and RETRY_ATTEMPTS.

const ROOT = join(__dirname, '..', '..');
const REGION = 'us-east-1';
const ROUTE = 'loyalty-tickets';
const QUEUE = deadLetterQueueName('usage-pipeline', 'local', ROUTE);
const BUS = routingBusName('usage-pipeline', 'local');
const ENV_KEYS = ['AWS_ENDPOINT_URL_SQS', 'AWS_ENDPOINT_URL_EVENTBRIDGE', 'AWS_REGION', 'AWS_MAX_ATTEMPTS'] as const;

interface CanonicalDetail {
  id: string;
  clientId: string;
  time: string;
  source: string;
  'detail-type': string;
  detail: Record<string, unknown>;
}

const canonical = (n: number): CanonicalDetail => ({
  id: `evt-${n}`,
  clientId: 'client-acme',
  time: `2026-03-14T15:0${n % 10}:00.000Z`,
  source: 'client.events',
  'detail-type': 'ClientEvent',
  detail: { eventType: 'loyaltypurchase', data: { points: n * 10 } },
});

/** The routing envelope EventBridge delivered, and dead-lettered: the canonical event is its detail. */
const envelope = (detail: CanonicalDetail) => ({
  version: '0',
  id: `e0a1b2c3-0000-4000-8000-00000000000${detail.id.slice(-1)}`,
  'detail-type': ROUTING_DETAIL_TYPE,
  source: ROUTING_SOURCE,
  account: '000000000000',
  time: detail.time.replace('.000Z', 'Z'),
  region: REGION,
  resources: [],
  detail,
});

/** The attributes EventBridge sets on a dead letter (string attributes, eb-rule-dlq.html). */
const deadLetterAttributes = {
  RULE_ARN: `arn:aws:events:${REGION}:000000000000:rule/${BUS}/${ROUTE}`,
  TARGET_ARN: `arn:aws:events:${REGION}:000000000000:api-destination/usage-pipeline-local-${ROUTE}/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0`,
  ERROR_CODE: 'SDK_CLIENT_ERROR',
  ERROR_MESSAGE:
    'Unable to invoke ApiDestination endpoint: The request failed because the endpoint responded with 503.',
  EXHAUSTED_RETRY_CONDITION: 'MaximumRetryAttempts',
  RETRY_ATTEMPTS: '185',
};

interface PutEventsCall {
  target: string | undefined;
  contentType: string | undefined;
  entries: { EventBusName?: string; Source?: string; DetailType?: string; Detail?: string }[];
}

/** A stand-in EventBridge (JSON 1.1, AWSEvents.PutEvents) that records calls and fails the entries of `failIds`. */
const startEventBridge = async (failIds: Set<string>) => {
  const calls: PutEventsCall[] = [];
  let sequence = 0;
  const server: Server = createServer((request, response) => {
    void readBody(request, 1024 * 1024).then((body) => {
      const input = JSON.parse(body?.toString('utf8') ?? '{}') as { Entries?: PutEventsCall['entries'] };
      const entries = input.Entries ?? [];
      calls.push({
        target: request.headers['x-amz-target'] as string | undefined,
        contentType: request.headers['content-type'],
        entries,
      });
      const results = entries.map((entry) => {
        const id = (JSON.parse(entry.Detail ?? '{}') as { id?: string }).id ?? '';
        return failIds.has(id)
          ? { ErrorCode: 'InternalFailure', ErrorMessage: 'The bus is having a bad day.' }
          : { EventId: `eb-${++sequence}` };
      });
      const payload = JSON.stringify({
        FailedEntryCount: results.filter((r) => 'ErrorCode' in r).length,
        Entries: results,
      });
      response.writeHead(200, {
        'content-type': 'application/x-amz-json-1.1',
        'content-length': Buffer.byteLength(payload),
      });
      response.end(payload);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    calls,
    close: () => closeServer(server),
  };
};

let offsetMs = 0;
let sqs: LocalSqs;
let client: SQSClient;
let eventBridge: Awaited<ReturnType<typeof startEventBridge>>;
let queueUrl: string;
const failIds = new Set<string>();
const savedEnv: Partial<Record<(typeof ENV_KEYS)[number], string>> = {};

beforeEach(async () => {
  offsetMs = 0;
  failIds.clear();
  // A clock the test can move: a re-drive hides what it takes for 60 s.
  sqs = new LocalSqs({ region: REGION, now: () => Date.now() + offsetMs });
  const { endpoint } = await sqs.start();
  eventBridge = await startEventBridge(failIds);
  for (const key of ENV_KEYS) savedEnv[key] = process.env[key];
  Object.assign(process.env, {
    AWS_ENDPOINT_URL_SQS: endpoint,
    AWS_ENDPOINT_URL_EVENTBRIDGE: eventBridge.endpoint,
    AWS_REGION: REGION,
    AWS_MAX_ATTEMPTS: '1',
  });
  client = createSqsClient(process.env);
  const created = await client.send(
    new CreateQueueCommand({
      QueueName: QUEUE,
      Attributes: { MessageRetentionPeriod: String(DEAD_LETTER_RETENTION_SECONDS) },
    }),
  );
  queueUrl = created.QueueUrl as string;
});

afterEach(async () => {
  for (const key of ENV_KEYS) {
    if (savedEnv[key] === undefined) delete process.env[key];
    else process.env[key] = savedEnv[key];
  }
  client.destroy();
  await eventBridge.close();
  await sqs.stop();
});

/** Sends dead letters as EventBridge writes them; returns the canonical events. */
const deadLetter = async (count: number): Promise<CanonicalDetail[]> => {
  const events = Array.from({ length: count }, (_, i) => canonical(i + 1));
  for (const event of events) {
    await client.send(
      new SendMessageCommand({
        QueueUrl: queueUrl,
        MessageBody: JSON.stringify(envelope(event)),
        MessageAttributes: Object.fromEntries(
          Object.entries(deadLetterAttributes).map(([name, value]) => [
            name,
            { DataType: 'String', StringValue: value },
          ]),
        ),
      }),
    );
  }
  return events;
};

const run = async (argv: string[]): Promise<{ code: number; output: string }> => {
  let output = '';
  const code = await main(argv, (text) => {
    output += text;
  });
  return { code, output };
};

const queueCounts = async () => {
  const { Attributes = {} } = await client.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  return {
    visible: Number(Attributes.ApproximateNumberOfMessages),
    inFlight: Number(Attributes.ApproximateNumberOfMessagesNotVisible),
  };
};

describe('list', () => {
  it('shows every dead letter, event and EventBridge’s attributes, without consuming them', async () => {
    const events = await deadLetter(3);
    const first = await run(['list', ROUTE, '--json']);
    expect(first.code).toBe(0);
    expect(first.output.endsWith('\n')).toBe(true);
    expect(first.output.trim().split('\n')).toHaveLength(1);
    const listed = JSON.parse(first.output) as Record<
      string,
      { messageId: string; event: unknown; attributes: unknown }[]
    >;
    expect(Object.keys(listed)).toEqual([ROUTE]);
    const letters = listed[ROUTE] ?? [];
    expect(letters.map((letter) => letter.event)).toEqual(events.map(envelope));
    for (const letter of letters) {
      expect(letter.attributes).toEqual(deadLetterAttributes);
      expect(letter.messageId).toMatch(/^[0-9a-f-]{36}$/);
    }
    expect(await queueCounts()).toEqual({ visible: 3, inFlight: 0 });

    const second = await run(['list', ROUTE, '--json']);
    expect((JSON.parse(second.output) as Record<string, unknown[]>)[ROUTE]).toHaveLength(3);
  });

  it('prints a table by default', async () => {
    await deadLetter(1);
    const { code, output } = await run(['list', ROUTE]);
    expect(code).toBe(0);
    const lines = output.trimEnd().split('\n');
    expect(lines[0]).toBe(`${ROUTE}: 1 dead letters`);
    expect(lines[1]).toContain('evt-1');
    expect(lines[1]).toContain('client-acme');
    expect(lines[1]).toContain('attempts 185  SDK_CLIENT_ERROR: Unable to invoke ApiDestination endpoint');
    expect(lines[1]).toContain('(MaximumRetryAttempts)');
  });

  it('shows more than one receive’s worth (10) of dead letters, and --max of them', async () => {
    await deadLetter(12);
    const all = JSON.parse((await run(['list', ROUTE, '--json'])).output) as Record<string, unknown[]>;
    expect(all[ROUTE]).toHaveLength(12);
    const two = JSON.parse((await run(['list', ROUTE, '--json', '--max', '2'])).output) as Record<string, unknown[]>;
    expect(two[ROUTE]).toHaveLength(2);
    expect(await queueCounts()).toEqual({ visible: 12, inFlight: 0 });
  });
});

describe('redrive', () => {
  it('publishes each canonical event for the route only, deletes what the bus took and leaves the rest', async () => {
    const events = await deadLetter(3);
    failIds.add('evt-2');
    const { code, output } = await run(['redrive', ROUTE, '--json']);
    expect(code).toBe(1);
    const result = JSON.parse(output) as {
      route: string;
      dryRun: boolean;
      redriven: number;
      failed: { messageId: string; reason: string }[];
    };
    expect(result).toMatchObject({ route: ROUTE, dryRun: false, redriven: 2 });
    expect(result.failed).toEqual([
      { messageId: expect.any(String), reason: 'InternalFailure: The bus is having a bad day.' },
    ]);

    // One call for all three, then the refused entry alone, retried (3 attempts in all).
    expect(eventBridge.calls.map((c) => c.entries.length)).toEqual([3, 1, 1]);
    const [call] = eventBridge.calls;
    expect(call?.target).toBe('AWSEvents.PutEvents');
    expect(call?.contentType).toBe('application/x-amz-json-1.1');
    expect(call?.entries.map((entry) => ({ ...entry, Detail: JSON.parse(entry.Detail ?? '') }))).toEqual(
      events.map((event) => ({
        EventBusName: BUS,
        Source: ROUTING_SOURCE,
        DetailType: redriveDetailType(ROUTE),
        Detail: event,
      })),
    );
    expect(redriveDetailType(ROUTE)).toBe('CanonicalEvent.Redrive.loyalty-tickets');

    // The two the bus took are deleted; the refused one is still in the queue (hidden while it was re-driven).
    const left = await queueCounts();
    expect(left.visible + left.inFlight).toBe(1);
    offsetMs = 61_000;
    const { Messages = [] } = await client.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        VisibilityTimeout: 0,
        MessageAttributeNames: ['All'],
      }),
    );
    expect(Messages.map((m) => m.MessageId)).toEqual([result.failed[0]?.messageId]);
    expect(JSON.parse(Messages[0]?.Body ?? '')).toEqual(envelope(events[1] as CanonicalDetail));
    expect(Messages[0]?.MessageAttributes?.ERROR_CODE?.StringValue).toBe('SDK_CLIENT_ERROR');
  });

  it('exits 0 and prints a summary when the bus takes everything', async () => {
    await deadLetter(2);
    const { code, output } = await run(['redrive', ROUTE]);
    expect([code, output]).toEqual([0, `${ROUTE}: 2 re-driven, 0 left in the queue\n`]);
    expect(await queueCounts()).toEqual({ visible: 0, inFlight: 0 });
  });

  it('--dry-run counts every dead letter and changes nothing', async () => {
    await deadLetter(12);
    const { code, output } = await run(['redrive', ROUTE, '--dry-run', '--json']);
    expect(code).toBe(0);
    expect(JSON.parse(output)).toEqual({ route: ROUTE, dryRun: true, redriven: 12, failed: [] });
    expect(eventBridge.calls).toEqual([]);
    expect(await queueCounts()).toEqual({ visible: 12, inFlight: 0 });
  });

  it('--max N re-drives at most N', async () => {
    await deadLetter(3);
    const { code, output } = await run(['redrive', ROUTE, '--max', '2', '--json']);
    expect(code).toBe(0);
    expect(JSON.parse(output)).toMatchObject({ redriven: 2, failed: [] });
    expect(eventBridge.calls.flatMap((call) => call.entries)).toHaveLength(2);
    expect(await queueCounts()).toEqual({ visible: 1, inFlight: 0 });
  });
});

describe('bad input', () => {
  it.each([
    [['list', 'no-such-route'], 'no route no-such-route in routes.yml (routes: loyalty-tickets)'],
    [[], 'the command is list, redrive or unrouted, got none'],
    [['list', ROUTE, '--max', '0'], '--max must be a positive integer, got 0'],
    [['redrive'], 'redrive needs a ROUTE'],
  ])('%j is a usage error: %s', async (argv, message) => {
    const error = await main(argv, () => undefined).then(
      () => undefined,
      (thrown: unknown) => thrown,
    );
    expect(error).toBeInstanceOf(UsageError);
    expect((error as Error).message).toBe(message);
    expect((error as Error).message).not.toContain('\n');
    expect(eventBridge.calls).toEqual([]);
  });

  it.each([
    [
      ['list', 'no-such-route'],
      'npm run dead-letters: no route no-such-route in routes.yml (routes: loyalty-tickets) (--help for usage)',
    ],
    [
      ['list', '--bogus'],
      expect.stringMatching(/^npm run dead-letters: Unknown option '--bogus'.* \(--help for usage\)$/),
    ],
  ])('the script exits 2 with one line on stderr for %j', async (argv, line) => {
    const result = await promisify(execFile)(
      process.execPath,
      [join(ROOT, 'node_modules/tsx/dist/cli.mjs'), 'scripts/dead-letters.ts', ...argv],
      { cwd: ROOT },
    ).then(
      () => ({ code: 0, stdout: '', stderr: '' }),
      (error: { code: number; stdout: string; stderr: string }) => error,
    );
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    const lines = result.stderr.trimEnd().split('\n');
    expect(lines).toEqual([line]);
    expect(result.stderr).not.toMatch(/^\s+at /m);
  });
});
