import { randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';
import { DEFAULT_REGION, functionArn, LOCAL_ACCOUNT_ID, LOCAL_FUNCTION_MEMORY_MB } from './aws';

export interface LambdaContextInput {
  functionName: string;
  region: string;
  accountId: string;
  timeoutSeconds: number;
  memoryLimitInMB: number;
  requestId: string;
  /** Epoch ms at which the invocation starts (real time: the deadline is real). */
  startedAtMs: number;
}

/** A Lambda `Context` like the Node.js runtime's, with a deadline `timeoutSeconds` after the start. */
export const createLambdaContext = (input: LambdaContextInput): Context => {
  const deadline = input.startedAtMs + input.timeoutSeconds * 1000;
  const day = new Date(input.startedAtMs).toISOString().slice(0, 10).replaceAll('-', '/');
  const unsupported = (name: string) => () => {
    throw new Error(`context.${name}() is not supported locally; return or throw instead`);
  };
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: input.functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: functionArn(input.region, input.accountId, input.functionName),
    memoryLimitInMB: String(input.memoryLimitInMB),
    awsRequestId: input.requestId,
    logGroupName: `/aws/lambda/${input.functionName}`,
    logStreamName: `${day}/[$LATEST]${input.requestId.replaceAll('-', '')}`,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: unsupported('done'),
    fail: unsupported('fail'),
    succeed: unsupported('succeed'),
  };
};

/** The context for one local invocation of a function defined in serverless.yml. */
export const localLambdaContext = (fn: { name: string; timeoutSeconds: number }, region = DEFAULT_REGION): Context =>
  createLambdaContext({
    functionName: fn.name,
    region,
    accountId: LOCAL_ACCOUNT_ID,
    timeoutSeconds: fn.timeoutSeconds,
    memoryLimitInMB: LOCAL_FUNCTION_MEMORY_MB,
    requestId: randomUUID(),
    startedAtMs: Date.now(),
  });
