import type { z } from 'zod';
import type { AdaptedEvent } from '../canonical-event';
import { InvalidRecordError } from '../errors';

/**
 * One producer shape mapped into the canonical event. Adding a source is one file that
 * exports an adapter, plus one line in `./index.ts`.
 */
export interface SourceAdapter {
  readonly name: string;
  /** True when the adapter itself may give ids in the derived namespace (and rejects callers' ones). */
  readonly derivesIds?: boolean;
  /** Cheap structural test: does this payload claim to be of this shape? */
  matches(payload: Record<string, unknown>): boolean;
  /**
   * Validates and maps; throws InvalidRecordError with a reason code when it cannot. `context`
   * is what the pipeline knows of the record beyond its payload (its arrival), for a source
   * whose producer may leave a field for the pipeline to fill (a product action's time).
   */
  toCanonical(payload: Record<string, unknown>, context?: AdaptContext): AdaptedEvent;
}

/** What the pipeline knows of a record beyond its payload. */
export interface AdaptContext {
  /**
   * When the record arrived, ISO 8601 UTC: the Kinesis `approximateArrivalTimestamp` in the
   * consumer (the event's `receivedAt`), the request's arrival in the HTTP API.
   */
  receivedAt: string;
}

const MAX_ISSUES_IN_MESSAGE = 5;

/** Runs a zod schema and turns its issues into one readable SCHEMA_VIOLATION message. */
export const parseWith = <T>(schema: z.ZodType<T>, payload: unknown, sourceName: string): T => {
  const result = schema.safeParse(payload);
  if (result.success) return result.data;
  const issues = result.error.issues
    .slice(0, MAX_ISSUES_IN_MESSAGE)
    .map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`)
    .join('; ');
  throw new InvalidRecordError('SCHEMA_VIOLATION', `Invalid ${sourceName} event: ${issues}`);
};
