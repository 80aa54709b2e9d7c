import type { RecordOutcome } from '../../../shared/consumer/kinesis-consumer';
import type { ReasonCode } from '../../../shared/errors';
import type { LakeCheck } from './lake-check';

export interface RunSummary {
  /** Records the event-source runner read from the stream (each once, however often retried; a KPL aggregate once per user record). */
  in: number;
  /** Records this process put into the stream (the rest came from other producers). */
  produced: number;
  delivered: number;
  duplicates: number;
  quarantined: number;
  quarantineReasons: Partial<Record<ReasonCode, number>>;
  /** Records Kinesis gave up on (retries exhausted or too old): written to the on-failure destination. */
  discarded: number;
  /** Records Kinesis gave up on whose on-failure record could not be written: their ranges are only in the log. */
  lost: number;
  /** Invocation-level retries the run needed (records reported failed and redelivered). */
  retriedRecords: number;
  /** Of `delivered`: events Firehose took whose idempotency record could not be written (a redelivery would not be deduplicated). */
  unrecorded: number;
  /** Events the consumer handed to Firehose that sit in a Firehose error output instead of the lake, by type. */
  errors: Record<string, number>;
  /** Error-output records that no record of this run produced (put into Firehose by someone else). */
  foreignErrors: number;
  /** Events the consumer handed to Firehose that are neither in the lake nor in an error output (0 when the lake was not read). */
  notInLake: number;
  /** The same counts per source adapter (`unknown`: records no adapter claimed). */
  bySource: Record<string, SourceCounts>;
  /** routes.yml, per route: matched = delivered + deadLettered once drained ({} without routes). */
  routes: Record<string, { matched: number; delivered: number; retried: number; deadLettered: number }>;
  /** Delivered events the routing bus did not take, kept under `unrouted/` (0 without routes). */
  unrouted: number;
  objects: string[];
}

export interface SourceCounts {
  in: number;
  /** In the lake: handed to Firehose and not in an error output. */
  delivered: number;
  duplicates: number;
  quarantined: number;
  /** Handed to Firehose but written to an error output, by error-output type. */
  errors: Record<string, number>;
  /** Handed to Firehose, and neither in the lake nor in an error output (still in Firehose, or lost there). */
  notInLake: number;
}

/**
 * A run's accounting: what was put, each record's final outcome as the consumer reports it,
 * what Kinesis discarded (or lost, when the on-failure destination failed), and from those and
 * a lake check, where every record ended.
 */
export class RunLedger {
  /** Per user record: a KPL-aggregated Kinesis record has one outcome per user record in it. */
  private readonly outcomes = new Map<string, RecordOutcome>();
  /** Kinesis records (shard:sequence) with at least one final outcome. */
  private readonly settled = new Set<string>();
  private retried = 0;
  private discarded = 0;
  private lost = 0;
  /** Records this process put into the stream. */
  produced = 0;

  /** Each record's outcome, as the consumer reports it from its worker thread. */
  record(outcome: RecordOutcome): void {
    const record = `${outcome.shardId}:${outcome.sequenceNumber}`;
    const key = outcome.subSequenceNumber === undefined ? record : `${record}:${outcome.subSequenceNumber}`;
    if (outcome.result === 'failed') {
      this.retried++;
      return;
    }
    // A record redelivered after a partial failure keeps its first final outcome.
    if (!this.outcomes.has(key)) this.outcomes.set(key, outcome);
    this.settled.add(record);
  }

  /**
   * Of a discarded range, the records that had ended nowhere yet: one that ended somewhere
   * (quarantined, delivered, a duplicate) before a later one failed is counted there, not again.
   */
  unsettled(shardId: string, sequenceNumbers: readonly string[]): number {
    return sequenceNumbers.filter((sequence) => !this.settled.has(`${shardId}:${sequence}`)).length;
  }

  /** Records written to the on-failure destination. */
  discard(records: number): void {
    this.discarded += records;
  }

  /** Records discarded whose on-failure record could not be written. */
  lose(records: number): void {
    this.lost += records;
  }

  /** Records that reached a final place: an outcome, discarded or lost. */
  get processed(): number {
    return this.outcomes.size + this.discarded + this.lost;
  }

  /** The counts kept here, the rest zero and `objects` empty: tally() fills in where each record ended. */
  counts(recordsIn: number): RunSummary {
    return {
      // Per user record: a KPL aggregate read once counts once for each user record in it.
      in: recordsIn + this.outcomes.size - this.settled.size,
      produced: this.produced,
      delivered: 0,
      duplicates: 0,
      quarantined: 0,
      quarantineReasons: {},
      discarded: this.discarded,
      lost: this.lost,
      retriedRecords: this.retried,
      unrecorded: 0,
      errors: {},
      foreignErrors: 0,
      notInLake: 0,
      bySource: {},
      routes: {},
      unrouted: 0,
      objects: [],
    };
  }

  /**
   * Where every record of the run ended: the consumer's outcomes, with the events Firehose wrote
   * to an error output moved from `delivered` to `errors`, and (when the lake was read) those in
   * no object moved to `notInLake`, so delivered means in the lake.
   */
  tally(summary: RunSummary, check: LakeCheck): void {
    const sourceOf = new Map<string, string>();
    for (const outcome of this.outcomes.values()) {
      const counts = summary.bySource[outcome.source] ?? {
        in: 0,
        delivered: 0,
        duplicates: 0,
        quarantined: 0,
        errors: {},
        notInLake: 0,
      };
      summary.bySource[outcome.source] = counts;
      counts.in++;
      if (outcome.result === 'delivered') {
        counts.delivered++;
        summary.delivered++;
        if (outcome.unrecorded) summary.unrecorded++;
        if (outcome.key)
          sourceOf.set(JSON.stringify([outcome.key.clientId, outcome.key.source, outcome.key.eventId]), outcome.source);
      } else if (outcome.result === 'duplicate') {
        counts.duplicates++;
        summary.duplicates++;
      } else if (outcome.result === 'quarantined') {
        counts.quarantined++;
        summary.quarantined++;
        const reason = outcome.reason as ReasonCode;
        summary.quarantineReasons[reason] = (summary.quarantineReasons[reason] ?? 0) + 1;
      }
    }
    const counted = new Set<string>();
    for (const { identity, type } of check.errorEvents) {
      const source = sourceOf.get(identity);
      const counts = source === undefined ? undefined : summary.bySource[source];
      // An event that sits in an error output twice (re-driven, failed again) is still one record.
      if (counts === undefined || counted.has(identity)) continue;
      counted.add(identity);
      counts.delivered--;
      counts.errors[type] = (counts.errors[type] ?? 0) + 1;
      summary.delivered--;
      summary.errors[type] = (summary.errors[type] ?? 0) + 1;
    }
    const errorRecords = Object.values(check.errors).reduce((sum, count) => sum + count, 0);
    summary.foreignErrors = errorRecords - counted.size;
    // Delivered means in the lake: what Firehose took and did not write anywhere is not.
    if (check.identities) {
      for (const [identity, source] of sourceOf) {
        if (check.identities.has(identity) || counted.has(identity)) continue;
        const counts = summary.bySource[source];
        if (counts) {
          counts.delivered--;
          counts.notInLake++;
        }
        summary.delivered--;
        summary.notInLake++;
      }
    }
  }
}
