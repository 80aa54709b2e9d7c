import { isAbsolute, join } from 'node:path';
import type { LambdaHandler } from './invoker';

const ROOT = join(__dirname, '..', '..', '..');

/** The module a function's `handler:` names, as the Lambda runtime loads it. */
export interface HandlerModule<H> {
  handler: H;
  /** The module's other exports (e.g. the consumer, for the local runner's accounting). */
  exports: Readonly<Record<string, unknown>>;
}

/** Resolves `modulePath` (relative to the repository root, or absolute) and checks the handler export is a function. */
export const loadHandlerModule = <H extends LambdaHandler<never, unknown>>(modulePath: string, exportName: string): HandlerModule<H> => {
  const path = isAbsolute(modulePath) ? modulePath : join(ROOT, modulePath);
  const loaded = require(path) as Record<string, unknown>;
  const handler = loaded[exportName];
  if (typeof handler !== 'function') throw new Error(`${modulePath} does not export a function ${exportName}`);
  return { handler: handler as H, exports: loaded };
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
