/**
 * An event pattern compiled to sub-rules: each maps a dot-joined field path (`detail.state`) to
 * what that field must hold, and the pattern matches when any sub-rule does. `$or` is what makes
 * more than one: every combination of its alternatives becomes a sub-rule (event-ruler's model).
 */
import { childPath, EventPatternError, isPlainObject, showValue } from './errors';
import { ABSENT, compileOperator, exactValue, type FieldSpec, type LeafTest, OPERATOR_NAMES } from './operators';

/** Fields in ascending path order: the order event-ruler matches them in, which `exists: false` depends on. */
export type SubRule = readonly (readonly [path: string, spec: FieldSpec])[];

// "APIs that accept an event pattern ... throw an InvalidEventPatternException if the use of $or
// results in over 1000 rule combinations" (content filtering, EventBridge user guide).
export const MAX_OR_COMBINATIONS = 1000;

type Draft = Map<string, FieldSpec>;

interface Context {
  /** Off for the retry that reads `$or` as a plain field name (see compileSubRules). */
  readonly orEnabled: boolean;
  readonly insideOr: boolean;
}

const compileValues = (values: readonly unknown[], path: string): FieldSpec => {
  if (values.length === 0) throw new EventPatternError(path, 'empty arrays are not allowed');
  const tests: LeafTest[] = [];
  let absent = false;
  values.forEach((value, index) => {
    const at = `${path}[${index}]`;
    if (typeof value === 'number' && !Number.isFinite(value))
      throw new EventPatternError(at, `${value} is not a JSON number`);
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' || value === null) {
      tests.push(exactValue(value));
    } else if (isPlainObject(value)) {
      const test = compileOperator(value, at);
      if (test === ABSENT) absent = true;
      else tests.push(test);
    } else {
      throw new EventPatternError(
        at,
        `a value to match must be a string, a number, true, false, null or an operator object, not ${showValue(value)}`,
      );
    }
  });
  return { tests, absent };
};

const expandOr = (alternatives: unknown, fieldPath: string, path: string, drafts: Draft[]): Draft[] => {
  if (!Array.isArray(alternatives))
    throw new EventPatternError(path, `$or must be an array of objects, not ${showValue(alternatives)}`);
  const expanded: Draft[] = [];
  alternatives.forEach((alternative, index) => {
    const at = `${path}[${index}]`;
    if (!isPlainObject(alternative))
      throw new EventPatternError(at, `each $or alternative must be an object, not ${showValue(alternative)}`);
    // Each alternative extends its own copy of every combination built so far.
    const copies = drafts.map((draft) => new Map(draft));
    expanded.push(...compileObject(alternative, fieldPath, at, copies, { orEnabled: true, insideOr: true }));
    if (expanded.length > MAX_OR_COMBINATIONS) {
      throw new EventPatternError(
        path,
        `$or results in more than ${MAX_OR_COMBINATIONS} rule combinations (EventBridge's limit)`,
      );
    }
  });
  if (alternatives.length < 2) throw new EventPatternError(path, '$or needs at least two alternatives');
  return expanded;
};

/** Compiles one object level into every draft; returns the drafts, which `$or` multiplies. */
const compileObject = (
  node: Record<string, unknown>,
  fieldPath: string,
  path: string,
  drafts: Draft[],
  context: Context,
): Draft[] => {
  const entries = Object.entries(node);
  if (entries.length === 0) throw new EventPatternError(path, 'empty objects are not allowed');
  let current = drafts;
  for (const [key, value] of entries) {
    const at = childPath(path, key);
    if (context.orEnabled && key === '$or') {
      current = expandOr(value, fieldPath, at, current);
      continue;
    }
    if (context.insideOr && OPERATOR_NAMES.has(key)) {
      throw new EventPatternError(at, `"${key}" is an operator name, so it cannot be a field name inside $or`);
    }
    const field = childPath(fieldPath, key);
    if (Array.isArray(value)) {
      const spec = compileValues(value, at);
      // A field given twice (or by two spellings, `a.b` and `a: {b}`) keeps its last values.
      for (const draft of current) draft.set(field, spec);
    } else if (isPlainObject(value)) {
      current = compileObject(value, field, at, current, context);
    } else {
      throw new EventPatternError(at, `must be an object or an array of values to match, not ${showValue(value)}`);
    }
  }
  return current;
};

const compileWith = (pattern: unknown, orEnabled: boolean): SubRule[] => {
  if (!isPlainObject(pattern))
    throw new EventPatternError('', `an event pattern must be a JSON object, not ${showValue(pattern)}`);
  const drafts = compileObject(pattern, '', '', [new Map()], { orEnabled, insideOr: false });
  return drafts.map((draft) =>
    [...draft.entries()].sort(([left], [right]) => (left < right ? -1 : left > right ? 1 : 0)),
  );
};

/**
 * Validates and compiles a pattern, throwing EventPatternError. Like event-ruler (and PutRule), a
 * pattern that is invalid with `$or` as the operator is tried once more with `$or` as an ordinary
 * field name, so legacy patterns that name a field "$or" still compile; the first error is reported.
 */
export const compileSubRules = (pattern: unknown): SubRule[] => {
  try {
    return compileWith(pattern, true);
  } catch (error) {
    if (!(error instanceof EventPatternError)) throw error;
    try {
      return compileWith(pattern, false);
    } catch {
      throw error;
    }
  }
};
