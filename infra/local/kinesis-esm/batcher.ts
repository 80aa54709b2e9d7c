import { LAMBDA_MAX_PAYLOAD_BYTES } from '../runtime/aws';
import type { EsmContext } from './context';
import type { ShardPoller } from './shard-poller';
import type { BufferedRecord, ShardWorker } from './types';

/** `{"Records":[` + `]}`. */
const EVENT_ENVELOPE_BYTES = Buffer.byteLength(JSON.stringify({ Records: [] }));

/**
 * How many of the leading records make one batch: at most `batchSize`, and the event
 * (`{"Records":[...]}`) within `maxBytes`. Always at least 1 when there is a record.
 */
export const batchCount = (
  recordBytes: readonly number[],
  batchSize: number,
  maxBytes = LAMBDA_MAX_PAYLOAD_BYTES,
): number => {
  let total = EVENT_ENVELOPE_BYTES;
  let count = 0;
  for (const bytes of recordBytes) {
    if (count >= batchSize) break;
    const next = total + bytes + (count > 0 ? 1 : 0);
    if (count > 0 && next > maxBytes) break;
    total = next;
    count++;
  }
  return count;
};

/** What the batcher needs to know of drain(): whether it is waiting, and when to look again. */
export interface DrainHooks {
  /** True while a drain() waits. */
  waiting(): boolean;
  /** A shard just went idle: drain() may be done. */
  check(): void;
}

/** Gathers a shard's records into batches: `batchSize`, the 6 MB payload, and the batching window. */
export class Batcher {
  constructor(
    private readonly ctx: EsmContext,
    private readonly poller: ShardPoller,
    private readonly drain: DrainHooks,
  ) {}

  /**
   * Reads until a batch is ready and takes it off the buffer: full (batchSize or 6 MB), or the
   * batching window has passed with records buffered, or — while drain() waits and with
   * `flushOnDrain` — the shard is caught up with records buffered.
   */
  async gather(worker: ShardWorker): Promise<BufferedRecord[]> {
    const { settings, pollIntervalMs } = this.ctx;
    const windowMs = settings.batchWindow * 1000;
    const startedAt = performance.now();
    const windowLeft = () => windowMs - (performance.now() - startedAt);
    let caughtUp = false;
    while (!this.ctx.stopped) {
      const count = batchCount(
        worker.buffer.slice(0, settings.batchSize + 1).map((r) => r.bytes),
        settings.batchSize,
      );
      const full = count === settings.batchSize || count < Math.min(worker.buffer.length, settings.batchSize);
      const flush = caughtUp && this.flushingForDrain();
      if (count > 0 && (full || windowLeft() <= 0 || worker.closed || flush)) return worker.buffer.splice(0, count);
      if (worker.closed) return [];

      const read = await this.poller.nextRead(worker);
      if (this.ctx.stopped) return [];
      caughtUp = read.caughtUp;
      if (read.records > 0 || !read.caughtUp) continue;
      if (worker.buffer.length === 0) {
        worker.idleTicket = read.ticket;
        this.drain.check();
        await this.ctx.sleep(pollIntervalMs);
      } else if (!this.flushingForDrain()) {
        await this.ctx.sleep(Math.max(0, Math.min(pollIntervalMs, windowLeft())));
      }
    }
    return [];
  }

  /** A caught-up shard's partial batch goes now rather than after the window (flushOnDrain, while drain() waits). */
  private flushingForDrain(): boolean {
    return this.ctx.flushOnDrain && this.drain.waiting();
  }
}
