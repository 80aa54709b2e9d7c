/**
 * The local receiver: where `npm start` sends the routes whose `localUrl` is `receiver`
 * (`http://127.0.0.1:<port>/<route name>`). It records every request per route (method, path,
 * query, headers, body), answers 200 `{}`, and checks a route's Basic or API key authorization
 * against its secret when it has one (401 otherwise), as the real endpoint would. Recorded
 * headers have their credentials replaced by `[redacted]`, so the records can be printed.
 */
import { timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Route } from '../../../shared/routes/routes-file';
import { closeServer, readBody } from '../runtime/http-server';
import { routeSecret, type SecretLookup } from '../runtime/secrets';
import { basicAuthorization, NO_AUTH_HEADER } from './targets/connection';

const MAX_BODY_BYTES = 10 * 1024 * 1024;
export const REDACTED = '[redacted]';

export interface ReceivedRequest {
  /** The first path segment: the route's name. */
  route: string;
  method: string;
  path: string;
  query: Record<string, string | string[]>;
  /** Lower-case names; credential headers `[redacted]`. */
  headers: Record<string, string | string[]>;
  body: string;
  /** Whether the route's authorization was checked and right; undefined when there was nothing to check. */
  authorized: boolean | undefined;
  receivedAt: number;
}

export interface ReceiverOptions {
  /** The routes it serves: a request for another path is 404; their Basic/API key auth is checked. Default: any path, no checks. */
  routes?: readonly Route[];
  /** The routes' secrets (runtime/secrets.ts); without one a route's auth is not checked. */
  secrets?: SecretLookup;
  /** Called with each request as recorded. */
  onRequest?: (request: ReceivedRequest) => void;
  host?: string;
  port?: number;
}

export interface Receiver {
  /** `http://127.0.0.1:<port>`. */
  readonly url: string;
  /** The URL a route delivers to. */
  urlOf(route: string): string;
  /** What was received, for one route or all, in arrival order. */
  requests(route?: string): ReceivedRequest[];
  stop(): Promise<void>;
}

/** The header a route must carry and its value, when the receiver can check it. */
interface ExpectedAuth {
  header: string;
  value: string;
}

const expectedAuth = (route: Route, secrets: SecretLookup | undefined): ExpectedAuth | undefined => {
  const target = route.target;
  if (target.type !== 'http') return undefined;
  if (!target.auth) return { header: NO_AUTH_HEADER, value: route.name };
  const needed = routeSecret(route);
  const secret = needed && secrets?.(needed.name);
  if (!secret) return undefined;
  if (target.auth.type === 'basic')
    return { header: 'authorization', value: basicAuthorization(secret.username ?? '', secret.password ?? '') };
  if (target.auth.type === 'apiKey') return { header: target.auth.header.toLowerCase(), value: secret.apiKey ?? '' };
  return undefined;
};

const sameText = (a: string, b: string): boolean => {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
};

const CREDENTIAL_HEADERS = new Set(['authorization', 'proxy-authorization', 'x-api-key', 'x-amz-firehose-access-key']);

const recordedHeaders = (
  headers: IncomingHttpHeaders,
  secretHeaders: ReadonlySet<string>,
): Record<string, string | string[]> => {
  const recorded: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    recorded[name] = CREDENTIAL_HEADERS.has(name) || secretHeaders.has(name) ? REDACTED : value;
  }
  return recorded;
};

const queryOf = (params: URLSearchParams): Record<string, string | string[]> => {
  const query: Record<string, string | string[]> = {};
  for (const key of new Set(params.keys())) {
    const values = params.getAll(key);
    query[key] = values.length === 1 ? (values[0] ?? '') : values;
  }
  return query;
};

const send = (response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void => {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  response.end(text);
};

export const startReceiver = async (options: ReceiverOptions = {}): Promise<Receiver> => {
  const routes = new Map((options.routes ?? []).map((route) => [route.name, route]));
  const auth = new Map<string, ExpectedAuth>();
  for (const route of routes.values()) {
    const expected = expectedAuth(route, options.secrets);
    if (expected) auth.set(route.name, expected);
  }
  const secretHeaders = new Set(
    [...auth.values()].map((expected) => expected.header).filter((header) => header !== NO_AUTH_HEADER),
  );
  const received: ReceivedRequest[] = [];

  const server: Server = createServer((request, response) => {
    readBody(request, MAX_BODY_BYTES)
      .then((body) => {
        const url = new URL(request.url ?? '/', 'http://receiver');
        const route = decodeURIComponent(url.pathname.split('/')[1] ?? '');
        const expected = auth.get(route);
        const given = expected ? request.headers[expected.header] : undefined;
        const authorized = expected ? typeof given === 'string' && sameText(given, expected.value) : undefined;
        const record: ReceivedRequest = {
          route,
          method: request.method ?? 'GET',
          path: url.pathname,
          query: queryOf(url.searchParams),
          headers: recordedHeaders(request.headers, secretHeaders),
          body: body?.toString('utf8') ?? '',
          authorized,
          receivedAt: Date.now(),
        };
        received.push(record);
        options.onRequest?.(record);
        if (routes.size > 0 && !routes.has(route)) return send(response, 404, { message: `no route ${route}` });
        if (body === undefined) return send(response, 413, { message: 'Request body too large' });
        if (authorized === false) {
          return send(
            response,
            401,
            { message: 'Unauthorized' },
            expected?.header === 'authorization' ? { 'www-authenticate': 'Basic realm="receiver"' } : {},
          );
        }
        send(response, 200, {});
      })
      .catch(() => {
        if (!response.headersSent) send(response, 500, { message: 'receiver error' });
      });
  });
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const url = `http://${host}:${(server.address() as AddressInfo).port}`;
  return {
    url,
    urlOf: (route) => `${url}/${encodeURIComponent(route)}`,
    requests: (route) => (route === undefined ? [...received] : received.filter((request) => request.route === route)),
    stop: () => closeServer(server),
  };
};
