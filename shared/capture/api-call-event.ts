import { isIP } from 'node:net';
import { captureBody } from './body';
import { type CapturedBodyFields, type HeaderMap, isPlainObject } from './records';

/** API Gateway REST API (and HTTP API payload 1.0), HTTP API payload 2.0, Application Load Balancer. */
export type HttpEventKind = 'apigw-v1' | 'apigw-v2' | 'alb';

export const detectEventKind = (event: unknown): HttpEventKind | undefined => {
  if (!isPlainObject(event) || !isPlainObject(event.requestContext)) return undefined;
  const context = event.requestContext;
  if (isPlainObject(context.elb)) return 'alb';
  if (event.version === '2.0' && isPlainObject(context.http)) return 'apigw-v2';
  if (typeof event.httpMethod === 'string') return 'apigw-v1';
  return undefined;
};

const stringOf = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

const strings = (value: unknown): string[] =>
  Array.isArray(value)
    ? value.filter((item): item is string => typeof item === 'string')
    : typeof value === 'string'
      ? [value]
      : [];

const add = (headers: Record<string, string[]>, name: string, values: readonly string[]): void => {
  if (values.length === 0) return;
  const key = name.toLowerCase();
  headers[key] = [...(headers[key] ?? []), ...values];
};

const finish = (headers: Record<string, string[]>): HeaderMap => {
  const out: HeaderMap = {};
  for (const [name, values] of Object.entries(headers))
    out[name] = values.length === 1 ? (values[0] as string) : values;
  return out;
};

/**
 * Headers with lower-cased names. `multiValueHeaders` (v1 with the feature on, ALB with
 * multi-value headers) win over `headers`, which then only hold the last value of each.
 */
export const mergeHeaders = (single: unknown, multi: unknown): HeaderMap => {
  const headers: Record<string, string[]> = {};
  const multiNames = new Set<string>();
  if (isPlainObject(multi)) {
    for (const [name, values] of Object.entries(multi)) {
      add(headers, name, strings(values));
      multiNames.add(name.toLowerCase());
    }
  }
  if (isPlainObject(single)) {
    for (const [name, value] of Object.entries(single)) {
      if (!multiNames.has(name.toLowerCase())) add(headers, name, strings(value));
    }
  }
  return finish(headers);
};

/** The first value of a header (names are lower case in a HeaderMap). */
export const headerValue = (headers: HeaderMap, name: string): string | undefined => {
  const value = headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
};

/** Raw headers of an event (before masking), for defaults such as the session token. */
export const eventHeaders = (event: unknown): HeaderMap => {
  if (!isPlainObject(event)) return {};
  const headers = mergeHeaders(event.headers, event.multiValueHeaders);
  const cookies = strings(event.cookies);
  if (cookies.length > 0 && headers.cookie === undefined) headers.cookie = cookies.join('; ');
  return headers;
};

const queryString = (single: unknown, multi: unknown, encode: (part: string) => string): string => {
  const pairs: string[] = [];
  const source = isPlainObject(multi) ? multi : isPlainObject(single) ? single : {};
  for (const [name, values] of Object.entries(source)) {
    for (const value of strings(values)) pairs.push(`${encode(name)}=${encode(value)}`);
  }
  return pairs.length > 0 ? `?${pairs.join('&')}` : '';
};

/** One X-Forwarded-For entry as an address: brackets and a port taken off; undefined when not a valid IPv4/IPv6 address. */
const forwardedAddress = (entry: string): string | undefined => {
  let value = entry.trim();
  if (value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(value);
  if (bracketed?.[1] !== undefined) value = bracketed[1];
  else if (/^[\d.]+:\d+$/.test(value)) value = value.slice(0, value.lastIndexOf(':'));
  return isIP(value) !== 0 ? value : undefined;
};

/**
 * The client's address: the first valid address of X-Forwarded-For (every value of the
 * header, comma-separated lists split), else the connection's source IP.
 */
export const clientIp = (headers: HeaderMap, sourceIp: string | undefined): string | undefined => {
  const forwarded = headers['x-forwarded-for'];
  const values = Array.isArray(forwarded) ? forwarded : forwarded !== undefined ? [forwarded] : [];
  for (const value of values) {
    for (const entry of value.split(',')) {
      const address = forwardedAddress(entry);
      if (address !== undefined) return address;
    }
  }
  return sourceIp?.trim() || undefined;
};

/** When API Gateway received the request (`requestTimeEpoch` v1, `timeEpoch` v2), epoch ms; undefined for the ALB or when absent. */
export const requestEpochMs = (event: unknown): number | undefined => {
  if (!isPlainObject(event) || !isPlainObject(event.requestContext)) return undefined;
  const value = event.requestContext.requestTimeEpoch ?? event.requestContext.timeEpoch;
  const epoch = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
  return typeof epoch === 'number' && Number.isFinite(epoch) && epoch > 0 ? epoch : undefined;
};

/** What is known about the request before the handler runs (the handler may change the event). */
export interface RequestSnapshot {
  kind: HttpEventKind;
  /** API Gateway's receive time (epoch ms), when the event carries it. */
  receivedAt?: number;
  uri: string;
  verb: string;
  headers: HeaderMap;
  ip_address?: string;
  body: CapturedBodyFields;
}

export interface SnapshotOptions {
  logBody: boolean;
  maxBodyBytes: number;
}

const withHost = (headers: HeaderMap, fallbackHost: string | undefined, pathAndQuery: string): string => {
  const host = headerValue(headers, 'host') ?? fallbackHost;
  if (host === undefined || host === '') return pathAndQuery;
  const proto = headerValue(headers, 'x-forwarded-proto')?.split(',')[0]?.trim() || 'https';
  return `${proto}://${host}${pathAndQuery}`;
};

/** Normalizes an API Gateway v1, v2 or ALB event; undefined for any other event. */
export const snapshotRequest = (event: unknown, options: SnapshotOptions): RequestSnapshot | undefined => {
  const kind = detectEventKind(event);
  if (kind === undefined || !isPlainObject(event)) return undefined;
  const context = isPlainObject(event.requestContext) ? event.requestContext : {};
  const headers = eventHeaders(event);
  let verb: string;
  let uri: string;
  let ip: string | undefined;
  if (kind === 'apigw-v2') {
    const http = isPlainObject(context.http) ? context.http : {};
    verb = stringOf(http.method) ?? 'GET';
    const path = stringOf(event.rawPath) ?? stringOf(http.path) ?? '/';
    const query = stringOf(event.rawQueryString);
    uri = withHost(headers, stringOf(context.domainName), `${path}${query ? `?${query}` : ''}`);
    ip = clientIp(headers, stringOf(http.sourceIp));
  } else if (kind === 'apigw-v1') {
    verb = stringOf(event.httpMethod) ?? 'GET';
    // requestContext.path is the path as the client sent it (with the stage on execute-api URLs).
    const path = stringOf(context.path) ?? stringOf(event.path) ?? '/';
    // API Gateway hands over decoded parameters: encode them again.
    const query = queryString(event.queryStringParameters, event.multiValueQueryStringParameters, encodeURIComponent);
    uri = withHost(headers, stringOf(context.domainName), `${path}${query}`);
    ip = clientIp(headers, isPlainObject(context.identity) ? stringOf(context.identity.sourceIp) : undefined);
  } else {
    verb = stringOf(event.httpMethod) ?? 'GET';
    const path = stringOf(event.path) ?? '/';
    // ALB passes the query string as received (still percent-encoded).
    const query = queryString(event.queryStringParameters, event.multiValueQueryStringParameters, (part) => part);
    uri = withHost(headers, undefined, `${path}${query}`);
    ip = clientIp(headers, undefined);
  }
  const body = options.logBody
    ? captureBody(
        { body: event.body, isBase64Encoded: event.isBase64Encoded, contentType: headerValue(headers, 'content-type') },
        options.maxBodyBytes,
      )
    : {};
  const receivedAt = requestEpochMs(event);
  return {
    kind,
    ...(receivedAt !== undefined && { receivedAt }),
    uri,
    verb: verb.toUpperCase(),
    headers,
    ...(ip !== undefined && { ip_address: ip }),
    body,
  };
};

export interface ResponseSnapshot {
  status: number;
  headers: HeaderMap;
  body: CapturedBodyFields;
}

const validStatus = (value: unknown): number | undefined => {
  const status = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  return typeof status === 'number' && Number.isInteger(status) && status >= 100 && status <= 599 ? status : undefined;
};

/**
 * The response API Gateway or the ALB sends for a handler's result:
 * - `{statusCode, headers?, multiValueHeaders?, cookies? (v2), body?, isBase64Encoded?}` as is;
 * - HTTP API (v2) only: any other value is a 200 `application/json` response whose body is
 *   the value (a string as is, anything else JSON-serialized);
 * - v1 and ALB: anything else is a malformed proxy response, a 502 without body.
 */
export const snapshotResponse = (kind: HttpEventKind, result: unknown, options: SnapshotOptions): ResponseSnapshot => {
  if (isPlainObject(result) && 'statusCode' in result) {
    const headers = mergeHeaders(result.headers, result.multiValueHeaders);
    const cookies = strings(result.cookies);
    if (cookies.length > 0) {
      const existing = headers['set-cookie'];
      headers['set-cookie'] = [...strings(existing), ...cookies];
    }
    const status = validStatus(result.statusCode) ?? 502;
    const body = options.logBody
      ? captureBody(
          {
            body: result.body,
            isBase64Encoded: result.isBase64Encoded,
            contentType: headerValue(headers, 'content-type'),
          },
          options.maxBodyBytes,
        )
      : {};
    return { status, headers, body };
  }
  if (kind === 'apigw-v2') {
    const headers: HeaderMap = { 'content-type': 'application/json' };
    let text: string | undefined;
    if (typeof result === 'string') text = result;
    else if (result !== undefined) {
      try {
        text = JSON.stringify(result);
      } catch {
        // Not serializable (cycles, BigInt): the client would not get it either.
      }
    }
    const body = options.logBody
      ? captureBody({ body: text, contentType: 'application/json' }, options.maxBodyBytes)
      : {};
    return { status: 200, headers, body };
  }
  return { status: 502, headers: {}, body: {} };
};

/** What API Gateway / the ALB answer when the handler throws: a 500 without body. */
export const errorResponse = (): ResponseSnapshot => ({ status: 500, headers: {}, body: {} });

/** Replaces the values of the named headers (lower case) with `mask`. */
export const maskHeaders = (headers: HeaderMap, names: ReadonlySet<string>, mask: string): HeaderMap => {
  const out: HeaderMap = {};
  for (const [name, value] of Object.entries(headers)) out[name] = names.has(name) ? mask : value;
  return out;
};
