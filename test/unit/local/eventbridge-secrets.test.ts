import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  connectionOf,
  MissingSecretError,
  NO_AUTH_HEADER,
  requireSecret,
} from '../../../infra/local/eventbridge/targets/connection';
import { ensureLocalSecrets, LOCAL_SECRETS_PATH, LocalSecretsError } from '../../../infra/local/runtime/secrets';
import type { HttpTarget, Route } from '../../../shared/routes/routes-file';

// The local stand-in for the Secrets Manager secrets routes.yml names, and the authorization a
// connection builds from them ("API destinations" → "Connections for API destinations",
// https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-api-destinations.html: "For Basic and
// API Key authorization, EventBridge populates the required authorization headers for you"). The
// secrets' keys are those the deployed connection reads (SECRET_KEYS, README "Routes" → "Auth").

const httpRoute = (name: string, auth?: HttpTarget['auth']): Route & { target: HttpTarget } => ({
  name,
  pattern: { source: ['client.events'] },
  target: {
    type: 'http',
    url: 'https://example.com',
    method: 'POST',
    headers: {},
    query: {},
    rateLimitPerSecond: 10,
    retry: { maximumAttempts: 185, maximumEventAgeSeconds: 86_400 },
    ...(auth && { auth }),
  },
});

const routes: Route[] = [
  httpRoute('tickets', { type: 'basic', secret: 'tickets/credentials' }),
  httpRoute('crm', { type: 'apiKey', secret: 'crm/key', header: 'x-crm-key' }),
  httpRoute('billing', {
    type: 'oauth-client-credentials',
    secret: 'billing/oauth',
    tokenUrl: 'https://auth.example.com/token',
    method: 'POST',
  }),
  httpRoute('open'),
  {
    name: 'vendor',
    pattern: {},
    target: {
      type: 'firehose-http',
      url: 'https://vendor.example.com',
      auth: { type: 'apiKey', secret: 'vendor/key' },
      buffering: { sizeMiB: 1, intervalSeconds: 60 },
      retryDurationSeconds: 300,
      commonAttributes: {},
    },
  },
];

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'local-secrets-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('local secrets', () => {
  it('live in .local/secrets.json by default', () => {
    // Assess
    expect(LOCAL_SECRETS_PATH.endsWith(join('.local', 'secrets.json'))).toBe(true);
  });

  it("creates every secret the routes name, with each auth type's keys and random values, readable by its owner only", () => {
    // Prepare
    const file = join(dir, 'state', 'secrets.json');

    // Act
    const secrets = ensureLocalSecrets(routes, file);

    // Assess
    const stored = JSON.parse(readFileSync(file, 'utf8')) as Record<string, Record<string, string>>;
    expect(Object.keys(stored).sort()).toEqual(['billing/oauth', 'crm/key', 'tickets/credentials', 'vendor/key']);
    expect(Object.keys(stored['tickets/credentials'] ?? {})).toEqual(['username', 'password']);
    expect(Object.keys(stored['crm/key'] ?? {})).toEqual(['apiKey']);
    expect(Object.keys(stored['billing/oauth'] ?? {})).toEqual(['clientId', 'clientSecret']);
    expect(Object.keys(stored['vendor/key'] ?? {})).toEqual(['accessKey']);
    expect(stored['tickets/credentials']?.password).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(secrets('tickets/credentials')).toEqual(stored['tickets/credentials']);
    expect(secrets('no/such/secret')).toBeUndefined();
  });

  it('keeps existing values and adds only what is missing', () => {
    // Prepare
    const file = join(dir, 'secrets.json');
    writeFileSync(
      file,
      JSON.stringify({ 'tickets/credentials': { username: 'me', password: 'mine' }, 'crm/key': {} }),
      { mode: 0o644 },
    );

    // Act
    const secrets = ensureLocalSecrets(routes, file);
    const again = ensureLocalSecrets(routes, file);

    // Assess
    expect(secrets('tickets/credentials')).toEqual({ username: 'me', password: 'mine' });
    expect(secrets('crm/key')?.apiKey).toEqual(expect.any(String));
    expect(again('crm/key')).toEqual(secrets('crm/key'));
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  it('refuses a file that is not secrets of string values', () => {
    // Prepare
    const file = join(dir, 'secrets.json');
    writeFileSync(file, JSON.stringify({ 'tickets/credentials': { username: 1 } }));

    // Act
    const read = () => ensureLocalSecrets(routes, file);

    // Assess
    expect(read).toThrow(LocalSecretsError);
    expect(read).toThrow('secret "tickets/credentials": key "username" must be a string');
  });
});

describe("a route's connection", () => {
  const secrets = (values: Record<string, Record<string, string>>) => (name: string) => values[name];
  const options = { timeoutMs: 5_000, now: Date.now };

  it('sends Basic authorization as base64(username:password)', async () => {
    // Prepare
    const connection = connectionOf(
      routes[0] as Route & { target: HttpTarget },
      secrets({ 'tickets/credentials': { username: 'alice', password: 'p@ss:word' } }),
      options,
    );

    // Act
    const headers = await connection.authorize();

    // Assess
    expect(headers).toEqual({ Authorization: `Basic ${Buffer.from('alice:p@ss:word').toString('base64')}` });
  });

  it("sends an API key in the route's header, and a route without auth names itself", async () => {
    // Prepare
    const apiKey = connectionOf(
      routes[1] as Route & { target: HttpTarget },
      secrets({ 'crm/key': { apiKey: 'k-123' } }),
      options,
    );
    const open = connectionOf(routes[3] as Route & { target: HttpTarget }, secrets({}), options);

    // Act
    const headers = [await apiKey.authorize(), await open.authorize()];

    // Assess
    expect(headers).toEqual([{ 'x-crm-key': 'k-123' }, { [NO_AUTH_HEADER]: 'open' }]);
  });

  it('fails when the secret is missing or lacks a key, naming the route and the secret', () => {
    // Act
    const missing = () => requireSecret(routes[0] as Route, secrets({}));
    const partial = () => requireSecret(routes[0] as Route, secrets({ 'tickets/credentials': { username: 'alice' } }));

    // Assess
    expect(missing).toThrow(MissingSecretError);
    expect(missing).toThrow('route "tickets": secret "tickets/credentials" does not exist');
    expect(partial).toThrow('route "tickets": secret "tickets/credentials" lacks "password"');
  });
});
