/**
 * String comparisons the operators share: case-insensitive equality, prefix and suffix (the
 * `equals-ignore-case` forms) and `wildcard` globs.
 */
import { EventPatternError } from './errors';

/**
 * A value character matches a pattern character that equals it or its lower or upper case, one
 * code point each (as event-ruler compares, rather than folding whole strings).
 */
const sameLetter = (value: string, pattern: string): boolean =>
  value === pattern || value === pattern.toLowerCase() || value === pattern.toUpperCase();

const sameLetters = (value: readonly string[], pattern: readonly string[], offset: number): boolean => {
  for (let index = 0; index < pattern.length; index++) {
    const valueLetter = value[offset + index];
    const patternLetter = pattern[index];
    if (valueLetter === undefined || patternLetter === undefined || !sameLetter(valueLetter, patternLetter))
      return false;
  }
  return true;
};

export type CaseMode = 'exact' | 'ignore-case';

/** `prefix` / `prefix: {equals-ignore-case}`. */
export const startsWith = (value: string, prefix: string, mode: CaseMode): boolean => {
  if (mode === 'exact') return value.startsWith(prefix);
  const letters = Array.from(value);
  const wanted = Array.from(prefix);
  return letters.length >= wanted.length && sameLetters(letters, wanted, 0);
};

/** `suffix` / `suffix: {equals-ignore-case}`. */
export const endsWith = (value: string, suffix: string, mode: CaseMode): boolean => {
  if (mode === 'exact') return value.endsWith(suffix);
  const letters = Array.from(value);
  const wanted = Array.from(suffix);
  return letters.length >= wanted.length && sameLetters(letters, wanted, letters.length - wanted.length);
};

/** `equals-ignore-case`. */
export const equalsIgnoringCase = (value: string, pattern: string): boolean => {
  const letters = Array.from(value);
  const wanted = Array.from(pattern);
  return letters.length === wanted.length && sameLetters(letters, wanted, 0);
};

/** A wildcard value as the literal runs between its `*`s: `a*b*c` → ['a', 'b', 'c']. */
export type Glob = readonly string[];

/**
 * Parses a `wildcard` value. `*` matches any run of characters; `\*` is a literal asterisk and
 * `\\` a literal backslash. Two `*` in a row, and a backslash before anything else, are rejected
 * (event-ruler's WildcardParser; PutRule answers "Consecutive wildcard characters at pos N").
 */
export const parseGlob = (text: string, path: string): Glob => {
  const runs: string[] = [];
  let run = '';
  for (let index = 0; index < text.length; index++) {
    const char = text[index];
    if (char === '*') {
      if (text[index + 1] === '*')
        throw new EventPatternError(path, `consecutive wildcard characters at position ${index}; use one "*"`);
      runs.push(run);
      run = '';
    } else if (char === '\\') {
      const next = text[index + 1];
      if (next !== '*' && next !== '\\') {
        throw new EventPatternError(
          path,
          `invalid escape at position ${index}: only \\* (a literal *) and \\\\ (a literal \\) are allowed`,
        );
      }
      run += next;
      index++;
    } else {
      run += char;
    }
  }
  runs.push(run);
  return runs;
};

/** Whether `value` matches the glob: leftmost-first placement of each run is optimal for `*`-only globs. */
export const matchesGlob = (value: string, glob: Glob): boolean => {
  const first = glob[0] ?? '';
  if (glob.length === 1) return value === first;
  const last = glob[glob.length - 1] ?? '';
  if (value.length < first.length + last.length || !value.startsWith(first) || !value.endsWith(last)) return false;
  let position = first.length;
  const end = value.length - last.length;
  for (let index = 1; index < glob.length - 1; index++) {
    const run = glob[index] ?? '';
    const found = value.indexOf(run, position);
    if (found < 0 || found + run.length > end) return false;
    position = found + run.length;
  }
  return true;
};
