import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import type { Context, S3Event } from 'aws-lambda';
import { createS3Client } from '../../../shared/aws/s3-client';
import { type DropSummary, dropDate } from '../../../shared/ingest/drop-report';
import { encodeS3Key } from '../../../shared/ingest/s3-drop';
import { loadHandlerModule } from '../lambda/handler-module';
import { bucketArn } from '../runtime/aws';
import { localLambdaContext } from '../runtime/lambda-context';
import type { LocalFunction } from './serverless-config';

/** One file through the S3 drop location (LocalPipeline.drop). */
export interface DropRun {
  /** Where the file was uploaded. */
  key: string;
  /** What the s3Drop handler did with it (records read, sent, rejected, refused, report key). */
  result: DropSummary;
  /** The failure report's text, when one was written. */
  report?: string;
}

export interface UploadedObject {
  region: string;
  bucket: string;
  key: string;
  size: number;
  /** The ETag PutObject answered (quoted). */
  eTag: string | undefined;
}

/** The ObjectCreated notification S3 sends for an upload: an S3Event with the URL-encoded key, size and ETag. */
export const objectCreatedEvent = (object: UploadedObject): S3Event => ({
  Records: [
    {
      eventVersion: '2.1',
      eventSource: 'aws:s3',
      awsRegion: object.region,
      eventTime: new Date().toISOString(),
      eventName: 'ObjectCreated:Put',
      userIdentity: { principalId: 'AWS:LOCAL' },
      requestParameters: { sourceIPAddress: '127.0.0.1' },
      responseElements: { 'x-amz-request-id': crypto.randomUUID(), 'x-amz-id-2': 'local' },
      s3: {
        s3SchemaVersion: '1.0',
        configurationId: 's3-drop',
        bucket: { name: object.bucket, ownerIdentity: { principalId: 'LOCAL' }, arn: bucketArn(object.bucket) },
        object: {
          key: encodeS3Key(object.key),
          size: object.size,
          eTag: (object.eTag ?? '').replace(/"/g, ''),
          sequencer: Date.now().toString(16).toUpperCase().padStart(16, '0'),
        },
      },
    },
  ],
});

type DropHandler = (event: S3Event, context: Context) => Promise<{ files: DropSummary[] }>;

/**
 * The S3 drop location: a file uploaded the way a metering vendor does, then the notification S3
 * would send invoking the real s3Drop handler (in this thread, loaded on the first drop).
 */
export class S3DropLocation {
  private handler: DropHandler | undefined;

  constructor(
    private readonly fn: LocalFunction,
    private readonly target: { env: Record<string, string>; bucket: string; stream: string; region: string },
  ) {}

  /** Uploads `file` to `key` (default `<DROP_INGEST_PREFIX><MM-DD-YYYY>/<basename>`) and runs the handler on it. */
  async drop(file: string, key?: string): Promise<{ key: string; result: DropSummary }> {
    const { fn, target } = this;
    const objectKey =
      key ?? `${fn.environment.DROP_INGEST_PREFIX ?? 'ingest/'}${dropDate(new Date())}/${basename(file)}`;
    const { size } = await stat(file);
    const s3 = createS3Client(target.env);
    const uploaded = await s3.send(
      new PutObjectCommand({
        Bucket: target.bucket,
        Key: objectKey,
        Body: createReadStream(file),
        ContentLength: size,
      }),
    );
    if (this.handler === undefined) {
      // The handler reads its config once, at load (a cold start): from the environment set here.
      Object.assign(process.env, {
        ...fn.environment,
        ...target.env,
        STREAM_NAME: target.stream,
        POWERTOOLS_LOG_LEVEL: process.env.POWERTOOLS_LOG_LEVEL ?? 'ERROR',
      });
      this.handler = loadHandlerModule<DropHandler>(fn.modulePath, fn.exportName).handler;
    }
    const event = objectCreatedEvent({
      region: target.region,
      bucket: target.bucket,
      key: objectKey,
      size,
      eTag: uploaded.ETag,
    });
    const { files } = await this.handler(event, localLambdaContext(fn, target.region));
    const result = files[0];
    if (result === undefined)
      throw new Error(`s3Drop ignored ${objectKey}: is it under the function's DROP_INGEST_PREFIX?`);
    return { key: objectKey, result };
  }
}
