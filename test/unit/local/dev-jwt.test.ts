import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DEV_JWT_AUDIENCE,
  DEV_JWT_ISSUER,
  generateDevKeyPair,
  loadOrCreateDevKeyPair,
  mintDevToken,
  signJwt,
  verifyJwt,
} from '../../../infra/local/http-api/dev-jwt';

const keys = generateDevKeyPair();
const other = generateDevKeyPair();
const NOW = new Date('2026-03-14T15:09:26.000Z');
const nowSeconds = NOW.getTime() / 1000;
const verifyOptions = { publicKey: keys.publicKey, issuer: DEV_JWT_ISSUER, audience: [DEV_JWT_AUDIENCE], now: NOW };
const claims = (overrides: Record<string, unknown> = {}) => ({
  iss: DEV_JWT_ISSUER,
  aud: DEV_JWT_AUDIENCE,
  exp: nowSeconds + 60,
  'custom:clientId': 'acme-corp',
  ...overrides,
});

describe('dev JWTs', () => {
  it('mints a token the verifier accepts, with the clientId claim and scopes', () => {
    const token = mintDevToken(keys, { clientId: 'acme-corp', ttlSeconds: 60, scopes: ['events/write'], now: NOW });

    const result = verifyJwt(token, verifyOptions);

    expect(result).toEqual({
      ok: true,
      claims: expect.objectContaining({
        'custom:clientId': 'acme-corp',
        iss: DEV_JWT_ISSUER,
        aud: DEV_JWT_AUDIENCE,
        exp: nowSeconds + 60,
      }),
      scopes: ['events/write'],
    });
    expect(JSON.parse(Buffer.from(token.split('.')[0] ?? '', 'base64url').toString())).toEqual({
      alg: 'RS256',
      typ: 'JWT',
      kid: keys.kid,
    });
  });

  it.each([
    ['another key', signJwt(claims(), other), 'signature is invalid'],
    ['an expired token', signJwt(claims({ exp: nowSeconds }), keys), 'the token has expired'],
    ['no exp', signJwt(claims({ exp: undefined }), keys), 'the token has no expiration'],
    ['another issuer', signJwt(claims({ iss: 'https://evil.example.com' }), keys), 'the token has an invalid issuer'],
    ['another audience', signJwt(claims({ aud: 'someone-else' }), keys), 'the token has an invalid audience'],
    ['nbf in the future', signJwt(claims({ nbf: nowSeconds + 30 }), keys), 'the token is not valid yet'],
    ['iat in the future', signJwt(claims({ iat: nowSeconds + 30 }), keys), 'the token was issued in the future'],
    ['garbage', 'not-a-jwt', 'the token is malformed'],
    ['a non-JSON header', 'bm90LWpzb24.e30.c2ln', 'the token is malformed'],
  ])('refuses %s', (_name, token, error) => {
    expect(verifyJwt(token, verifyOptions)).toEqual({ ok: false, error });
  });

  it('refuses a tampered payload and an unsigned (alg none) token', () => {
    const [header, , signature] = mintDevToken(keys, { clientId: 'acme-corp', now: NOW }).split('.');
    const forged = Buffer.from(JSON.stringify(claims({ 'custom:clientId': 'globex' }))).toString('base64url');
    const none = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${forged}.`;

    expect(verifyJwt(`${header}.${forged}.${signature}`, verifyOptions)).toEqual({
      ok: false,
      error: 'signature is invalid',
    });
    expect(verifyJwt(none, verifyOptions)).toEqual({ ok: false, error: 'signing method none is invalid' });
  });

  it('accepts an access token whose client_id is the audience, or an aud list', () => {
    expect(verifyJwt(signJwt(claims({ aud: undefined, client_id: DEV_JWT_AUDIENCE }), keys), verifyOptions).ok).toBe(
      true,
    );
    expect(verifyJwt(signJwt(claims({ aud: ['x', DEV_JWT_AUDIENCE] }), keys), verifyOptions).ok).toBe(true);
  });

  it('creates the key file once (owner-only) and reuses it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'dev-jwt-'));
    try {
      const path = join(dir, 'nested', 'dev-jwt-key.pem');

      const first = loadOrCreateDevKeyPair(path);
      const pem = readFileSync(path, 'utf8');
      const second = loadOrCreateDevKeyPair(path);

      expect(pem).toContain('BEGIN PRIVATE KEY');
      expect(statSync(path).mode & 0o777).toBe(0o600);
      expect(second.kid).toBe(first.kid);
      expect(
        verifyJwt(mintDevToken(first, { clientId: 'a', now: NOW }), { ...verifyOptions, publicKey: second.publicKey })
          .ok,
      ).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
