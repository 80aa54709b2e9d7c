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
  /** Validates and maps; throws InvalidRecordError with a reason code when it cannot. */
  toCanonical(payload: Record<string, unknown>): AdaptedEvent;
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
