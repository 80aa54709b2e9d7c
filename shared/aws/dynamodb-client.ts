import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Env } from '../config';
import { baseClientConfig, type ClientTimeouts } from './client-config';

export const createDynamoDbDocumentClient = (
  env: Env = process.env,
  timeouts: Partial<ClientTimeouts> = {},
): DynamoDBDocumentClient =>
  DynamoDBDocumentClient.from(new DynamoDBClient(baseClientConfig('dynamodb', env, timeouts)), {
    marshallOptions: { removeUndefinedValues: true },
  });
