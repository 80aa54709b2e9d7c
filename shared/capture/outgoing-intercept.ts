// Intercepts outgoing calls (http/https request and get, global fetch) and hands each finished one, raw, to a sink.
import type { ClientRequest, IncomingMessage } from 'node:http';
import http from 'node:http';
import https from 'node:https';
import { isOwnCall } from './active-outgoing';
import { BodyCopy, headerText, type RawCall, toHeaderMap } from './outgoing-raw-call';
import type { HeaderMap } from './records';

/** What the patches need of the capture: the body cap, the exclusion test and where finished calls go. */
export interface OutgoingCallSink {
  readonly logBody: boolean;
  readonly maxBodyBytes: number;
  excluded(url: URL, headers: HeaderMap): boolean;
  record(raw: RawCall): void;
  hold(work: Promise<unknown>): void;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** Tracks one ClientRequest without adding listeners (a 'response' listener would change Node's behaviour) nor reading its streams. */
const trackRequest = (capture: OutgoingCallSink, req: ClientRequest, defaultProtocol: string): void => {
  const startedAt = Date.now();
  const requestBody = capture.logBody ? new BodyCopy(capture.maxBodyBytes) : undefined;
  const mutable = req as Mutable<ClientRequest>;
  if (requestBody !== undefined) {
    const write = req.write;
    const end = req.end;
    mutable.write = function (this: ClientRequest, chunk: unknown, ...rest: unknown[]) {
      try {
        requestBody.add(chunk, typeof rest[0] === 'string' ? rest[0] : undefined);
      } catch {}
      return (write as (...args: unknown[]) => boolean).call(this, chunk, ...rest);
    } as ClientRequest['write'];
    mutable.end = function (this: ClientRequest, ...args: unknown[]) {
      try {
        if (typeof args[0] !== 'function') requestBody.add(args[0], typeof args[1] === 'string' ? args[1] : undefined);
      } catch {}
      return (end as (...a: unknown[]) => ClientRequest).apply(this, args);
    } as ClientRequest['end'];
  }
  const emit = req.emit;
  let done = false;
  mutable.emit = function (this: ClientRequest, name: string | symbol, ...args: unknown[]) {
    if (name === 'response' && !done) {
      try {
        onResponse(args[0] as IncomingMessage);
      } catch {}
    }
    return (emit as (...a: unknown[]) => boolean).call(this, name, ...args);
  } as ClientRequest['emit'];

  const onResponse = (res: IncomingMessage): void => {
    const responseBody = capture.logBody ? new BodyCopy(capture.maxBodyBytes) : undefined;
    const resEmit = res.emit;
    const finish = (): void => {
      if (done) return;
      done = true;
      try {
        const host = headerText(req.getHeader('host') as string | string[] | undefined) ?? req.host;
        const protocol = req.protocol || defaultProtocol;
        const url = new URL(`${protocol}//${host}${req.path}`);
        const requestHeaders = toHeaderMap(Object.entries(req.getHeaders()));
        if (capture.excluded(url, requestHeaders)) return;
        capture.record({
          url,
          method: req.method,
          requestHeaders,
          requestBody,
          status: res.statusCode ?? 0,
          responseHeaders: toHeaderMap(Object.entries(res.headers)),
          responseBody,
          startedAt,
          endedAt: Date.now(),
        });
      } catch {}
    };
    (res as Mutable<IncomingMessage>).emit = function (
      this: IncomingMessage,
      name: string | symbol,
      ...args: unknown[]
    ) {
      try {
        if (name === 'data') responseBody?.add(args[0]);
        else if (name === 'end' || name === 'close' || name === 'error') finish();
      } catch {}
      return (resEmit as (...a: unknown[]) => boolean).call(this, name, ...args);
    } as IncomingMessage['emit'];
  };
};

type RequestFn = typeof http.request;

const patchModule = (capture: OutgoingCallSink, target: typeof http | typeof https, protocol: string): (() => void) => {
  const mutable = target as unknown as { request: RequestFn; get: RequestFn };
  const originalRequest = mutable.request;
  const originalGet = mutable.get;
  const wrap = (original: RequestFn): RequestFn =>
    function (this: unknown, ...args: unknown[]) {
      const req = (original as (...a: unknown[]) => ClientRequest).apply(this, args);
      if (!isOwnCall()) {
        try {
          trackRequest(capture, req, protocol);
        } catch {}
      }
      return req;
    } as RequestFn;
  mutable.request = wrap(originalRequest);
  // http.get calls the module's own request, not the exported one: wrap it too.
  mutable.get = wrap(originalGet);
  return () => {
    mutable.request = originalRequest;
    mutable.get = originalGet;
  };
};

const readResponseBody = async (response: Response, copy: BodyCopy, max: number): Promise<void> => {
  const reader = response.body?.getReader();
  if (reader === undefined) return;
  try {
    while (copy.total <= max) {
      const { done, value } = await reader.read();
      if (done) break;
      copy.add(value);
    }
  } finally {
    reader.cancel().catch(() => undefined);
  }
};

const patchFetch = (capture: OutgoingCallSink): (() => void) => {
  const original = globalThis.fetch;
  if (typeof original !== 'function') return () => undefined;
  const wrapped: typeof fetch = async (input, init) => {
    if (isOwnCall()) return original(input, init);
    const startedAt = Date.now();
    // Read without building a Request: that would take (lock) a stream body the real fetch needs.
    let described: { url: URL; method: string; requestHeaders: HeaderMap; body: unknown } | undefined;
    try {
      const fromRequest = input instanceof Request ? input : undefined;
      described = {
        url: new URL(fromRequest !== undefined ? fromRequest.url : input instanceof URL ? input.href : String(input)),
        method: (init?.method ?? fromRequest?.method ?? 'GET').toUpperCase(),
        requestHeaders: toHeaderMap(new Headers(init?.headers ?? fromRequest?.headers).entries()),
        body: init?.body,
      };
    } catch {
      described = undefined;
    }
    // The caller's own arguments go to the real fetch, untouched.
    const response = await original(input, init);
    if (described === undefined) return response;
    try {
      const { url, method, requestHeaders, body } = described;
      if (!capture.excluded(url, requestHeaders)) {
        const endedAt = Date.now();
        const requestBody = capture.logBody ? new BodyCopy(capture.maxBodyBytes) : undefined;
        const responseBody = capture.logBody ? new BodyCopy(capture.maxBodyBytes) : undefined;
        // Only bodies that can be read without consuming them (strings, bytes, form parameters).
        if (requestBody !== undefined) {
          if (typeof body === 'string' || body instanceof Uint8Array) requestBody.add(body);
          else if (body instanceof ArrayBuffer) requestBody.add(new Uint8Array(body));
          else if (body instanceof URLSearchParams) requestBody.add(body.toString());
        }
        const record = (): void =>
          capture.record({
            url,
            method,
            requestHeaders,
            requestBody,
            status: response.status,
            responseHeaders: toHeaderMap(response.headers.entries()),
            responseBody,
            startedAt,
            endedAt,
          });
        if (responseBody !== undefined && response.body !== null) {
          capture.hold(
            readResponseBody(response.clone(), responseBody, capture.maxBodyBytes)
              .catch(() => undefined)
              .then(record),
          );
        } else record();
      }
    } catch {}
    return response;
  };
  globalThis.fetch = wrapped;
  return () => {
    if (globalThis.fetch === wrapped) globalThis.fetch = original;
  };
};

export const patchAll = (capture: OutgoingCallSink): (() => void) => {
  const restores = [patchModule(capture, http, 'http:'), patchModule(capture, https, 'https:'), patchFetch(capture)];
  return () => {
    for (const restore of restores.reverse()) restore();
  };
};
