import { type AdaptedEvent, eventTypeOf } from './canonical-event';
import { InvalidRecordError } from './errors';

// Whitespace of every kind, zero-width characters included: a value made only of these names nothing.
const BLANK = /^[\s\u200B-\u200D\u2060\uFEFF]*$/u;
const REPLACEMENT_CHARACTER = '\uFFFD';
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Why a value cannot identify a client, an event or an event type, or undefined when it can:
 * empty, whitespace-only, or not valid UTF-8 (a lone surrogate from a `\ud800` escape, or
 * U+FFFD, which is what undecodable bytes become). Such values are rejected at the edge
 * (INVALID_IDENTIFIER), never partitioned or deduplicated on.
 */
export const identifierProblem = (name: string, value: string): string | undefined => {
  if (value === '') return `${name} is empty`;
  if (BLANK.test(value)) return `${name} is only whitespace (${JSON.stringify(value).slice(0, 40)})`;
  if (LONE_SURROGATE.test(value) || value.includes(REPLACEMENT_CHARACTER)) {
    return `${name} is not valid UTF-8 (${JSON.stringify(value).slice(0, 40)})`;
  }
  return undefined;
};

/**
 * Ids the pipeline derives (a meter's content hash) start with this; no caller may send one, so
 * a caller cannot compute a future record's id in advance and pre-empt it.
 */
export const DERIVED_ID_PREFIX = 'derived:';

export const isReservedId = (id: string): boolean =>
  id.slice(0, DERIVED_ID_PREFIX.length).toLowerCase() === DERIVED_ID_PREFIX;

/** A caller-supplied id in the derived namespace: throws RESERVED_ID. */
export const assertNotReserved = (name: string, id: string): void => {
  if (isReservedId(id)) {
    throw new InvalidRecordError(
      'RESERVED_ID',
      `${name} may not start with "${DERIVED_ID_PREFIX}": that namespace is for ids the pipeline derives`,
    );
  }
};

/**
 * Everything an adapted event's ids must satisfy, wherever it is adapted (the consumer's adapt(),
 * the HTTP API): identifiers that name something, and no caller id in the derived namespace.
 */
export const assertAcceptableIds = (
  adapter: { derivesIds?: boolean },
  event: Pick<AdaptedEvent, 'id' | 'clientId' | 'detail-type' | 'detail'>,
): void => {
  assertIdentifiers(event);
  if (!adapter.derivesIds) assertNotReserved('id', event.id);
};

/** The values the lake partitions and deduplicates on must name something: throws INVALID_IDENTIFIER. */
export const assertIdentifiers = (event: Pick<AdaptedEvent, 'id' | 'clientId' | 'detail-type' | 'detail'>): void => {
  const problem =
    identifierProblem('clientId', event.clientId) ??
    identifierProblem('id', event.id) ??
    identifierProblem('event type', eventTypeOf(event) ?? '');
  if (problem !== undefined) throw new InvalidRecordError('INVALID_IDENTIFIER', problem);
};
