import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { createS3Client } from '../../../shared/aws/s3-client';
import type { BucketReader } from './lake-check';

/** The pipeline's bucket (the lake, its error outputs, the quarantine, the drops), read with the real SDK. */
export class PipelineBucket implements BucketReader {
  constructor(
    private readonly env: Record<string, string>,
    readonly name: string,
  ) {}

  async listKeys(prefix = ''): Promise<string[]> {
    const s3 = createS3Client(this.env);
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const page = await s3.send(
        new ListObjectsV2Command({ Bucket: this.name, Prefix: prefix, ContinuationToken: token }),
      );
      for (const object of page.Contents ?? []) if (object.Key) keys.push(object.Key);
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return keys;
  }

  async getObject(key: string): Promise<Buffer> {
    const response = await createS3Client(this.env).send(new GetObjectCommand({ Bucket: this.name, Key: key }));
    return Buffer.from((await response.Body?.transformToByteArray()) ?? []);
  }

  /** A reader over keys listed already: it lists nothing itself, and reads objects from the bucket. */
  withKeys(keys: readonly string[]): BucketReader {
    return {
      listKeys: async (prefix: string) => keys.filter((key) => key.startsWith(prefix)),
      getObject: (key: string) => this.getObject(key),
    };
  }
}
