/**
 * The invocation's time budget. Lambda stops the sandbox at the function timeout, wherever the
 * code is; the consumer instead starts an AWS call only when that call (and the ones that must
 * follow it) can finish before the timeout, and fails the rest as batchItemFailures, so Kinesis
 * retries them rather than the function being killed between Firehose and DynamoDB.
 */
export interface Deadline {
  /** Milliseconds left in the invocation (Infinity outside Lambda). */
  remainingMs(): number;
}

export const NO_DEADLINE: Deadline = { remainingMs: () => Number.POSITIVE_INFINITY };

/** The invocation's deadline from its Lambda context, when there is one. */
export const deadlineOf = (context?: { getRemainingTimeInMillis?: () => number }): Deadline =>
  typeof context?.getRemainingTimeInMillis === 'function'
    ? { remainingMs: () => context.getRemainingTimeInMillis?.() ?? 0 }
    : NO_DEADLINE;

export interface CallBudget {
  /** The longest one call can take: the clients' request timeout (shared/aws/client-config.ts). */
  requestTimeoutMs: number;
  /** Kept free at the end of the invocation (the response, the logs). */
  marginMs: number;
}

/** No calls to budget (dry runs, tests): every call may start. */
export const NO_BUDGET: CallBudget = { requestTimeoutMs: 0, marginMs: 0 };

/** Whether `calls` more calls, one after another, still finish before the margin. */
export const hasTimeFor = (deadline: Deadline, budget: CallBudget, calls: number): boolean =>
  deadline.remainingMs() > budget.marginMs + calls * budget.requestTimeoutMs;
