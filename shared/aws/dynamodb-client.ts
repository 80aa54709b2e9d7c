import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Env } from '../config';
import { baseClientConfig } from './client-config';

export const createDynamoDbDocumentClient = (env: Env = process.env): DynamoDBDocumentClient =>
  DynamoDBDocumentClient.from(new DynamoDBClient(baseClientConfig('dynamodb', env)), {
    marshallOptions: { removeUndefinedValues: true },
  });
