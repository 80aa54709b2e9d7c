/**
 * Delivered events the routing bus did not take (PutEvents failed after its retries, no time left
 * in the invocation, an entry over 256 KB): kept in the lake bucket under `unrouted/` as NDJSON,
 * one object per invocation, with why in the object's metadata, so routing stays at-least-once:
 * `npm run dead-letters -- unrouted --redrive` publishes them again. Never deleted by lifecycle.
 */
import { randomUUID } from 'node:crypto';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';

export const UNROUTED_PREFIX = 'unrouted/';

export interface UnroutedStore {
  /** Stores the events; resolves with where, or rejects (the caller logs the loss). */
  put(events: readonly Uint8Array[], reason: { errorCode: string; errorMessage: string }): Promise<string>;
}

export const unroutedKey = (prefix: string, now: Date, id: string): string =>
  `${prefix}${now.toISOString().slice(0, 10).replaceAll('-', '/')}/${now.toISOString().replace(/[:.]/g, '-')}-${id}.ndjson`;

export class S3UnroutedStore implements UnroutedStore {
  constructor(
    private readonly client: S3Client,
    private readonly bucket: string,
    private readonly prefix = UNROUTED_PREFIX,
    private readonly now: () => number = Date.now,
  ) {}

  async put(events: readonly Uint8Array[], reason: { errorCode: string; errorMessage: string }): Promise<string> {
    const key = unroutedKey(this.prefix, new Date(this.now()), randomUUID());
    const body = Buffer.concat(events.flatMap((event) => [Buffer.from(event), Buffer.from('\n')]));
    await this.client.send(
      new PutObjectCommand({
        Bucket: this.bucket,
        Key: key,
        Body: body,
        ContentType: 'application/x-ndjson',
        // S3 metadata is ASCII, 2 KB in all: the code, and the message cut short.
        Metadata: {
          'error-code': reason.errorCode.replace(/[^\x20-\x7e]/g, '?'),
          'error-message': reason.errorMessage.replace(/[^\x20-\x7e]/g, '?').slice(0, 512),
        },
      }),
    );
    return `s3://${this.bucket}/${key}`;
  }
}
