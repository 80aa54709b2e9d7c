import {
  BatchGetCommand,
  type BatchGetCommandOutput,
  BatchWriteCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import { backoffDelay, mapWithConcurrency, sleep } from '../concurrency';
import { RetryableError } from '../errors';
import { type EventKey, type IdempotencyStore, keyString, sortKeyOf } from './idempotency-store';

const MAX_KEYS_PER_GET = 100;
const MAX_ITEMS_PER_WRITE = 25;
const MAX_ATTEMPTS = 5;
const BACKOFF = { baseDelayMs: 50, maxDelayMs: 1_000 };
/**
 * Calls in flight at once. 20 sends the writes of a full batch (serverless.yml's batchSize 500 =
 * 20 × 25 items) in one round instead of three: each extra round costs a round trip (and, when
 * the process is busy, the wait until it reads the responses), all on the invocation's critical path.
 */
const CONCURRENCY = 20;

export interface DynamoDbIdempotencyStoreOptions {
  tableName: string;
  ttlSeconds: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

const chunk = <T>(items: readonly T[], size: number): T[][] => {
  const chunks: T[][] = [];
  for (let i = 0; i < items.length; i += size) chunks.push(items.slice(i, i + size));
  return chunks;
};

/**
 * Table keyed by (clientId, eventKey = `<source>#<eventId>`) with an `expiresAt` TTL attribute. Reads are
 * strongly consistent BatchGetItem; writes are BatchWriteItem puts, one per event.
 */
export class DynamoDbIdempotencyStore implements IdempotencyStore {
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  /** Items written since construction: the benchmark's writes-per-event figure. */
  writes = 0;

  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly options: DynamoDbIdempotencyStoreOptions,
  ) {
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep ?? sleep;
  }

  async findDelivered(keys: readonly EventKey[]): Promise<Set<string>> {
    const found = new Set<string>();
    // The table answers with its own keys; map them back to the callers' keyStrings.
    const bySortKey = new Map(keys.map((key) => [JSON.stringify([key.clientId, sortKeyOf(key)]), keyString(key)]));
    const nowSeconds = Math.floor(this.now() / 1000);
    await mapWithConcurrency(chunk(keys, MAX_KEYS_PER_GET), CONCURRENCY, async (batch) => {
      let pending: Record<string, unknown>[] = batch.map((key) => ({
        clientId: key.clientId,
        eventKey: sortKeyOf(key),
      }));
      for (let attempt = 1; pending.length > 0; attempt++) {
        if (attempt > MAX_ATTEMPTS) {
          throw new RetryableError('IDEMPOTENCY_UNAVAILABLE', `DynamoDB left ${pending.length} keys unprocessed`);
        }
        if (attempt > 1) await this.sleep(backoffDelay(attempt - 1, BACKOFF));
        let response: BatchGetCommandOutput;
        try {
          response = await this.client.send(
            new BatchGetCommand({
              RequestItems: {
                [this.options.tableName]: {
                  Keys: pending,
                  ConsistentRead: true,
                  ProjectionExpression: 'clientId, eventKey, expiresAt',
                },
              },
            }),
          );
        } catch (error) {
          throw new RetryableError('IDEMPOTENCY_UNAVAILABLE', 'Idempotency table read failed', { cause: error });
        }
        for (const item of response.Responses?.[this.options.tableName] ?? []) {
          // TTL deletion lags by up to days: an expired item no longer counts.
          if (typeof item.expiresAt === 'number' && item.expiresAt <= nowSeconds) continue;
          const key = bySortKey.get(JSON.stringify([String(item.clientId), String(item.eventKey)]));
          if (key !== undefined) found.add(key);
        }
        pending = response.UnprocessedKeys?.[this.options.tableName]?.Keys ?? [];
      }
    });
    return found;
  }

  async recordDelivered(keys: readonly EventKey[], options: { canRetry?: () => boolean } = {}): Promise<number> {
    const nowMillis = this.now();
    const deliveredAt = new Date(nowMillis).toISOString();
    const expiresAt = Math.floor(nowMillis / 1000) + this.options.ttlSeconds;
    // BatchWriteItem rejects two puts of one key in a call.
    const unique = [...new Map(keys.map((key) => [keyString(key), key])).values()];
    const written = await mapWithConcurrency(chunk(unique, MAX_ITEMS_PER_WRITE), CONCURRENCY, async (batch) => {
      let pending: { PutRequest: { Item: Record<string, unknown> } }[] = batch.map((key) => ({
        PutRequest: { Item: { clientId: key.clientId, eventKey: sortKeyOf(key), deliveredAt, expiresAt } },
      }));
      let count = 0;
      for (let attempt = 1; pending.length > 0; attempt++) {
        if (attempt > MAX_ATTEMPTS || (attempt > 1 && options.canRetry?.() === false)) {
          throw new RetryableError('IDEMPOTENCY_UNAVAILABLE', `DynamoDB left ${pending.length} writes unprocessed`);
        }
        if (attempt > 1) await this.sleep(backoffDelay(attempt - 1, BACKOFF));
        const response = await this.client.send(
          new BatchWriteCommand({ RequestItems: { [this.options.tableName]: pending } }),
        );
        const unprocessed = (response.UnprocessedItems?.[this.options.tableName] ?? []) as typeof pending;
        count += pending.length - unprocessed.length;
        pending = unprocessed;
      }
      return count;
    });
    const total = written.reduce((sum, count) => sum + count, 0);
    this.writes += total;
    return total;
  }
}
