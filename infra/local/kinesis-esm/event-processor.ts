import { randomUUID } from 'node:crypto';
import type { KinesisStreamEvent } from 'aws-lambda';
import type { HandlerInvoker } from '../lambda/invoker';
import { LOCAL_FUNCTION_MEMORY_MB } from '../runtime/aws';
import { errorMessage, errorName } from '../runtime/errors';
import { type CheckpointDecision, checkpointAfter } from './checkpoint';
import type { EsmContext } from './context';
import { discardRecords } from './on-failure';
import { bisect, countExpired, decideAfterFailure } from './retry-policy';
import type { ShardPoller } from './shard-poller';
import type { BufferedRecord, PendingBatch, ShardWorker } from './types';

type InvocationOutcome = CheckpointDecision | { kind: 'functionError'; error: unknown };

/**
 * One batch through the function until every record of it is settled: invoked, checkpointed,
 * retried, bisected, or discarded to the on-failure destination.
 */
export class EventProcessor {
  constructor(
    private readonly ctx: EsmContext,
    private readonly invoker: HandlerInvoker<KinesisStreamEvent, unknown>,
    private readonly poller: ShardPoller,
  ) {}

  /** Invokes, retries, bisects and discards until every record of the batch is settled. */
  async settle(worker: ShardWorker, batch: BufferedRecord[]): Promise<void> {
    const { ctx } = this;
    const queue: PendingBatch[] = [{ records: batch, retries: 0, invokeCount: 0 }];
    while (!ctx.stopped) {
      const pending = queue[0];
      if (pending === undefined) return;

      const expired = countExpired(
        pending.records.map((r) => r.record),
        ctx.now(),
        ctx.settings.maximumRecordAgeInSeconds,
      );
      if (expired > 0) {
        await discardRecords(ctx, worker, pending, pending.records.slice(0, expired), 'RecordAgeExceeded');
        pending.records = pending.records.slice(expired);
        if (pending.records.length === 0) queue.shift();
        continue;
      }

      this.poller.startReadAhead(worker);
      const outcome = await this.invoke(worker, pending);
      if (outcome.kind === 'success') {
        ctx.counters.succeeded += pending.records.length;
        queue.shift();
        continue;
      }
      ctx.counters.failedInvocations++;
      if (outcome.kind === 'partialFailure') {
        ctx.counters.succeeded += outcome.failedIndex;
        pending.records = pending.records.slice(outcome.failedIndex);
      }
      const decision = decideAfterFailure(
        { kind: outcome.kind, size: pending.records.length, retries: pending.retries },
        ctx.policy,
      );
      switch (decision.action) {
        case 'bisect': {
          ctx.counters.bisections++;
          const [first, second] = bisect(pending.records);
          queue.splice(0, 1, { ...pending, records: first }, { ...pending, records: second });
          break;
        }
        case 'retry':
          pending.retries = decision.retries;
          await ctx.sleep(decision.delayMs);
          break;
        case 'discard':
          pending.retries = decision.retries;
          await discardRecords(ctx, worker, pending, pending.records, 'RetryAttemptsExhausted');
          queue.shift();
          break;
      }
    }
  }

  private async invoke(worker: ShardWorker, pending: PendingBatch): Promise<InvocationOutcome> {
    const { ctx } = this;
    const requestId = randomUUID();
    const records = pending.records.map((buffered) => {
      buffered.deliveries++;
      if (buffered.deliveries === 1) ctx.counters.recordsIn++;
      else ctx.counters.redelivered++;
      return buffered.record;
    });
    const spec = {
      functionName: ctx.options.functionName,
      region: ctx.options.region,
      accountId: ctx.accountId,
      timeoutSeconds: ctx.options.timeoutSeconds,
      memoryLimitInMB: ctx.options.memoryLimitInMB ?? LOCAL_FUNCTION_MEMORY_MB,
      requestId,
    };
    ctx.counters.invocations++;
    pending.invokeCount++;
    pending.lastRequestId = requestId;
    const startedAt = performance.now();
    let outcome: InvocationOutcome;
    try {
      const response = await this.invoker.invoke({ Records: records }, spec);
      outcome = checkpointAfter(response, records, ctx.reportBatchItemFailures);
    } catch (error) {
      outcome = { kind: 'functionError', error };
    }
    pending.lastInvocation = { functionError: outcome.kind === 'functionError' };
    const failures =
      outcome.kind === 'success'
        ? 0
        : outcome.kind === 'partialFailure'
          ? records.length - outcome.failedIndex
          : records.length;
    if (outcome.kind === 'functionError') {
      ctx.log.warn('Invocation failed with a function error', {
        shardId: worker.shardId,
        requestId,
        errorType: errorName(outcome.error),
        errorMessage: errorMessage(outcome.error),
      });
    } else if (outcome.kind === 'batchFailure') {
      ctx.log.warn('Invalid batch item failure response: the whole batch failed', {
        shardId: worker.shardId,
        requestId,
        reason: outcome.reason,
      });
    }
    ctx.options.onBatch?.({
      shardId: worker.shardId,
      requestId,
      records: records.length,
      failures,
      outcome: outcome.kind,
      durationMs: performance.now() - startedAt,
    });
    return outcome;
  }
}
