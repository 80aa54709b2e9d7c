/**
 * Version of the canonical envelope written to the lake (`envelopeVersion`); bump on breaking shape
 * changes. '2': the envelope's own version field was renamed from `schemaVersion` to
 * `envelopeVersion`, so `schemaVersion` means only the producer's (`detail.schemaVersion`).
 */
export const CANONICAL_SCHEMA_VERSION = '2';

/**
 * The one event shape every source adapter maps into: an EventBridge-style envelope
 * plus the pipeline's enrichment. `id` is the idempotency key within a clientId.
 */
export interface CanonicalEvent {
  id: string;
  source: string;
  'detail-type': string;
  /** Event time, ISO 8601 UTC with milliseconds (`Date#toISOString`). */
  time: string;
  clientId: string;
  detail: Record<string, unknown>;
  /** When the record reached the stream, ISO 8601 UTC. Stable across retries. */
  receivedAt: string;
  /**
   * Where `id` is unique: the source adapter, prefixed by the ingest channel when it is not a
   * trusted stream producer (`usage-meter`, `http-api/usage-meter`). (clientId, idScope, id) is
   * the idempotency key, so no producer's ids can shadow another kind's or another channel's.
   */
  idScope: string;
  environment: string;
  /**
   * The version of this envelope (CANONICAL_SCHEMA_VERSION). Not `schemaVersion`: that name is the
   * producer's, kept in `detail` (a client event's `entry.schemaVersion`).
   */
  envelopeVersion: string;
}

/** What an adapter produces; the consumer adds the enrichment. */
export type AdaptedEvent = Pick<CanonicalEvent, 'id' | 'source' | 'detail-type' | 'time' | 'clientId' | 'detail'>;

/** `detail.eventType` when the producer set one, else the envelope's `detail-type`. */
export const eventTypeOf = (event: { 'detail-type'?: unknown; detail?: unknown }): string | undefined => {
  const detail = event.detail;
  if (detail !== null && typeof detail === 'object') {
    const eventType = (detail as { eventType?: unknown }).eventType;
    if (typeof eventType === 'string' && eventType !== '') return eventType;
  }
  const detailType = event['detail-type'];
  return typeof detailType === 'string' && detailType !== '' ? detailType : undefined;
};
