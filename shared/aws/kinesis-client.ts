import { KinesisClient } from '@aws-sdk/client-kinesis';
import type { Env } from '../config';
import { baseClientConfig } from './client-config';

export const createKinesisClient = (env: Env = process.env): KinesisClient =>
  new KinesisClient(baseClientConfig('kinesis', env));
