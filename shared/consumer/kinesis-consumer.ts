import { type BatchProcessor, FullBatchFailureError, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { PartialItemFailureResponse } from '@aws-lambda-powertools/batch/types';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { Context, KinesisStreamEvent, KinesisStreamRecord } from 'aws-lambda';
import type { EventSink } from '../delivery/event-sink';
import {
  type InvalidRecordError,
  isInvalidRecordError,
  type ReasonCode,
  type RetryableCode,
  RetryableError,
  toError,
} from '../errors';
import type { EventKey, IdempotencyStore } from '../idempotency/idempotency-store';
import type { PipelineMetrics } from '../metrics';
import type { Quarantine } from '../quarantine/quarantine';
import type { RoutePublisher } from '../routing/route-publisher';
import type { UnroutedStore } from '../routing/unrouted-store';
import { type CallBudget, type Deadline, deadlineOf, hasTimeFor, NO_BUDGET } from './deadline';
import { DeliveryBatch, type DeliveryResult } from './delivery-batch';
import { deaggregate, isAggregated } from './kpl-aggregate';
import { type NormalizeOptions, normalizeRecord } from './normalize';
import { decodeKinesisRecord, type StreamRecord } from './stream-record';

export type RecordResult = DeliveryResult | 'quarantined';

/** What happened to one Kinesis record in one invocation; `failed` records are retried by Kinesis. */
export interface RecordOutcome {
  shardId: string | undefined;
  sequenceNumber: string;
  /** The user record's index inside a KPL-aggregated Kinesis record; absent for a plain record. */
  subSequenceNumber?: number;
  result: RecordResult | 'failed';
  reason?: ReasonCode | RetryableCode | 'UNEXPECTED';
  /** The source adapter that claimed the record; `unknown` when none did (or not yet known). */
  source: string;
  /** The event's idempotency key, for records that became an event (delivered or duplicate). */
  key?: EventKey;
  /** Delivered, but its idempotency record could not be written: a redelivery would not be deduplicated. */
  unrecorded?: true;
}
export type RecordOutcomeListener = (outcome: RecordOutcome) => void;

/**
 * Per-batch counts, per user record: a KPL-aggregated Kinesis record counts once for each user
 * record in it (once when it does not decode). `in` = delivered + duplicates + quarantined + failed
 * (failed ones are retried by Kinesis, with the rest of their Kinesis record).
 */
export interface BatchSummary {
  in: number;
  delivered: number;
  duplicates: number;
  quarantined: number;
  failed: number;
  quarantineReasons: Partial<Record<ReasonCode, number>>;
  /** Of `delivered`: events whose idempotency record could not be written after Firehose took them. */
  unrecorded: number;
  /** Of `delivered`: published to the routing bus, or kept under `unrouted/` (0 without routes). */
  routed: number;
  unrouted: number;
}

export interface ConsumerDependencies {
  store: IdempotencyStore;
  sink: EventSink;
  quarantine: Quarantine;
  logger: Logger;
  /** Per-batch counts as CloudWatch metrics (shared/metrics.ts); none when absent. */
  metrics?: PipelineMetrics;
  /** routes.yml: delivered events are published to the routing bus; none without routes. */
  router?: { publisher: RoutePublisher; unrouted: UnroutedStore };
}

/**
 * One log line's worth of a whole-batch failure: Powertools' FullBatchFailureError carries every
 * record's error, which is hundreds of stacks while a dependency is down; count them by code instead.
 */
const batchFailureDetail = (error: unknown): Record<string, unknown> => {
  if (!(error instanceof FullBatchFailureError)) return { error: toError(error) };
  const codes: Record<string, number> = {};
  for (const recordError of error.recordErrors) {
    const code = recordError instanceof RetryableError ? recordError.code : recordError.name;
    codes[code] = (codes[code] ?? 0) + 1;
  }
  const [first] = error.recordErrors;
  return {
    recordErrorCodes: codes,
    firstRecordError: first && { message: first.message, cause: toError(first.cause ?? '').message },
  };
};

/** The batch's counts as metrics: RecordsIn, Delivered, Duplicates, Quarantined (and by Reason), Failed. */
export const countBatch = (metrics: PipelineMetrics, summary: BatchSummary): void => {
  metrics.count('RecordsIn', summary.in);
  metrics.count('Delivered', summary.delivered);
  metrics.count('Duplicates', summary.duplicates);
  metrics.count('Quarantined', summary.quarantined);
  metrics.count('Failed', summary.failed);
  metrics.count('UnrecordedDeliveries', summary.unrecorded);
  if (summary.routed + summary.unrouted > 0) {
    metrics.count('Routed', summary.routed);
    metrics.count('Unrouted', summary.unrouted);
  }
  for (const [reason, count] of Object.entries(summary.quarantineReasons)) {
    metrics.count('Quarantined', count ?? 0, { name: 'Reason', value: reason });
  }
};

export const emptySummary = (records: number): BatchSummary => ({
  in: records,
  delivered: 0,
  duplicates: 0,
  quarantined: 0,
  failed: 0,
  quarantineReasons: {},
  unrecorded: 0,
  routed: 0,
  unrouted: 0,
});

/**
 * The Kinesis consumer's logic, independent of Lambda wiring: each record is decoded,
 * normalized and either quarantined (bad input, never retried) or submitted to the
 * batch's DeliveryBatch; dependency failures become batchItemFailures.
 */
export class KinesisConsumer {
  private readonly listeners = new Set<RecordOutcomeListener>();
  private warnedShortTimeout = false;

  constructor(
    private readonly processor: BatchProcessor,
    private readonly options: NormalizeOptions & { budget?: CallBudget },
    private readonly deps: ConsumerDependencies,
  ) {}

  async processBatch(
    event: KinesisStreamEvent,
    context?: Context,
  ): Promise<{ response: PartialItemFailureResponse; summary: BatchSummary }> {
    const summary = emptySummary(event.Records.length);
    const deadline = deadlineOf(context);
    const budget = this.options.budget ?? NO_BUDGET;
    if (!this.warnedShortTimeout && !hasTimeFor(deadline, budget, 3)) {
      // A fresh invocation that cannot fit read + put + write never delivers anything.
      this.warnedShortTimeout = true;
      this.deps.logger.error(
        'The function timeout is too short for the AWS call budget: records will fail until it is raised',
        {
          remainingMs: deadline.remainingMs(),
          neededMs: 3 * budget.requestTimeoutMs + budget.marginMs,
          fix: 'timeout ≥ 3 × AWS_REQUEST_TIMEOUT_MS × AWS_MAX_ATTEMPTS + DEADLINE_MARGIN_MS, or lower those',
        },
      );
    }
    const batch = new DeliveryBatch(this.deps.store, this.deps.sink, this.deps.logger, deadline, budget);
    /** Delivered events' bodies, for the routing bus (in record order per tick; routing is unordered). */
    const routable: Uint8Array[] = [];

    /** One user record (a plain Kinesis record is one): counted and reported on its own. */
    const settle = async (streamRecord: StreamRecord, handle: () => Promise<Handled>): Promise<RecordResult> => {
      const { shardId, sequenceNumber, subSequenceNumber } = streamRecord.origin;
      const identity = { shardId, sequenceNumber, ...(subSequenceNumber !== undefined && { subSequenceNumber }) };
      try {
        const { result, source, reason, key, body } = await handle();
        if (result === 'delivered' && body && this.deps.router) routable.push(body);
        const unrecorded = result === 'delivered' && key !== undefined && batch.wasUnrecorded(key);
        if (result === 'delivered') summary.delivered++;
        else if (result === 'duplicate') summary.duplicates++;
        if (unrecorded) summary.unrecorded++;
        this.notify({
          ...identity,
          result,
          source,
          ...(reason && { reason }),
          ...(key && { key }),
          ...(unrecorded && { unrecorded }),
        });
        return result;
      } catch (error) {
        summary.failed++;
        const code = error instanceof RetryableError ? error.code : 'UNEXPECTED';
        this.deps.logger.warn('Record failed and will be retried', { ...identity, code, error: error as Error });
        this.notify({ ...identity, result: 'failed', reason: code, source: 'unknown' });
        throw error;
      }
    };

    const recordHandler = async (record: KinesisStreamRecord): Promise<RecordResult> => {
      const streamRecord = decodeKinesisRecord(record);
      if (!isAggregated(streamRecord.data))
        return settle(streamRecord, () => this.handleRecord(streamRecord, batch, summary, deadline, budget));
      let userRecords: StreamRecord[];
      try {
        userRecords = deaggregate(record.kinesis).map((user) => ({
          data: user.data,
          arrivalMillis: streamRecord.arrivalMillis,
          origin: {
            ...streamRecord.origin,
            partitionKey: user.partitionKey,
            subSequenceNumber: user.subSequenceNumber,
          },
        }));
      } catch (error) {
        if (!isInvalidRecordError(error)) throw error;
        // Corrupt as a whole (checksum, protobuf): quarantined whole, one record.
        return settle(streamRecord, () => this.quarantineRecord(streamRecord, error, summary, deadline, budget));
      }
      summary.in += userRecords.length - 1;
      // Every user record is normalized and submitted in this tick, so they share the batch's flush.
      const results = await Promise.allSettled(
        userRecords.map((user) => settle(user, () => this.handleRecord(user, batch, summary, deadline, budget))),
      );
      // batchItemFailures stay per Kinesis record: when one user record failed (retryably), the whole
      // Kinesis record is retried. The user records already delivered in this attempt are then
      // redelivered: the idempotency table makes them duplicates on the retry (unless their record
      // write failed, `unrecorded`: then they reach the lake twice). Quarantined ones are overwritten.
      const failure = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
      if (failure) throw failure.reason;
      return results.some((result) => result.status === 'fulfilled' && result.value === 'delivered')
        ? 'delivered'
        : 'duplicate';
    };

    try {
      // When every record fails this throws, so Lambda sees a function error and can bisect.
      const response = await processPartialResponse(event, recordHandler, this.processor, {
        ...(context && { context }),
      });
      if (this.deps.router && routable.length > 0)
        await this.route(this.deps.router, routable, summary, deadline, budget);
      this.deps.logger.info('Batch processed', { ...summary, batchItemFailures: response.batchItemFailures.length });
      if (this.deps.metrics) countBatch(this.deps.metrics, summary);
      return { response, summary };
    } catch (error) {
      this.deps.logger.error('Batch failed as a whole; Kinesis will retry it', {
        ...summary,
        ...batchFailureDetail(error),
      });
      if (this.deps.metrics) countBatch(this.deps.metrics, summary);
      throw error;
    }
  }

  /** Observes every record's outcome (the local runner's reconciliation uses it). Returns an unsubscribe. */
  onRecordOutcome(listener: RecordOutcomeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private notify(outcome: RecordOutcome): void {
    for (const listener of this.listeners) listener(outcome);
  }

  /**
   * Publishes what Firehose took to the routing bus; what the bus does not take goes under
   * `unrouted/`. Never fails the batch: the events are in the lake, and failing their records
   * would only deliver them twice.
   */
  private async route(
    router: NonNullable<ConsumerDependencies['router']>,
    events: Uint8Array[],
    summary: BatchSummary,
    deadline: Deadline,
    budget: CallBudget,
  ): Promise<void> {
    // A publish attempt only while it and the unrouted write after it both fit.
    const outcomes = await router.publisher.publish(events, { canAttempt: () => hasTimeFor(deadline, budget, 2) });
    const failed = events.filter((_, index) => outcomes[index]?.ok !== true);
    summary.routed += events.length - failed.length;
    if (failed.length === 0) return;
    const first = outcomes.find((outcome) => outcome.ok !== true);
    const reason =
      first && !first.ok
        ? { errorCode: first.errorCode, errorMessage: first.errorMessage }
        : { errorCode: 'Unknown', errorMessage: '' };
    summary.unrouted += failed.length;
    try {
      const location = await router.unrouted.put(failed, reason);
      this.deps.logger.error('Delivered events could not be published to the routing bus; kept for a re-drive', {
        count: failed.length,
        ...reason,
        location,
      });
    } catch (error) {
      this.deps.logger.error(
        'Delivered events could not be published to the routing bus, nor kept: their routes will not see them',
        {
          count: failed.length,
          ...reason,
          error: toError(error),
        },
      );
    }
  }

  handler = async (event: KinesisStreamEvent, context?: Context): Promise<PartialItemFailureResponse> =>
    (await this.processBatch(event, context)).response;

  private async handleRecord(
    streamRecord: StreamRecord,
    batch: DeliveryBatch,
    summary: BatchSummary,
    deadline: Deadline,
    budget: CallBudget,
  ): Promise<Handled> {
    let normalized: ReturnType<typeof normalizeRecord>;
    try {
      normalized = normalizeRecord(streamRecord, this.options);
    } catch (error) {
      if (!isInvalidRecordError(error)) throw error;
      return this.quarantineRecord(streamRecord, error, summary, deadline, budget);
    }
    return {
      result: await batch.submit(normalized),
      source: normalized.source,
      key: normalized.key,
      body: normalized.body,
    };
  }

  private async quarantineRecord(
    streamRecord: StreamRecord,
    error: InvalidRecordError,
    summary: BatchSummary,
    deadline: Deadline,
    budget: CallBudget,
  ): Promise<Handled> {
    if (!hasTimeFor(deadline, budget, 1)) {
      throw new RetryableError(
        'INVOCATION_DEADLINE',
        `Only ${deadline.remainingMs()} ms left: not enough to write the quarantine`,
      );
    }
    const location = await this.deps.quarantine.put({
      reason: error.reason,
      message: error.message,
      origin: streamRecord.origin,
      data: streamRecord.data,
    });
    summary.quarantined++;
    summary.quarantineReasons[error.reason] = (summary.quarantineReasons[error.reason] ?? 0) + 1;
    this.deps.logger.warn('Record quarantined', {
      reason: error.reason,
      detail: error.message,
      sequenceNumber: streamRecord.origin.sequenceNumber,
      ...(streamRecord.origin.subSequenceNumber !== undefined && {
        subSequenceNumber: streamRecord.origin.subSequenceNumber,
      }),
      location,
    });
    return { result: 'quarantined', source: error.source ?? 'unknown', reason: error.reason };
  }
}

type Handled = { result: RecordResult; source: string; reason?: ReasonCode; key?: EventKey; body?: Uint8Array };
