import { FirehoseClient } from '@aws-sdk/client-firehose';
import type { Env } from '../config';
import { baseClientConfig } from './client-config';

export const createFirehoseClient = (env: Env = process.env): FirehoseClient =>
  new FirehoseClient(baseClientConfig('firehose', env));
