import { isAbsolute, join, relative, sep } from 'node:path';
import { callLogPath, runAsFunction } from '../../../shared/aws/call-recorder';
import { REPO_ROOT } from '../runtime/paths';
import type { LambdaHandler } from './invoker';

/**
 * The one loader for the modules the local stack runs (a function's `handler:` module, a
 * benchmark's instrument): resolved from the repository root, exports checked before use.
 */

/** The module a function's `handler:` names, as the Lambda runtime loads it. */
export interface HandlerModule<H> {
  handler: H;
  /** The module's other exports (e.g. the consumer, for the local runner's accounting). */
  exports: Readonly<Record<string, unknown>>;
}

/** Loads `modulePath` (relative to the repository root, or absolute) and returns its exports. */
export const loadModule = (modulePath: string): Readonly<Record<string, unknown>> =>
  require(isAbsolute(modulePath) ? modulePath : join(REPO_ROOT, modulePath)) as Record<string, unknown>;

/** The export `exportName` when it is a function, typed as the signature the caller expects; else undefined. */
export const exportedFunction = <F extends (...args: never[]) => unknown>(
  exports: Readonly<Record<string, unknown>>,
  exportName: string,
): F | undefined => {
  const value = exports[exportName];
  return typeof value === 'function' ? (value as F) : undefined;
};

/** The handler as serverless.yml's `handler:` names it: `functions/s3-drop/handler.handler`. */
export const handlerId = (modulePath: string, exportName: string): string => {
  const path = relative(REPO_ROOT, isAbsolute(modulePath) ? modulePath : join(REPO_ROOT, modulePath));
  const module = path
    .split(sep)
    .join('/')
    .replace(/\.(c|m)?(t|j)s$/, '');
  return `${module}.${exportName}`;
};

/**
 * Runs the handler's invocations as its function for the AWS call log (shared/aws/call-recorder.ts),
 * keeping its arity: the runtime tells callback handlers from promise ones by it (invoker.ts).
 */
const recordedAs = <H extends LambdaHandler<never, unknown>>(id: string, handler: H): H => {
  const wrapped = function (this: unknown, ...args: Parameters<H>) {
    return runAsFunction(id, () => handler.apply(this, args));
  };
  Object.defineProperty(wrapped, 'length', { value: handler.length });
  return wrapped as unknown as H;
};

/**
 * Loads `modulePath` (relative to the repository root, or absolute) and checks the handler export
 * is a function. With `AWS_CALL_LOG` set, the module's init and every invocation run as the
 * function, so the calls it makes are recorded as its own.
 */
export const loadHandlerModule = <H extends LambdaHandler<never, unknown>>(
  modulePath: string,
  exportName: string,
): HandlerModule<H> => {
  const id = callLogPath() === undefined ? undefined : handlerId(modulePath, exportName);
  const loaded = id === undefined ? loadModule(modulePath) : runAsFunction(id, () => loadModule(modulePath));
  const handler = exportedFunction<H>(loaded, exportName);
  if (handler === undefined) throw new Error(`${modulePath} does not export a function ${exportName}`);
  return { handler: id === undefined ? handler : recordedAs(id, handler), exports: loaded };
};

/** An export of a loaded module that has a method `method`, or undefined. */
export const exportWithMethod = (
  exports: Readonly<Record<string, unknown>>,
  exportName: string,
  method: string,
): ((...args: unknown[]) => unknown) | undefined => {
  const value = exports[exportName];
  if (value === null || typeof value !== 'object') return undefined;
  const fn = (value as Record<string, unknown>)[method];
  return typeof fn === 'function' ? (fn as (...args: unknown[]) => unknown).bind(value) : undefined;
};
