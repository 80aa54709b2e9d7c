import { SQSClient } from '@aws-sdk/client-sqs';
import type { Env } from '../config';
import { recordCalls } from './call-recorder';
import { baseClientConfig, type ClientTimeouts } from './client-config';

export const createSqsClient = (env: Env = process.env, timeouts: Partial<ClientTimeouts> = {}): SQSClient =>
  recordCalls(new SQSClient(baseClientConfig('sqs', env, timeouts)), 'sqs');
