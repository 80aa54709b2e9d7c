/**
 * Publishes delivered canonical events to the routing bus (routes.yml's rules run there), after
 * Firehose took them, so only deduplicated, validated events are routed and routing never holds
 * up the lake. PutEvents limits: 10 entries per call, 256 KB per call (entry size as EventBridge
 * counts it: Source + DetailType + Detail + …), https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutEvents.html
 * and https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-putevent-size.html.
 * Failed entries are retried with backoff; what still fails is returned, for the unrouted store.
 */
import { type EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { chunkIndexes } from '../batching';
import { backoffDelay, sleep } from '../concurrency';
import { toError } from '../errors';
import { ROUTING_DETAIL_TYPE, ROUTING_SOURCE } from '../routes/cloudformation';

export const MAX_ENTRIES_PER_CALL = 10;
export const MAX_BYTES_PER_CALL = 256 * 1024;

export type PublishOutcome = { ok: true } | { ok: false; errorCode: string; errorMessage: string };

export interface PublishOptions {
  /** Asked before each attempt; false leaves the rest not attempted. */
  canAttempt?: () => boolean;
}

export interface RoutePublisher {
  publish(events: readonly Uint8Array[], options?: PublishOptions): Promise<PublishOutcome[]>;
}

/** The size PutEvents counts for an entry: Source, DetailType and Detail as UTF-8 (no Resources, no Time). */
export const entrySize = (detailBytes: number, detailType: string = ROUTING_DETAIL_TYPE): number =>
  Buffer.byteLength(ROUTING_SOURCE) + Buffer.byteLength(detailType) + detailBytes;

export interface EventBridgePublisherOptions {
  busName: string;
  /** Default ROUTING_DETAIL_TYPE; a dead-letter re-drive uses the route's own (redriveDetailType). */
  detailType?: string;
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
}

export class EventBridgePublisher implements RoutePublisher {
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly random: () => number;

  constructor(
    private readonly client: EventBridgeClient,
    private readonly options: EventBridgePublisherOptions,
  ) {
    this.sleep = options.sleep ?? sleep;
    this.random = options.random ?? Math.random;
  }

  async publish(events: readonly Uint8Array[], options: PublishOptions = {}): Promise<PublishOutcome[]> {
    const outcomes: PublishOutcome[] = events.map(() => ({
      ok: false,
      errorCode: 'NotAttempted',
      errorMessage: 'not attempted',
    }));
    const sizes = events.map((event) => entrySize(event.byteLength, this.options.detailType));
    let pending: number[] = [];
    events.forEach((_, index) => {
      const size = sizes[index] ?? 0;
      if (size > MAX_BYTES_PER_CALL) {
        outcomes[index] = {
          ok: false,
          errorCode: 'EntryTooLarge',
          errorMessage: `${size} bytes: PutEvents takes at most ${MAX_BYTES_PER_CALL}`,
        };
      } else pending.push(index);
    });
    for (let attempt = 1; pending.length > 0 && attempt <= this.options.maxAttempts; attempt++) {
      if (attempt > 1) await this.sleep(backoffDelay(attempt - 1, this.options, this.random));
      if (options.canAttempt?.() === false) break;
      const failed: number[] = [];
      for (const chunk of chunkIndexes(sizes, pending, {
        maxCount: MAX_ENTRIES_PER_CALL,
        maxBytes: MAX_BYTES_PER_CALL,
      })) {
        failed.push(...(await this.putChunk(events, chunk, outcomes)));
      }
      pending = failed;
    }
    return outcomes;
  }

  /** One PutEvents; returns the indexes to retry. */
  private async putChunk(
    events: readonly Uint8Array[],
    chunk: readonly number[],
    outcomes: PublishOutcome[],
  ): Promise<number[]> {
    const entries: PutEventsRequestEntry[] = chunk.map((index) => ({
      EventBusName: this.options.busName,
      Source: ROUTING_SOURCE,
      DetailType: this.options.detailType ?? ROUTING_DETAIL_TYPE,
      Detail: Buffer.from(events[index] as Uint8Array).toString('utf8'),
    }));
    try {
      const response = await this.client.send(new PutEventsCommand({ Entries: entries }));
      const retry: number[] = [];
      chunk.forEach((index, position) => {
        const entry = response.Entries?.[position];
        if (entry?.EventId && !entry.ErrorCode) outcomes[index] = { ok: true };
        else {
          outcomes[index] = {
            ok: false,
            errorCode: entry?.ErrorCode ?? 'NoEntryResult',
            errorMessage: entry?.ErrorMessage ?? 'no result for the entry',
          };
          retry.push(index);
        }
      });
      return retry;
    } catch (error) {
      const failure = toError(error);
      for (const index of chunk)
        outcomes[index] = { ok: false, errorCode: failure.name, errorMessage: failure.message };
      return [...chunk];
    }
  }
}
