import { type AttributeDefinition, CreateTableCommand, type KeySchemaElement } from '@aws-sdk/client-dynamodb';
import { CreateStreamCommand, waitUntilStreamExists } from '@aws-sdk/client-kinesis';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { createDynamoDbDocumentClient } from '../../../shared/aws/dynamodb-client';
import { createKinesisClient } from '../../../shared/aws/kinesis-client';
import { createS3Client } from '../../../shared/aws/s3-client';
import type { PipelineDefinition } from './serverless-config';

/** The names one pipeline's resources get (serverless.yml's, plus the pipeline's suffix). */
export interface ResourceNames {
  stream: string;
  deliveryStream: string;
  table: string;
  bucket: string;
}

/** Creates what serverless.yml's resources would: the stream, the idempotency table and the bucket. */
export const createResources = async (
  definition: PipelineDefinition,
  names: ResourceNames,
  env: Record<string, string>,
): Promise<void> => {
  const kinesis = createKinesisClient(env);
  await kinesis.send(new CreateStreamCommand({ StreamName: names.stream, ShardCount: definition.stream.shardCount }));
  await waitUntilStreamExists(
    { client: kinesis, maxWaitTime: 30, minDelay: 0.1, maxDelay: 0.5 },
    { StreamName: names.stream },
  );
  const table = definition.idempotencyTable.properties;
  await createDynamoDbDocumentClient(env).send(
    new CreateTableCommand({
      TableName: names.table,
      AttributeDefinitions: table.AttributeDefinitions as AttributeDefinition[],
      KeySchema: table.KeySchema as KeySchemaElement[],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
  await createS3Client(env).send(new CreateBucketCommand({ Bucket: names.bucket }));
};
