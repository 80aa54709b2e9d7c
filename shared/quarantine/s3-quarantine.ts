import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { RetryableError } from '../errors';
import { type Quarantine, type QuarantineEntry, quarantineBody, quarantineKey } from './quarantine';

export class S3Quarantine implements Quarantine {
  constructor(
    private readonly client: S3Client,
    private readonly bucket: string,
    private readonly prefix: string,
    private readonly now: () => number = Date.now,
  ) {}

  async put(entry: QuarantineEntry): Promise<string> {
    const key = quarantineKey(this.prefix, entry);
    try {
      await this.client.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: key,
          Body: quarantineBody(entry, new Date(this.now()).toISOString()),
          ContentType: 'application/json',
        }),
      );
    } catch (error) {
      throw new RetryableError('QUARANTINE_UNAVAILABLE', `Could not write quarantine object ${key}`, { cause: error });
    }
    return `s3://${this.bucket}/${key}`;
  }
}
