import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { createKinesisClient } from '../aws/kinesis-client';
import { toError } from '../errors';
import { KinesisStreamWriter, MAX_RECORD_BYTES, type StreamRecordInput } from '../ingest/stream-writer';
import { asOwnCall } from './active-outgoing';
import { CAPTURE_DROP_REASONS } from './capture-metrics';
import type { ResolvedTransport } from './options';
import type { CaptureRecord } from './records';

/** Attempts per record within the budget (the budget, not this, is what bounds latency). */
const MAX_ATTEMPTS = 3;
const BASE_DELAY_MS = 10;
const MAX_DELAY_MS = 50;

export interface FlushResult {
  sent: number;
  /** Records that could not be sent (failed, timed out, or no stream configured). */
  notSent: number;
}

/** One client per process, created on first use (importing the library never creates one). */
let sharedClient: KinesisClient | undefined;
const defaultClient = (transport: ResolvedTransport): KinesisClient => {
  sharedClient ??= createKinesisClient(transport.env);
  return sharedClient;
};

/** For tests: forget the lazily created default client. */
export const resetDefaultKinesisClient = (): void => {
  sharedClient = undefined;
};

const TIMED_OUT = Symbol('timed out');

/**
 * Records waiting to be put on the stream, and one flush with a time budget: PutRecords
 * (partition key = clientId) through the shared stream writer, retrying only failed entries,
 * aborted when the budget runs out. Never throws; what was not sent is logged with a count and
 * counted as CaptureRecordsDropped (by reason) on the transport's metrics.
 */
export class CaptureBuffer {
  private pending: StreamRecordInput[] = [];

  constructor(private readonly transport: ResolvedTransport) {}

  get size(): number {
    return this.pending.length;
  }

  /** Serializes and queues a record; false (and an error log) when it cannot be serialized or is over the Kinesis record limit. */
  add(record: CaptureRecord): boolean {
    let data: Buffer;
    try {
      data = Buffer.from(JSON.stringify(record), 'utf8');
    } catch (caught) {
      this.transport.logger.error('Capture: event dropped, not serializable to JSON', {
        kind: record.kind,
        error: toError(caught).message,
        dropped: 1,
      });
      this.transport.metrics.dropped(CAPTURE_DROP_REASONS.unserializable);
      return false;
    }
    const bytes = data.byteLength + Buffer.byteLength(record.clientId);
    if (bytes > MAX_RECORD_BYTES) {
      this.transport.logger.error('Capture: event dropped, over the Kinesis record limit', {
        kind: record.kind,
        bytes,
        limitBytes: MAX_RECORD_BYTES,
        dropped: 1,
      });
      this.transport.metrics.dropped(CAPTURE_DROP_REASONS.recordTooLarge);
      return false;
    }
    this.pending.push({ partitionKey: record.clientId, data });
    return true;
  }

  /** Sends everything queued within `budgetMs` (default: the transport's flushTimeoutMs). */
  async flush(budgetMs: number = this.transport.flushTimeoutMs): Promise<FlushResult> {
    const records = this.pending;
    this.pending = [];
    const { logger, metrics } = this.transport;
    if (records.length === 0) return { sent: 0, notSent: 0 };
    const streamName = this.transport.streamName();
    if (streamName === undefined) {
      logger.error('Capture: events not sent, no stream configured (set streamName or CAPTURE_STREAM_NAME)', {
        notSent: records.length,
      });
      metrics.dropped(CAPTURE_DROP_REASONS.noStream, records.length);
      return { sent: 0, notSent: records.length };
    }
    if (budgetMs <= 0) {
      logger.warn('Capture: events not sent, no time left in the budget', { notSent: records.length });
      metrics.dropped(CAPTURE_DROP_REASONS.noBudget, records.length);
      return { sent: 0, notSent: records.length };
    }
    const controller = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      const client = this.transport.kinesisClient ?? defaultClient(this.transport);
      const writer = new KinesisStreamWriter(client, {
        streamName,
        maxAttempts: MAX_ATTEMPTS,
        baseDelayMs: BASE_DELAY_MS,
        maxDelayMs: MAX_DELAY_MS,
      });
      // As the capture's own call: outgoing capture does not record its PutRecords.
      const writing = asOwnCall(() => writer.write(records, { abortSignal: controller.signal }));
      // The writer never rejects, but a rejection after the race must not go unhandled.
      writing.catch(() => undefined);
      const timeout = new Promise<typeof TIMED_OUT>((resolve) => {
        timer = setTimeout(() => resolve(TIMED_OUT), budgetMs);
      });
      const outcomes = await Promise.race([writing, timeout]);
      if (outcomes === TIMED_OUT) {
        controller.abort();
        logger.warn('Capture: events not sent within the time budget', {
          notSent: records.length,
          flushTimeoutMs: budgetMs,
          streamName,
        });
        metrics.dropped(CAPTURE_DROP_REASONS.sendTimeout, records.length);
        return { sent: 0, notSent: records.length };
      }
      const failed = outcomes.filter((outcome) => !outcome.ok);
      const sent = outcomes.length - failed.length;
      if (failed.length > 0) {
        const errorCodes: Record<string, number> = {};
        for (const outcome of failed)
          if (!outcome.ok) errorCodes[outcome.errorCode] = (errorCodes[outcome.errorCode] ?? 0) + 1;
        logger.warn('Capture: events not sent', { notSent: failed.length, sent, errorCodes, streamName });
        metrics.dropped(CAPTURE_DROP_REASONS.sendFailed, failed.length);
      } else {
        logger.debug('Capture: events sent', { sent, streamName });
      }
      return { sent, notSent: failed.length };
    } catch (caught) {
      const error = toError(caught);
      logger.error('Capture: events not sent', {
        notSent: records.length,
        error: error.message,
        errorName: error.name,
      });
      metrics.dropped(CAPTURE_DROP_REASONS.sendFailed, records.length);
      return { sent: 0, notSent: records.length };
    } finally {
      if (timer !== undefined) clearTimeout(timer);
    }
  }
}
