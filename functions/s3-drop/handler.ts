import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { Context, S3Event } from 'aws-lambda';
import { hasEndpointOverride } from '../../shared/aws/client-config';
import { createKinesisClient } from '../../shared/aws/kinesis-client';
import { createS3Client } from '../../shared/aws/s3-client';
import { processS3Event } from '../../shared/ingest/s3-drop';
import { loadDropConfig } from '../../shared/ingest/s3-drop-config';
import { KinesisStreamWriter } from '../../shared/ingest/stream-writer';
import { logger } from '../../shared/logger';

const config = loadDropConfig(process.env);
const deps = {
  s3: createS3Client(process.env),
  writer: new KinesisStreamWriter(createKinesisClient(process.env), {
    streamName: config.streamName,
    maxAttempts: config.putMaxAttempts,
    maxDelayMs: 5_000,
  }),
  logger,
};

/** Outside AWS with neither credentials nor local endpoints, say how to run it instead of only "no credentials". */
const explain = (error: unknown): unknown => {
  if (!(error instanceof Error) || hasEndpointOverride(process.env)) return error;
  if (error.name === 'CredentialsProviderError' || /credential/i.test(error.message)) {
    return new Error(
      `${error.message}. The s3Drop function reads the dropped object from S3 and writes to Kinesis: run it against the local stack ` +
        '(`npm start -- --keep-running` prints AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL_KINESIS to export; upload the object there), ' +
        'or give it AWS credentials.',
      { cause: error },
    );
  }
  return error;
};

/** S3 ObjectCreated under ingest/ → the file's valid records into the events stream, a report for the rest. */
export const handler = middy(async (event: S3Event, context: Context) => {
  try {
    return await processS3Event(event, deps, config, { remainingMs: () => context.getRemainingTimeInMillis() });
  } catch (error) {
    throw explain(error);
  }
}).use(injectLambdaContext(logger, { resetKeys: true }));
