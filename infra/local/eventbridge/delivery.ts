/**
 * Delivering one event to one rule's target, as EventBridge does: render the input, attempt,
 * retry retriable failures per the target's RetryPolicy with backoff and jitter (../retry.ts),
 * and when it gives up, write the event to the rule target's dead-letter queue with why
 * ("Event retry policy and using dead-letter queues",
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rule-dlq.html). Every delivery runs
 * on its own: a slow or failing target holds up nothing but its own events.
 */
import { InputRenderError } from '../../../shared/routes/input-transformer';
import { errorMessage } from '../runtime/errors';
import type { CompiledRule } from './bus';
import type { DeadLetterQueue } from './dead-letter';
import { backoffDelay, decideRetry, type ExhaustedRetryCondition } from './retry';
import type { AttemptFailure, AttemptOutcome, Target } from './targets/target';
import type { DeliveryTiming, EventBridgeLogger, EventEnvelope, RouteStats } from './types';

/** A rule with what its deliveries need. */
export interface RuleRuntime {
  compiled: CompiledRule;
  arn: string;
  target: Target;
  deadLetters: DeadLetterQueue;
  stats: RouteStats;
}

export interface DeliveryContext {
  now: () => number;
  random: () => number;
  timing: DeliveryTiming;
  logger: Required<EventBridgeLogger>;
  /** Aborted by stop(): waits end, the outcome of what is in flight is ignored. */
  signal: AbortSignal;
}

/** Attempts at writing one dead letter (the queue refusing it is rare; then the event is dropped). */
const DEAD_LETTER_SEND_ATTEMPTS = 3;

/** Waits `ms`, or less when `signal` aborts. */
const pause = (ms: number, signal: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const onAbort = () => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });

/** The deliveries under way, for drain() and stop(). */
export class Deliveries {
  private readonly running = new Set<Promise<void>>();
  private held = 0;
  private idle: (() => void)[] = [];

  constructor(private readonly context: DeliveryContext) {}

  get size(): number {
    return this.running.size;
  }

  /** Starts delivering `envelope` to `rule`'s target; returns at once. */
  start(rule: RuleRuntime, envelope: EventEnvelope, ingestedAtMs: number): void {
    rule.stats.matched++;
    rule.stats.pending++;
    const run: Promise<void> = this.deliver(rule, envelope, ingestedAtMs)
      .catch((error: unknown) => {
        rule.stats.dropped++;
        this.context.logger.error('delivery failed unexpectedly; the event is dropped', {
          route: rule.compiled.route.name,
          eventId: envelope.id,
          reason: errorMessage(error),
        });
      })
      .finally(() => {
        rule.stats.pending--;
        this.running.delete(run);
        this.notify();
      });
    this.running.add(run);
  }

  /** Counts `work` as pending for drain() (a PutEvents call being answered). */
  async hold<T>(work: () => Promise<T>): Promise<T> {
    this.held++;
    try {
      return await work();
    } finally {
      this.held--;
      this.notify();
    }
  }

  /** Resolves once nothing is queued, in flight or waiting for a retry. */
  drain(): Promise<void> {
    if (this.running.size === 0 && this.held === 0) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }

  /** Resolves once every delivery has returned (after stop(): promptly, as waits end on abort). */
  async settled(): Promise<void> {
    while (this.running.size > 0) await Promise.all([...this.running]);
    this.notify();
  }

  private notify(): void {
    if (this.running.size > 0 || this.held > 0) return;
    for (const resolve of this.idle.splice(0)) resolve();
  }

  private async deliver(rule: RuleRuntime, envelope: EventEnvelope, ingestedAtMs: number): Promise<void> {
    const { now, random, timing, logger, signal } = this.context;
    const route = rule.compiled.route.name;
    let input: string;
    try {
      input = rule.compiled.render(envelope, {
        ruleName: route,
        ruleArn: rule.arn,
        ingestionTime: new Date(ingestedAtMs).toISOString(),
      });
    } catch (error) {
      const code = error instanceof InputRenderError ? 'INVALID_JSON' : 'INTERNAL_ERROR';
      await this.deadLetter(
        rule,
        envelope,
        { ok: false, retryable: false, errorCode: code, errorMessage: errorMessage(error) },
        0,
        undefined,
      );
      return;
    }
    for (let retries = 0; ; ) {
      if (signal.aborted) {
        rule.stats.dropped++;
        return;
      }
      let outcome: AttemptOutcome;
      try {
        outcome = await rule.target.deliver(envelope, input);
      } catch (error) {
        outcome = {
          ok: false,
          retryable: false,
          errorCode: 'INTERNAL_ERROR',
          errorMessage: `the target failed: ${errorMessage(error)}`,
        };
      }
      if (outcome.ok) {
        rule.stats.delivered++;
        logger.debug('delivered', { route, eventId: envelope.id, attempt: retries + 1, status: outcome.status });
        return;
      }
      if (signal.aborted) {
        rule.stats.dropped++;
        return;
      }
      if (!outcome.retryable) {
        await this.deadLetter(rule, envelope, outcome, retries, undefined);
        return;
      }
      const decision = decideRetry({
        retries,
        policy: rule.target.retryPolicy,
        ingestedAtMs,
        nowMs: now(),
        backoffMs: backoffDelay(retries + 1, timing, random),
        ...(outcome.retryAfterMs !== undefined && { retryAfterMs: outcome.retryAfterMs }),
      });
      if (!decision.retry) {
        await this.deadLetter(rule, envelope, outcome, retries, decision.condition);
        return;
      }
      retries++;
      rule.stats.retried++;
      logger.info('delivery failed; retrying', {
        route,
        eventId: envelope.id,
        attempt: retries,
        status: outcome.status,
        errorCode: outcome.errorCode,
        delayMs: decision.delayMs,
      });
      await pause(decision.delayMs, signal);
    }
  }

  private async deadLetter(
    rule: RuleRuntime,
    envelope: EventEnvelope,
    failure: AttemptFailure,
    retries: number,
    condition: ExhaustedRetryCondition | undefined,
  ): Promise<void> {
    const route = rule.compiled.route.name;
    const attributes: Record<string, string> = {
      RULE_ARN: rule.arn,
      TARGET_ARN: rule.target.arn,
      ERROR_CODE: failure.errorCode,
      ERROR_MESSAGE: failure.errorMessage,
      ...(condition && { EXHAUSTED_RETRY_CONDITION: condition }),
      RETRY_ATTEMPTS: String(retries),
    };
    const details = {
      route,
      eventId: envelope.id,
      status: failure.status,
      errorCode: failure.errorCode,
      retryAttempts: retries,
      ...(condition && { exhaustedRetryCondition: condition }),
    };
    const body = JSON.stringify(envelope);
    for (let attempt = 1; attempt <= DEAD_LETTER_SEND_ATTEMPTS; attempt++) {
      try {
        await rule.deadLetters.send(body, attributes);
        rule.stats.deadLettered++;
        this.context.logger.warn('delivery given up; the event is in the dead-letter queue', details);
        return;
      } catch (error) {
        if (attempt === DEAD_LETTER_SEND_ATTEMPTS) {
          rule.stats.dropped++;
          this.context.logger.error('delivery given up and the dead-letter queue refused the event; it is dropped', {
            ...details,
            reason: errorMessage(error),
          });
          return;
        }
        await pause(100 * attempt, this.context.signal);
      }
    }
  }
}
