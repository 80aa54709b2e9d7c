/**
 * The values an event pattern lists for a field (`"state": ["running", {"prefix": "stop"}]`),
 * compiled to tests over one leaf value of the event. Operands are validated as PutRule
 * validates them (event-ruler's JsonRuleCompiler: EventBridge's reference implementation).
 */
import { childPath, EventPatternError, isPlainObject, showValue } from './errors';
import { type CidrBlock, inCidr, parseCidr, parseIpAddress, sameAddress } from './ip-address';
import { type CaseMode, endsWith, equalsIgnoringCase, type Glob, matchesGlob, parseGlob, startsWith } from './strings';

/** A leaf of the event JSON: what a field of a flattened event holds. */
export type Leaf = string | number | boolean | null;
export type LeafTest = (value: Leaf) => boolean;

/** What a pattern says about one field: any test passing matches; `absent` also matches a missing field. */
export interface FieldSpec {
  readonly tests: readonly LeafTest[];
  readonly absent: boolean;
}

/** Operator names: never field names inside `$or` (event-ruler reserves these, and some for later use). */
export const OPERATOR_NAMES: ReadonlySet<string> = new Set([
  ...['exactly', 'equals-ignore-case', 'prefix', 'suffix', 'anything-but', 'exists', 'wildcard', 'numeric', 'cidr'],
  ...['=', '<', '<=', '>', '>=', 'regex', 'not-wildcard', 'not-equals-ignore-case'],
  ...['date-after', 'date-on-or-after', 'date-before', 'date-on-or-before', 'in-date-range'],
  ...['ip-address-in-range', 'ip-address-not-in-range'],
]);

// "Numeric matching ... is limited to values between -5.0e9 and +5.0e9 inclusive, with 15 digits of
// precision, or six digits to the right of the decimal point" (content filtering, EventBridge user guide).
const NUMERIC_LIMIT = 5e9;
const inNumericRange = (value: number): boolean => value >= -NUMERIC_LIMIT && value <= NUMERIC_LIMIT;
/** Numbers compared at the documented precision: six decimal places (exact in a double up to 5e15). */
const micros = (value: number): number => Math.round(value * 1e6);

const requireNumber = (value: unknown, path: string): number => {
  if (typeof value !== 'number' || !Number.isFinite(value))
    throw new EventPatternError(path, `must be a number, not ${showValue(value)}`);
  if (!inNumericRange(value))
    throw new EventPatternError(path, `${value} is outside EventBridge's numeric range (-5.0e9 to 5.0e9)`);
  return value;
};

const requireString = (value: unknown, path: string, what: string): string => {
  if (typeof value !== 'string') throw new EventPatternError(path, `${what} must be a string, not ${showValue(value)}`);
  return value;
};

/** Plain values: strings, numbers (3.0e2 equals 300), true, false and null match themselves. */
export const exactValue = (expected: string | number | boolean | null): LeafTest => {
  if (typeof expected === 'number') {
    const expectedMicros = inNumericRange(expected) ? micros(expected) : undefined;
    return (value) =>
      typeof value === 'number' &&
      (value === expected ||
        (expectedMicros !== undefined && inNumericRange(value) && micros(value) === expectedMicros));
  }
  if (typeof expected === 'string') {
    const address = parseIpAddress(expected);
    if (!address) return (value) => value === expected;
    return (value) =>
      value === expected ||
      (typeof value === 'string' && sameAddress(parseIpAddress(value) ?? new Uint8Array(), address));
  }
  return (value) => value === expected;
};

type Comparison = '=' | '<' | '<=' | '>' | '>=';
const COMPARISONS: ReadonlySet<string> = new Set(['=', '<', '<=', '>', '>=']);
const compare = (value: number, comparison: Comparison, bound: number): boolean => {
  switch (comparison) {
    case '=':
      return value === bound;
    case '<':
      return value < bound;
    case '<=':
      return value <= bound;
    case '>':
      return value > bound;
    case '>=':
      return value >= bound;
  }
};

/** `numeric`: ["=", n], ["<" | "<=" | ">" | ">=", n], or [">" | ">=", low, "<" | "<=", high]. */
const numeric = (operand: unknown, path: string): LeafTest => {
  if (!Array.isArray(operand))
    throw new EventPatternError(path, `must be an array such as [">", 0, "<=", 5], not ${showValue(operand)}`);
  const terms: unknown[] = operand;
  const comparisonAt = (index: number, allowed: readonly Comparison[]): Comparison => {
    const term = terms[index];
    if (typeof term !== 'string' || !COMPARISONS.has(term) || !allowed.includes(term as Comparison)) {
      throw new EventPatternError(
        `${path}[${index}]`,
        `expected one of ${allowed.map((item) => `"${item}"`).join(', ')}, not ${showValue(term)}`,
      );
    }
    return term as Comparison;
  };
  const first = comparisonAt(0, ['=', '<', '<=', '>', '>=']);
  const bound = micros(requireNumber(terms[1], `${path}[1]`));
  const checks: [Comparison, number][] = [[first, bound]];
  if (terms.length > 2) {
    if (first !== '>' && first !== '>=')
      throw new EventPatternError(
        path,
        `"${first}" takes one number; only ">" and ">=" may be followed by an upper bound`,
      );
    const second = comparisonAt(2, ['<', '<=']);
    const upper = micros(requireNumber(terms[3], `${path}[3]`));
    if (terms.length > 4)
      throw new EventPatternError(path, 'too many terms: a range is [">" | ">=", low, "<" | "<=", high]');
    if (upper <= bound) throw new EventPatternError(path, 'the lower bound must be less than the upper bound');
    checks.push([second, upper]);
  }
  return (value) =>
    typeof value === 'number' &&
    inNumericRange(value) &&
    checks.every(([comparison, bound]) => compare(micros(value), comparison, bound));
};

/** The string operand of prefix/suffix: a string, or {"equals-ignore-case": string}. */
const affixOperand = (operand: unknown, path: string, operator: string): { text: string; mode: CaseMode } => {
  if (typeof operand === 'string') return { text: operand, mode: 'exact' };
  if (!isPlainObject(operand))
    throw new EventPatternError(
      path,
      `${operator} must be a string or {"equals-ignore-case": "..."}, not ${showValue(operand)}`,
    );
  const keys = Object.keys(operand);
  if (keys.length !== 1 || keys[0] !== 'equals-ignore-case') {
    throw new EventPatternError(path, `${operator} takes only the option "equals-ignore-case", not ${showValue(keys)}`);
  }
  return {
    text: requireString(operand['equals-ignore-case'], childPath(path, 'equals-ignore-case'), 'equals-ignore-case'),
    mode: 'ignore-case',
  };
};

/** anything-but's object forms: each takes a string or a non-empty list of strings. */
const anythingButStrings = (operand: unknown, path: string, option: string): string[] => {
  const values = Array.isArray(operand) ? operand : [operand];
  if (values.length === 0) throw new EventPatternError(path, 'empty arrays are not allowed');
  return values.map((value, index) => {
    const at = Array.isArray(operand) ? `${path}[${index}]` : path;
    const text = requireString(value, at, `anything-but ${option}`);
    if ((option === 'prefix' || option === 'suffix') && text === '')
      throw new EventPatternError(at, `an empty ${option} is not allowed`);
    return text;
  });
};

/** Whether a string is one of `values` by the anything-but option's rule. */
const anythingButOption = (operand: Record<string, unknown>, path: string): ((value: string) => boolean) => {
  const keys = Object.keys(operand);
  const [option = ''] = keys;
  if (keys.length !== 1)
    throw new EventPatternError(
      path,
      `anything-but takes one option (prefix, suffix, equals-ignore-case or wildcard), not ${showValue(keys)}`,
    );
  const at = childPath(path, option);
  switch (option) {
    case 'prefix': {
      const values = anythingButStrings(operand[option], at, option);
      return (value) => values.some((prefix) => value.startsWith(prefix));
    }
    case 'suffix': {
      const values = anythingButStrings(operand[option], at, option);
      return (value) => values.some((suffix) => value.endsWith(suffix));
    }
    case 'equals-ignore-case': {
      const values = anythingButStrings(operand[option], at, option);
      return (value) => values.some((text) => equalsIgnoringCase(value, text));
    }
    case 'wildcard': {
      const operandValue = operand[option];
      const globs: Glob[] = anythingButStrings(operandValue, at, option).map((text, index) =>
        parseGlob(text, Array.isArray(operandValue) ? `${at}[${index}]` : at),
      );
      return (value) => globs.some((glob) => matchesGlob(value, glob));
    }
    default:
      throw new EventPatternError(
        path,
        `unsupported anything-but option "${option}" (use prefix, suffix, equals-ignore-case or wildcard)`,
      );
  }
};

/**
 * `anything-but`: matches every value except those listed. It passes any value of another type
 * (null, booleans, numbers against a string list), as EventBridge does; a missing field never matches.
 */
const anythingBut = (operand: unknown, path: string): LeafTest => {
  if (isPlainObject(operand)) {
    const excluded = anythingButOption(operand, path);
    return (value) => typeof value !== 'string' || !excluded(value);
  }
  const values = Array.isArray(operand) ? operand : [operand];
  if (!Array.isArray(operand) && typeof operand !== 'string' && typeof operand !== 'number') {
    throw new EventPatternError(
      path,
      `must be a string, a number, a list of either, or an object with prefix, suffix, equals-ignore-case or wildcard; not ${showValue(operand)}`,
    );
  }
  if (values.length === 0) throw new EventPatternError(path, 'empty arrays are not allowed');
  if (values.every((value) => typeof value === 'string')) {
    const excluded = new Set(values);
    return (value) => typeof value !== 'string' || !excluded.has(value);
  }
  if (values.every((value) => typeof value === 'number')) {
    const excluded = new Set(
      values.map((value, index) => micros(requireNumber(value, Array.isArray(operand) ? `${path}[${index}]` : path))),
    );
    return (value) => typeof value !== 'number' || !inNumericRange(value) || !excluded.has(micros(value));
  }
  const odd = values.findIndex((value) => typeof value !== 'string' && typeof value !== 'number');
  if (odd >= 0)
    throw new EventPatternError(
      `${path}[${odd}]`,
      `anything-but lists take strings or numbers, not ${showValue(values[odd])}`,
    );
  throw new EventPatternError(path, 'anything-but lists must be all strings or all numbers, not a mix');
};

const cidr = (operand: unknown, path: string): LeafTest => {
  const block: CidrBlock = parseCidr(requireString(operand, path, 'cidr'), path);
  return (value) => {
    if (typeof value !== 'string') return false;
    const address = parseIpAddress(value);
    return address !== undefined && inCidr(address, block);
  };
};

/** `exists: false` is not a test of a value: it matches the field's absence. */
export const ABSENT = Symbol('absent');

/** An operator object such as {"prefix": "us-"}: exactly one operator, then its operand. */
export const compileOperator = (expression: Record<string, unknown>, path: string): LeafTest | typeof ABSENT => {
  const keys = Object.keys(expression);
  if (keys.length === 0)
    throw new EventPatternError(path, 'an operator object needs an operator, such as {"prefix": "..."}');
  if (keys.length > 1)
    throw new EventPatternError(path, `an operator object holds one operator, not ${keys.length} (${keys.join(', ')})`);
  const [operator = ''] = keys;
  const operand = expression[operator];
  const at = childPath(path, operator);
  switch (operator) {
    case 'prefix':
    case 'suffix': {
      const { text, mode } = affixOperand(operand, at, operator);
      const test = operator === 'prefix' ? startsWith : endsWith;
      return (value) => typeof value === 'string' && test(value, text, mode);
    }
    case 'equals-ignore-case': {
      const text = requireString(operand, at, operator);
      return (value) => typeof value === 'string' && equalsIgnoringCase(value, text);
    }
    case 'wildcard': {
      const glob = parseGlob(requireString(operand, at, operator), at);
      return (value) => typeof value === 'string' && matchesGlob(value, glob);
    }
    case 'anything-but':
      return anythingBut(operand, at);
    case 'numeric':
      return numeric(operand, at);
    case 'cidr':
      return cidr(operand, at);
    case 'exists':
      if (typeof operand !== 'boolean')
        throw new EventPatternError(at, `exists must be true or false, not ${showValue(operand)}`);
      return operand ? () => true : ABSENT;
    default:
      throw new EventPatternError(path, `unknown operator "${operator}" (operators are case-sensitive)`);
  }
};
