import type { IncomingMessage, Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What the local HTTP servers (the emulators' APIs, the HTTP API, the receiver) share. */

/** The request body, or undefined when it is larger than `limit` bytes (the rest is read and dropped). */
export const readBody = (request: IncomingMessage, limit: number): Promise<Buffer | undefined> =>
  new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) chunks.push(chunk);
    });
    request.on('end', () => resolve(size > limit ? undefined : Buffer.concat(chunks, size)));
    request.on('error', reject);
  });

/** Stops listening and closes every connection, idle or not; resolves once the server is closed. */
export const closeServer = (server: Server): Promise<void> => {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeAllConnections();
  return closed;
};

/**
 * Listens on `host` (a free port when `port` is 0) for an emulator the SDK talks to; resolves with
 * its URL. The SDK keeps connections alive: outlive its idle sockets so a reused one is never reset.
 */
export const listenForSdk = async (server: Server, host: string, port: number): Promise<string> => {
  server.keepAliveTimeout = 60_000;
  server.headersTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return `http://${host}:${(server.address() as AddressInfo).port}`;
};

/** A JSON-protocol request (POST, `X-Amz-Target: <prefix><Action>`, a JSON object body), or why it is not one. */
export type JsonRequest =
  | { ok: true; action: string; input: Record<string, unknown> }
  | { ok: false; problem: 'not-post' | 'too-large' | 'not-json' | 'not-object' };

export const readJsonRequest = async (
  request: IncomingMessage,
  limit: number,
  targetPrefix: string,
): Promise<JsonRequest> => {
  const body = await readBody(request, limit);
  if (request.method !== 'POST') return { ok: false, problem: 'not-post' };
  if (body === undefined) return { ok: false, problem: 'too-large' };
  let input: unknown;
  try {
    input = body.length === 0 ? {} : JSON.parse(body.toString('utf8'));
  } catch {
    return { ok: false, problem: 'not-json' };
  }
  if (input === null || typeof input !== 'object' || Array.isArray(input)) return { ok: false, problem: 'not-object' };
  const target = request.headers['x-amz-target'];
  const action = typeof target === 'string' && target.startsWith(targetPrefix) ? target.slice(targetPrefix.length) : '';
  return { ok: true, action, input: input as Record<string, unknown> };
};
