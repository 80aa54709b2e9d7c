/**
 * A local stand-in for Lambda's Kinesis event source mapping (ESM): it reads a stream with the
 * real SDK and invokes a handler the way the deployed mapping does (partial batch responses,
 * bisect, retries, record age, on-failure destination). What it implements, where it differs
 * from AWS and the AWS documentation it follows: infra/local/README.md, "Kinesis event source".
 *
 * This file is the runner's lifecycle (start, drain, stop, stats) and each shard's loop; the
 * parts: shard-poller.ts (shards, iterators, GetRecords), batcher.ts (batches),
 * event-processor.ts (invoke, retry, bisect), checkpoint.ts, retry-policy.ts, on-failure.ts.
 */
import { inProcessInvoker } from '../lambda/invoker';
import { errorMessage } from '../runtime/errors';
import { Batcher } from './batcher';
import { EsmContext } from './context';
import { EventProcessor } from './event-processor';
import { ShardPoller } from './shard-poller';
import type { EventSourceStats, KinesisEventSourceOptions, KinesisHandler, ShardWorker } from './types';

export { DEFAULT_STREAM_SETTINGS } from '../runtime/aws';
export type {
  BatchProgress,
  DiscardCondition,
  EventSourceLogger,
  EventSourceStats,
  InvocationOutcomeKind,
  KinesisEventSourceOptions,
  KinesisHandler,
  OnFailureRecord,
} from './types';

interface DrainWaiter {
  ticket: number;
  resolve: () => void;
  reject: (error: Error) => void;
}

export class KinesisEventSource {
  private readonly ctx: EsmContext;
  private readonly poller: ShardPoller;
  private readonly batcher: Batcher;
  private readonly processor: EventProcessor;
  private readonly tasks: Promise<void>[] = [];
  private drainWaiters: DrainWaiter[] = [];
  /** Ticket of the last ListShards that found no shard we did not know. */
  private listedTicket = -1;
  private listing?: Promise<void> | undefined;
  private started = false;
  private stopping?: Promise<void>;
  private failure?: Error;

  constructor(options: KinesisEventSourceOptions) {
    this.ctx = new EsmContext(options);
    const { handler, invoker } = options;
    if ((handler === undefined) === (invoker === undefined))
      throw new Error('KinesisEventSource needs a handler or an invoker (one of the two)');
    const functionInvoker =
      invoker ?? inProcessInvoker(handler as KinesisHandler, { enforceTimeout: options.enforceTimeout ?? true });
    if (!Number.isInteger(this.ctx.settings.batchSize) || this.ctx.settings.batchSize < 1) {
      throw new Error(`batchSize must be a positive integer, got ${this.ctx.settings.batchSize}`);
    }
    this.poller = new ShardPoller(this.ctx, (worker) => this.tasks.push(this.runShard(worker)));
    this.batcher = new Batcher(this.ctx, this.poller, {
      waiting: () => this.drainWaiters.length > 0,
      check: () => this.checkDrain(),
    });
    this.processor = new EventProcessor(this.ctx, functionInvoker, this.poller);
  }

  /** Looks up the stream and its shards, gets shard iterators, and starts polling. Rejects (and stops) if the stream cannot be read. */
  async start(): Promise<void> {
    if (this.started) throw new Error('KinesisEventSource already started');
    this.started = true;
    const { settings, log } = this.ctx;
    if (settings.parallelizationFactor > 1) {
      log.warn('parallelizationFactor > 1 is treated as 1 locally (one invocation in flight per shard)', {
        parallelizationFactor: settings.parallelizationFactor,
      });
    }
    try {
      const summary = await this.poller.waitForActiveStream();
      this.ctx.identify(summary.StreamARN);
      await this.poller.discoverShards(settings.startingPosition);
    } catch (error) {
      // Shards that did start must not keep polling behind a failed start().
      await this.stop();
      throw error;
    }
    log.info('Kinesis event source started', { streamArn: this.ctx.streamArn, shards: this.poller.workers.size });
  }

  /**
   * Resolves once every shard is caught up — a GetRecords started after this call returned no
   * records, and nothing is buffered, in flight or waiting for a retry — or closed and done.
   * Rejects if the runner stops or a shard fails first.
   */
  drain(): Promise<void> {
    if (!this.started) return Promise.reject(new Error('KinesisEventSource not started'));
    if (this.ctx.stopped) return Promise.reject(new Error('KinesisEventSource stopped'));
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.drainWaiters.push({ ticket: this.ctx.lastTicket, resolve, reject });
      this.checkDrain();
    });
  }

  /** Stops polling and retrying; waits for an invocation in flight to finish. Idempotent. */
  stop(): Promise<void> {
    if (this.stopping) return this.stopping;
    this.ctx.stop();
    const waiters = this.drainWaiters;
    this.drainWaiters = [];
    for (const waiter of waiters) waiter.reject(new Error('KinesisEventSource stopped before the stream was drained'));
    this.stopping = Promise.allSettled([...this.tasks, this.listing]).then(() => undefined);
    return this.stopping;
  }

  stats(): EventSourceStats {
    return { ...this.ctx.counters };
  }

  // -- per-shard loop ---------------------------------------------------------------------------

  private async runShard(worker: ShardWorker): Promise<void> {
    try {
      if (worker.iterator === undefined) worker.closed = true;
      while (!this.ctx.stopped) {
        const batch = await this.batcher.gather(worker);
        if (this.ctx.stopped) return;
        if (batch.length > 0) {
          await this.processor.settle(worker, batch);
          this.checkDrain();
          continue;
        }
        if (worker.closed && worker.buffer.length === 0) {
          worker.state = 'finished';
          this.ctx.log.info('Shard finished', { shardId: worker.shardId });
          await this.poller.discoverShards('TRIM_HORIZON');
          this.checkDrain();
          return;
        }
      }
    } catch (error) {
      if (this.ctx.stopped) return;
      worker.state = 'failed';
      const failure = new Error(`Shard ${worker.shardId} failed: ${errorMessage(error)}`, { cause: error });
      this.failure ??= failure;
      this.ctx.log.error(failure.message, { shardId: worker.shardId });
      this.checkDrain();
    } finally {
      // A read-ahead still in flight (aborted by stop()) must not outlive the shard's task.
      await worker.readAhead?.catch(() => undefined);
    }
  }

  // -- drain ------------------------------------------------------------------------------------

  /**
   * Resolves the drain() waiters for which every known shard is finished or idle (a read
   * started after drain() found nothing) and a ListShards started after drain() found no new
   * shard — a split or UpdateShardCount can add shards that no reader has noticed yet.
   */
  private checkDrain(): void {
    if (this.drainWaiters.length === 0) return;
    if (this.failure) {
      const waiters = this.drainWaiters;
      this.drainWaiters = [];
      for (const waiter of waiters) waiter.reject(this.failure);
      return;
    }
    const workers = [...this.poller.workers.values()];
    let needListing = false;
    this.drainWaiters = this.drainWaiters.filter((waiter) => {
      const idle = workers.every(
        (worker) => worker.state === 'finished' || (worker.state === 'running' && worker.idleTicket > waiter.ticket),
      );
      if (!idle) return true;
      if (this.listedTicket > waiter.ticket) {
        waiter.resolve();
        return false;
      }
      needListing = true;
      return true;
    });
    if (needListing && !this.listing && !this.ctx.stopped) {
      this.listing = this.refreshShards().finally(() => {
        this.listing = undefined;
        this.checkDrain();
      });
    }
  }

  /** Lists the shards again; records the read ticket when no new shard turned up. */
  private async refreshShards(): Promise<void> {
    const ticket = this.ctx.nextTicket();
    const known = this.poller.workers.size;
    try {
      await this.poller.discoverShards('TRIM_HORIZON');
      if (this.poller.workers.size === known) this.listedTicket = ticket;
    } catch (error) {
      if (!this.ctx.stopped)
        this.ctx.log.warn('ListShards failed while checking for drain', { error: errorMessage(error) });
      await this.ctx.sleep(this.ctx.pollIntervalMs);
    }
  }
}
