import { decodeProtectedHeader, type JWTPayload, type JWTVerifyGetKey, jwtVerify } from 'jose';
import { DEV_JWT_ALG } from './dev-jwt';

/**
 * API Gateway's JWT authorizer, on jose: the signature against the issuer's JWKS (matched by
 * `kid`), then the claims, answering with its `error_description`s. What it checks:
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-jwt-authorizer.html
 * (kid, iss, aud or client_id, exp in the future, nbf and iat in the past, scope).
 */
export interface JwtAuthorizer {
  /** The `iss` tokens must carry; its JWKS is at `<issuer>/.well-known/jwks.json`. */
  issuer: string;
  /** The token's `aud` (or, without one, its `client_id`) must be one of these. */
  audience: readonly string[];
  /** The issuer's keys: jose's createRemoteJWKSet on the JWKS URL, or createLocalJWKSet. */
  keys: JWTVerifyGetKey;
}

export type VerifyResult = { ok: true; claims: JWTPayload; scopes: string[] } | { ok: false; error: string };

const refused = (error: string): VerifyResult => ({ ok: false, error });

/** API Gateway reads `client_id` only when there is no `aud` (access tokens), per the page above. */
const hasAudience = (claims: JWTPayload, audience: readonly string[]): boolean => {
  const candidates = claims.aud === undefined ? [claims.client_id] : [claims.aud].flat();
  return candidates.some((candidate) => typeof candidate === 'string' && audience.includes(candidate));
};

/** jose's failure as the authorizer's `error_description`; undefined for what is not the token's fault. */
const describe = (token: string, error: unknown): string | undefined => {
  const { code, claim, reason } = error as { code?: string; claim?: string; reason?: string };
  switch (code) {
    case 'ERR_JWS_INVALID':
    case 'ERR_JWT_INVALID':
      return 'the token is malformed';
    case 'ERR_JOSE_ALG_NOT_ALLOWED':
      return `signing method ${String(decodeProtectedHeader(token).alg)} is invalid`;
    // A kid the JWKS does not hold is a key the issuer never signed with.
    case 'ERR_JWKS_NO_MATCHING_KEY':
    case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED':
      return 'signature is invalid';
    case 'ERR_JWT_EXPIRED':
      return 'the token has expired';
    case 'ERR_JWT_CLAIM_VALIDATION_FAILED':
      if (reason === 'invalid') return 'the token is malformed';
      if (claim === 'exp') return 'the token has no expiration';
      if (claim === 'iss') return 'the token has an invalid issuer';
      if (claim === 'nbf') return 'the token is not valid yet';
      return `the token has an invalid ${claim} claim`;
    default:
      return undefined;
  }
};

/**
 * Verifies `token` as the authorizer would: RS256 only (so no `none`, no HMAC keyed with the
 * public key), a key of the issuer's JWKS, `iss`, `exp` required and in the future, `nbf` and
 * `iat` not in the future (no clock tolerance), then `aud` / `client_id`. A JWKS that cannot be
 * fetched is not the token's fault: that error is thrown (the API answers 500).
 */
export const verifyJwt = async (token: string, authorizer: JwtAuthorizer, now?: Date): Promise<VerifyResult> => {
  let claims: JWTPayload;
  try {
    ({ payload: claims } = await jwtVerify(token, authorizer.keys, {
      algorithms: [DEV_JWT_ALG],
      issuer: authorizer.issuer,
      requiredClaims: ['exp'],
      ...(now !== undefined && { currentDate: now }),
    }));
  } catch (error) {
    const description = describe(token, error);
    if (description === undefined) throw error;
    return refused(description);
  }
  // jose checks iat's future only with maxTokenAge; API Gateway always does.
  const seconds = Math.floor((now ?? new Date()).getTime() / 1000);
  if (typeof claims.iat === 'number' && claims.iat > seconds) return refused('the token was issued in the future');
  // API Gateway's wording: https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-troubleshooting-jwt.html
  if (!hasAudience(claims, authorizer.audience)) return refused('the token does not have a valid audience');
  const scopes = typeof claims.scope === 'string' ? claims.scope.split(' ').filter(Boolean) : [];
  return { ok: true, claims, scopes };
};
