import { AsyncLocalStorage } from 'node:async_hooks';

/** Set while the capture itself sends (its PutRecords): outgoing capture never records those calls. */
export const ownCalls = new AsyncLocalStorage<true>();

/** Runs `fn` as the capture's own work (its HTTP calls are not captured as outgoing calls). */
export const asOwnCall = <T>(fn: () => T): T => ownCalls.run(true, fn);

export const isOwnCall = (): boolean => ownCalls.getStore() === true;

interface Flushable {
  flush(budgetMs?: number): Promise<unknown>;
}

let active: Flushable | undefined;

/** The running `captureOutgoing` (one per process), flushed by the middleware at the end of each invocation. */
export const setActiveOutgoing = (capture: Flushable | undefined): void => {
  active = capture;
};

export const flushActiveOutgoing = async (budgetMs: number): Promise<void> => {
  if (active === undefined) return;
  try {
    await active.flush(Math.max(0, budgetMs));
  } catch {
    // Never reaches the handler.
  }
};
