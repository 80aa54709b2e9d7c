import { createServer, type IncomingMessage, request } from 'node:http';
import type { AddressInfo } from 'node:net';

/** An error response the proxy sends instead of forwarding (AWS JSON protocols: `__type` in the body). */
export interface InjectedFault {
  status: number;
  /** JSON protocols (DynamoDB, Kinesis): the error's type; S3: put in an XML error body. */
  errorType: string;
  message?: string;
}

export interface FaultRequest {
  method: string;
  path: string;
  /** `X-Amz-Target` of JSON-protocol calls, e.g. `DynamoDB_20120810.BatchWriteItem`. */
  target: string | undefined;
}

export interface FaultProxy {
  url: string;
  /** Requests answered with a fault, by X-Amz-Target (or `METHOD path-prefix` when there is none). */
  readonly injected: Map<string, number>;
  close(): Promise<void>;
}

const labelOf = (request: FaultRequest) => request.target ?? `${request.method} ${request.path.split('?')[0]}`;

/**
 * An HTTP proxy in front of a local server (dynalite, kinesalite, s3rver) that forwards every
 * request except those `fault` answers for: the real SDK clients see real AWS error responses,
 * so the code under test takes its own retry and error paths.
 */
export const startFaultProxy = async (
  target: string,
  fault: (request: FaultRequest) => InjectedFault | undefined,
): Promise<FaultProxy> => {
  const upstream = new URL(target);
  const injected = new Map<string, number>();
  const server = createServer((incoming: IncomingMessage, outgoing) => {
    const header = incoming.headers['x-amz-target'];
    const described: FaultRequest = {
      method: incoming.method ?? 'GET',
      path: incoming.url ?? '/',
      target: typeof header === 'string' ? header : undefined,
    };
    const answer = fault(described);
    if (answer) {
      // Read the body first, as a server would; then the error.
      incoming.resume();
      incoming.on('end', () => {
        injected.set(labelOf(described), (injected.get(labelOf(described)) ?? 0) + 1);
        const message = answer.message ?? 'Injected fault';
        if (described.target) {
          outgoing.writeHead(answer.status, {
            'content-type': 'application/x-amz-json-1.1',
            'x-amzn-errortype': answer.errorType,
          });
          outgoing.end(JSON.stringify({ __type: answer.errorType, message }));
        } else {
          outgoing.writeHead(answer.status, { 'content-type': 'application/xml' });
          outgoing.end(
            `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${answer.errorType}</Code><Message>${message}</Message></Error>`,
          );
        }
      });
      return;
    }
    const forwarded = request(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: incoming.method,
        path: incoming.url,
        headers: incoming.headers,
      },
      (response) => {
        outgoing.writeHead(response.statusCode ?? 502, response.headers);
        response.pipe(outgoing);
      },
    );
    forwarded.on('error', () => outgoing.destroy());
    incoming.pipe(forwarded);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    injected,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
};
