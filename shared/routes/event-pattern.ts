/**
 * Amazon EventBridge event patterns, matched locally exactly as EventBridge matches them, and
 * validated as PutRule validates them. Hand-written because no maintained npm package implements
 * the pattern language faithfully; the reference is AWS's own matcher, event-ruler (Java), whose
 * semantics the modules under ./event-pattern/ follow:
 * - compile.ts: the pattern's structure, `$or` and validation;
 * - operators.ts: plain values and the operators (prefix, suffix, anything-but, numeric, ...);
 * - match.ts: flattening the event and array-consistent matching.
 * Docs: https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns.html
 */
import { compileSubRules } from './event-pattern/compile';
import { EventPatternError, isPlainObject } from './event-pattern/errors';
import { flattenEvent, matchesSubRule, pathsOfInterest } from './event-pattern/match';
import type { RouteCheck } from './routes-file';

export { EventPatternError } from './event-pattern/errors';

export type EventMatcher = (event: unknown) => boolean;

/**
 * Compiles a pattern once (throwing EventPatternError if PutRule would reject it) into a matcher
 * for many events. An event is the canonical event JSON (`source`, `detail-type`, `detail`, ...);
 * anything but a JSON object matches nothing.
 */
export const compileEventPattern = (pattern: unknown): EventMatcher => {
  const rules = compileSubRules(pattern);
  const interest = pathsOfInterest(rules);
  return (event) => {
    if (!isPlainObject(event)) return false;
    const fields = flattenEvent(event, interest);
    return rules.some((rule) => matchesSubRule(rule, fields));
  };
};

/** One-off convenience; compile with compileEventPattern to match many events. */
export const matchesEventPattern = (pattern: unknown, event: unknown): boolean => compileEventPattern(pattern)(event);

/** The routes-file check for `route.pattern`: the problem, with the pattern path, or undefined. */
export const eventPatternCheck: RouteCheck = (route) => {
  try {
    compileSubRules(route.pattern);
    return undefined;
  } catch (error) {
    if (!(error instanceof EventPatternError)) throw error;
    return { field: error.path === '' ? 'pattern' : `pattern.${error.path}`, detail: error.reason };
  }
};
