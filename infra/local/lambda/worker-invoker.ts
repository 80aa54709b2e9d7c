/**
 * Lambda's execution environments, as worker threads: one per concurrent invocation, reused
 * while warm, each loading the function's module once (its init). At the timeout the worker is
 * terminated, so the timed-out invocation's work stops where it is and its outcome is discarded
 * — in Lambda the runtime is stopped at the timeout and the environment is reset
 * (https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtime-environment.html#runtimes-lifecycle-invoke-with-errors).
 * The next invocation gets a fresh environment (a cold start).
 */
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { type HandlerInvoker, type InvocationSpec, withTimeout } from './invoker';
import type { InvokeMessage, SerializedError, WorkerMessage, WorkerSetup } from './worker-runtime';

const ENTRY = join(__dirname, 'worker-entry.cjs');

export interface WorkerInvokerOptions<O> {
  /** The handler's module, relative to the repository root or absolute, and its export. */
  modulePath: string;
  exportName: string;
  /** The function's environment, over this process's (read once by each environment, at its init). */
  env: Readonly<Record<string, string | undefined>>;
  /** Bounds each environment's heap, as the function's memory bounds Lambda's (heap only, not RSS). */
  memoryLimitInMB?: number;
  /** What the module reports through `exports[exportName][method](listener)`, e.g. per-record outcomes. */
  observe?: { exportName: string; method: string; onEvent: (payload: O) => void };
  /** A module (relative to the repository root or absolute) loaded in each environment after the handler's, `instrument(exports, post)`; what it posts reaches `onMessage`. */
  instrument?: { modulePath: string; onMessage: (payload: unknown) => void };
}

const revive = (error: SerializedError): Error => {
  const revived = new Error(error.message);
  revived.name = error.name;
  if (error.stack) revived.stack = error.stack;
  return revived;
};

interface Pending {
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
}

class Environment {
  readonly ready: Promise<void>;
  current: Pending | undefined;
  dead = false;

  constructor(
    readonly worker: Worker,
    onObserved: (payload: unknown) => void,
    onInstrument: (payload: unknown) => void,
    onGone: (environment: Environment) => void,
  ) {
    this.ready = new Promise<void>((resolve, reject) => {
      worker.on('message', (message: WorkerMessage) => {
        switch (message.type) {
          case 'ready':
            return resolve();
          case 'init-error':
            return reject(Object.assign(revive(message.error), { name: `Runtime.InitError: ${message.error.name}` }));
          case 'observed':
            return onObserved(message.payload);
          case 'instrument':
            return onInstrument(message.payload);
          case 'result':
            return this.settle((pending) => pending.resolve(message.value));
          case 'error':
            return this.settle((pending) => pending.reject(revive(message.error)));
        }
      });
      const gone = (error: Error) => {
        this.dead = true;
        reject(error);
        this.settle((pending) => pending.reject(error));
        onGone(this);
      };
      // An uncaught exception or unhandled rejection in the handler ends the environment, as in Lambda.
      worker.on('error', (error) => gone(Object.assign(error, { name: `Runtime.Unhandled: ${error.name}` })));
      worker.on('exit', (code) =>
        gone(Object.assign(new Error(`The runtime exited with code ${code}`), { name: 'Runtime.ExitError' })),
      );
    });
    this.ready.catch(() => undefined);
  }

  private settle(action: (pending: Pending) => void): void {
    const pending = this.current;
    this.current = undefined;
    if (pending) action(pending);
  }
}

export class WorkerInvoker<E, R, O = unknown> implements HandlerInvoker<E, R> {
  readonly stopsTimedOutWork = true;
  private readonly idle: Environment[] = [];
  private readonly live = new Set<Environment>();
  private nextId = 0;
  private closed = false;
  private coldStarts = 0;

  constructor(private readonly options: WorkerInvokerOptions<O>) {}

  /** Environments started so far (each a cold start). */
  get environmentsStarted(): number {
    return this.coldStarts;
  }

  async invoke(event: E, spec: InvocationSpec): Promise<R> {
    if (this.closed) throw new Error('The invoker is closed');
    const environment = this.idle.pop() ?? this.spawn(spec.memoryLimitInMB);
    try {
      await environment.ready;
    } catch (error) {
      // A failed init: the next invocation starts a fresh environment, as Lambda retries the init.
      await this.terminate(environment);
      throw error;
    }
    const result = new Promise<unknown>((resolve, reject) => {
      environment.current = { resolve, reject };
    });
    const message: InvokeMessage = {
      type: 'invoke',
      id: ++this.nextId,
      event,
      context: { ...spec, startedAtMs: Date.now() },
    };
    environment.worker.postMessage(message);
    const value = await withTimeout(result, spec.timeoutSeconds, () => this.terminate(environment));
    if (!environment.dead && !this.closed) this.idle.push(environment);
    return value as R;
  }

  /** Terminates every environment; an invocation in flight fails. */
  async close(): Promise<void> {
    this.closed = true;
    this.idle.length = 0;
    await Promise.all([...this.live].map((environment) => this.terminate(environment)));
  }

  private spawn(memoryLimitInMB: number): Environment {
    const { modulePath, exportName, observe, instrument } = this.options;
    const setup: WorkerSetup = {
      modulePath,
      exportName,
      ...(observe && { observe: { exportName: observe.exportName, method: observe.method } }),
      ...(instrument && { instrument: instrument.modulePath }),
    };
    const worker = new Worker(ENTRY, {
      workerData: setup,
      env: { ...process.env, ...this.options.env },
      resourceLimits: { maxOldGenerationSizeMb: this.options.memoryLimitInMB ?? memoryLimitInMB },
    });
    this.coldStarts++;
    const environment = new Environment(
      worker,
      (payload) => observe?.onEvent(payload as O),
      (payload) => instrument?.onMessage(payload),
      (gone) => {
        this.live.delete(gone);
        const index = this.idle.indexOf(gone);
        if (index >= 0) this.idle.splice(index, 1);
      },
    );
    this.live.add(environment);
    return environment;
  }

  /** Stops the environment; messages it posted before (observed events) are delivered first. */
  private async terminate(environment: Environment): Promise<void> {
    environment.dead = true;
    await environment.worker.terminate();
  }
}
