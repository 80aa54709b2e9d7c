/**
 * Inside a worker thread: loads one function's module (the init phase) and runs its handler for
 * each invocation the parent posts. The parent terminates the thread at the timeout, which is
 * what stops a timed-out invocation's work (its sockets, timers and pending calls die with it).
 */
import type { MessagePort } from 'node:worker_threads';
import { createLambdaContext, type LambdaContextInput } from '../runtime/lambda-context';
import {
  exportedFunction,
  exportWithMethod,
  type HandlerModule,
  loadHandlerModule,
  loadModule,
} from './handler-module';
import { callHandler, type LambdaHandler } from './invoker';

export interface WorkerSetup {
  modulePath: string;
  exportName: string;
  /** Subscribe to `exports[exportName][method](listener)` and post what the listener receives. */
  observe?: { exportName: string; method: string };
  /** A module whose `instrument(exports, post)` runs after the handler module loads (benchmarks' timers). */
  instrument?: string;
}

/** A benchmark's instrument module: `instrument(exports, post)` (bench/consumer-instrument.ts). */
type Instrument = (exports: unknown, post: (payload: unknown) => void) => void;

export interface SerializedError {
  name: string;
  message: string;
  stack?: string;
}

export interface InvokeMessage {
  type: 'invoke';
  id: number;
  event: unknown;
  context: LambdaContextInput;
}

export type WorkerMessage =
  | { type: 'ready' }
  | { type: 'init-error'; error: SerializedError }
  | { type: 'result'; id: number; value: unknown }
  | { type: 'error'; id: number; error: SerializedError }
  | { type: 'observed'; payload: unknown }
  | { type: 'instrument'; payload: unknown };

export const serializeError = (error: unknown): SerializedError =>
  error instanceof Error
    ? { name: error.name, message: error.message, ...(error.stack && { stack: error.stack }) }
    : { name: 'Error', message: String(error) };

export const runWorker = (port: MessagePort, setup: WorkerSetup): void => {
  const post = (message: WorkerMessage) => port.postMessage(message);
  let loaded: HandlerModule<LambdaHandler>;
  try {
    loaded = loadHandlerModule<LambdaHandler>(setup.modulePath, setup.exportName);
    if (setup.observe) {
      const subscribe = exportWithMethod(loaded.exports, setup.observe.exportName, setup.observe.method);
      if (!subscribe)
        throw new Error(`${setup.modulePath} exports no ${setup.observe.exportName}.${setup.observe.method}()`);
      subscribe((payload: unknown) => post({ type: 'observed', payload }));
    }
    if (setup.instrument) {
      const instrument = exportedFunction<Instrument>(loadModule(setup.instrument), 'instrument');
      if (instrument === undefined) throw new Error(`${setup.instrument} exports no instrument()`);
      instrument(loaded.exports, (payload) => post({ type: 'instrument', payload }));
    }
  } catch (error) {
    post({ type: 'init-error', error: serializeError(error) });
    return;
  }
  port.on('message', async (message: InvokeMessage) => {
    try {
      const value = await callHandler(loaded.handler, message.event, createLambdaContext(message.context));
      post({ type: 'result', id: message.id, value });
    } catch (error) {
      // A handler error, or a result that cannot be sent (not serializable, as in Lambda).
      post({ type: 'error', id: message.id, error: serializeError(error) });
    }
  });
  post({ type: 'ready' });
};
