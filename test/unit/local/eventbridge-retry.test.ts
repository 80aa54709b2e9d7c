import { backoffCeiling, backoffDelay, decideRetry, parseRetryAfter } from '../../../infra/local/eventbridge/retry';
import {
  invocationUrl,
  isRetriedStatus,
  requestHeaders,
  responseOutcome,
} from '../../../infra/local/eventbridge/targets/api-destination';

// When the local EventBridge retries an API destination, and when it gives up, per AWS:
// - "API destinations" → "API destination error codes"
//   (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-api-destinations.html): EventBridge
//   retries events associated with 401, 407, 409, 429 and 5xx and does not retry 1xx, 2xx, 3xx
//   and other 4xx; it "reads the standard HTTP response header Retry-After", "chooses the more
//   conservative value between the defined retry policy and the Retry-After header", and "If
//   Retry-After value is negative, EventBridge stops retrying delivery for that event".
// - "How EventBridge retries delivering events" / "Event retry policy and using dead-letter
//   queues" (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rule-retry-policy.html,
//   https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rule-dlq.html): "exponential back
//   off and jitter"; retries stop at MaximumRetryAttempts or MaximumEventAgeInSeconds
//   (API RetryPolicy), named by the dead letter's EXHAUSTED_RETRY_CONDITION.

const NOW = Date.parse('2026-03-14T15:09:26Z');
const policy = { maximumAttempts: 3, maximumEventAgeSeconds: 60 };

describe('API destination responses', () => {
  it('retries 401, 407, 409, 429 and 5xx, and nothing else that is not 2xx', () => {
    // Prepare
    const statuses = [
      100, 200, 204, 301, 304, 400, 401, 403, 404, 407, 409, 410, 413, 422, 429, 500, 502, 503, 504, 599,
    ];

    // Act
    const retried = statuses.filter(isRetriedStatus);

    // Assess
    expect(retried).toEqual([401, 407, 409, 429, 500, 502, 503, 504, 599]);
  });

  it('delivers on 2xx, dead-letters at once on other 4xx, and retries 5xx, with ERROR_FROM_TARGET', () => {
    // Act
    const outcomes = [
      responseOutcome(202, undefined, NOW),
      responseOutcome(400, undefined, NOW),
      responseOutcome(500, undefined, NOW),
    ];

    // Assess
    expect(outcomes).toEqual([
      { ok: true, status: 202 },
      {
        ok: false,
        retryable: false,
        errorCode: 'ERROR_FROM_TARGET',
        errorMessage: 'The API destination answered 400',
        status: 400,
      },
      {
        ok: false,
        retryable: true,
        errorCode: 'ERROR_FROM_TARGET',
        errorMessage: 'The API destination answered 500',
        status: 500,
      },
    ]);
  });

  it('honours Retry-After on 429 and 503, and stops retrying when it is negative', () => {
    // Act
    const throttled = responseOutcome(429, '2', NOW);
    const unavailable = responseOutcome(503, new Date(NOW + 5_000).toUTCString(), NOW);
    const negative = responseOutcome(429, '-1', NOW);

    // Assess
    expect(throttled).toMatchObject({ retryable: true, retryAfterMs: 2_000 });
    expect(unavailable).toMatchObject({ retryable: true, retryAfterMs: 5_000 });
    expect(negative).toMatchObject({ ok: false, retryable: false, errorCode: 'ERROR_FROM_TARGET' });
  });

  it('reads Retry-After as seconds or an HTTP-date, ignoring what is neither', () => {
    // Act
    const values = [
      parseRetryAfter('120', NOW),
      parseRetryAfter(new Date(NOW - 10_000).toUTCString(), NOW),
      parseRetryAfter('soon', NOW),
      parseRetryAfter(undefined, NOW),
      parseRetryAfter('-5', NOW),
    ];

    // Assess
    expect(values).toEqual([120_000, 0, undefined, undefined, 'stop']);
  });

  it("sends the target's headers over EventBridge's and the connection's authorization over both", () => {
    // Act
    const headers = requestHeaders(
      { 'Content-Type': 'application/json; charset=utf-8', 'User-Agent': 'Amazon/EventBridge/ApiDestinations' },
      { 'content-type': 'application/json' },
      { Authorization: 'Basic eDp5' },
    );
    const url = invocationUrl('https://tickets.example.com/v1/tickets?v=1', { source: 'usage pipeline' });

    // Assess
    expect(headers).toEqual({
      'content-type': 'application/json',
      'User-Agent': 'Amazon/EventBridge/ApiDestinations',
      Authorization: 'Basic eDp5',
    });
    expect(url.toString()).toBe('https://tickets.example.com/v1/tickets?v=1&source=usage+pipeline');
  });
});

describe('backoff', () => {
  const timing = { backoffBaseMs: 1_000, backoffMaxMs: 30_000 };

  it('doubles per retry up to its cap', () => {
    // Act
    const ceilings = [1, 2, 3, 4, 5, 6, 7, 185].map((retry) => backoffCeiling(retry, timing));

    // Assess
    expect(ceilings).toEqual([1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000, 30_000]);
  });

  it('waits between half the ceiling and the ceiling (equal jitter)', () => {
    // Act
    const lowest = [1, 3, 9].map((retry) => backoffDelay(retry, timing, () => 0));
    const highest = [1, 3, 9].map((retry) => backoffDelay(retry, timing, () => 0.999_999));
    const sampled = Array.from({ length: 200 }, (_, index) => backoffDelay((index % 6) + 1, timing));

    // Assess
    expect(lowest).toEqual([500, 2_000, 15_000]);
    expect(highest).toEqual([1_000, 4_000, 30_000]);
    sampled.forEach((delay, index) => {
      const ceiling = backoffCeiling((index % 6) + 1, timing);
      expect(delay).toBeGreaterThanOrEqual(ceiling / 2);
      expect(delay).toBeLessThanOrEqual(ceiling);
    });
  });
});

describe('retry decisions', () => {
  const state = { retries: 0, policy, ingestedAtMs: NOW, nowMs: NOW, backoffMs: 1_000 };

  it('retries after the backoff, or after Retry-After when it is longer', () => {
    // Act
    const plain = decideRetry(state);
    const shorterRetryAfter = decideRetry({ ...state, retryAfterMs: 200 });
    const longerRetryAfter = decideRetry({ ...state, retryAfterMs: 7_000 });

    // Assess
    expect([plain, shorterRetryAfter, longerRetryAfter]).toEqual([
      { retry: true, delayMs: 1_000 },
      { retry: true, delayMs: 1_000 },
      { retry: true, delayMs: 7_000 },
    ]);
  });

  it('gives up with MaximumRetryAttempts once the retries are made (none with 0)', () => {
    // Act
    const lastRetry = decideRetry({ ...state, retries: 2 });
    const usedUp = decideRetry({ ...state, retries: 3 });
    const none = decideRetry({ ...state, policy: { ...policy, maximumAttempts: 0 } });

    // Assess
    expect(lastRetry.retry).toBe(true);
    expect(usedUp).toEqual({ retry: false, condition: 'MaximumRetryAttempts' });
    expect(none).toEqual({ retry: false, condition: 'MaximumRetryAttempts' });
  });

  it('gives up with MaximumEventAgeInSeconds when the retry would start after the maximum age', () => {
    // Act
    const inTime = decideRetry({ ...state, nowMs: NOW + 59_000, backoffMs: 1_000 });
    const tooLate = decideRetry({ ...state, nowMs: NOW + 59_000, backoffMs: 1_001 });
    const retryAfterTooLate = decideRetry({ ...state, nowMs: NOW + 1_000, retryAfterMs: 60_000 });

    // Assess
    expect(inTime).toEqual({ retry: true, delayMs: 1_000 });
    expect(tooLate).toEqual({ retry: false, condition: 'MaximumEventAgeInSeconds' });
    expect(retryAfterTooLate).toEqual({ retry: false, condition: 'MaximumEventAgeInSeconds' });
  });
});
