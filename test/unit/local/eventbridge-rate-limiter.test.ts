import { InvocationRateLimiter } from '../../../infra/local/eventbridge/targets/rate-limiter';

// An API destination's invocation rate limit, on a fake clock: "Invocation rate limit per second:
// the maximum number of invocations per second to send to the API destination endpoint", and
// events beyond it wait ("API destinations" → "How invocation rate affects event delivery",
// https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-api-destinations.html).

beforeEach(() => jest.useFakeTimers({ now: Date.parse('2026-03-14T15:09:26Z') }));
afterEach(() => jest.useRealTimers());

/** Starts `count` acquisitions and records when (ms after the start) each is granted. */
const acquireAll = (limiter: InvocationRateLimiter, count: number, signal?: AbortSignal) => {
  const start = Date.now();
  const granted: number[] = [];
  const settled = Array.from({ length: count }, () =>
    limiter.acquire(signal).then(
      () => granted.push(Date.now() - start),
      () => granted.push(-1),
    ),
  );
  return { granted, settled };
};

describe('the invocation rate limiter', () => {
  it('starts at most `limit` invocations in any second, in arrival order', async () => {
    // Prepare
    const limiter = new InvocationRateLimiter(10);

    // Act
    const { granted, settled } = acquireAll(limiter, 25);
    await jest.advanceTimersByTimeAsync(3_000);
    await Promise.all(settled);

    // Assess
    expect(granted).toEqual([...Array(10).fill(0), ...Array(10).fill(1_000), ...Array(5).fill(2_000)]);
    for (const at of granted)
      expect(granted.filter((other) => other >= at && other < at + 1_000).length).toBeLessThanOrEqual(10);
  });

  it('lets an invocation through as soon as the oldest in the window is a second old', async () => {
    // Prepare
    const limiter = new InvocationRateLimiter(2);
    await limiter.acquire();
    await jest.advanceTimersByTimeAsync(400);
    await limiter.acquire();

    // Act
    const { granted, settled } = acquireAll(limiter, 2);
    await jest.advanceTimersByTimeAsync(2_000);
    await Promise.all(settled);

    // Assess: the first waits for the t=0 grant to age out (600 ms on), the second for t=400 (1,000 ms on).
    expect(granted).toEqual([600, 1_000]);
  });

  it('rejects waiters when their signal aborts or the limiter closes', async () => {
    // Prepare
    const limiter = new InvocationRateLimiter(1);
    await limiter.acquire();
    const abort = new AbortController();
    const aborted = acquireAll(limiter, 1, abort.signal);
    const closed = acquireAll(limiter, 1);

    // Act
    abort.abort();
    limiter.close();
    await Promise.all([...aborted.settled, ...closed.settled]);

    // Assess
    expect([aborted.granted, closed.granted]).toEqual([[-1], [-1]]);
    await expect(limiter.acquire()).rejects.toThrow('closed');
  });
});
