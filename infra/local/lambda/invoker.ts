import type { Callback, Context } from 'aws-lambda';
import { createLambdaContext, type LambdaContextInput } from '../runtime/lambda-context';

/** A handler as the Lambda Node.js runtime calls it: promise-returning, or callback-style (3 parameters). */
export type LambdaHandler<E = unknown, R = unknown> = (event: E, context: Context, callback: Callback<R>) => unknown;

/** What an invocation needs to build its `Context`; the start time is taken when the handler starts. */
export type InvocationSpec = Omit<LambdaContextInput, 'startedAtMs'>;

/** The error Lambda reports for an invocation that ran past its timeout. */
export class LambdaTimeoutError extends Error {
  constructor(seconds: number) {
    super(`Task timed out after ${seconds.toFixed(2)} seconds`);
    this.name = 'Sandbox.Timedout';
  }
}

/** Runs invocations of one function. Rejects with the handler's error, or a LambdaTimeoutError. */
export interface HandlerInvoker<E = unknown, R = unknown> {
  invoke(event: E, spec: InvocationSpec): Promise<R>;
  /** True when a timed-out invocation's work is stopped (its sandbox torn down), as in Lambda. */
  readonly stopsTimedOutWork: boolean;
  close(): Promise<void>;
}

/** Calls a handler like the Node.js runtime: a returned promise, or the callback for 3-parameter handlers. */
export const callHandler = <E, R>(handler: LambdaHandler<E, R>, event: E, context: Context): Promise<R> =>
  new Promise<R>((resolve, reject) => {
    const callback: Callback<R> = (error, result) => (error ? reject(error) : resolve(result as R));
    const returned = handler(event, context, callback);
    if (returned !== null && typeof returned === 'object' && typeof (returned as PromiseLike<R>).then === 'function') {
      (returned as PromiseLike<R>).then(resolve, reject);
    } else if (handler.length < 3) {
      resolve(returned as R);
    }
  });

/**
 * Rejects with a LambdaTimeoutError `seconds` after the call unless `work` settles first; on the
 * timeout, `onTimeout` runs (stopping the work) and whatever `work` does after is ignored.
 */
export const withTimeout = <R>(
  work: Promise<R>,
  seconds: number,
  onTimeout: () => Promise<void> = async () => {},
): Promise<R> =>
  new Promise<R>((resolve, reject) => {
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      const error = new LambdaTimeoutError(seconds);
      onTimeout().then(
        () => reject(error),
        () => reject(error),
      );
    }, seconds * 1000);
    work.then(
      (value) => {
        if (timedOut) return;
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        if (timedOut) return;
        clearTimeout(timer);
        reject(error);
      },
    );
  });

/**
 * The handler called in this thread. A timed-out invocation is reported as a function error but
 * its work cannot be stopped: it runs on and may still write. For tests of the runner's logic;
 * the local pipeline runs its consumer in worker threads (WorkerInvoker), which stop at the timeout.
 */
export const inProcessInvoker = <E, R>(
  handler: LambdaHandler<E, R>,
  options: { enforceTimeout?: boolean } = {},
): HandlerInvoker<E, R> => ({
  stopsTimedOutWork: false,
  invoke: (event, spec) => {
    const work = callHandler(handler, event, createLambdaContext({ ...spec, startedAtMs: Date.now() }));
    return options.enforceTimeout === false ? work : withTimeout(work, spec.timeoutSeconds);
  },
  close: async () => {},
});
