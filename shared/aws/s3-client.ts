import { S3Client } from '@aws-sdk/client-s3';
import type { Env } from '../config';
import { recordCalls } from './call-recorder';
import { baseClientConfig, type ClientTimeouts, endpointFor } from './client-config';

export const createS3Client = (env: Env = process.env, timeouts: Partial<ClientTimeouts> = {}): S3Client => {
  const local = endpointFor('s3', env) !== undefined;
  const client = new S3Client({
    ...baseClientConfig('s3', env, timeouts),
    // Local S3 servers need path-style URLs, and s3rver stores streamed bodies
    // corrupted when the SDK adds flexible checksums.
    ...(local && {
      forcePathStyle: true,
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    }),
  });
  return recordCalls(client, 's3');
};
