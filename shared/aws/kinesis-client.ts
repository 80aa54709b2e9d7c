import { KinesisClient } from '@aws-sdk/client-kinesis';
import type { Env } from '../config';
import { recordCalls } from './call-recorder';
import { baseClientConfig, type ClientTimeouts } from './client-config';

export const createKinesisClient = (env: Env = process.env, timeouts: Partial<ClientTimeouts> = {}): KinesisClient =>
  recordCalls(new KinesisClient(baseClientConfig('kinesis', env, timeouts)), 'kinesis');
