import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { type EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { CreateQueueCommand } from '@aws-sdk/client-sqs';
import {
  type EventBridgeLogger,
  LocalEventBridge,
  type LocalEventBridgeOptions,
  type MemoryDeadLetterQueue,
  memoryDeadLetterQueue,
  sqsDeadLetterQueue,
} from '../../infra/local/eventbridge';
import { startReceiver } from '../../infra/local/eventbridge/receiver';
import { closeServer } from '../../infra/local/runtime/http-server';
import { LocalSqs } from '../../infra/local/sqs';
import { createEventBridgeClient } from '../../shared/aws/eventbridge-client';
import { createSqsClient } from '../../shared/aws/sqs-client';
import { CANONICAL_SCHEMA_VERSION, type CanonicalEvent } from '../../shared/canonical-event';
import { routeChecks } from '../../shared/routes/checks';
import { ROUTING_DETAIL_TYPE, ROUTING_SOURCE } from '../../shared/routes/cloudformation';
import { compileInput } from '../../shared/routes/input-transformer';
import { parseRoutes, type Route } from '../../shared/routes/routes-file';
import { listDeadLetters } from '../../shared/routing/dead-letters';
import { EventBridgePublisher } from '../../shared/routing/route-publisher';

// The local EventBridge routing bus driven by the real @aws-sdk/client-eventbridge (AWS JSON 1.1,
// `X-Amz-Target: AWSEvents.PutEvents`, which is what @aws-sdk/client-eventbridge 3.x speaks:
// AwsJson1_1Protocol) and the consumer's own EventBridgePublisher, with routes pointed at a real
// HTTP server on loopback that injects faults. What the emulator must do, per AWS's documentation:
// - "API destinations" (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-api-destinations.html):
//   the connection's Basic / API key / OAuth authorization ("OAUTH tokens are refreshed when a 401
//   or 407 response is returned"), the headers EventBridge adds, the 5 s timeout ("EventBridge
//   retries timed out requests"), the invocation rate limit, and the error codes: 401, 407, 409,
//   429 and 5xx are retried, 1xx/2xx/3xx and other 4xx are not; Retry-After is honoured.
// - "Event retry policy and using dead-letter queues" (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rule-dlq.html):
//   retries with exponential backoff and jitter up to the RetryPolicy, then the event (the message
//   body) and why (RULE_ARN, TARGET_ARN, ERROR_CODE, ERROR_MESSAGE, EXHAUSTED_RETRY_CONDITION,
//   RETRY_ATTEMPTS) in the dead-letter queue.
// - PutEvents (https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutEvents.html).
// Only the rate and retry-spacing checks measure time, with generous bounds.

const REGION = 'us-east-1';
const BUS = 'usage-pipeline-test-routing';
const SECRETS: Record<string, Record<string, string>> = {
  'tickets/credentials': { username: 'local-tickets', password: 'pa55-w0rd-never-logged' },
  'crm/key': { apiKey: 'crm-api-key-never-logged' },
  'billing/oauth': { clientId: 'billing-client', clientSecret: 'billing-secret-never-logged' },
};
const secrets = (name: string) => SECRETS[name];
const BASIC = `Basic ${Buffer.from('local-tickets:pa55-w0rd-never-logged').toString('base64')}`;
/** Everything that must never be in a log line. */
const CREDENTIALS = [
  'pa55-w0rd-never-logged',
  BASIC.slice('Basic '.length),
  'crm-api-key-never-logged',
  'billing-secret-never-logged',
  'access-token-',
];

// ---- the fault-injecting endpoint ---------------------------------------------------------------

interface Arrival {
  route: string;
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
  /** When the request's headers arrived (epoch ms). */
  at: number;
}

/** How a route's endpoint answers its `n`th request (1-based). */
type Reply = (n: number, request: IncomingMessage, response: ServerResponse, body: string) => void;

const ok: Reply = (_n, _request, response) =>
  response.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
const status =
  (code: number, headers: Record<string, string> = {}): Reply =>
  (_n, _request, response) =>
    response.writeHead(code, { 'content-type': 'application/json', ...headers }).end('{"error":"injected"}');
/** `replies[n - 1]` for the nth request, the last one after that. */
const sequence =
  (...replies: Reply[]): Reply =>
  (n, request, response, body) =>
    (replies[Math.min(n, replies.length) - 1] ?? ok)(n, request, response, body);

interface FaultServer {
  url: string;
  arrivals(route: string): Arrival[];
  close(): Promise<void>;
}

const startFaultServer = async (replies: Record<string, Reply>): Promise<FaultServer> => {
  const arrivals: Arrival[] = [];
  const server: Server = createServer((request, response) => {
    const url = request.url ?? '/';
    const route = url.split('?')[0]?.split('/')[1] ?? '';
    const arrival: Arrival = {
      route,
      method: request.method ?? '',
      url,
      headers: request.headers,
      body: '',
      at: Date.now(),
    };
    arrivals.push(arrival);
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      arrival.body = Buffer.concat(chunks).toString('utf8');
      const n = arrivals.filter((other) => other.route === route).length;
      (replies[route] ?? status(404))(n, request, response, arrival.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    arrivals: (route) => arrivals.filter((arrival) => arrival.route === route),
    close: () => closeServer(server),
  };
};

const slowTimers = new Set<NodeJS.Timeout>();
/** Answers 200 after `ms` (past the 5 s timeout, the bus has given up on the request by then). */
const slow =
  (ms: number): Reply =>
  (n, request, response, body) => {
    const timer = setTimeout(() => {
      slowTimers.delete(timer);
      if (!response.destroyed) ok(n, request, response, body);
    }, ms);
    slowTimers.add(timer);
  };
/** Destroys the connection without an answer. */
const reset: Reply = (_n, request) => request.socket.destroy();

// ---- routes, events, the bus --------------------------------------------------------------------

type RouteSpec = { name: string } & Record<string, unknown>;

/** routes.yml routes (validated as npm start validates them), each delivered to `<base>/<name>` locally. */
const routesOf = (base: string, specs: RouteSpec[]): Route[] =>
  parseRoutes(
    {
      routes: specs.map(({ name, target, ...rest }) => ({
        name,
        pattern: { source: ['client.events'], detail: { eventType: [name] } },
        ...rest,
        target: {
          type: 'http',
          url: `https://${name}.example.com/v1`,
          localUrl: `${base}/${name}`,
          ...(target as Record<string, unknown>),
        },
      })),
    },
    'test-routes.yml',
    'local',
    routeChecks,
  );

let sequenceNumber = 0;
const canonicalEvent = (eventType: string, data: Record<string, unknown> = {}): CanonicalEvent => ({
  id: `evt-${++sequenceNumber}`,
  source: 'client.events',
  'detail-type': 'client.event',
  time: '2026-03-14T15:09:26.000Z',
  clientId: 'acme-corp',
  detail: { eventType, data: { n: sequenceNumber, ...data } },
  receivedAt: '2026-03-14T15:09:27.000Z',
  idScope: 'client-events',
  environment: 'test',
  envelopeVersion: CANONICAL_SCHEMA_VERSION,
});

const logged: string[] = [];
const capture =
  (level: string) =>
  (message: string, details?: Record<string, unknown>): void => {
    logged.push(`${level} ${message} ${JSON.stringify(details ?? {})}`);
  };
const logger: EventBridgeLogger = {
  debug: capture('debug'),
  info: capture('info'),
  warn: capture('warn'),
  error: capture('error'),
};

interface Harness {
  bus: LocalEventBridge;
  client: EventBridgeClient;
  deadLetters: Map<string, MemoryDeadLetterQueue>;
  publish(events: CanonicalEvent[]): Promise<void>;
}

const started: { bus: LocalEventBridge; client: EventBridgeClient }[] = [];
const servers: { close(): Promise<void> }[] = [];

const startBus = async (routes: Route[], overrides: Partial<LocalEventBridgeOptions> = {}): Promise<Harness> => {
  const deadLetters = new Map<string, MemoryDeadLetterQueue>();
  const bus = new LocalEventBridge({
    busName: BUS,
    region: REGION,
    routes,
    secrets,
    deadLetters: (route) => {
      const queue = memoryDeadLetterQueue();
      deadLetters.set(route, queue);
      return queue;
    },
    urlOf: (route) => route.target.localUrl ?? route.target.url,
    timing: { backoffBaseMs: 100, backoffMaxMs: 400 },
    logger,
    ...overrides,
  });
  const { endpoint } = await bus.start();
  const client = createEventBridgeClient({
    AWS_ENDPOINT_URL_EVENTBRIDGE: endpoint,
    AWS_REGION: REGION,
    AWS_MAX_ATTEMPTS: '1',
  });
  started.push({ bus, client });
  const publisher = new EventBridgePublisher(client, { busName: BUS, maxAttempts: 1, baseDelayMs: 10, maxDelayMs: 10 });
  return {
    bus,
    client,
    deadLetters,
    publish: async (events) => {
      const outcomes = await publisher.publish(events.map((event) => Buffer.from(JSON.stringify(event))));
      expect(outcomes.every((outcome) => outcome.ok)).toBe(true);
    },
  };
};

const stderr: string[] = [];
beforeAll(() => {
  for (const method of ['log', 'info', 'warn', 'error', 'debug'] as const) {
    jest.spyOn(console, method).mockImplementation((...args: unknown[]) => {
      stderr.push(args.map(String).join(' '));
    });
  }
  const write = process.stderr.write.bind(process.stderr);
  jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array, ...rest: unknown[]) => {
    stderr.push(String(chunk));
    return (write as (chunk: string | Uint8Array, ...rest: unknown[]) => boolean)(chunk, ...rest);
  });
});

afterEach(async () => {
  for (const { bus, client } of started.splice(0)) {
    await bus.stop();
    client.destroy();
  }
  for (const timer of slowTimers) clearTimeout(timer);
  slowTimers.clear();
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

afterAll(() => jest.restoreAllMocks());

const faultServer = async (replies: Record<string, Reply>): Promise<FaultServer> => {
  const server = await startFaultServer(replies);
  servers.push(server);
  return server;
};

/** Nothing the emulator logged (its logger, the console, stderr) holds a credential or a token. */
const expectNoCredentialLogged = (): void => {
  const everything = [...logged, ...stderr].join('\n');
  for (const credential of CREDENTIALS)
    expect({ credential, found: everything.includes(credential) }).toEqual({ credential, found: false });
};

const gaps = (arrivals: Arrival[]): number[] =>
  arrivals.slice(1).map((arrival, index) => arrival.at - (arrivals[index]?.at ?? 0));

// ---- tests --------------------------------------------------------------------------------------

describe('local EventBridge', () => {
  it('delivers each event to every route whose pattern matches, transformed, with the connection authorization', async () => {
    // Prepare
    const faults = await faultServer({ tickets: ok, audit: ok, never: ok });
    const ticketsInput = {
      pathsMap: { id: '$.id', client: '$.clientId', time: '$.time', data: '$.detail.data' },
      template:
        '{"externalId": "<id>", "customer": "<client>", "openedAt": "<time>", "subject": "Loyalty purchase", "details": <data>}',
    };
    const routes = routesOf(faults.url, [
      {
        name: 'tickets',
        input: ticketsInput,
        target: {
          headers: { 'Content-Type': 'application/json' },
          query: { source: 'usage-pipeline' },
          auth: { type: 'basic', secret: 'tickets/credentials' },
        },
      },
      // No input: the canonical event itself. Every client event.
      {
        name: 'audit',
        pattern: { source: ['client.events'] },
        target: { method: 'PUT', auth: { type: 'apiKey', secret: 'crm/key', header: 'x-crm-key' } },
      },
      { name: 'never', pattern: { source: ['client.events'], detail: { eventType: ['no-such-type'] } } },
    ]);
    const { bus, publish } = await startBus(routes);
    const events = [canonicalEvent('tickets', { points: 5 }), canonicalEvent('tickets'), canonicalEvent('searching')];

    // Act
    await publish(events);
    await bus.drain();

    // Assess
    const render = compileInput(ticketsInput);
    const context = { ruleName: 'tickets', ruleArn: '', ingestionTime: '' };
    const tickets = faults.arrivals('tickets');
    expect(tickets.map((arrival) => arrival.body).sort()).toEqual(
      events
        .slice(0, 2)
        .map((event) => render(event, context))
        .sort(),
    );
    expect(tickets[0]).toMatchObject({
      method: 'POST',
      url: '/tickets?source=usage-pipeline',
      headers: {
        authorization: BASIC,
        'content-type': 'application/json',
        'user-agent': 'Amazon/EventBridge/ApiDestinations',
        range: 'bytes=0-1048575',
        connection: 'close',
      },
    });
    const audit = faults.arrivals('audit');
    expect(audit.map((arrival) => arrival.body).sort()).toEqual(events.map((event) => JSON.stringify(event)).sort());
    expect(audit[0]).toMatchObject({
      method: 'PUT',
      headers: { 'x-crm-key': 'crm-api-key-never-logged', 'content-type': 'application/json; charset=utf-8' },
    });
    expect(faults.arrivals('never')).toEqual([]);
    expect(bus.stats()).toEqual({
      putEvents: 1,
      entries: 3,
      failedEntries: 0,
      routes: {
        tickets: { matched: 2, delivered: 2, retried: 0, deadLettered: 0, dropped: 0, pending: 0 },
        audit: { matched: 3, delivered: 3, retried: 0, deadLettered: 0, dropped: 0, pending: 0 },
        never: { matched: 0, delivered: 0, retried: 0, deadLettered: 0, dropped: 0, pending: 0 },
      },
    });
  });

  it('retries 500s with growing backoff, then never sends again after the 2xx', async () => {
    // Prepare: backoff ceilings 100, 200 ms (equal jitter: at least half of each).
    const faults = await faultServer({ flaky: sequence(status(500), status(500), ok) });
    const { bus, publish } = await startBus(
      routesOf(faults.url, [{ name: 'flaky', target: { retry: { maximumAttempts: 5, maximumEventAgeSeconds: 60 } } }]),
    );

    // Act
    await publish([canonicalEvent('flaky')]);
    await bus.drain();
    await new Promise((resolve) => setTimeout(resolve, 500));

    // Assess
    const arrivals = faults.arrivals('flaky');
    expect(arrivals).toHaveLength(3);
    const [first = 0, second = 0] = gaps(arrivals);
    expect(first).toBeGreaterThanOrEqual(50);
    expect(first).toBeLessThan(100 + 1_000);
    expect(second).toBeGreaterThanOrEqual(100);
    expect(second).toBeLessThan(200 + 1_000);
    expect(new Set(arrivals.map((arrival) => arrival.body)).size).toBe(1);
    expect(bus.stats().routes.flaky).toMatchObject({ matched: 1, delivered: 1, retried: 2, deadLettered: 0 });
  });

  it('waits out Retry-After on a 429 before the next attempt', async () => {
    // Prepare
    const faults = await faultServer({ throttled: sequence(status(429, { 'retry-after': '1' }), ok) });
    const { bus, publish } = await startBus(routesOf(faults.url, [{ name: 'throttled' }]));

    // Act
    await publish([canonicalEvent('throttled')]);
    await bus.drain();

    // Assess
    const arrivals = faults.arrivals('throttled');
    expect(arrivals).toHaveLength(2);
    expect(gaps(arrivals)[0]).toBeGreaterThanOrEqual(1_000);
    expect(bus.stats().routes.throttled).toMatchObject({ delivered: 1, retried: 1 });
  });

  it('times out a response slower than 5 s and retries it, without holding up PutEvents or another route', async () => {
    // Prepare
    const faults = await faultServer({ slow: sequence(slow(6_500), ok), fast: ok });
    const { bus, publish } = await startBus(routesOf(faults.url, [{ name: 'slow' }, { name: 'fast' }]));

    // Act
    await publish([canonicalEvent('slow'), canonicalEvent('fast')]);
    const answered = bus.stats().routes.slow;
    for (let wait = 0; wait < 250 && bus.stats().routes.fast?.delivered === 0; wait++)
      await new Promise((resolve) => setTimeout(resolve, 20));
    const whileSlowIsPending = bus.stats().routes.slow;
    await bus.drain();

    // Assess
    expect(answered).toMatchObject({ delivered: 0, pending: 1 });
    expect(whileSlowIsPending).toMatchObject({ delivered: 0, pending: 1 });
    const arrivals = faults.arrivals('slow');
    expect(arrivals).toHaveLength(2);
    expect(gaps(arrivals)[0]).toBeGreaterThanOrEqual(5_000);
    expect(bus.stats().routes.slow).toMatchObject({ matched: 1, delivered: 1, retried: 1, deadLettered: 0 });
  });

  it('retries after the connection is reset', async () => {
    // Prepare
    const faults = await faultServer({ reset: sequence(reset, ok) });
    const { bus, publish } = await startBus(routesOf(faults.url, [{ name: 'reset' }]));

    // Act
    await publish([canonicalEvent('reset')]);
    await bus.drain();

    // Assess
    expect(faults.arrivals('reset')).toHaveLength(2);
    expect(bus.stats().routes.reset).toMatchObject({ delivered: 1, retried: 1, deadLettered: 0 });
  });

  it('ends every matched event delivered or dead-lettered: a 400 at once, 503s after the retries, and never logs a credential', async () => {
    // Prepare
    const faults = await faultServer({
      rejected: status(400),
      unavailable: status(503),
      flaky: sequence(status(502), ok),
    });
    const basic = { auth: { type: 'basic', secret: 'tickets/credentials' } };
    const routes = routesOf(faults.url, [
      { name: 'rejected', input: { path: '$.detail.data' }, target: basic },
      { name: 'unavailable', target: { ...basic, retry: { maximumAttempts: 2, maximumEventAgeSeconds: 60 } } },
      { name: 'flaky', target: basic },
    ]);
    const { bus, client, deadLetters, publish } = await startBus(routes);
    const rejectedEvent = canonicalEvent('rejected');

    // Act
    const put = await client.send(
      new PutEventsCommand({
        Entries: [
          {
            EventBusName: BUS,
            Source: ROUTING_SOURCE,
            DetailType: ROUTING_DETAIL_TYPE,
            Detail: JSON.stringify(rejectedEvent),
          },
        ],
      }),
    );
    await publish([
      canonicalEvent('unavailable'),
      canonicalEvent('unavailable'),
      canonicalEvent('flaky'),
      canonicalEvent('flaky'),
      canonicalEvent('rejected'),
    ]);
    await bus.drain();

    // Assess: the 400 was sent once; each 503 event was tried 1 + 2 times.
    expect(faults.arrivals('rejected')).toHaveLength(2);
    expect(faults.arrivals('unavailable')).toHaveLength(6);
    const stats = bus.stats().routes;
    for (const [route, counts] of Object.entries(stats)) {
      expect({ route, settled: counts.delivered + counts.deadLettered }).toEqual({ route, settled: counts.matched });
      expect({ route, deadLetters: deadLetters.get(route)?.messages.length }).toEqual({
        route,
        deadLetters: counts.deadLettered,
      });
    }
    expect(stats).toMatchObject({
      rejected: { matched: 2, deadLettered: 2 },
      unavailable: { matched: 2, deadLettered: 2 },
      flaky: { matched: 2, delivered: 2 },
    });

    const rejected = deadLetters
      .get('rejected')
      ?.messages.find((message) => JSON.parse(message.body).id === put.Entries?.[0]?.EventId);
    expect(JSON.parse(rejected?.body ?? '{}')).toEqual({
      version: '0',
      id: put.Entries?.[0]?.EventId,
      'detail-type': ROUTING_DETAIL_TYPE,
      source: ROUTING_SOURCE,
      account: '000000000000',
      time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
      region: REGION,
      resources: [],
      detail: rejectedEvent,
    });
    expect(rejected?.attributes).toEqual({
      RULE_ARN: `arn:aws:events:${REGION}:000000000000:rule/${BUS}/rejected`,
      TARGET_ARN: `arn:aws:events:${REGION}:000000000000:api-destination/rejected`,
      ERROR_CODE: 'ERROR_FROM_TARGET',
      ERROR_MESSAGE: 'The API destination answered 400',
      RETRY_ATTEMPTS: '0',
    });
    expect(deadLetters.get('unavailable')?.messages[0]?.attributes).toMatchObject({
      ERROR_CODE: 'ERROR_FROM_TARGET',
      EXHAUSTED_RETRY_CONDITION: 'MaximumRetryAttempts',
      RETRY_ATTEMPTS: '2',
    });
    expect(faults.arrivals('unavailable').every((arrival) => arrival.headers.authorization === BASIC)).toBe(true);

    expect(logged.some((line) => line.includes('dead-letter'))).toBe(true);
    expectNoCredentialLogged();
  });

  it('keeps the measured rate within rateLimitPerSecond: 50 events at 10/s take at least 4 s', async () => {
    // Prepare
    const faults = await faultServer({ rated: ok });
    const { bus, publish } = await startBus(
      routesOf(faults.url, [{ name: 'rated', target: { rateLimitPerSecond: 10 } }]),
    );
    const events = Array.from({ length: 50 }, () => canonicalEvent('rated'));

    // Act
    await publish(events);
    await bus.drain();

    // Assess: no 900 ms window (a second, less generous slack for scheduling) saw more than 10.
    const times = faults.arrivals('rated').map((arrival) => arrival.at);
    expect(times).toHaveLength(50);
    expect((times.at(-1) ?? 0) - (times[0] ?? 0)).toBeGreaterThanOrEqual(3_900);
    const busiest = Math.max(
      ...times.map((start) => times.filter((time) => time >= start && time < start + 900).length),
    );
    expect(busiest).toBeLessThanOrEqual(10);
    expect(bus.stats().routes.rated).toMatchObject({ matched: 50, delivered: 50 });
  });

  it('gets an OAuth token once, sends it as Bearer, and gets a new one after a 401', async () => {
    // Prepare
    let tokens = 0;
    const tokenRequests: Arrival[] = [];
    const faults = await faultServer({
      oauth: (_n, request, response, body) => {
        tokenRequests.push({
          route: 'oauth',
          method: request.method ?? '',
          url: request.url ?? '',
          headers: request.headers,
          body,
          at: Date.now(),
        });
        response
          .writeHead(200, { 'content-type': 'application/json' })
          .end(JSON.stringify({ access_token: `access-token-${++tokens}`, token_type: 'Bearer', expires_in: 3600 }));
      },
      billing: sequence(status(401), ok),
    });
    const routes = routesOf(faults.url, [
      {
        name: 'billing',
        target: {
          auth: {
            type: 'oauth-client-credentials',
            secret: 'billing/oauth',
            tokenUrl: `${faults.url}/oauth/token`,
            scope: 'events/write',
          },
        },
      },
    ]);
    const { bus, publish } = await startBus(routes);

    // Act
    await publish([canonicalEvent('billing'), canonicalEvent('billing'), canonicalEvent('billing')]);
    await bus.drain();

    // Assess
    expect(tokenRequests).toHaveLength(2);
    expect(tokenRequests[0]).toMatchObject({
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from('billing-client:billing-secret-never-logged').toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: 'grant_type=client_credentials&scope=events%2Fwrite',
    });
    const sent = faults.arrivals('billing').map((arrival) => arrival.headers.authorization);
    expect(sent).toHaveLength(4);
    expect(sent.slice(0, 3)).toEqual(['Bearer access-token-1', 'Bearer access-token-1', 'Bearer access-token-1']);
    expect(sent[3]).toBe('Bearer access-token-2');
    expect(bus.stats().routes.billing).toMatchObject({ matched: 3, delivered: 3, retried: 1 });
    expect(logged.some((line) => line.includes('retrying'))).toBe(true);
    expectNoCredentialLogged();
  });

  it('validates PutEvents as AWS does, for the real SDK', async () => {
    // Prepare
    const faults = await faultServer({ tickets: ok });
    const { bus, client } = await startBus(routesOf(faults.url, [{ name: 'tickets' }]));
    const valid = {
      EventBusName: BUS,
      Source: ROUTING_SOURCE,
      DetailType: ROUTING_DETAIL_TYPE,
      Detail: JSON.stringify(canonicalEvent('tickets')),
    };

    // Act
    const tooMany = client.send(new PutEventsCommand({ Entries: Array.from({ length: 11 }, () => valid) }));
    const tooLarge = client.send(
      new PutEventsCommand({ Entries: [{ ...valid, Detail: JSON.stringify({ padding: 'x'.repeat(256 * 1024) }) }] }),
    );
    const mixed = await client.send(
      new PutEventsCommand({
        Entries: [
          valid,
          { ...valid, Detail: '[1]' },
          { ...valid, EventBusName: 'no-such-bus' },
          { ...valid, DetailType: undefined },
        ],
      }),
    );

    // Assess
    await expect(tooMany).rejects.toMatchObject({ name: 'ValidationException', $metadata: { httpStatusCode: 400 } });
    await expect(tooLarge).rejects.toMatchObject({
      name: 'ValidationException',
      message: 'Total size of the entries in the request is over the limit.',
    });
    expect(mixed.FailedEntryCount).toBe(3);
    expect(mixed.Entries).toEqual([
      { EventId: expect.any(String) },
      { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' },
      { ErrorCode: 'ResourceNotFoundException', ErrorMessage: 'Event bus no-such-bus does not exist.' },
      {
        ErrorCode: 'InvalidArgument',
        ErrorMessage: 'Parameter DetailType is not valid. Reason: DetailType is a required argument.',
      },
    ]);
    await bus.drain();
    expect(bus.stats()).toMatchObject({
      putEvents: 3,
      entries: 1,
      failedEntries: 3,
      routes: { tickets: { matched: 1, delivered: 1 } },
    });
  });

  it("delivers to npm start's receiver, which checks Basic auth against the secret and records no credential", async () => {
    // Prepare: the receiver knows a different password for `wrong`, so it answers 401 there.
    const routes = routesOf('http://unused.invalid', [
      { name: 'tickets', target: { localUrl: 'receiver', auth: { type: 'basic', secret: 'tickets/credentials' } } },
      {
        name: 'wrong',
        target: {
          localUrl: 'receiver',
          auth: { type: 'basic', secret: 'wrong/credentials' },
          retry: { maximumAttempts: 0, maximumEventAgeSeconds: 60 },
        },
      },
    ]);
    const busSecrets = (name: string) =>
      name === 'wrong/credentials' ? { username: 'u', password: 'bus-side' } : secrets(name);
    const receiverSecrets = (name: string) =>
      name === 'wrong/credentials' ? { username: 'u', password: 'receiver-side' } : secrets(name);
    const receiver = await startReceiver({ routes, secrets: receiverSecrets });
    servers.push({ close: () => receiver.stop() });
    const { bus, deadLetters, publish } = await startBus(routes, {
      secrets: busSecrets,
      urlOf: (route) => receiver.urlOf(route.name),
    });
    const event = canonicalEvent('tickets');

    // Act
    await publish([event, canonicalEvent('wrong')]);
    await bus.drain();

    // Assess
    const [received] = receiver.requests('tickets');
    expect(received).toMatchObject({
      method: 'POST',
      path: '/tickets',
      body: JSON.stringify(event),
      authorized: true,
      headers: { authorization: '[redacted]' },
    });
    expect(receiver.requests('wrong')).toMatchObject([{ authorized: false }]);
    expect(deadLetters.get('wrong')?.messages[0]?.attributes).toMatchObject({
      ERROR_MESSAGE: 'The API destination answered 401',
      EXHAUSTED_RETRY_CONDITION: 'MaximumRetryAttempts',
      RETRY_ATTEMPTS: '0',
    });
    expect(JSON.stringify(receiver.requests())).not.toContain(BASIC.slice('Basic '.length));
  });

  it('writes dead letters to SQS that `npm run dead-letters` reads back: the event and why', async () => {
    // Prepare
    const sqsServer = new LocalSqs({ region: REGION });
    const { endpoint } = await sqsServer.start();
    servers.push({ close: () => sqsServer.stop() });
    const sqs = createSqsClient({ AWS_ENDPOINT_URL_SQS: endpoint, AWS_REGION: REGION, AWS_MAX_ATTEMPTS: '1' });
    const { QueueUrl = '' } = await sqs.send(
      new CreateQueueCommand({ QueueName: 'usage-pipeline-test-route-gone-dlq' }),
    );
    const faults = await faultServer({ gone: status(410) });
    const { bus, publish } = await startBus(routesOf(faults.url, [{ name: 'gone' }]), {
      deadLetters: () => sqsDeadLetterQueue(sqs, QueueUrl),
    });
    const event = canonicalEvent('gone');

    // Act
    await publish([event]);
    await bus.drain();
    const letters = await listDeadLetters(sqs, QueueUrl);
    sqs.destroy();

    // Assess
    expect(letters).toHaveLength(1);
    expect(letters[0]?.event).toMatchObject({
      version: '0',
      source: ROUTING_SOURCE,
      'detail-type': ROUTING_DETAIL_TYPE,
      detail: event,
    });
    expect(letters[0]?.attributes).toEqual({
      RULE_ARN: `arn:aws:events:${REGION}:000000000000:rule/${BUS}/gone`,
      TARGET_ARN: `arn:aws:events:${REGION}:000000000000:api-destination/gone`,
      ERROR_CODE: 'ERROR_FROM_TARGET',
      ERROR_MESSAGE: 'The API destination answered 410',
      RETRY_ATTEMPTS: '0',
    });
  });
});
