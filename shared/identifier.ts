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

/** The values the lake partitions and deduplicates on must name something: throws INVALID_IDENTIFIER. */
export const assertIdentifiers = (event: Pick<AdaptedEvent, 'id' | 'clientId' | 'detail-type' | 'detail'>): void => {
  const problem =
    identifierProblem('clientId', event.clientId) ??
    identifierProblem('id', event.id) ??
    identifierProblem('event type', eventTypeOf(event) ?? '');
  if (problem !== undefined) throw new InvalidRecordError('INVALID_IDENTIFIER', problem);
};
