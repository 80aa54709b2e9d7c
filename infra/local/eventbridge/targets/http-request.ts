/** One HTTP request with a hard deadline, as the API destination and OAuth calls make it. */
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';

export interface HttpCall {
  url: URL;
  method: string;
  headers: Record<string, string>;
  body?: string | Buffer;
  /** The whole exchange, until the response body is read, must finish within this. */
  timeoutMs: number;
  signal?: AbortSignal;
  /** Response body bytes kept (the rest is read and dropped). */
  maxBodyBytes?: number;
}

export interface HttpResponse {
  status: number;
  statusText: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** The request ran past its deadline. */
export class HttpTimeoutError extends Error {
  override readonly name = 'HttpTimeoutError';
}

/** No response: refused, reset, DNS, TLS, aborted. `code` is Node's (ECONNRESET, ENOTFOUND, ...). */
export class HttpConnectionError extends Error {
  override readonly name = 'HttpConnectionError';
  constructor(
    message: string,
    readonly code: string | undefined,
  ) {
    super(message);
  }
}

export const sendHttp = (call: HttpCall): Promise<HttpResponse> =>
  new Promise((resolve, reject) => {
    const send = call.url.protocol === 'https:' ? httpsRequest : httpRequest;
    const limit = call.maxBodyBytes ?? 1_048_576;
    let settled = false;
    const finish = (error: Error | undefined, response?: HttpResponse) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      call.signal?.removeEventListener('abort', onAbort);
      if (error) reject(error);
      else if (response) resolve(response);
    };
    const request = send(call.url, { method: call.method, headers: call.headers, agent: false }, (response) => {
      const chunks: Buffer[] = [];
      let size = 0;
      response.on('data', (chunk: Buffer) => {
        if (size < limit) chunks.push(chunk.subarray(0, limit - size));
        size += chunk.length;
      });
      response.on('end', () =>
        finish(undefined, {
          status: response.statusCode ?? 0,
          statusText: response.statusMessage ?? '',
          headers: response.headers,
          body: Buffer.concat(chunks),
        }),
      );
      response.on('error', (error: NodeJS.ErrnoException) =>
        finish(new HttpConnectionError(error.message, error.code)),
      );
      response.on('close', () => {
        if (!response.complete) finish(new HttpConnectionError('the response was cut short', 'ECONNRESET'));
      });
    });
    const timer = setTimeout(() => {
      finish(new HttpTimeoutError(`no complete response within ${call.timeoutMs} ms`));
      request.destroy();
    }, call.timeoutMs);
    const onAbort = () => {
      finish(new HttpConnectionError('aborted', 'ABORT_ERR'));
      request.destroy();
    };
    if (call.signal?.aborted) onAbort();
    else call.signal?.addEventListener('abort', onAbort, { once: true });
    request.on('error', (error: NodeJS.ErrnoException) => finish(new HttpConnectionError(error.message, error.code)));
    request.end(call.body);
  });
