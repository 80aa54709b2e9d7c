import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { APIGatewayProxyEventV2WithJWTAuthorizer } from 'aws-lambda';
import { createLocalJWKSet, createRemoteJWKSet, decodeJwt, type JSONWebKeySet, jwtVerify } from 'jose';
import { type LocalHttpApi, startLocalHttpApi } from '../../infra/local/http-api';
import { DEV_JWT_AUDIENCE, devKeyId, issuerFileFor, loadOrCreateDevKeyPair } from '../../infra/local/http-api/dev-jwt';

// The dev identity provider end to end: the local HTTP API as the tokens' issuer (its URL is
// `iss`, its JWKS at `<iss>/.well-known/jwks.json`, as a Cognito user pool serves it), and
// `npm run token` itself, spawned through npm as a developer runs it.
const ROOT = join(__dirname, '..', '..');
let dir: string;
let keyPath: string;
let api: LocalHttpApi;
const events: APIGatewayProxyEventV2WithJWTAuthorizer[] = [];

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** `npm run -s token -- ARGS`, as the README shows it. */
const token = (...args: string[]): Promise<Run> =>
  new Promise((resolve) => {
    execFile('npm', ['run', '-s', 'token', '--', ...args], { cwd: ROOT }, (error, stdout, stderr) => {
      resolve({ code: error ? Number(error.code) : 0, stdout, stderr });
    });
  });

const post = (bearer: string) =>
  fetch(`${api.url}/events`, {
    method: 'POST',
    headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json' },
    body: '{"entries":[]}',
  });

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'dev-tokens-it-'));
  keyPath = join(dir, 'dev-jwt-key.pem');
  api = await startLocalHttpApi({
    handler: async (event) => {
      events.push(event);
      return { statusCode: 200, body: '{}' };
    },
    routes: [{ method: 'POST', path: '/events', authorizer: 'clientJwt' }],
    authorizer: { keys: loadOrCreateDevKeyPair(keyPath), audience: [DEV_JWT_AUDIENCE] },
    functionName: 'ingestApi',
    timeoutSeconds: 10,
  });
});

afterAll(async () => {
  await api?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('dev tokens and the local issuer', () => {
  it('serves the JWKS at the issuer URL, and a token from npm run token verifies against it with jose', async () => {
    // Act
    const minted = await token('--client', 'it-tokens', '--key', keyPath);
    const { iss } = decodeJwt(minted.stdout.trim());
    const response = await fetch(new URL(`${iss}/.well-known/jwks.json`));
    const jwks = (await response.json()) as JSONWebKeySet;

    // Assess: the issuer is the API's own URL and its JWKS holds the signing key.
    expect(minted).toMatchObject({ code: 0, stderr: '' });
    expect([iss, api.issuer, api.jwksUrl]).toEqual([api.url, api.url, `${api.url}/.well-known/jwks.json`]);
    expect([response.status, response.headers.get('content-type')]).toEqual([200, 'application/json']);
    expect(jwks.keys.map((key) => key.kid)).toEqual([await devKeyId(loadOrCreateDevKeyPair(keyPath).publicKey)]);
    const verified = await jwtVerify(minted.stdout.trim(), createLocalJWKSet(jwks), {
      issuer: api.issuer,
      audience: DEV_JWT_AUDIENCE,
    });
    expect(verified.payload['custom:clientId']).toBe('it-tokens');
    const remote = await jwtVerify(minted.stdout.trim(), createRemoteJWKSet(new URL(api.jwksUrl)));
    expect(remote.protectedHeader).toMatchObject({ alg: 'RS256', kid: jwks.keys[0]?.kid });
  });

  it('lets the token through the authorizer to the function, with its claims', async () => {
    const minted = await token('--client', 'it-tokens', '--key', keyPath, '--scope', 'events/write');

    const response = await post(minted.stdout.trim());

    expect(response.status).toBe(200);
    expect(events.at(-1)?.requestContext.authorizer.jwt).toMatchObject({
      claims: { 'custom:clientId': 'it-tokens', iss: api.url },
      scopes: ['events/write'],
    });
  });

  it.each([[['--ttl', '-5']], [['--ttl=-5']]])(
    'mints an already expired token with %j, which the API answers 401 before the function',
    async (ttl) => {
      const before = events.length;

      const minted = await token('--client', 'it-tokens', '--key', keyPath, ...ttl);
      const response = await post(minted.stdout.trim());

      expect(minted).toMatchObject({ code: 0, stderr: '' });
      expect(response.status).toBe(401);
      expect(await response.json()).toEqual({ message: 'Unauthorized' });
      expect(response.headers.get('www-authenticate')).toContain('error_description="the token has expired"');
      expect(events.length).toBe(before);
    },
  );

  it.each([
    [['--client', 'a', '--bogus'], 'npm run token: unknown option --bogus (see --help)\n'],
    [['--client', 'a', '--ttl', 'soon'], 'npm run token: --ttl must be a whole number of seconds, got "soon"\n'],
  ])('refuses %j in one line on stderr, exit 2, no stack trace', async (args, stderr) => {
    expect(await token(...args)).toEqual({ code: 2, stdout: '', stderr });
  });

  it('says so in one line when no local API serves the key, and publishes nothing itself', async () => {
    const lonely = join(dir, 'other-key.pem');

    const run = await token('--client', 'a', '--key', lonely);

    expect(run).toEqual({
      code: 2,
      stdout: '',
      stderr: `npm run token: no local HTTP API is serving the key ${lonely} (start one with npm start -- --keep-running), and no issuer was given\n`,
    });
    expect(existsSync(issuerFileFor(lonely))).toBe(false);
    expect(existsSync(issuerFileFor(keyPath))).toBe(true);
  });

  it('withdraws the issuer it published when it stops', async () => {
    const path = join(dir, 'stopped-key.pem');
    const other = await startLocalHttpApi({
      handler: async () => ({ statusCode: 200 }),
      routes: [],
      authorizer: { keys: loadOrCreateDevKeyPair(path), audience: [DEV_JWT_AUDIENCE] },
      functionName: 'ingestApi',
      timeoutSeconds: 10,
    });
    const whileRunning = existsSync(issuerFileFor(path));

    await other.stop();

    expect([whileRunning, existsSync(issuerFileFor(path))]).toEqual([true, false]);
  });
});
