/**
 * An API destination's connection: the authorization EventBridge adds to each invocation
 * ("API destinations" → "Connections for API destinations",
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-api-destinations.html): "For Basic
 * and API Key authorization, EventBridge populates the required authorization headers for you.
 * For OAuth authorization, EventBridge also exchanges your client ID and secret for an access
 * token and then manages it securely", and "OAUTH tokens are refreshed when a 401 or 407 response
 * is returned". The credentials come from the route's secret (SECRET_KEYS in
 * shared/routes/cloudformation.ts, as the deployed connection's dynamic references read them).
 *
 * Nothing here logs; the headers it returns are credentials and must not be logged either.
 */
import type { HttpTarget, Route } from '../../../../shared/routes/routes-file';
import { routeSecret } from '../../runtime/secrets';
import type { SecretLookup } from '../types';
import { HttpConnectionError, HttpTimeoutError, sendHttp } from './http-request';
import type { AttemptFailure } from './target';

/**
 * The header a route without auth sends: a connection needs an authorization type, so the
 * deployed one is API_KEY with this name and the route's name as its value (connectionAuth in
 * shared/routes/cloudformation.ts).
 */
export const NO_AUTH_HEADER = 'x-usage-pipeline-route';

/** A failure before the invocation (the OAuth token could not be had): the attempt's outcome. */
export class AuthorizationFailure extends Error {
  override readonly name = 'AuthorizationFailure';
  constructor(readonly failure: AttemptFailure) {
    super(failure.errorMessage);
  }
}

export interface Connection {
  /** The authorization headers of the next invocation; rejects with AuthorizationFailure. */
  authorize(signal?: AbortSignal): Promise<Record<string, string>>;
  /** The endpoint answered 401 or 407: the next invocation gets a new OAuth token. */
  refresh(): void;
}

/** Thrown by the constructor of a route whose secret is missing or lacks a key (a deploy would fail too). */
export class MissingSecretError extends Error {
  override readonly name = 'MissingSecretError';
  constructor(
    readonly route: string,
    readonly secret: string,
    detail: string,
  ) {
    super(`route "${route}": secret "${secret}" ${detail}`);
  }
}

/** The route's secret, checked to hold every key its auth type needs. */
export const requireSecret = (route: Route, secrets: SecretLookup): Record<string, string> | undefined => {
  const needed = routeSecret(route);
  if (!needed) return undefined;
  const secret = secrets(needed.name);
  if (!secret)
    throw new MissingSecretError(
      route.name,
      needed.name,
      'does not exist (locally: .local/secrets.json, made by ensureLocalSecrets)',
    );
  const missing = needed.keys.filter((key) => typeof secret[key] !== 'string' || secret[key] === '');
  if (missing.length > 0)
    throw new MissingSecretError(route.name, needed.name, `lacks ${missing.map((key) => `"${key}"`).join(', ')}`);
  return secret;
};

export const basicAuthorization = (username: string, password: string): string =>
  `Basic ${Buffer.from(`${username}:${password}`, 'utf8').toString('base64')}`;

const fixed = (headers: Record<string, string>): Connection => ({
  authorize: async () => ({ ...headers }),
  refresh: () => {},
});

export interface OAuthOptions {
  tokenUrl: string;
  method: 'GET' | 'POST' | 'PUT';
  scope?: string;
  clientId: string;
  clientSecret: string;
  timeoutMs: number;
  now: () => number;
}

/** A token and when it stops being used (epoch ms; Infinity when the endpoint gave no expires_in). */
interface CachedToken {
  value: string;
  expiresAtMs: number;
}

const tokenFailure = (
  retryable: boolean,
  errorCode: string,
  errorMessage: string,
  status?: number,
): AuthorizationFailure =>
  new AuthorizationFailure({ ok: false, retryable, errorCode, errorMessage, ...(status !== undefined && { status }) });

/**
 * OAuth client credentials (RFC 6749 §4.4): the client ID and secret as HTTP Basic (§2.3.1),
 * `grant_type=client_credentials` and the scope in the body (a query for GET). The token is kept
 * until its `expires_in` has passed or the endpoint answers 401/407; one request at a time.
 */
export class OAuthClientCredentials implements Connection {
  private token: CachedToken | undefined;
  private fetching: Promise<CachedToken> | undefined;

  constructor(private readonly options: OAuthOptions) {}

  async authorize(signal?: AbortSignal): Promise<Record<string, string>> {
    const token =
      this.token && this.options.now() < this.token.expiresAtMs ? this.token : await this.fetchToken(signal);
    return { Authorization: `Bearer ${token.value}` };
  }

  refresh(): void {
    this.token = undefined;
  }

  private fetchToken(signal?: AbortSignal): Promise<CachedToken> {
    this.fetching ??= this.requestToken(signal).finally(() => {
      this.fetching = undefined;
    });
    return this.fetching;
  }

  private async requestToken(signal?: AbortSignal): Promise<CachedToken> {
    const { tokenUrl, method, scope, clientId, clientSecret, timeoutMs, now } = this.options;
    const form = new URLSearchParams({ grant_type: 'client_credentials', ...(scope && { scope }) });
    const url = new URL(tokenUrl);
    if (method === 'GET') for (const [key, value] of form) url.searchParams.append(key, value);
    const body = method === 'GET' ? undefined : form.toString();
    const where = `OAuth token endpoint ${url.origin}${url.pathname}`;
    let response: Awaited<ReturnType<typeof sendHttp>>;
    try {
      response = await sendHttp({
        url,
        method,
        headers: {
          Authorization: basicAuthorization(clientId, clientSecret),
          Accept: 'application/json',
          ...(body !== undefined && {
            'Content-Type': 'application/x-www-form-urlencoded',
            'Content-Length': String(Buffer.byteLength(body)),
          }),
        },
        ...(body !== undefined && { body }),
        timeoutMs,
        ...(signal && { signal }),
      });
    } catch (error) {
      if (error instanceof HttpTimeoutError)
        throw tokenFailure(true, 'TIMEOUT', `${where}: no response within ${timeoutMs} ms`);
      const code = error instanceof HttpConnectionError ? error.code : undefined;
      throw tokenFailure(code !== 'ENOTFOUND', 'CONNECTION_FAILURE', `${where}: ${code ?? 'connection failed'}`);
    }
    if (response.status < 200 || response.status > 299) {
      const retryable = response.status === 429 || response.status >= 500;
      throw tokenFailure(retryable, 'ERROR_FROM_TARGET', `${where} answered ${response.status}`, response.status);
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(response.body.toString('utf8'));
    } catch {
      parsed = undefined;
    }
    const fields = (typeof parsed === 'object' && parsed !== null ? parsed : {}) as {
      access_token?: unknown;
      expires_in?: unknown;
    };
    if (typeof fields.access_token !== 'string' || fields.access_token === '') {
      throw tokenFailure(
        false,
        'ERROR_FROM_TARGET',
        `${where} answered ${response.status} without an access_token`,
        response.status,
      );
    }
    const expiresIn = Number(fields.expires_in);
    const token = {
      value: fields.access_token,
      expiresAtMs: Number.isFinite(expiresIn) && expiresIn > 0 ? now() + expiresIn * 1000 : Number.POSITIVE_INFINITY,
    };
    this.token = token;
    return token;
  }
}

/** The connection of an `http` route, its credentials read from `secrets` now (throws MissingSecretError). */
export const connectionOf = (
  route: Route & { target: HttpTarget },
  secrets: SecretLookup,
  options: { timeoutMs: number; now: () => number },
): Connection => {
  const auth = route.target.auth;
  const secret = requireSecret(route, secrets);
  if (!auth || !secret) return fixed({ [NO_AUTH_HEADER]: route.name });
  switch (auth.type) {
    case 'basic':
      return fixed({ Authorization: basicAuthorization(secret.username ?? '', secret.password ?? '') });
    case 'apiKey':
      return fixed({ [auth.header]: secret.apiKey ?? '' });
    case 'oauth-client-credentials':
      return new OAuthClientCredentials({
        tokenUrl: auth.tokenUrl,
        method: auth.method,
        ...(auth.scope && { scope: auth.scope }),
        clientId: secret.clientId ?? '',
        clientSecret: secret.clientSecret ?? '',
        timeoutMs: options.timeoutMs,
        now: options.now,
      });
  }
};
