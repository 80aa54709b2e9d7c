import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { closeServer } from '../../infra/local/runtime/http-server';

// A Firehose HTTP endpoint for tests: a real node:http server that records every request Firehose
// makes and answers each with a scripted Answer (the response contract of "Appendix - HTTP
// Endpoint Delivery Request and Response Specifications", or a fault).

export interface Received {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  /** The body as sent (gzipped when Content-Encoding says so). */
  raw: Buffer;
  body: { requestId: string; timestamp: number; records: { data: string }[] };
  /** The records' data, decoded. */
  records: string[];
}

/** How the endpoint answers one request. */
export type Answer = (request: Received, response: ServerResponse) => void;

export const json = (response: ServerResponse, status: number, payload: unknown): void => {
  const text = JSON.stringify(payload);
  response.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  response.end(text);
};

/** The acknowledgement: 200, `{requestId, timestamp}`. */
export const ok: Answer = (request, response) =>
  json(response, 200, { requestId: request.body.requestId, timestamp: Date.now() });

/** A conforming error response. */
export const failWith =
  (status: number, errorMessage: string): Answer =>
  (request, response) =>
    json(response, status, { requestId: request.body.requestId, timestamp: Date.now(), errorMessage });

export const raw =
  (status: number, headers: Record<string, string>, body: string): Answer =>
  (_request, response) => {
    response.writeHead(status, headers);
    response.end(body);
  };

export interface FirehoseEndpoint {
  url: string;
  received: Received[];
  /** Answers for the next requests, in order; then `fallback`. */
  script: Answer[];
  fallback: Answer;
  close(): Promise<void>;
}

export const startFirehoseEndpoint = async (path = '/v1/firehose?tenant=acme'): Promise<FirehoseEndpoint> => {
  const endpoint: Omit<FirehoseEndpoint, 'url' | 'close'> = { received: [], script: [], fallback: ok };
  const server: Server = createServer((request: IncomingMessage, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const rawBody = Buffer.concat(chunks);
      const text = (request.headers['content-encoding'] === 'gzip' ? gunzipSync(rawBody) : rawBody).toString('utf8');
      const body = JSON.parse(text) as Received['body'];
      const received: Received = {
        method: request.method ?? '',
        path: request.url ?? '',
        headers: request.headers,
        raw: rawBody,
        body,
        records: body.records.map((record) => Buffer.from(record.data, 'base64').toString('utf8')),
      };
      endpoint.received.push(received);
      (endpoint.script.shift() ?? endpoint.fallback)(received, response);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(endpoint, { url: `http://127.0.0.1:${port}${path}`, close: () => closeServer(server) });
};
