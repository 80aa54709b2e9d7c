import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalPipeline } from '../../infra/local/pipeline/local-pipeline';
import { main as deadLetters } from '../../scripts/dead-letters';
import { routeChecks } from '../../shared/routes/checks';
import { loadRoutesFile } from '../../shared/routes/routes-file';
import { clientEventRecordPayload } from '../helpers/factories';
import { sharedStack } from '../helpers/shared-stack';

// routes.yml end to end on the local stack: the consumer publishes what Firehose took to the
// routing bus; each route's rule matches, transforms and delivers through its API destination,
// retrying 5xx with backoff (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-api-destinations.html),
// and what it gives up on goes to the route's dead-letter queue with EventBridge's attributes
// (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rule-dlq.html), from where
// `npm run dead-letters -- redrive` delivers it, to that route only, once the API answers again.

let pipeline: LocalPipeline;
let server: Server;
let dir: string;
let routesFile: string;
const received: { path: string; body: string; authorization?: string }[] = [];
/** What `/broken` answers; `/flaky` answers 500 to the first two requests of each event. */
let brokenStatus = 400;
const flakyTries = new Map<string, number>();

const listen = (): Promise<string> =>
  new Promise((resolve) => {
    server = createServer((request: IncomingMessage, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => {
        body += chunk.toString('utf8');
      });
      request.on('end', () => {
        const path = request.url ?? '/';
        if (path.startsWith('/flaky')) {
          const tries = (flakyTries.get(body) ?? 0) + 1;
          flakyTries.set(body, tries);
          if (tries <= 2) return response.writeHead(500).end();
        }
        if (path.startsWith('/broken') && brokenStatus !== 200) return response.writeHead(brokenStatus).end();
        received.push({
          path,
          body,
          ...(request.headers.authorization && { authorization: request.headers.authorization }),
        });
        response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`));
  });

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'routes-'));
  const base = await listen();
  routesFile = join(dir, 'routes.yml');
  writeFileSync(
    routesFile,
    `routes:
  - name: rt-flaky
    pattern: { detail: { eventType: [loyaltypurchase] } }
    input: { pathsMap: { id: $.id, client: $.clientId }, template: '{"externalId": "<id>", "customer": "<client>"}' }
    target: { type: http, url: https://tickets.example.com/t, localUrl: ${base}/flaky, auth: { type: basic, secret: rt/credentials } }
  - name: rt-broken
    pattern: { detail: { eventType: [loyaltypurchase] } }
    target: { type: http, url: https://crm.example.com/hooks, localUrl: ${base}/broken, retry: { maximumAttempts: 2 } }
`,
  );
  const { endpoints, definition } = sharedStack();
  pipeline = await LocalPipeline.start({
    endpoints,
    definition,
    suffix: '-routes',
    routes: loadRoutesFile(routesFile, 'local', routeChecks),
    routeTiming: { backoffBaseMs: 20, backoffMaxMs: 100 },
    routeSecretsFile: join(dir, 'secrets.json'),
  });
}, 60_000);

afterAll(async () => {
  await pipeline?.stop();
  await new Promise((resolve) => server?.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});

const record = (id: string, eventType: string, time: string) => {
  const payload = clientEventRecordPayload({
    id,
    clientId: 'rt-co',
    receivedAt: time,
    entry: { eventType, schemaVersion: 1, data: { order: id } },
  });
  return { partitionKey: 'rt-co', data: Buffer.from(JSON.stringify(payload)) };
};

it('routes each matching delivered event once, retries 5xx, dead-letters a 400, and re-drives it to its route only', async () => {
  // Prepare: 4 loyalty purchases (one sent twice: the duplicate is not routed) and 3 searches.
  const time = new Date(Date.now() - 60_000).toISOString();
  const ids = ['lp-1', 'lp-2', 'lp-3', 'lp-4'];
  const records = [
    ...[...ids, 'lp-1'].map((id) => record(id, 'loyaltypurchase', time)),
    ...['s-1', 's-2', 's-3'].map((id) => record(id, 'searching', time)),
  ];

  // Act 1
  await pipeline.put(records);
  await pipeline.drain();
  const summary = await pipeline.summary();

  // Assess 1: the flaky route delivered all 4 after two 500s each; the broken one dead-lettered all 4 (a 400 is not retried).
  expect(summary).toMatchObject({ in: 8, delivered: 7, duplicates: 1, unrouted: 0 });
  expect(summary.routes).toEqual({
    'rt-flaky': { matched: 4, delivered: 4, retried: 8, deadLettered: 0 },
    'rt-broken': { matched: 4, delivered: 0, retried: 0, deadLettered: 4 },
  });
  const flaky = received.filter((request) => request.path === '/flaky');
  expect(flaky.map((request) => (JSON.parse(request.body) as { externalId: string }).externalId).sort()).toEqual(ids);
  expect(flaky[0]?.body).toMatch(/^\{"externalId": "lp-\d", "customer": "rt-co"\}$/);
  expect(flaky.every((request) => request.authorization?.startsWith('Basic '))).toBe(true);

  // Act 2: list the dead letters, then re-drive them once the CRM answers again.
  Object.assign(process.env, {
    AWS_ENDPOINT_URL_SQS: pipeline.routing?.sqsEndpoint,
    AWS_ENDPOINT_URL_EVENTBRIDGE: pipeline.routing?.eventBridgeEndpoint,
  });
  const out: string[] = [];
  const stage = sharedStack().definition.stage;
  const listCode = await deadLetters(
    ['list', 'rt-broken', '--json', '--routes', routesFile, '--stage', stage],
    (text) => out.push(text),
  );
  brokenStatus = 200;
  const redriveCode = await deadLetters(['redrive', 'rt-broken', '--routes', routesFile, '--stage', stage], (text) =>
    out.push(text),
  );
  await pipeline.drain();
  delete process.env.AWS_ENDPOINT_URL_SQS;
  delete process.env.AWS_ENDPOINT_URL_EVENTBRIDGE;

  // Assess 2: the dead letters carried the event and why; the re-drive reached only rt-broken.
  expect(listCode).toBe(0);
  const listed = JSON.parse(out[0] ?? '{}') as Record<
    string,
    { event: { detail: { id: string } }; attributes: Record<string, string> }[]
  >;
  expect(listed['rt-broken']?.map((letter) => letter.event.detail.id).sort()).toEqual(ids);
  expect(listed['rt-broken']?.[0]?.attributes).toMatchObject({
    ERROR_CODE: expect.any(String),
    RULE_ARN: expect.stringContaining('rule/'),
    TARGET_ARN: expect.any(String),
  });
  expect(redriveCode).toBe(0);
  expect(out[1]).toContain('rt-broken: 4 re-driven, 0 left in the queue');
  const broken = received.filter((request) => request.path === '/broken');
  expect(broken.map((request) => (JSON.parse(request.body) as { id: string }).id).sort()).toEqual(ids);
  expect(received.filter((request) => request.path === '/flaky')).toHaveLength(4);
  expect((await pipeline.summary()).routes['rt-broken']).toEqual({
    matched: 8,
    delivered: 4,
    retried: 0,
    deadLettered: 4,
  });
});
