import { FirehoseClient } from '@aws-sdk/client-firehose';
import type { Env } from '../config';
import { recordCalls } from './call-recorder';
import { baseClientConfig, type ClientTimeouts } from './client-config';

export const createFirehoseClient = (env: Env = process.env, timeouts: Partial<ClientTimeouts> = {}): FirehoseClient =>
  recordCalls(new FirehoseClient(baseClientConfig('firehose', env, timeouts)), 'firehose');
