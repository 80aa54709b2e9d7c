import { FirehoseClient } from '@aws-sdk/client-firehose';
import type { Env } from '../config';
import { baseClientConfig, type ClientTimeouts } from './client-config';

export const createFirehoseClient = (env: Env = process.env, timeouts: Partial<ClientTimeouts> = {}): FirehoseClient =>
  new FirehoseClient(baseClientConfig('firehose', env, timeouts));
