/**
 * An event's identity for deduplication: ids are scoped to a client and to a source (the
 * canonical event's idScope: adapter, plus ingest channel), so no client can shadow another's
 * ids and no producer can shadow another kind's or another channel's.
 */
export interface EventKey {
  clientId: string;
  source: string;
  eventId: string;
}

export const keyString = (key: EventKey): string => JSON.stringify([key.clientId, key.source, key.eventId]);

/** The table's sort key: `<source>#<eventId>`; a source never contains `#`, so it is injective. */
export const sortKeyOf = (key: Pick<EventKey, 'source' | 'eventId'>): string => `${key.source}#${key.eventId}`;

/**
 * Remembers which events reached Firehose. Reads decide what is a duplicate; the one
 * write per event happens only after Firehose accepted it, so a failed delivery leaves
 * the event deliverable on retry.
 */
export interface IdempotencyStore {
  /** The keyStrings of the given events already delivered (and not expired). */
  findDelivered(keys: readonly EventKey[]): Promise<Set<string>>;
  /** Records delivered events; returns how many items were written. `canRetry` bounds retries in time. */
  recordDelivered(keys: readonly EventKey[], options?: { canRetry?: () => boolean }): Promise<number>;
}

/** Process-local store for dry runs and benchmarks. */
export class InMemoryIdempotencyStore implements IdempotencyStore {
  readonly delivered = new Set<string>();
  writes = 0;

  async findDelivered(keys: readonly EventKey[]): Promise<Set<string>> {
    return new Set(keys.map(keyString).filter((key) => this.delivered.has(key)));
  }

  async recordDelivered(keys: readonly EventKey[]): Promise<number> {
    for (const key of keys) this.delivered.add(keyString(key));
    this.writes += keys.length;
    return keys.length;
  }
}
