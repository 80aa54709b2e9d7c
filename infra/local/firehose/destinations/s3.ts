import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { gzip as gzipCallback } from 'node:zlib';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { FirehoseSettings } from '../../pipeline/serverless-config';
import {
  bucketArn,
  FIREHOSE_INITIAL_VERSION_ID,
  FIREHOSE_S3_RETRY_DURATION_MS,
  FIREHOSE_S3_RETRY_INTERVAL_MS,
  LOCAL_ACCOUNT_ID,
  roleArn,
} from '../../runtime/aws';
import { asError, errorMessage } from '../../runtime/errors';
import { compileJavaDateTimeFormat, resolveRandomString } from '../prefix';
import type { DeliveryBatch, DeliveryReport, Destination, DestinationContext } from './destination';

const gzip = promisify(gzipCallback);
const OBJECT_TIME = compileJavaDateTimeFormat('yyyy-MM-dd-HH-mm-ss');

/** Firehose's S3 object name: `<prefix><stream>-<version>-<yyyy-MM-dd-HH-mm-ss>-<uuid>[.gz]`. */
export const objectKey = (
  evaluatedPrefix: string,
  deliveryStreamName: string,
  epochMs: number,
  compression: FirehoseSettings['compression'],
  uuid: string = randomUUID(),
): string =>
  `${evaluatedPrefix}${deliveryStreamName}-${FIREHOSE_INITIAL_VERSION_ID}-${OBJECT_TIME(epochMs)}-${uuid}${compression === 'GZIP' ? '.gz' : ''}`;

export interface S3DestinationOptions {
  settings: FirehoseSettings;
  /** Destination bucket (must exist). */
  bucket: string;
  s3: S3Client;
  /** Wait between attempts; default 5 s, as Firehose. */
  retryIntervalMs?: number;
  /** How long one object is retried before its records are discarded; default 24 h, as Firehose. */
  retryDurationMs?: number;
}

/**
 * The extended S3 destination: each batch is one object (GZIP when configured), named like
 * Firehose's. A failed PutObject is retried every `retryIntervalMs` until `retryDurationMs` has
 * passed, as Firehose retries until the stream's retention ends; then the records are discarded.
 */
export class S3Destination implements Destination {
  private inFlight = 0;
  private stopping = false;

  constructor(private readonly options: S3DestinationOptions) {}

  get inFlightRecords(): number {
    return this.inFlight;
  }

  stop(): void {
    this.stopping = true;
  }

  async deliver(batch: DeliveryBatch, report: DeliveryReport): Promise<void> {
    const { settings, bucket } = this.options;
    const stored = settings.compression === 'GZIP' ? await gzip(batch.body) : batch.body;
    const key = objectKey(
      resolveRandomString(batch.prefix),
      settings.deliveryStreamName,
      batch.oldestArrival,
      settings.compression,
    );
    const intervalMs = this.options.retryIntervalMs ?? FIREHOSE_S3_RETRY_INTERVAL_MS;
    const giveUpAt = Date.now() + (this.options.retryDurationMs ?? FIREHOSE_S3_RETRY_DURATION_MS);
    this.inFlight += batch.records;
    try {
      for (let attempt = 1; ; attempt++) {
        try {
          await this.options.s3.send(
            new PutObjectCommand({
              Bucket: bucket,
              Key: key,
              Body: stored,
              ContentLength: stored.length,
            }),
          );
          report.delivered({ key, bytes: stored.length });
          return;
        } catch (error) {
          if (this.stopping || Date.now() + intervalMs > giveUpAt) {
            const why = this.stopping ? 'stopped while retrying' : `still failing after ${attempt} attempts`;
            const failure = new Error(
              `PutObject s3://${bucket}/${key} ${why}, ${batch.records} records discarded: ${errorMessage(error)}`,
              {
                cause: error,
              },
            );
            report.gaveUp(failure);
            throw failure;
          }
          report.retrying(asError(error), attempt, key);
          await this.retryPause(intervalMs);
        }
      }
    } finally {
      this.inFlight -= batch.records;
    }
  }

  describe(context: DestinationContext): Record<string, unknown> {
    const { settings, bucket } = this.options;
    const bufferingHints = {
      SizeInMBs: Math.max(1, Math.round(settings.bufferSizeBytes / (1024 * 1024))),
      IntervalInSeconds: settings.bufferIntervalSeconds,
    };
    // AWS describes the destination twice: the plain S3 view, and the extended one with more fields.
    const s3Description = {
      RoleARN: roleArn(LOCAL_ACCOUNT_ID, `${settings.deliveryStreamName}-delivery`),
      BucketARN: bucketArn(bucket),
      Prefix: settings.prefix,
      ErrorOutputPrefix: settings.errorOutputPrefix,
      BufferingHints: bufferingHints,
      CompressionFormat: settings.compression,
      EncryptionConfiguration: { NoEncryptionConfig: 'NoEncryption' },
    };
    return {
      DestinationId: 'destinationId-000000000001',
      S3DestinationDescription: s3Description,
      ExtendedS3DestinationDescription: {
        ...s3Description,
        S3BackupMode: 'Disabled',
        DynamicPartitioningConfiguration: { Enabled: context.dynamicPartitioning },
        ProcessingConfiguration: context.processingConfiguration,
      },
    };
  }

  /** A wait between attempts that stop() cuts short. */
  private retryPause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      const check = setInterval(() => this.stopping && done(), Math.min(ms, 100));
      function done() {
        clearTimeout(timer);
        clearInterval(check);
        resolve();
      }
    });
  }
}
