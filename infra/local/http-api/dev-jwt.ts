import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  randomUUID,
  sign,
  verify,
} from 'node:crypto';
import { linkSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { LOCAL_STATE_DIR } from '../runtime/paths';

/**
 * Dev tokens for the local HTTP API: RS256 JWTs signed with a key pair kept in `.local/`
 * (git-ignored), verified the way API Gateway's JWT authorizer verifies Cognito tokens.
 */
export const DEV_JWT_ISSUER = 'usage-pipeline-local';
export const DEV_JWT_AUDIENCE = 'usage-pipeline-local-api';
export const DEV_JWT_KEY_PATH = join(LOCAL_STATE_DIR, 'dev-jwt-key.pem');
/** The claim API Gateway passes to the handler and the handler reads the clientId from. */
export const CLIENT_ID_CLAIM = 'custom:clientId';

export interface DevKeyPair {
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** Key id (`kid`), derived from the public key so a new key pair gets a new id. */
  kid: string;
}

export type JwtClaims = Record<string, unknown>;

const base64url = (value: Buffer | string): string => Buffer.from(value).toString('base64url');

const keyPairOf = (privateKey: KeyObject): DevKeyPair => {
  const publicKey = createPublicKey(privateKey);
  const der = publicKey.export({ type: 'spki', format: 'der' });
  const kid = base64url(der.subarray(der.length - 12));
  return { privateKey, publicKey, kid };
};

export const generateDevKeyPair = (): DevKeyPair =>
  keyPairOf(generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey);

/**
 * Reads the dev signing key, generating it once. Safe when several processes race: the
 * key is written to a temporary file and hard-linked into place, which fails if another
 * process got there first (its key then wins).
 */
export const loadOrCreateDevKeyPair = (path: string = DEV_JWT_KEY_PATH): DevKeyPair => {
  try {
    return keyPairOf(createPrivateKey(readFileSync(path, 'utf8')));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  mkdirSync(dirname(path), { recursive: true });
  const pem = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' });
  const temporary = `${path}.${process.pid}.${randomUUID()}.tmp`;
  writeFileSync(temporary, pem, { mode: 0o600 });
  try {
    linkSync(temporary, path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  } finally {
    unlinkSync(temporary);
  }
  return keyPairOf(createPrivateKey(readFileSync(path, 'utf8')));
};

export const signJwt = (claims: JwtClaims, keys: Pick<DevKeyPair, 'privateKey' | 'kid'>): string => {
  const header = base64url(JSON.stringify({ alg: 'RS256', typ: 'JWT', kid: keys.kid }));
  const payload = base64url(JSON.stringify(claims));
  const signature = sign('sha256', Buffer.from(`${header}.${payload}`), keys.privateKey);
  return `${header}.${payload}.${base64url(signature)}`;
};

export interface DevTokenOptions {
  clientId: string;
  ttlSeconds?: number;
  audience?: string;
  issuer?: string;
  subject?: string;
  /** Space-separated in the `scope` claim, as Cognito access tokens carry them. */
  scopes?: string[];
  now?: Date;
}

/** A token like a Cognito ID token for a user of `clientId`: `custom:clientId`, aud, iss, exp. */
export const mintDevToken = (keys: Pick<DevKeyPair, 'privateKey' | 'kid'>, options: DevTokenOptions): string => {
  const now = Math.floor((options.now ?? new Date()).getTime() / 1000);
  return signJwt(
    {
      sub: options.subject ?? `dev-user@${options.clientId}`,
      iss: options.issuer ?? DEV_JWT_ISSUER,
      aud: options.audience ?? DEV_JWT_AUDIENCE,
      token_use: 'id',
      iat: now,
      exp: now + (options.ttlSeconds ?? 3_600),
      jti: randomUUID(),
      [CLIENT_ID_CLAIM]: options.clientId,
      ...(options.scopes && options.scopes.length > 0 && { scope: options.scopes.join(' ') }),
    },
    keys,
  );
};

export interface VerifyOptions {
  publicKey: KeyObject;
  issuer: string;
  /** The token's `aud` (or, for access tokens, `client_id`) must be one of these. */
  audience: readonly string[];
  now?: Date;
}

export type VerifyResult = { ok: true; claims: JwtClaims; scopes: string[] } | { ok: false; error: string };

const decodeSegment = (segment: string): JwtClaims | undefined => {
  try {
    const value: unknown = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as JwtClaims) : undefined;
  } catch {
    return undefined;
  }
};

const BASE64URL = /^[A-Za-z0-9_-]*$/;

/**
 * What API Gateway's JWT authorizer checks: a well-formed JWS, RS256 only (no `none`, no
 * HMAC with the public key), the signature, `iss`, `aud` or `client_id`, `exp` (required),
 * `nbf` and `iat`. The error strings follow its `error_description`s.
 */
export const verifyJwt = (token: string, options: VerifyOptions): VerifyResult => {
  const parts = token.split('.');
  if (parts.length !== 3 || !parts.every((part) => BASE64URL.test(part)))
    return { ok: false, error: 'the token is malformed' };
  const [headerPart, payloadPart, signaturePart] = parts as [string, string, string];
  const header = decodeSegment(headerPart);
  const claims = decodeSegment(payloadPart);
  if (header === undefined || claims === undefined) return { ok: false, error: 'the token is malformed' };
  if (header.alg !== 'RS256') return { ok: false, error: `signing method ${String(header.alg)} is invalid` };
  let signed = false;
  try {
    signed = verify(
      'sha256',
      Buffer.from(`${headerPart}.${payloadPart}`),
      options.publicKey,
      Buffer.from(signaturePart, 'base64url'),
    );
  } catch {
    // A signature of the wrong size for the key: invalid, like any other mismatch.
  }
  if (!signed) return { ok: false, error: 'signature is invalid' };

  const now = Math.floor((options.now ?? new Date()).getTime() / 1000);
  if (claims.iss !== options.issuer) return { ok: false, error: 'the token has an invalid issuer' };
  const audiences = Array.isArray(claims.aud) ? claims.aud : [claims.aud ?? claims.client_id];
  if (!audiences.some((audience) => typeof audience === 'string' && options.audience.includes(audience))) {
    return { ok: false, error: 'the token has an invalid audience' };
  }
  if (typeof claims.exp !== 'number') return { ok: false, error: 'the token has no expiration' };
  if (claims.exp <= now) return { ok: false, error: 'the token has expired' };
  if (typeof claims.nbf === 'number' && claims.nbf > now) return { ok: false, error: 'the token is not valid yet' };
  if (typeof claims.iat === 'number' && claims.iat > now)
    return { ok: false, error: 'the token was issued in the future' };
  const scopes = typeof claims.scope === 'string' ? claims.scope.split(' ').filter(Boolean) : [];
  return { ok: true, claims, scopes };
};
