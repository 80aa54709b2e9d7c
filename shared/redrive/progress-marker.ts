import type { S3Client } from '@aws-sdk/client-s3';
import { deleteObject, putJsonObject, readOptionalObject } from './s3-objects';

/** Progress markers live apart from the data: `redrive-progress/<original key>.json`. */
export const PROGRESS_PREFIX = 'redrive-progress/';

export interface ProgressMarker {
  key: string;
  etag: string;
  /** Records of the object (in file order) that Firehose has accepted. */
  recordsDone: number;
}

export const markerKey = (key: string): string => `${PROGRESS_PREFIX}${key}.json`;

/** The original key a marker key belongs to, or undefined for anything else under the prefix. */
export const originalKeyOf = (marker: string): string | undefined =>
  marker.startsWith(PROGRESS_PREFIX) && marker.endsWith('.json')
    ? marker.slice(PROGRESS_PREFIX.length, -'.json'.length)
    : undefined;

const isMarker = (value: unknown): value is ProgressMarker => {
  const marker = value as Partial<ProgressMarker> | null;
  return (
    typeof marker === 'object' &&
    marker !== null &&
    typeof marker.key === 'string' &&
    typeof marker.etag === 'string' &&
    Number.isInteger(marker.recordsDone) &&
    (marker.recordsDone ?? -1) >= 0
  );
};

/**
 * Where to resume an object: after `recordsDone` when its marker names this key and this ETag
 * (the same bytes), else from the start (a marker for other content, or unreadable, is ignored).
 */
export const resumePoint = (marker: unknown, key: string, etag: string, records: number): number =>
  isMarker(marker) && marker.key === key && marker.etag === etag ? Math.min(marker.recordsDone, records) : 0;

export const readMarker = async (s3: S3Client, bucket: string, key: string): Promise<unknown> => {
  const stored = await readOptionalObject(s3, bucket, markerKey(key));
  if (!stored) return undefined;
  try {
    return JSON.parse(stored.body.toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
};

export const writeMarker = (s3: S3Client, bucket: string, marker: ProgressMarker): Promise<unknown> =>
  putJsonObject(s3, bucket, markerKey(marker.key), marker);

export const deleteMarker = (s3: S3Client, bucket: string, key: string): Promise<unknown> =>
  deleteObject(s3, bucket, markerKey(key));
