import { isUtf8 } from 'node:buffer';
import { type AdaptedEvent, CANONICAL_SCHEMA_VERSION, type CanonicalEvent } from '../canonical-event';
import { MAX_RECORD_BYTES } from '../delivery/firehose-sink';
import { InvalidRecordError } from '../errors';
import { assertTimeInWindow, type TimeWindow } from '../event-time';
import type { EventKey } from '../idempotency/idempotency-store';
import { exceedsJsonDepth, jsonTooDeepMessage } from '../json-depth';
import { adapt, idScopeOf, SOURCE_ADAPTERS } from '../sources';
import type { SourceAdapter } from '../sources/source-adapter';
import type { StreamRecord } from './stream-record';

export interface NormalizeOptions extends TimeWindow {
  environment: string;
  adapters?: readonly SourceAdapter[];
}

/** A record ready for delivery: the canonical event, its serialized bytes and key (the transformer partitions it). */
export interface NormalizedEvent {
  source: string;
  key: EventKey;
  event: CanonicalEvent;
  body: Buffer;
}

const parseJson = (data: Buffer): unknown => {
  // toString would turn undecodable bytes into U+FFFD silently: reject them instead.
  if (!isUtf8(data)) throw new InvalidRecordError('MALFORMED_JSON', 'Record is not valid UTF-8');
  const text = data.toString('utf8');
  if (exceedsJsonDepth(text)) throw new InvalidRecordError('JSON_TOO_DEEP', jsonTooDeepMessage('Record'));
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new InvalidRecordError('MALFORMED_JSON', `Record is not valid JSON: ${(error as Error).message}`, {
      cause: error,
    });
  }
};

type Enrichment = Pick<CanonicalEvent, 'receivedAt' | 'idScope' | 'environment' | 'envelopeVersion'>;

/**
 * `{ ...adapted, ...enrichment }`: same keys, order and values. Not written as a spread
 * because on Node 20 (V8 11.3) an object spread followed by more properties gives every
 * result its own hidden class, which cost ~3 µs per record and made JSON.stringify of the
 * event twice as slow; Object.assign onto a fresh literal keeps one shape. The two differ
 * only for an own `__proto__` key (assignment would set the prototype), which keeps the spread.
 */
const enrich = (adapted: AdaptedEvent, enrichment: Enrichment): CanonicalEvent =>
  Object.hasOwn(adapted, '__proto__') ? { ...adapted, ...enrichment } : Object.assign({}, adapted, enrichment);

/**
 * decode → parse → adapt (validate) → check time → enrich → serialize → partition.
 * Pure apart from its input; throws InvalidRecordError with a reason code.
 */
export const normalizeRecord = (record: StreamRecord, options: NormalizeOptions): NormalizedEvent => {
  if (record.data.length === 0) {
    throw new InvalidRecordError('EMPTY_RECORD', 'Record has no data');
  }
  // The arrival is the event time of a record whose producer gave none (a product action).
  const adaptedRecord = adapt(parseJson(record.data), options.adapters ?? SOURCE_ADAPTERS, {
    receivedAt: record.origin.approximateArrivalTimestamp,
  });
  const { source, event: adapted } = adaptedRecord;
  try {
    return complete(record, source, idScopeOf(adaptedRecord), adapted, options);
  } catch (error) {
    if (error instanceof InvalidRecordError) error.source = source;
    throw error;
  }
};

/** The steps after an adapter claimed the record: time window, enrichment, size, partition. */
const complete = (
  record: StreamRecord,
  source: string,
  idScope: string,
  adapted: AdaptedEvent,
  options: NormalizeOptions,
): NormalizedEvent => {
  assertTimeInWindow(adapted.time, record.arrivalMillis, options);

  const event = enrich(adapted, {
    receivedAt: record.origin.approximateArrivalTimestamp,
    idScope,
    environment: options.environment,
    envelopeVersion: CANONICAL_SCHEMA_VERSION,
  });
  const body = Buffer.from(JSON.stringify(event));
  // The transformer adds a newline; leave it room so the record still fits Firehose.
  if (body.length + 1 > MAX_RECORD_BYTES) {
    throw new InvalidRecordError(
      'RECORD_TOO_LARGE',
      `Canonical event is ${body.length} bytes; Firehose accepts at most ${MAX_RECORD_BYTES - 1} plus a newline`,
    );
  }
  return {
    source,
    key: { clientId: event.clientId, source: idScope, eventId: event.id },
    event,
    body,
  };
};
