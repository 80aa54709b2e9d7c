import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gunzipSync } from 'node:zlib';
import {
  type DevKeyPair,
  devKeyId,
  generateDevKeyPair,
  loadOrCreateDevKeyPair,
  mintDevToken,
} from '../../infra/local/http-api/dev-jwt';
import { LocalPipeline } from '../../infra/local/pipeline/local-pipeline';
import { eventsBody } from '../helpers/http-api-events';
import { sharedStack } from '../helpers/shared-stack';

// The HTTP ingest API on the embedded stack: real HTTP requests to the local API Gateway
// stand-in, the real handler writing to kinesalite, the consumer and Firehose into S3.
const ROOT = join(__dirname, '..', '..');
let pipeline: LocalPipeline;
let url: string;
let keyDir: string;
let keys: DevKeyPair;
/** Minted by `npm run token` itself (the script, with --key; the issuer the API published for it). */
let cliToken: string;

interface PutEventsResponse {
  FailedEntryCount: number;
  Entries: ({ EventId: string } | { ErrorCode: string; ErrorMessage: string })[];
}

const post = async (path: string, body: string, headers: Record<string, string> = {}) => {
  const response = await fetch(`${url}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${cliToken}`, 'content-type': 'application/json', ...headers },
    body,
  });
  return {
    status: response.status,
    headers: response.headers,
    json: (await response.json()) as PutEventsResponse & { message?: string },
  };
};

const eventIds = (response: PutEventsResponse) =>
  response.Entries.flatMap((entry) => ('EventId' in entry ? [entry.EventId] : []));

const lakeEvents = async (clientId: string) => {
  const events: { id: string; source: string; detail: Record<string, unknown> }[] = [];
  for (const key of await pipeline.listKeys('events/')) {
    const text = gunzipSync(await pipeline.getObject(key)).toString('utf8');
    for (const line of text.split('\n').filter(Boolean)) events.push(JSON.parse(line));
  }
  return events.filter((event) => event.detail.clientId === clientId);
};

beforeAll(async () => {
  keyDir = mkdtempSync(join(tmpdir(), 'http-api-it-'));
  const keyPath = join(keyDir, 'dev-jwt-key.pem');
  const { endpoints, definition } = sharedStack();
  pipeline = await LocalPipeline.start({ endpoints, definition, suffix: '-httpapi' });
  url = await pipeline.startHttpApi({ keyPath });
  keys = loadOrCreateDevKeyPair(keyPath);
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [
      join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs'),
      join(ROOT, 'infra', 'local', 'cli', 'mint-token.ts'),
      '--client',
      'it-http',
      '--key',
      keyPath,
    ],
    { cwd: ROOT },
  );
  cliToken = stdout.trim();
});

afterAll(async () => {
  await pipeline?.stop();
  if (keyDir) rmSync(keyDir, { recursive: true, force: true });
});

describe('the local HTTP ingest API', () => {
  it('serves the routes of serverless.yml on loopback, and the dev issuer JWKS', async () => {
    const jwks = await fetch(`${url}/.well-known/jwks.json`);

    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(jwks.status).toBe(200);
    expect(((await jwks.json()) as { keys: { kid: string }[] }).keys.map((key) => key.kid)).toEqual([
      await devKeyId(keys.publicKey),
    ]);
    expect(pipeline.definition.ingestApi?.routes).toEqual([
      { method: 'POST', path: '/events', authorizer: 'clientJwt' },
      { method: 'POST', path: '/event', authorizer: 'clientJwt' },
      { method: 'POST', path: '/actions', authorizer: 'clientJwt' },
      { method: 'POST', path: '/meters', authorizer: 'clientJwt' },
    ]);
  });

  it.each([
    ['no token', async () => ({})],
    [
      'a token signed with another key',
      async () => ({
        authorization: `Bearer ${await mintDevToken(generateDevKeyPair(), { clientId: 'it-http', issuer: url })}`,
      }),
    ],
    [
      'an expired token',
      async () => ({ authorization: `Bearer ${await mintDevToken(keys, { clientId: 'it-http', ttlSeconds: -5 })}` }),
    ],
    [
      'a token of another issuer',
      async () => ({
        authorization: `Bearer ${await mintDevToken(keys, { clientId: 'it-http', issuer: 'http://127.0.0.1:1' })}`,
      }),
    ],
  ])('answers 401 for %s', async (_name, headers) => {
    const response = await fetch(`${url}/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(await headers()) },
      body: eventsBody({ eventType: 'searching' }),
    });

    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({ message: 'Unauthorized' });
  });

  it('answers 403 for a valid token without a clientId claim, 404 for an unknown route, 4xx for bad input', async () => {
    const noClaim = await post('/events', eventsBody({ eventType: 'a' }), {
      authorization: `Bearer ${await mintDevToken(keys, { clientId: '' })}`,
    });
    const unknown = await post('/nowhere', '{}');
    const form = await post('/events', eventsBody({ eventType: 'a' }), {
      'content-type': 'application/x-www-form-urlencoded',
    });
    const malformed = await post('/events', '{"entries":');
    const large = await post('/meters', JSON.stringify([{ pad: 'x'.repeat(1_100_000) }]));

    expect([noClaim.status, unknown.status, form.status, malformed.status, large.status]).toEqual([
      403, 404, 415, 400, 413,
    ]);
  });

  it('refuses to write as another client and accepts the rest, then delivers what it accepted into the lake', async () => {
    // Prepare
    const time = new Date(Date.now() - 60_000);
    const events = eventsBody(
      { eventType: 'searching', schemaVersion: 1, data: { searchTerm: 'games' } },
      '{"eventType": "broken"',
      { eventType: 'page_view', schemaVersion: 1, data: { path: '/home' } },
    );
    const actions = JSON.stringify([
      {
        action_name: 'checkout',
        transaction_id: '6f1c2d9e-0a51-4b7a-9d0e-1b2c3d4e5f01',
        request: { time: time.toISOString() },
        metadata: { amount: 12.5 },
      },
      {
        action_name: 'checkout',
        company_id: 'it-victim',
        transaction_id: '6f1c2d9e-0a51-4b7a-9d0e-1b2c3d4e5f02',
        request: { time: time.toISOString() },
      },
    ]);
    const meters = [
      JSON.stringify({
        meterApiName: 'api_calls',
        meterValue: 3,
        meterTimeInMillis: time.getTime(),
        uniqueId: 'it-meter-1',
      }),
      JSON.stringify({
        customerId: 'it-victim',
        meterApiName: 'api_calls',
        meterValue: 1,
        meterTimeInMillis: time.getTime(),
      }),
    ].join('\n');

    // Act
    const eventsResponse = await post('/events', events);
    const actionsResponse = await post('/actions', actions);
    const metersResponse = await post('/meters', meters, { 'content-type': 'application/x-ndjson' });
    await pipeline.drain();

    // Assess: per-entry answers in request order
    expect([eventsResponse.status, actionsResponse.status, metersResponse.status]).toEqual([200, 200, 200]);
    expect(eventsResponse.json.FailedEntryCount).toBe(1);
    expect(eventsResponse.json.Entries[1]).toMatchObject({ ErrorCode: 'MalformedJson' });
    expect(actionsResponse.json.Entries).toEqual([
      { EventId: '6f1c2d9e-0a51-4b7a-9d0e-1b2c3d4e5f01' },
      { ErrorCode: 'ClientMismatch', ErrorMessage: 'company_id must be your client id (it-http) or absent' },
    ]);
    expect(metersResponse.json.Entries).toEqual([
      { EventId: 'it-meter-1' },
      { ErrorCode: 'ClientMismatch', ErrorMessage: 'customerId must be your client id (it-http) or absent' },
    ]);

    // Assess: exactly the accepted events are in the lake, under the caller's clientId
    const accepted = [
      ...eventIds(eventsResponse.json),
      ...eventIds(actionsResponse.json),
      ...eventIds(metersResponse.json),
    ];
    const lake = await lakeEvents('it-http');
    expect(lake.map((event) => event.id).sort()).toEqual([...accepted].sort());
    expect(new Set(lake.map((event) => event.detail.clientId))).toEqual(new Set(['it-http']));
    expect(lake.map((event) => event.source).sort()).toEqual([
      'client.events',
      'client.events',
      'product.actions',
      'usage.meters',
    ]);
    expect(await lakeEvents('it-victim')).toEqual([]);
  });

  it("takes the AWS client-event sample's requests as its generator sends them: POST /event, escaped entries, extra keys kept", async () => {
    // Prepare: the sample's body shape ({"entries":[{"entry":"<escaped JSON>"}]}), its searching
    // event, and a loyaltypurchase carrying a ticket object beside data.
    const body = JSON.stringify({
      entries: [
        { entry: JSON.stringify({ eventType: 'searching', schemaVersion: 1, data: { searchTerm: 'games' } }) },
        {
          entry: JSON.stringify({
            eventType: 'loyaltypurchase',
            schemaVersion: 1,
            data: { points: 120 },
            ticket: { subject: 'Loyalty purchase', priority: 'normal' },
          }),
        },
      ],
    });

    // Act
    const response = await post('/event', body);
    await pipeline.drain();

    // Assess: both accepted through the alias; the ticket object is in the lake's detail.
    expect(response.status).toBe(200);
    expect(response.json.FailedEntryCount).toBe(0);
    const ids = eventIds(response.json);
    const landed = (await lakeEvents('it-http')).filter((event) => ids.includes(event.id));
    expect(landed.map((event) => event.detail.eventType).sort()).toEqual(['loyaltypurchase', 'searching']);
    expect(landed.find((event) => event.detail.eventType === 'loyaltypurchase')?.detail).toMatchObject({
      schemaVersion: 1,
      data: { points: 120 },
      ticket: { subject: 'Loyalty purchase', priority: 'normal' },
    });
  });
});
