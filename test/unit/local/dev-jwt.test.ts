import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, type JWTPayload, UnsecuredJWT } from 'jose';
import {
  DEV_JWT_AUDIENCE,
  DevJwtError,
  devJwks,
  devKeyId,
  generateDevKeyPair,
  issuerFileFor,
  loadOrCreateDevKeyPair,
  mintDevToken,
  publishedIssuer,
  publishIssuer,
  signJwt,
  withdrawIssuer,
} from '../../../infra/local/http-api/dev-jwt';
import { type JwtAuthorizer, verifyJwt } from '../../../infra/local/http-api/jwt-authorizer';

const ISSUER = 'http://127.0.0.1:4010';
const keys = generateDevKeyPair();
const other = generateDevKeyPair();
const NOW = new Date('2026-03-14T15:09:26.000Z');
const nowSeconds = NOW.getTime() / 1000;
let authorizer: JwtAuthorizer;
const verify = (token: string) => verifyJwt(token, authorizer, NOW);
const claims = (overrides: JWTPayload = {}): JWTPayload => ({
  iss: ISSUER,
  aud: DEV_JWT_AUDIENCE,
  exp: nowSeconds + 60,
  'custom:clientId': 'acme-corp',
  ...overrides,
});

beforeAll(async () => {
  authorizer = { issuer: ISSUER, audience: [DEV_JWT_AUDIENCE], keys: createLocalJWKSet(await devJwks(keys.publicKey)) };
});

describe('dev JWTs', () => {
  it('mints a token the verifier accepts, with the clientId claim, scopes and the key id', async () => {
    const token = await mintDevToken(keys, {
      clientId: 'acme-corp',
      issuer: ISSUER,
      ttlSeconds: 60,
      scopes: ['events/write'],
      now: NOW,
    });

    const result = await verify(token);

    expect(result).toEqual({
      ok: true,
      claims: expect.objectContaining({
        'custom:clientId': 'acme-corp',
        iss: ISSUER,
        aud: DEV_JWT_AUDIENCE,
        iat: nowSeconds,
        exp: nowSeconds + 60,
      }),
      scopes: ['events/write'],
    });
    expect(decodeProtectedHeader(token)).toEqual({ alg: 'RS256', typ: 'JWT', kid: await devKeyId(keys.publicKey) });
  });

  it('serves a JWKS like Cognito: the RSA public key only, with kid, alg and use', async () => {
    const { keys: published } = await devJwks(keys.publicKey);

    expect(published).toEqual([
      {
        kty: 'RSA',
        n: expect.any(String),
        e: 'AQAB',
        kid: await devKeyId(keys.publicKey),
        alg: 'RS256',
        use: 'sig',
      },
    ]);
    expect(await devKeyId(other.publicKey)).not.toBe(await devKeyId(keys.publicKey));
  });

  it.each([
    ['another key (its kid is not in the JWKS)', () => signJwt(claims(), other), 'signature is invalid'],
    ['an expired token', () => signJwt(claims({ exp: nowSeconds }), keys), 'the token has expired'],
    ['no exp', () => signJwt(claims({ exp: undefined }), keys), 'the token has no expiration'],
    [
      'another issuer',
      () => signJwt(claims({ iss: 'https://evil.example.com' }), keys),
      'the token has an invalid issuer',
    ],
    [
      'another audience',
      () => signJwt(claims({ aud: 'someone-else' }), keys),
      'the token does not have a valid audience',
    ],
    ['nbf in the future', () => signJwt(claims({ nbf: nowSeconds + 30 }), keys), 'the token is not valid yet'],
    ['iat in the future', () => signJwt(claims({ iat: nowSeconds + 30 }), keys), 'the token was issued in the future'],
    [
      'a non-numeric exp',
      () => signJwt(claims({ exp: 'tomorrow' as unknown as number }), keys),
      'the token is malformed',
    ],
    ['garbage', async () => 'not-a-jwt', 'the token is malformed'],
    ['a non-JSON header', async () => 'bm90LWpzb24.e30.c2ln', 'the token is malformed'],
  ])('refuses %s', async (_name, token, error) => {
    expect(await verify(await token())).toEqual({ ok: false, error });
  });

  it('refuses a tampered payload and an unsigned (alg none) token', async () => {
    const [header, , signature] = (await mintDevToken(keys, { clientId: 'acme-corp', issuer: ISSUER, now: NOW })).split(
      '.',
    );
    const [, forged] = (await signJwt(claims({ 'custom:clientId': 'globex' }), other)).split('.');
    const none = new UnsecuredJWT(claims({ 'custom:clientId': 'globex' })).encode();

    expect(await verify(`${header}.${forged}.${signature}`)).toEqual({ ok: false, error: 'signature is invalid' });
    expect(decodeProtectedHeader(none).alg).toBe('none');
    expect(await verify(none)).toEqual({ ok: false, error: 'signing method none is invalid' });
  });

  it('takes client_id as the audience only when there is no aud, as API Gateway does', async () => {
    const accessToken = await signJwt(claims({ aud: undefined, client_id: DEV_JWT_AUDIENCE }), keys);
    const audList = await signJwt(claims({ aud: ['x', DEV_JWT_AUDIENCE] }), keys);
    const audWins = await signJwt(claims({ aud: 'x', client_id: DEV_JWT_AUDIENCE }), keys);

    expect([(await verify(accessToken)).ok, (await verify(audList)).ok, await verify(audWins)]).toEqual([
      true,
      true,
      { ok: false, error: 'the token does not have a valid audience' },
    ]);
  });
});

describe('the dev key and issuer files', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'dev-jwt-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('creates the key file once (owner-only PKCS#8) and reuses it', async () => {
    const path = join(dir, 'nested', 'dev-jwt-key.pem');

    const first = loadOrCreateDevKeyPair(path);
    const pem = readFileSync(path, 'utf8');
    const second = loadOrCreateDevKeyPair(path);

    expect(pem).toContain('BEGIN PRIVATE KEY');
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(await devKeyId(second.publicKey)).toBe(await devKeyId(first.publicKey));
    const fromFirst = await mintDevToken(first, { clientId: 'a', issuer: ISSUER, now: NOW });
    const secondAuthorizer = { ...authorizer, keys: createLocalJWKSet(await devJwks(second.publicKey)) };
    expect((await verifyJwt(fromFirst, secondAuthorizer, NOW)).ok).toBe(true);
  });

  it('refuses a key file that is not a key, naming it', () => {
    const path = join(dir, 'dev-jwt-key.pem');
    writeFileSync(path, 'not a key');

    expect(() => loadOrCreateDevKeyPair(path)).toThrow(
      expect.objectContaining({
        name: 'DevJwtError',
        reason: 'KeyUnreadable',
        message: `${path} is not a PEM private key`,
      }),
    );
  });

  it('mints with the issuer the running API published for the key, and not without one', async () => {
    const path = join(dir, 'dev-jwt-key.pem');
    const pair = loadOrCreateDevKeyPair(path);

    const before: unknown = await mintDevToken(pair, { clientId: 'a' }).catch((error: unknown) => error);
    publishIssuer(path, ISSUER);
    const published = await mintDevToken(pair, { clientId: 'a', now: NOW });
    const file = JSON.parse(readFileSync(issuerFileFor(path), 'utf8')) as unknown;
    withdrawIssuer(path, 'http://127.0.0.1:1');
    const kept = publishedIssuer(path);
    withdrawIssuer(path, ISSUER);

    expect(before).toBeInstanceOf(DevJwtError);
    expect(before).toMatchObject({ name: 'DevJwtError', reason: 'NoIssuer' });
    expect(issuerFileFor(path)).toBe(join(dir, 'dev-jwt-key.issuer.json'));
    expect(file).toEqual({
      issuer: ISSUER,
      jwksUri: `${ISSUER}/.well-known/jwks.json`,
    });
    expect(decodeJwt(published).iss).toBe(ISSUER);
    // Another API's withdrawal leaves the published issuer; its own removes it.
    expect(kept).toBe(ISSUER);
    expect(publishedIssuer(path)).toBeUndefined();
  });
});
