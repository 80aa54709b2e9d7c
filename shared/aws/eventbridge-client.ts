import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { Env } from '../config';
import { recordCalls } from './call-recorder';
import { baseClientConfig, type ClientTimeouts } from './client-config';

export const createEventBridgeClient = (
  env: Env = process.env,
  timeouts: Partial<ClientTimeouts> = {},
): EventBridgeClient =>
  recordCalls(new EventBridgeClient(baseClientConfig('eventbridge', env, timeouts)), 'eventbridge');
