import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { Env } from '../config';
import { baseClientConfig, type ClientTimeouts } from './client-config';

export const createEventBridgeClient = (
  env: Env = process.env,
  timeouts: Partial<ClientTimeouts> = {},
): EventBridgeClient => new EventBridgeClient(baseClientConfig('eventbridge', env, timeouts));
