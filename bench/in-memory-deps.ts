import { Logger } from '@aws-lambda-powertools/logger';
import type { DeliveryOutcome, EventSink } from '../shared/delivery/event-sink';
import { keyString } from '../shared/idempotency/idempotency-store';
import type { Quarantine, QuarantineEntry } from '../shared/quarantine/quarantine';

export const silentLogger = (): Logger => new Logger({ logLevel: 'SILENT' });

/** Accepts everything and only counts: the consumer CPU benchmark's Firehose. */
export class CountingSink implements EventSink {
  records = 0;
  calls = 0;

  async deliver(records: readonly Uint8Array[]): Promise<DeliveryOutcome[]> {
    this.calls++;
    this.records += records.length;
    return records.map(() => ({ ok: true }));
  }
}

/**
 * Remembers every accepted event by (clientId, id) and can reject chosen events on their
 * first delivery attempt, like a Firehose PutRecordBatch with partial failures.
 */
export class RecordingSink implements EventSink {
  /** keyString → how many times the sink accepted that event. */
  readonly accepted = new Map<string, number>();
  readonly attempts = new Map<string, number>();
  rejected = 0;

  constructor(private readonly failFirstAttempt: (key: string) => boolean = () => false) {}

  async deliver(records: readonly Uint8Array[]): Promise<DeliveryOutcome[]> {
    return records.map((record) => {
      const event = JSON.parse(Buffer.from(record).toString('utf8')) as {
        clientId: string;
        idScope: string;
        id: string;
      };
      const key = keyString({ clientId: event.clientId, source: event.idScope, eventId: event.id });
      const attempt = (this.attempts.get(key) ?? 0) + 1;
      this.attempts.set(key, attempt);
      if (attempt === 1 && this.failFirstAttempt(key)) {
        this.rejected++;
        return { ok: false, errorCode: 'ServiceUnavailableException', errorMessage: 'Slow down (bench)' };
      }
      this.accepted.set(key, (this.accepted.get(key) ?? 0) + 1);
      return { ok: true };
    });
  }
}

/** Counts quarantined records instead of storing them. */
export class CountingQuarantine implements Quarantine {
  count = 0;
  readonly reasons = new Map<string, number>();

  async put(entry: QuarantineEntry): Promise<string> {
    this.count++;
    this.reasons.set(entry.reason, (this.reasons.get(entry.reason) ?? 0) + 1);
    return `memory://quarantine/${this.count}`;
  }
}
