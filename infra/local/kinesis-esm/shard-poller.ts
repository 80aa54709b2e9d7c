import {
  DescribeStreamSummaryCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  ListShardsCommand,
  type Shard,
  type ShardIteratorType,
} from '@aws-sdk/client-kinesis';
import { KINESIS_MAX_GET_RECORDS_LIMIT } from '../runtime/aws';
import { errorMessage, errorName } from '../runtime/errors';
import type { EsmContext } from './context';
import { recordJsonBytes, toLambdaRecord } from './records';
import { retryDelay } from './retry-policy';
import type { ReadResult, ShardWorker } from './types';

const MAX_CONSECUTIVE_READ_ERRORS = 5;
const STREAM_ACTIVE_TIMEOUT_MS = 30_000;

/**
 * The stream side of the runner, as the ESM's poller: the shards (found with ListShards, a
 * child started once all its parents are finished), their iterators, and GetRecords — one read
 * per shard at a time, the next one started while a batch is being invoked (read-ahead).
 */
export class ShardPoller {
  readonly workers = new Map<string, ShardWorker>();
  /** GetRecords `Limit`; also the buffer level under which a read-ahead starts. */
  readonly readLimit: number;

  constructor(
    private readonly ctx: EsmContext,
    /** Called for each shard that starts (its parents are done and it has its first iterator). */
    private readonly onShardReady: (worker: ShardWorker) => void,
  ) {
    this.readLimit = Math.min(KINESIS_MAX_GET_RECORDS_LIMIT, ctx.settings.batchSize * 10);
  }

  // -- stream and shards ------------------------------------------------------------------------

  async waitForActiveStream() {
    const { kinesis, streamName } = this.ctx.options;
    const deadline = Date.now() + STREAM_ACTIVE_TIMEOUT_MS;
    for (;;) {
      const { StreamDescriptionSummary: summary } = await kinesis.send(
        new DescribeStreamSummaryCommand({ StreamName: streamName }),
      );
      if (summary && (summary.StreamStatus === 'ACTIVE' || summary.StreamStatus === 'UPDATING')) return summary;
      if (Date.now() > deadline) {
        throw new Error(`Stream ${streamName} is not ACTIVE (status ${summary?.StreamStatus ?? 'unknown'})`);
      }
      await this.ctx.sleep(100);
      if (this.ctx.stopped) throw new Error('KinesisEventSource stopped');
    }
  }

  private async listShards(): Promise<Shard[]> {
    const shards: Shard[] = [];
    let nextToken: string | undefined;
    do {
      const page = await this.ctx.options.kinesis.send(
        new ListShardsCommand(nextToken ? { NextToken: nextToken } : { StreamName: this.ctx.options.streamName }),
        { abortSignal: this.ctx.signal },
      );
      shards.push(...(page.Shards ?? []));
      nextToken = page.NextToken;
    } while (nextToken);
    return shards;
  }

  /** Registers shards not seen yet and starts those whose parents are done. */
  async discoverShards(iteratorType: ShardIteratorType): Promise<void> {
    const listed = await this.listShards();
    for (const shard of listed) {
      const shardId = shard.ShardId;
      if (!shardId || this.workers.has(shardId)) continue;
      this.workers.set(shardId, {
        shard,
        shardId,
        state: 'waiting',
        iteratorType,
        closed: false,
        buffer: [],
        idleTicket: -1,
        consecutiveErrors: 0,
        source: {
          shardId,
          streamArn: this.ctx.streamArn,
          region: this.ctx.options.region,
          invokeIdentityArn: this.ctx.invokeIdentityArn,
        },
      });
    }
    await this.startReadyShards();
  }

  private parentsDone(worker: ShardWorker): boolean {
    return [worker.shard.ParentShardId, worker.shard.AdjacentParentShardId].every((parentId) => {
      if (!parentId) return true;
      const parent = this.workers.get(parentId);
      return parent === undefined || parent.state === 'finished';
    });
  }

  private async startReadyShards(): Promise<void> {
    const ready = [...this.workers.values()].filter((worker) => worker.state === 'waiting' && this.parentsDone(worker));
    await Promise.all(
      ready.map(async (worker) => {
        worker.state = 'running';
        worker.iterator = await this.getIterator(worker);
        if (this.ctx.stopped) return;
        this.onShardReady(worker);
      }),
    );
  }

  private async getIterator(worker: ShardWorker): Promise<string | undefined> {
    const after = worker.lastFetchedSequence;
    let iteratorType = worker.iteratorType;
    if (!after && iteratorType === 'LATEST') {
      if (worker.latestSince === undefined) {
        worker.latestSince = Date.now();
      } else {
        // A LATEST iterator expired before any record was fetched: LATEST again would skip the
        // records put since. Read from TRIM_HORIZON and skip those that arrived before the first
        // iterator (AT_TIMESTAMP would do, but kinesalite never answers it when no record is that recent).
        iteratorType = 'TRIM_HORIZON';
        worker.skipArrivalsBefore = worker.latestSince;
      }
    }
    const { ShardIterator } = await this.ctx.options.kinesis.send(
      new GetShardIteratorCommand({
        StreamName: this.ctx.options.streamName,
        ShardId: worker.shardId,
        ...(after
          ? { ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', StartingSequenceNumber: after }
          : { ShardIteratorType: iteratorType }),
      }),
      { abortSignal: this.ctx.signal },
    );
    return ShardIterator;
  }

  // -- reads ------------------------------------------------------------------------------------

  /** The read-ahead in flight, if any, else a new GetRecords. */
  async nextRead(worker: ShardWorker): Promise<ReadResult> {
    const read = worker.readAhead ?? this.read(worker);
    worker.readAhead = undefined;
    return read;
  }

  /**
   * While a batch is being invoked, fetch the next records (as the ESM's poller does), so reads
   * overlap invocations; at most one read per shard is in flight (iterators are sequential) and
   * the buffer holds at most about two reads' worth of records.
   */
  startReadAhead(worker: ShardWorker): void {
    if (worker.readAhead || worker.closed || this.ctx.stopped || worker.buffer.length >= this.readLimit) return;
    const read = this.read(worker);
    read.catch(() => undefined); // rethrown to whoever awaits it through nextRead()
    worker.readAhead = read;
  }

  /** One GetRecords; appends to the buffer. Read errors are retried a few times, then fail the shard. */
  private async read(worker: ShardWorker): Promise<ReadResult> {
    const ticket = this.ctx.nextTicket();
    try {
      const response = await this.ctx.options.kinesis.send(
        new GetRecordsCommand({ ShardIterator: worker.iterator, Limit: this.readLimit }),
        {
          abortSignal: this.ctx.signal,
        },
      );
      worker.consecutiveErrors = 0;
      const records = response.Records ?? [];
      worker.iterator = response.NextShardIterator;
      if (worker.iterator === undefined) worker.closed = true;
      for (const record of records) {
        worker.lastFetchedSequence = record.SequenceNumber;
        if (worker.skipArrivalsBefore !== undefined) {
          if ((record.ApproximateArrivalTimestamp?.getTime() ?? Number.POSITIVE_INFINITY) < worker.skipArrivalsBefore)
            continue;
          worker.skipArrivalsBefore = undefined;
        }
        const lambdaRecord = toLambdaRecord(record, worker.source);
        worker.buffer.push({ record: lambdaRecord, bytes: recordJsonBytes(lambdaRecord), deliveries: 0 });
      }
      if (records.length > 0) worker.idleTicket = -1;
      return {
        records: records.length,
        caughtUp: records.length === 0 && (response.MillisBehindLatest ?? 0) === 0,
        ticket,
      };
    } catch (error) {
      if (this.ctx.stopped) return { records: 0, caughtUp: false, ticket };
      if (errorName(error) === 'ExpiredIteratorException') {
        this.ctx.log.debug('Shard iterator expired; getting a new one', { shardId: worker.shardId });
        worker.iterator = await this.getIterator(worker);
        return { records: 0, caughtUp: false, ticket };
      }
      worker.consecutiveErrors++;
      if (worker.consecutiveErrors > MAX_CONSECUTIVE_READ_ERRORS) throw error;
      this.ctx.log.warn('GetRecords failed; retrying', { shardId: worker.shardId, error: errorMessage(error) });
      const { retryDelayMs, maxRetryDelayMs } = this.ctx.policy;
      await this.ctx.sleep(retryDelay(worker.consecutiveErrors, retryDelayMs, maxRetryDelayMs));
      return { records: 0, caughtUp: false, ticket };
    }
  }
}
