import { randomUUID } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyEventV2WithJWTAuthorizer, APIGatewayProxyResultV2, Context } from 'aws-lambda';
import { createRemoteJWKSet, type JSONWebKeySet } from 'jose';
import { HTTP_API_MAX_PAYLOAD_BYTES, LOCAL_ACCOUNT_ID } from '../runtime/aws';
import { closeServer, readBody } from '../runtime/http-server';
import { localLambdaContext } from '../runtime/lambda-context';
import { type DevKeyPair, devJwks, JWKS_PATH, publishIssuer, withdrawIssuer } from './dev-jwt';
import { type JwtAuthorizer, verifyJwt } from './jwt-authorizer';

/**
 * API Gateway HTTP API (payload format 2.0) with a JWT authorizer, on loopback: routes
 * from serverless.yml, the token checked like the authorizer checks it (401 before the
 * function runs), then a real `APIGatewayProxyEventV2WithJWTAuthorizer` for the handler.
 * It is also the dev tokens' issuer, as a Cognito user pool is: its URL is their `iss`, and
 * it serves the public key at `<url>/.well-known/jwks.json`.
 */

export interface HttpApiRoute {
  method: string;
  path: string;
  /** Name of the JWT authorizer; a route without one is public. */
  authorizer?: string;
}

export type HttpApiHandler = (
  event: APIGatewayProxyEventV2WithJWTAuthorizer,
  context: Context,
) => Promise<APIGatewayProxyResultV2>;

interface HttpApiIntegration {
  handler: HttpApiHandler;
  routes: readonly HttpApiRoute[];
  functionName: string;
  timeoutSeconds: number;
  /** API Gateway HTTP API's payload limit (10 MB); larger requests are 413 before the function. */
  maxPayloadBytes?: number;
}

/** What one request needs: the authorizer, and the JWKS the API serves as the issuer (if it does). */
export interface HttpApiInvokeOptions extends HttpApiIntegration {
  authorizer: JwtAuthorizer;
  jwks?: JSONWebKeySet;
}

export interface LocalHttpApiOptions extends HttpApiIntegration {
  /**
   * The dev issuer: its key pair (the public half served as the JWKS; from a key file, the API
   * publishes its URL beside it for `npm run token`) and the audience the authorizer accepts.
   */
  authorizer: { keys: Pick<DevKeyPair, 'publicKey' | 'path'>; audience: readonly string[] };
  host?: string;
  /** 0 (default): a free port. */
  port?: number;
}

/** A request as it reached the API. */
export interface HttpApiRequest {
  method: string;
  /** Path and query string, e.g. `/events?x=1`. */
  url: string;
  headers: IncomingHttpHeaders | Record<string, string | string[] | undefined>;
  body: Buffer;
  sourceIp?: string;
  /** `host:port` the API answers on (requestContext.domainName). */
  domainName?: string;
}

export interface HttpApiResponse {
  statusCode: number;
  headers: Record<string, string | string[]>;
  body: Buffer;
}

export interface LocalHttpApi {
  url: string;
  /** The dev tokens' `iss`: the API's own URL. */
  issuer: string;
  /** `<issuer>/.well-known/jwks.json`, what the authorizer fetches its keys from. */
  jwksUrl: string;
  stop(): Promise<void>;
}

const jsonResponse = (statusCode: number, body: unknown, headers: Record<string, string> = {}): HttpApiResponse => ({
  statusCode,
  headers: { 'content-type': 'application/json', ...headers },
  body: Buffer.from(JSON.stringify(body)),
});

/** API Gateway passes text content types as text and base64-encodes everything else. */
const isTextBody = (headers: Record<string, string>): boolean => {
  const encoding = headers['content-encoding']?.trim().toLowerCase();
  if (encoding && encoding !== 'identity') return false;
  const type = headers['content-type']?.split(';')[0]?.trim().toLowerCase() ?? '';
  return (
    type === '' ||
    type.startsWith('text/') ||
    /^application\/(json|xml|javascript|x-www-form-urlencoded)$/.test(type) ||
    /\+(json|xml)$/.test(type)
  );
};

/** Claims as API Gateway hands them to the function: strings, arrays as `[a b]`. */
const claimValue = (value: unknown): string => {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return `[${value.map(String).join(' ')}]`;
  if (value !== null && typeof value === 'object') return JSON.stringify(value);
  return String(value);
};

const requestTime = (date: Date): string => {
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const two = (n: number) => String(n).padStart(2, '0');
  return `${two(date.getUTCDate())}/${months[date.getUTCMonth()]}/${date.getUTCFullYear()}:${two(date.getUTCHours())}:${two(
    date.getUTCMinutes(),
  )}:${two(date.getUTCSeconds())} +0000`;
};

const flattenHeaders = (headers: HttpApiRequest['headers']): Record<string, string> => {
  const flat: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    flat[name.toLowerCase()] = Array.isArray(value) ? value.join(',') : value;
  }
  return flat;
};

/** The payload format 2.0 event API Gateway sends for a request on an authorized route. */
export const toHttpApiEvent = (
  request: HttpApiRequest,
  route: HttpApiRoute,
  jwt: { claims: Record<string, unknown>; scopes: string[] },
  now = new Date(),
): APIGatewayProxyEventV2WithJWTAuthorizer => {
  const url = new URL(request.url, 'http://localhost');
  const headers = flattenHeaders(request.headers);
  const { cookie, ...withoutCookie } = headers;
  const query: Record<string, string> = {};
  for (const [name, value] of url.searchParams) query[name] = name in query ? `${query[name]},${value}` : value;
  const text = isTextBody(headers);
  const routeKey = `${route.method} ${route.path}`;
  return {
    version: '2.0',
    routeKey,
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    ...(cookie !== undefined && { cookies: cookie.split(/;\s*/).filter(Boolean) }),
    headers: withoutCookie,
    ...(url.search !== '' && { queryStringParameters: query }),
    requestContext: {
      accountId: LOCAL_ACCOUNT_ID,
      apiId: 'local',
      authorizer: {
        principalId: '',
        integrationLatency: 0,
        jwt: {
          claims: Object.fromEntries(Object.entries(jwt.claims).map(([name, value]) => [name, claimValue(value)])),
          scopes: jwt.scopes,
        },
      },
      domainName: request.domainName ?? headers.host ?? 'localhost',
      domainPrefix: (request.domainName ?? headers.host ?? 'localhost').split('.')[0] ?? 'localhost',
      http: {
        method: request.method.toUpperCase(),
        path: url.pathname,
        protocol: 'HTTP/1.1',
        sourceIp: request.sourceIp ?? '127.0.0.1',
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: randomUUID(),
      routeKey,
      stage: '$default',
      time: requestTime(now),
      timeEpoch: now.getTime(),
    },
    ...(request.body.length > 0 && { body: request.body.toString(text ? 'utf8' : 'base64') }),
    isBase64Encoded: request.body.length > 0 && !text,
  };
};

/** The function's result as API Gateway turns it into an HTTP response (payload format 2.0). */
const fromResult = (result: APIGatewayProxyResultV2): HttpApiResponse => {
  if (typeof result === 'string')
    return { statusCode: 200, headers: { 'content-type': 'application/json' }, body: Buffer.from(result) };
  if (result === null || typeof result !== 'object' || !('statusCode' in result)) {
    return {
      statusCode: 200,
      headers: { 'content-type': 'application/json' },
      body: Buffer.from(JSON.stringify(result)),
    };
  }
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(result.headers ?? {})) headers[name.toLowerCase()] = String(value);
  if (result.cookies && result.cookies.length > 0) headers['set-cookie'] = result.cookies;
  const body = result.body ?? '';
  return {
    statusCode: result.statusCode ?? 200,
    headers,
    body: result.isBase64Encoded ? Buffer.from(body, 'base64') : Buffer.from(body),
  };
};

const unauthorized = (description?: string): HttpApiResponse =>
  jsonResponse(
    401,
    { message: 'Unauthorized' },
    {
      'www-authenticate': description
        ? `Bearer scope="" error="invalid_token" error_description="${description}"`
        : 'Bearer',
    },
  );

/**
 * One request through the API: the issuer's JWKS (GET), route (404), payload limit (413), JWT
 * authorizer (401), then the function. What the server does per request; tests can call it directly.
 */
export const invokeHttpApi = async (
  options: HttpApiInvokeOptions,
  request: HttpApiRequest,
): Promise<HttpApiResponse> => {
  const path = new URL(request.url, 'http://localhost').pathname;
  if (options.jwks && path === JWKS_PATH && request.method.toUpperCase() === 'GET')
    return jsonResponse(200, options.jwks);
  const route = options.routes.find(
    (candidate) => candidate.method.toUpperCase() === request.method.toUpperCase() && candidate.path === path,
  );
  if (route === undefined) return jsonResponse(404, { message: 'Not Found' });
  if (request.body.length > (options.maxPayloadBytes ?? HTTP_API_MAX_PAYLOAD_BYTES))
    return jsonResponse(413, { message: 'Request Entity Too Large' });

  let jwt: { claims: Record<string, unknown>; scopes: string[] } = { claims: {}, scopes: [] };
  if (route.authorizer !== undefined) {
    const value = flattenHeaders(request.headers).authorization?.trim();
    if (!value) return unauthorized();
    // The authorizer takes the token with or without the Bearer prefix.
    const token = value.replace(/^Bearer\s+/i, '');
    const verified = await verifyJwt(token, options.authorizer);
    if (!verified.ok) return unauthorized(verified.error);
    jwt = { claims: verified.claims, scopes: verified.scopes };
  }

  const event = toHttpApiEvent(request, route, jwt);
  try {
    return fromResult(
      await options.handler(
        event,
        localLambdaContext({ name: options.functionName, timeoutSeconds: options.timeoutSeconds }),
      ),
    );
  } catch {
    return jsonResponse(500, { message: 'Internal Server Error' });
  }
};

const send = (response: ServerResponse, result: HttpApiResponse): void => {
  response.writeHead(result.statusCode, { ...result.headers, 'content-length': String(result.body.length) });
  response.end(result.body);
};

/** API Gateway caches the issuer's public keys for up to two hours (the authorizer page above). */
const JWKS_CACHE_MS = 2 * 60 * 60 * 1000;

export const startLocalHttpApi = async (options: LocalHttpApiOptions): Promise<LocalHttpApi> => {
  const { authorizer } = options;
  const host = options.host ?? '127.0.0.1';
  const limit = options.maxPayloadBytes ?? HTTP_API_MAX_PAYLOAD_BYTES;
  const jwks = await devJwks(authorizer.keys.publicKey);
  // Set once listening, before any request can arrive: the issuer is the URL, known only then.
  let invokeOptions: HttpApiInvokeOptions | undefined;
  const server = createServer((request, response) => {
    readBody(request, limit)
      .then(async (body) => {
        if (body === undefined) return send(response, jsonResponse(413, { message: 'Request Entity Too Large' }));
        if (invokeOptions === undefined) throw new Error('the local HTTP API is not listening yet');
        const address = server.address() as AddressInfo;
        return send(
          response,
          await invokeHttpApi(invokeOptions, {
            method: request.method ?? 'GET',
            url: request.url ?? '/',
            headers: request.headers,
            body,
            sourceIp: request.socket.remoteAddress ?? '127.0.0.1',
            domainName: `${host}:${address.port}`,
          }),
        );
      })
      .catch(() => {
        if (!response.headersSent) send(response, jsonResponse(500, { message: 'Internal Server Error' }));
        else response.destroy();
      });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://${host}:${port}`;
  const jwksUrl = `${url}${JWKS_PATH}`;
  // The authorizer fetches the keys from the issuer over HTTP, as API Gateway does from Cognito.
  const keys = createRemoteJWKSet(new URL(jwksUrl), { cacheMaxAge: JWKS_CACHE_MS });
  invokeOptions = { ...options, authorizer: { issuer: url, audience: authorizer.audience, keys }, jwks };
  const keyPath = authorizer.keys.path;
  if (keyPath !== undefined) publishIssuer(keyPath, url);
  return {
    url,
    issuer: url,
    jwksUrl,
    stop: async () => {
      if (keyPath !== undefined) withdrawIssuer(keyPath, url);
      await closeServer(server);
    },
  };
};
