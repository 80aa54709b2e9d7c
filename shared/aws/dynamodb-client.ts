import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Env } from '../config';
import { recordCalls } from './call-recorder';
import { baseClientConfig, type ClientTimeouts } from './client-config';

export const createDynamoDbDocumentClient = (
  env: Env = process.env,
  timeouts: Partial<ClientTimeouts> = {},
): DynamoDBDocumentClient =>
  // Recorded on the base client: the document client shares its middleware stack, and its
  // commands run as the base commands (BatchGet as BatchGetItem), which is how IAM names them.
  DynamoDBDocumentClient.from(
    recordCalls(new DynamoDBClient(baseClientConfig('dynamodb', env, timeouts)), 'dynamodb'),
    {
      marshallOptions: { removeUndefinedValues: true },
    },
  );
