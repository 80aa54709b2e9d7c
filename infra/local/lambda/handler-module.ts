import { isAbsolute, join } from 'node:path';
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

/** Loads `modulePath` (relative to the repository root, or absolute) and checks the handler export is a function. */
export const loadHandlerModule = <H extends LambdaHandler<never, unknown>>(
  modulePath: string,
  exportName: string,
): HandlerModule<H> => {
  const loaded = loadModule(modulePath);
  const handler = exportedFunction<H>(loaded, exportName);
  if (handler === undefined) throw new Error(`${modulePath} does not export a function ${exportName}`);
  return { handler, exports: loaded };
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
