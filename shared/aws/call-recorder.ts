/**
 * Records the AWS calls functions make, for the IAM coverage check (README "Tests"): when
 * `AWS_CALL_LOG` names a file, every client the factories in shared/aws/ create gets a middleware
 * that appends one JSON line per call made on behalf of a function: which function, the
 * operation, the IAM permissions it needs (call-permissions.ts) and how it ended. Unset (in
 * Lambda, in `npm start` by default), no middleware is added and nothing here runs.
 *
 * Which function a call is for: the local stack loads every handler through one loader
 * (infra/local/lambda/handler-module.ts), which runs the module's init and each invocation inside
 * `runAsFunction` (an AsyncLocalStorage, so the work an invocation starts carries it too, however
 * many functions share the process); else `AWS_LAMBDA_FUNCTION_NAME`, as Lambda sets it. Calls of
 * neither (the local emulators, the test harness) are not recorded.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { appendFileSync } from 'node:fs';
import { type CallPermission, callPermissions, IAM_SERVICE_PREFIX } from './call-permissions';
import type { AwsService } from './client-config';

export const CALL_LOG_VARIABLE = 'AWS_CALL_LOG';
/** The account of resources named without an ARN: the local stack's (infra/local/runtime/aws.ts LOCAL_ACCOUNT_ID). */
export const RECORDED_ACCOUNT_ID = '000000000000';

/** Who made a call: the handler (`functions/s3-drop/handler.handler`, as serverless.yml names it), or the function's name. */
export interface CallCaller {
  handler?: string;
  functionName?: string;
}

/** One line of the call log. */
export interface RecordedCall extends CallCaller {
  service: AwsService;
  /** The command's name without `Command` (`PutRecords`, `GetObject`). */
  operation: string;
  permissions: CallPermission[];
  /** `ok`, or the error's name (`NoSuchKey`, `TimeoutError`…). */
  outcome: string;
  /** The stage the function runs in (`ENVIRONMENT`, serverless.yml's provider environment): which template it is checked against. */
  stage?: string;
}

// One store per thread even if this module is loaded twice (jest gives each test file its own registry).
const STORE_KEY = Symbol.for('usage-pipeline.aws-call-caller');
const slot = globalThis as { [STORE_KEY]?: AsyncLocalStorage<CallCaller> };
slot[STORE_KEY] ??= new AsyncLocalStorage<CallCaller>();
const callers = slot[STORE_KEY];

/** Runs `work` (and whatever it starts) as the function whose handler is `handler`. */
export const runAsFunction = <T>(handler: string, work: () => T): T => callers.run({ handler }, work);

export const currentCaller = (): CallCaller | undefined => {
  const caller = callers.getStore();
  if (caller) return caller;
  const functionName = process.env.AWS_LAMBDA_FUNCTION_NAME;
  return functionName ? { functionName } : undefined;
};

export const callLogPath = (env: Readonly<Record<string, string | undefined>> = process.env): string | undefined =>
  env[CALL_LOG_VARIABLE]?.trim() || undefined;

/** Reads the call log (blank lines skipped); none yet is no calls. */
export const parseCallLog = (text: string): RecordedCall[] =>
  text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as RecordedCall);

type Next = (args: { input: Record<string, unknown> }) => Promise<unknown>;
type Middleware = (next: Next, context: { commandName?: string }) => Next;

/** What recordCalls needs of a client (every SDK v3 client, and lib-dynamodb's document client). */
interface RecordableClient {
  middlewareStack: {
    add(middleware: Middleware, options: { step: 'initialize'; name: string; priority: 'high' }): void;
  };
  config: { region?: unknown };
}

const regionOf = async (config: RecordableClient['config']): Promise<string> => {
  const region = typeof config.region === 'function' ? await (config.region as () => unknown)() : config.region;
  return typeof region === 'string' ? region : 'us-east-1';
};

/** The call's permissions; an input they cannot be told from needs `*` (which no role grants: the check shows it). */
const permissionsOf = async (
  service: AwsService,
  operation: string,
  input: Record<string, unknown>,
  config: RecordableClient['config'],
): Promise<CallPermission[]> => {
  try {
    return callPermissions(service, operation, input, {
      region: await regionOf(config),
      accountId: RECORDED_ACCOUNT_ID,
    });
  } catch {
    return [{ action: `${IAM_SERVICE_PREFIX[service]}:${operation}`, resource: '*' }];
  }
};

let appendFailed = false;
/**
 * Appended synchronously, one line at a time: worker threads and processes share the file, and a
 * worker terminated at its timeout loses only its calls in flight. Recording never fails a call.
 */
const append = (file: string, call: RecordedCall): void => {
  try {
    appendFileSync(file, `${JSON.stringify(call)}\n`);
  } catch (error) {
    if (appendFailed) return;
    appendFailed = true;
    process.stderr.write(
      `AWS call log ${file} not written: ${error instanceof Error ? error.message : String(error)}\n`,
    );
  }
};

const recorder =
  (service: AwsService, config: RecordableClient['config'], file: string): Middleware =>
  (next, context) =>
  async (args) => {
    const caller = currentCaller();
    if (caller === undefined) return next(args);
    const operation = (context.commandName ?? 'Unknown').replace(/Command$/, '');
    const permissions = await permissionsOf(service, operation, args.input, config);
    let outcome = 'ok';
    try {
      return await next(args);
    } catch (error) {
      outcome = error instanceof Error ? error.name : 'Error';
      throw error;
    } finally {
      const stage = process.env.ENVIRONMENT;
      const call: RecordedCall = { ...caller, service, operation, permissions, outcome, ...(stage && { stage }) };
      append(file, call);
    }
  };

/**
 * Adds the recording middleware to `client` when `AWS_CALL_LOG` is set (read when the client is
 * created), outermost in the stack, so a call is one line whatever its retries.
 */
export const recordCalls = <C extends RecordableClient>(client: C, service: AwsService, env = process.env): C => {
  const file = callLogPath(env);
  if (file === undefined) return client;
  client.middlewareStack.add(recorder(service, client.config, file), {
    step: 'initialize',
    name: 'awsCallRecorder',
    priority: 'high',
  });
  return client;
};
