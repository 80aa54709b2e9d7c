/**
 * An API destination's InvocationRateLimitPerSecond: at most `limit` invocations start in any one
 * second ("API destinations", "How invocation rate affects event delivery": events beyond the
 * rate wait, and a long backlog can outlast the retry policy). Callers wait in arrival order; a
 * window that is full holds the next caller until its oldest invocation is a second old.
 */
export class InvocationRateLimiter {
  private readonly granted: number[] = [];
  private readonly waiting: { resolve: () => void; reject: (error: Error) => void }[] = [];
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    readonly limit: number,
    private readonly windowMs = 1_000,
  ) {
    if (!(Number.isInteger(limit) && limit >= 1)) throw new Error(`rate limit must be an integer ≥ 1, not ${limit}`);
  }

  /** Resolves when an invocation may start; rejects when `signal` aborts or the limiter closes first. */
  acquire(signal?: AbortSignal): Promise<void> {
    if (this.closed) return Promise.reject(new Error('rate limiter closed'));
    if (signal?.aborted) return Promise.reject(new Error('aborted'));
    return new Promise<void>((resolve, reject) => {
      const waiter = {
        resolve: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
        reject,
      };
      const onAbort = () => {
        const index = this.waiting.indexOf(waiter);
        if (index >= 0) this.waiting.splice(index, 1);
        reject(new Error('aborted'));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiting.push(waiter);
      this.pump();
    });
  }

  /** Rejects every waiter; nothing is granted after this. */
  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    for (const waiter of this.waiting.splice(0)) waiter.reject(new Error('rate limiter closed'));
  }

  private pump(): void {
    if (this.timer || this.closed) return;
    while (this.waiting.length > 0) {
      const now = Date.now();
      while (this.granted.length > 0 && (this.granted[0] ?? 0) <= now - this.windowMs) this.granted.shift();
      if (this.granted.length < this.limit) {
        this.granted.push(now);
        this.waiting.shift()?.resolve();
        continue;
      }
      const wait = (this.granted[0] ?? now) + this.windowMs - now;
      this.timer = setTimeout(
        () => {
          this.timer = undefined;
          this.pump();
        },
        Math.max(1, wait),
      );
      return;
    }
  }
}
