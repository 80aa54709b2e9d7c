import {
  CopyObjectCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  NoSuchKey,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { ObjectFormatError } from './error-records';
import { awsCall, describeError, RedriveError } from './redrive-error';
import type { RedriveLog, RedriveResult } from './redrive-result';

/** Where re-driven objects are moved: `redriven/<original key>`. */
export const REDRIVEN_PREFIX = 'redriven/';

export const redrivenKey = (key: string): string => `${REDRIVEN_PREFIX}${key}`;

/** Every key under a prefix, in S3's (lexicographic, so for these layouts chronological) order. */
export const listKeys = async (s3: S3Client, bucket: string, prefix: string): Promise<string[]> => {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await awsCall(`ListObjectsV2 s3://${bucket}/${prefix}`, () =>
      s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token })),
    );
    for (const object of page.Contents ?? []) if (object.Key) keys.push(object.Key);
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return keys;
};

interface ByteArrayBody {
  transformToByteArray(): Promise<Uint8Array>;
}

const hasTransform = (body: unknown): body is ByteArrayBody =>
  typeof body === 'object' &&
  body !== null &&
  typeof (body as Partial<ByteArrayBody>).transformToByteArray === 'function';

const isAsyncIterable = (body: unknown): body is AsyncIterable<Uint8Array> =>
  typeof body === 'object' && body !== null && Symbol.asyncIterator in body;

// The SDK's body has transformToByteArray; a plain stream (tests, other handlers) is read as one.
const bodyBytes = async (body: unknown): Promise<Buffer> => {
  if (hasTransform(body)) return Buffer.from(await body.transformToByteArray());
  if (isAsyncIterable(body)) {
    const chunks: Buffer[] = [];
    for await (const chunk of body) chunks.push(Buffer.from(chunk));
    return Buffer.concat(chunks);
  }
  throw new Error('GetObject returned no body');
};

export interface StoredObject {
  body: Buffer;
  etag: string;
}

/** The object's bytes and ETag (the ETag ties a progress marker to this exact content). */
export const readObject = (s3: S3Client, bucket: string, key: string): Promise<StoredObject> =>
  awsCall(`GetObject s3://${bucket}/${key}`, async () => {
    const response = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return { body: await bodyBytes(response.Body), etag: response.ETag ?? '' };
  });

/** The object's bytes, or undefined when there is no such key. */
export const readOptionalObject = async (
  s3: S3Client,
  bucket: string,
  key: string,
): Promise<StoredObject | undefined> => {
  try {
    const response = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return { body: await bodyBytes(response.Body), etag: response.ETag ?? '' };
  } catch (caught) {
    if (caught instanceof NoSuchKey || (caught as { name?: unknown } | undefined)?.name === 'NoSuchKey')
      return undefined;
    throw new RedriveError(`GetObject s3://${bucket}/${key} failed: ${describeError(caught)}`, { cause: caught });
  }
};

export const putJsonObject = (s3: S3Client, bucket: string, key: string, value: unknown): Promise<unknown> =>
  awsCall(`PutObject s3://${bucket}/${key}`, () =>
    s3.send(
      new PutObjectCommand({ Bucket: bucket, Key: key, Body: JSON.stringify(value), ContentType: 'application/json' }),
    ),
  );

export const deleteObject = (s3: S3Client, bucket: string, key: string): Promise<unknown> =>
  awsCall(`DeleteObject s3://${bucket}/${key}`, () => s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key })));

/**
 * x-amz-copy-source: the key URL-encoded, but with the reserved characters these layouts use
 * (`=`, `/`) kept literal. AWS accepts both forms; s3rver only decodes with decodeURI.
 */
export const copySourceOf = (bucket: string, key: string): string =>
  `${bucket}/${encodeURI(key).replace(/[?#]/g, (char) => encodeURIComponent(char))}`;

/**
 * Moves, never deletes: copies to `redriven/<key>` (only if the object is still the version that
 * was re-driven, when `etag` is given), then deletes the original.
 */
export const moveToRedriven = async (s3: S3Client, bucket: string, key: string, etag?: string): Promise<string> => {
  const target = redrivenKey(key);
  await awsCall(`CopyObject s3://${bucket}/${key} to ${target}`, () =>
    s3.send(
      new CopyObjectCommand({
        Bucket: bucket,
        Key: target,
        CopySource: copySourceOf(bucket, key),
        ...(etag && { CopySourceIfMatch: etag }),
      }),
    ),
  );
  await deleteObject(s3, bucket, key);
  return target;
};

/**
 * Reads one object and parses it; an object that cannot be re-driven as it is (ObjectFormatError)
 * is listed in `result.skipped`, logged and left in place: undefined.
 */
export const readParsed = async <T>(
  s3: S3Client,
  bucket: string,
  key: string,
  parse: (body: Buffer) => T,
  report: { result: RedriveResult; log: RedriveLog; position: string },
): Promise<{ parsed: T; etag: string } | undefined> => {
  const stored = await readObject(s3, bucket, key);
  try {
    return { parsed: parse(stored.body), etag: stored.etag };
  } catch (caught) {
    if (!(caught instanceof ObjectFormatError)) throw caught;
    report.result.skipped.push({ key, reason: caught.message });
    report.log(`${report.position} skipped ${key}: ${caught.message}; left in place`);
    return undefined;
  }
};
