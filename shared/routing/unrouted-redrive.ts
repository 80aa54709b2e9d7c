/**
 * The `unrouted/` objects (delivered events the routing bus did not take) published again to the
 * routing bus, every route seeing them as the first time, then moved to `redriven/unrouted/…`
 * (kept, as every re-drive does). An object whose events the bus still refuses stays; a second
 * re-drive may then publish its other events again: routing is at least once, and receivers
 * deduplicate on the canonical event id.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { listKeys, moveToRedriven, readObject } from '../redrive';
import type { RoutePublisher } from './route-publisher';
import { UNROUTED_PREFIX } from './unrouted-store';

export interface UnroutedObject {
  key: string;
  events: number;
}

export interface UnroutedRedrive {
  objects: number;
  published: number;
  /** Objects left in place: the bus refused some of their events (with the first reason). */
  left: { key: string; refused: number; reason: string }[];
}

const eventsOf = (body: Uint8Array): Buffer[] =>
  Buffer.from(body)
    .toString('utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => Buffer.from(line));

export const listUnrouted = async (s3: S3Client, bucket: string): Promise<UnroutedObject[]> => {
  const objects: UnroutedObject[] = [];
  for (const key of await listKeys(s3, bucket, UNROUTED_PREFIX)) {
    objects.push({ key, events: eventsOf((await readObject(s3, bucket, key)).body).length });
  }
  return objects;
};

export const redriveUnrouted = async (
  s3: S3Client,
  publisher: RoutePublisher,
  bucket: string,
  options: { dryRun?: boolean } = {},
): Promise<UnroutedRedrive> => {
  const result: UnroutedRedrive = { objects: 0, published: 0, left: [] };
  for (const key of await listKeys(s3, bucket, UNROUTED_PREFIX)) {
    const { body, etag } = await readObject(s3, bucket, key);
    const events = eventsOf(body);
    result.objects++;
    if (options.dryRun) {
      result.published += events.length;
      continue;
    }
    const outcomes = await publisher.publish(events);
    const refused = outcomes.filter((outcome) => !outcome.ok);
    result.published += events.length - refused.length;
    const first = refused[0];
    if (first && !first.ok)
      result.left.push({ key, refused: refused.length, reason: `${first.errorCode}: ${first.errorMessage}` });
    else await moveToRedriven(s3, bucket, key, etag);
  }
  return result;
};
