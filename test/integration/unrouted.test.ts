import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CreateBucketCommand, type S3Client } from '@aws-sdk/client-s3';
import { LocalEventBridge, memoryDeadLetterQueue } from '../../infra/local/eventbridge';
import { closeServer } from '../../infra/local/runtime/http-server';
import { main as deadLetters } from '../../scripts/dead-letters';
import { createS3Client } from '../../shared/aws/s3-client';
import { routingBusName } from '../../shared/routes/cloudformation';
import { parseRoutes } from '../../shared/routes/routes-file';
import { listUnrouted } from '../../shared/routing/unrouted-redrive';
import { S3UnroutedStore } from '../../shared/routing/unrouted-store';
import { sharedStack } from '../helpers/shared-stack';

// Delivered events the routing bus did not take are kept under unrouted/ (never dropped), and
// `npm run dead-letters -- unrouted --redrive` publishes them again (PutEvents:
// https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutEvents.html) to every route,
// moving each object to redriven/.

const BUCKET = 'unrouted-test-bucket';
let s3: S3Client;
let bus: LocalEventBridge;
let server: Server;
const bodies: string[] = [];

beforeAll(async () => {
  const { endpoints } = sharedStack();
  process.env.AWS_ENDPOINT_URL_S3 = endpoints.s3;
  s3 = createS3Client({ AWS_ENDPOINT_URL_S3: endpoints.s3, AWS_REGION: 'us-east-1' });
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
  server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => {
      body += chunk.toString('utf8');
    });
    request.on('end', () => {
      bodies.push(body);
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  const routes = parseRoutes(
    {
      routes: [
        {
          name: 'ur-hook',
          pattern: { source: ['client.events'] },
          target: { type: 'http', url: 'https://x.example.com/h', localUrl: url },
        },
      ],
    },
    'routes.yml',
    'local',
  );
  bus = new LocalEventBridge({
    // The name the CLI computes for stage `local`.
    busName: routingBusName('usage-pipeline', 'local'),
    region: 'us-east-1',
    routes,
    secrets: () => undefined,
    deadLetters: () => memoryDeadLetterQueue(),
    urlOf: () => url,
    timing: { backoffBaseMs: 10, backoffMaxMs: 50 },
  });
  const { endpoint } = await bus.start();
  process.env.AWS_ENDPOINT_URL_EVENTBRIDGE = endpoint;
});

afterAll(async () => {
  await bus?.stop();
  await closeServer(server);
  s3?.destroy();
  delete process.env.AWS_ENDPOINT_URL_EVENTBRIDGE;
  delete process.env.AWS_ENDPOINT_URL_S3;
});

const canonical = (id: string) =>
  Buffer.from(
    JSON.stringify({
      id,
      source: 'client.events',
      'detail-type': 'ClientEvent',
      clientId: 'ur-co',
      time: '2026-12-02T09:00:00.000Z',
      detail: { eventType: 'loyaltypurchase' },
    }),
  );

it('lists the unrouted events, re-publishes them to the routes and moves the object to redriven/', async () => {
  // Prepare: what the consumer keeps when PutEvents fails.
  const location = await new S3UnroutedStore(s3, BUCKET).put([canonical('ur-1'), canonical('ur-2')], {
    errorCode: 'ThrottlingException',
    errorMessage: 'Rate exceeded',
  });
  const out: string[] = [];

  // Act
  const listCode = await deadLetters(['unrouted', '--bucket', BUCKET, '--json'], (text) => out.push(text));
  const redriveCode = await deadLetters(['unrouted', '--redrive', '--bucket', BUCKET], (text) => out.push(text));
  await bus.drain();

  // Assess
  expect(location).toMatch(new RegExp(`^s3://${BUCKET}/unrouted/\\d{4}/\\d{2}/\\d{2}/.+\\.ndjson$`));
  expect(listCode).toBe(0);
  expect(JSON.parse(out[0] ?? '{}')).toMatchObject({ bucket: BUCKET, objects: [{ events: 2 }] });
  expect(redriveCode).toBe(0);
  expect(out[1]).toBe('unrouted: 2 events published from 1 objects, 0 objects left\n');
  expect(bodies.map((body) => (JSON.parse(body) as { id: string }).id).sort()).toEqual(['ur-1', 'ur-2']);
  expect(await listUnrouted(s3, BUCKET)).toEqual([]);
  const moved = await deadLetters(['unrouted', '--bucket', BUCKET], (text) => out.push(text));
  expect(moved).toBe(0);
  expect(out[2]).toContain('0 events in 0 objects');
});
