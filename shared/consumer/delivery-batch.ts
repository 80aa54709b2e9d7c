import type { Logger } from '@aws-lambda-powertools/logger';
import type { EventSink } from '../delivery/event-sink';
import { RetryableError } from '../errors';
import { type EventKey, type IdempotencyStore, keyString } from '../idempotency/idempotency-store';
import { type CallBudget, type Deadline, hasTimeFor, NO_BUDGET, NO_DEADLINE } from './deadline';
import type { NormalizedEvent } from './normalize';

export type DeliveryResult = 'delivered' | 'duplicate';

/**
 * Only what delivery needs: holding the whole NormalizedEvent would keep every parsed
 * event of the batch alive until the flush, and copying that through the young
 * generation was a visible share of the consumer's CPU.
 */
interface Pending {
  key: EventKey;
  body: Buffer;
  resolve: (result: DeliveryResult) => void;
  reject: (error: Error) => void;
}

/**
 * Gathers the events that one batch's record handlers submit in the same tick and
 * handles them together: duplicates inside the batch collapse without a DynamoDB call,
 * one read decides what was already delivered, one PutRecordBatch run delivers the rest,
 * and only what Firehose accepted is recorded (one write per event).
 */
export class DeliveryBatch {
  private pending: Pending[] = [];
  /** Keys delivered to Firehose whose idempotency record could not be written (keyString). */
  private readonly unrecorded = new Set<string>();
  /** Flushes run one after another, so a later one sees what an earlier one recorded. */
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly store: IdempotencyStore,
    private readonly sink: EventSink,
    private readonly logger: Logger,
    private readonly deadline: Deadline = NO_DEADLINE,
    private readonly budget: CallBudget = NO_BUDGET,
  ) {}

  /**
   * True for an event this batch delivered but could not record: it is in the lake, and a later
   * redelivery of it would not be recognised as a duplicate.
   */
  wasUnrecorded(key: EventKey): boolean {
    return this.unrecorded.size > 0 && this.unrecorded.has(keyString(key));
  }

  submit(event: NormalizedEvent): Promise<DeliveryResult> {
    return new Promise((resolve, reject) => {
      // Record handlers all start in one tick; flush once they have all submitted.
      if (this.pending.length === 0) {
        setImmediate(() => {
          this.flushing = this.flushing.then(() => this.flush());
        });
      }
      this.pending.push({ key: event.key, body: event.body, resolve, reject });
    });
  }

  private async flush(): Promise<void> {
    const batch = this.pending;
    this.pending = [];
    try {
      await this.deliverBatch(batch);
    } catch (error) {
      // Settling twice is a no-op, so this only reaches items nothing else settled.
      const failure = new RetryableError('DELIVERY_FAILED', 'Delivery batch failed unexpectedly', { cause: error });
      for (const item of batch) item.reject(failure);
    }
  }

  private async deliverBatch(batch: Pending[]): Promise<void> {
    const primaries = new Map<string, Pending[]>();
    for (const item of batch) {
      const key = keyString(item.key);
      const group = primaries.get(key);
      if (group) group.push(item);
      else primaries.set(key, [item]);
    }
    // Keys in group order, so the duplicate check below needs no second keyString.
    const keys = [...primaries.keys()];
    const groups = [...primaries.values()];
    // Later copies share the first copy's fate: a duplicate only if it got through.
    const settle = (group: Pending[], result: DeliveryResult | Error): void => {
      group.forEach((item, index) => {
        if (result instanceof Error) item.reject(result);
        else item.resolve(index === 0 ? result : 'duplicate');
      });
    };

    // Read, put and record must all fit; else nothing starts and Kinesis retries the records.
    if (!hasTimeFor(this.deadline, this.budget, 3)) {
      const failure = new RetryableError(
        'INVOCATION_DEADLINE',
        `Only ${this.deadline.remainingMs()} ms left: not enough to read, deliver and record (${this.budget.requestTimeoutMs} ms each)`,
      );
      for (const group of groups) settle(group, failure);
      return;
    }

    let delivered: Set<string>;
    try {
      delivered = await this.store.findDelivered(groups.map((group) => (group[0] as Pending).key));
    } catch (error) {
      const failure =
        error instanceof RetryableError
          ? error
          : new RetryableError('IDEMPOTENCY_UNAVAILABLE', 'Idempotency table read failed', { cause: error });
      for (const group of groups) settle(group, failure);
      return;
    }

    const fresh: Pending[][] = [];
    for (let index = 0; index < groups.length; index++) {
      const group = groups[index] as Pending[];
      if (delivered.has(keys[index] as string)) settle(group, 'duplicate');
      else fresh.push(group);
    }
    if (fresh.length === 0) return;

    // A Firehose attempt starts only while the put and the record write after it both fit, so
    // the write always has its own request timeout of the invocation left.
    const outcomes = await this.sink.deliver(
      fresh.map((group) => (group[0] as Pending).body),
      { canAttempt: () => hasTimeFor(this.deadline, this.budget, 2) },
    );
    const accepted = fresh.filter((_, index) => outcomes[index]?.ok === true);
    try {
      await this.store.recordDelivered(
        accepted.map((group) => (group[0] as Pending).key),
        { canRetry: () => hasTimeFor(this.deadline, this.budget, 1) },
      );
    } catch (error) {
      // The events are in Firehose: failing them now would only deliver them twice.
      for (const group of accepted) this.unrecorded.add(keyString((group[0] as Pending).key));
      this.logger.error('Delivered events could not be recorded; a redelivery of them would not be deduplicated', {
        count: accepted.length,
        error: error as Error,
      });
    }
    fresh.forEach((group, index) => {
      const outcome = outcomes[index];
      if (outcome?.ok) {
        settle(group, 'delivered');
      } else {
        const detail = outcome ? `${outcome.errorCode}: ${outcome.errorMessage}` : 'no outcome';
        settle(group, new RetryableError('DELIVERY_FAILED', `Firehose did not accept the record (${detail})`));
      }
    });
  }
}
