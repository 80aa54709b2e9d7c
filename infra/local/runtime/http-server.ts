import type { IncomingMessage, Server } from 'node:http';

/** What the local HTTP servers (Firehose API, HTTP API) share. */

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
