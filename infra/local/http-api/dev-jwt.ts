import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject, randomUUID } from 'node:crypto';
import { linkSync, mkdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { calculateJwkThumbprint, exportJWK, type JSONWebKeySet, type JWTPayload, SignJWT } from 'jose';
import { LOCAL_STATE_DIR } from '../runtime/paths';

/**
 * The dev identity provider of the local HTTP API, standing in for a Cognito user pool: RS256
 * tokens signed with a key pair kept in `.local/` (git-ignored). Its issuer is the local API's
 * own URL, which serves the public key at `<issuer>/.well-known/jwks.json` as Cognito does; the
 * running API publishes that URL beside the key so `npm run token` can put it in `iss`.
 */
export const DEV_JWT_AUDIENCE = 'usage-pipeline-local-api';
export const DEV_JWT_KEY_PATH = join(LOCAL_STATE_DIR, 'dev-jwt-key.pem');
/** Where an issuer serves its keys, relative to the issuer URL (Cognito's path). */
export const JWKS_PATH = '/.well-known/jwks.json';
/** The only algorithm the dev issuer signs with; API Gateway's JWT authorizer takes RSA only. */
export const DEV_JWT_ALG = 'RS256';
/** The claim API Gateway passes to the handler and the handler reads the clientId from. */
export const CLIENT_ID_CLAIM = 'custom:clientId';

export interface DevKeyPair {
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** The key file it was read from: the running API publishes its issuer beside it. */
  path?: string;
}

export type DevJwtReason = 'NoIssuer' | 'KeyUnreadable';

/** A dev token that cannot be minted: no issuer known for the key, or a key file that is not a key. */
export class DevJwtError extends Error {
  override readonly name = 'DevJwtError';
  constructor(
    readonly reason: DevJwtReason,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

export const generateDevKeyPair = (): DevKeyPair => {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { privateKey, publicKey };
};

const readKeyPair = (path: string): DevKeyPair => {
  const pem = readFileSync(path, 'utf8');
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(pem);
  } catch (error) {
    throw new DevJwtError('KeyUnreadable', `${path} is not a PEM private key`, { cause: error });
  }
  return { privateKey, publicKey: createPublicKey(privateKey), path };
};

/**
 * Reads the dev signing key (PKCS#8 PEM), generating it once. Safe when several processes race:
 * the key is written to a temporary file and hard-linked into place, which fails if another
 * process got there first (its key then wins).
 */
export const loadOrCreateDevKeyPair = (path: string = DEV_JWT_KEY_PATH): DevKeyPair => {
  try {
    return readKeyPair(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  mkdirSync(dirname(path), { recursive: true });
  const pem = generateDevKeyPair().privateKey.export({ type: 'pkcs8', format: 'pem' });
  const temporary = `${path}.${process.pid}.${randomUUID()}.tmp`;
  writeFileSync(temporary, pem, { mode: 0o600 });
  try {
    linkSync(temporary, path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  } finally {
    unlinkSync(temporary);
  }
  return readKeyPair(path);
};

/** The key id (`kid`): the RFC 7638 thumbprint of the public key, so a new key gets a new id. */
export const devKeyId = async (publicKey: KeyObject): Promise<string> =>
  calculateJwkThumbprint(await exportJWK(publicKey));

/** The issuer's public JWKS document, shaped like Cognito's. */
export const devJwks = async (publicKey: KeyObject): Promise<JSONWebKeySet> => ({
  keys: [{ ...(await exportJWK(publicKey)), kid: await devKeyId(publicKey), alg: DEV_JWT_ALG, use: 'sig' }],
});

/** Where the local API serving a key's JWKS publishes its issuer: `dev-jwt-key.pem` → `dev-jwt-key.issuer.json`. */
export const issuerFileFor = (keyPath: string): string => `${keyPath.replace(/\.pem$/, '')}.issuer.json`;

/** Records `issuer` as the one serving this key (last API started wins), written whole. */
export const publishIssuer = (keyPath: string, issuer: string): void => {
  const file = issuerFileFor(keyPath);
  const temporary = `${file}.${process.pid}.${randomUUID()}.tmp`;
  writeFileSync(temporary, `${JSON.stringify({ issuer, jwksUri: `${issuer}${JWKS_PATH}` })}\n`);
  renameSync(temporary, file);
};

/** The issuer the running local API published for this key, if any. */
export const publishedIssuer = (keyPath: string): string | undefined => {
  try {
    const { issuer } = JSON.parse(readFileSync(issuerFileFor(keyPath), 'utf8')) as { issuer?: unknown };
    return typeof issuer === 'string' ? issuer : undefined;
  } catch {
    // Absent or half-written by hand: no issuer.
    return undefined;
  }
};

/** Removes the published issuer if it is still `issuer` (a later API may have replaced it). */
export const withdrawIssuer = (keyPath: string, issuer: string): void => {
  if (publishedIssuer(keyPath) !== issuer) return;
  try {
    unlinkSync(issuerFileFor(keyPath));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
};

/** Signs `claims` as the dev issuer: RS256, `typ: JWT`, the key's `kid`. */
export const signJwt = async (claims: JWTPayload, keys: Pick<DevKeyPair, 'privateKey' | 'publicKey'>) =>
  new SignJWT(claims)
    .setProtectedHeader({ alg: DEV_JWT_ALG, typ: 'JWT', kid: await devKeyId(keys.publicKey) })
    .sign(keys.privateKey);

export interface DevTokenOptions {
  clientId: string;
  /** Lifetime in seconds (default 3600); 0 or negative mints a token that has already expired. */
  ttlSeconds?: number;
  audience?: string;
  /** Default: the issuer the running local API published for the key file. */
  issuer?: string;
  subject?: string;
  /** Space-separated in the `scope` claim, as Cognito access tokens carry them. */
  scopes?: string[];
  now?: Date;
}

const issuerOf = (keys: DevKeyPair, options: DevTokenOptions): string => {
  const issuer = options.issuer ?? (keys.path === undefined ? undefined : publishedIssuer(keys.path));
  if (issuer !== undefined) return issuer;
  throw new DevJwtError(
    'NoIssuer',
    keys.path === undefined
      ? 'no issuer given for a key pair that is not from a key file'
      : `no local HTTP API is serving the key ${keys.path} (start one with npm start -- --keep-running), and no issuer was given`,
  );
};

/** A token like a Cognito ID token for a user of `clientId`: `custom:clientId`, aud, iss, exp. */
export const mintDevToken = async (keys: DevKeyPair, options: DevTokenOptions): Promise<string> => {
  const now = Math.floor((options.now ?? new Date()).getTime() / 1000);
  return signJwt(
    {
      sub: options.subject ?? `dev-user@${options.clientId}`,
      iss: issuerOf(keys, options),
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
