import { randomInt } from 'node:crypto';
import { FIREHOSE_MAX_PREFIX_LENGTH } from '../runtime/aws';

/**
 * Firehose S3 prefix expressions (`!{namespace:value}`), as documented in "Custom Prefixes for
 * Amazon S3 Objects": parsed once when the local Firehose is built, evaluated per record.
 * Pure: no I/O, no clock; time and randomness come from the caller.
 */

/** A configuration Firehose would reject (CreateDeliveryStream answers InvalidArgumentException). */
export class PrefixConfigurationError extends Error {
  override readonly name = 'PrefixConfigurationError';
}

/** A prefix that cannot be evaluated for one record: Firehose sends that record to the error output. */
export class PrefixEvaluationError extends Error {
  override readonly name = 'PrefixEvaluationError';
  constructor(
    message: string,
    readonly errorCode: string,
  ) {
    super(message);
  }
}

export type ErrorOutputType = 'processing-failed' | 'partitioning-failed';

export type PrefixPart =
  | { kind: 'literal'; text: string }
  | { kind: 'partitionKeyFromLambda'; key: string }
  | { kind: 'partitionKeyFromQuery'; key: string }
  | { kind: 'timestamp'; pattern: string; format: (epochMs: number) => string }
  | { kind: 'errorOutputType' }
  | { kind: 'randomString' };

export interface CompiledPrefix {
  source: string;
  parts: readonly PrefixPart[];
  /** Whether the source uses any `!{…}` expression. */
  hasExpressions: boolean;
  lambdaKeys: readonly string[];
  queryKeys: readonly string[];
  usesErrorOutputType: boolean;
  usesRandomString: boolean;
}

export interface PrefixContext {
  /** Arrival time (epoch ms, evaluated in UTC) for `!{timestamp:…}`. */
  arrivalTimestamp: number;
  /** `metadata.partitionKeys` the processor returned for the record. */
  partitionKeys?: Readonly<Record<string, unknown>>;
  errorOutputType?: string;
  /** Value for `!{firehose:random-string}`; defaults to a fresh {@link randomString}. */
  randomString?: string;
}

export const RANDOM_STRING_LENGTH = 11;
/** Firehose's default time prefix, used when a prefix has no expression of its own. */
export const DEFAULT_TIME_PREFIX = '!{timestamp:yyyy/MM/dd/HH}/';
export const DEFAULT_ERROR_SUFFIX = `!{firehose:error-output-type}/${DEFAULT_TIME_PREFIX}`;

const RANDOM_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

/** An 11-character lowercase alphanumeric string, like `!{firehose:random-string}`. */
export const randomString = (): string => {
  let value = '';
  for (let i = 0; i < RANDOM_STRING_LENGTH; i++) value += RANDOM_ALPHABET[randomInt(RANDOM_ALPHABET.length)];
  return value;
};

/** Stands for `!{firehose:random-string}` while records are grouped by prefix; drawn per object by resolveRandomString. */
export const RANDOM_PLACEHOLDER = '\u0000random-string\u0000';

/** A grouped prefix with its random-string placeholder replaced by a fresh {@link randomString} (one per object). */
export const resolveRandomString = (groupedPrefix: string): string =>
  groupedPrefix.includes(RANDOM_PLACEHOLDER)
    ? groupedPrefix.replaceAll(RANDOM_PLACEHOLDER, randomString())
    : groupedPrefix;

// ---------------------------------------------------------------------------------------------
// Java DateTimeFormatter patterns (the subset that makes sense for a UTC instant in a key)

const MONTHS = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];
const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

type Field = (date: Date) => string;

const pad = (value: number, width: number): string => String(value).padStart(width, '0');

const text = (values: readonly string[], index: number, count: number): string => {
  const full = values[index] ?? '';
  if (count === 4) return full;
  if (count === 5) return full.slice(0, 1);
  return full.slice(0, 3);
};

const dayOfYear = (date: Date): number =>
  Math.floor((date.getTime() - Date.UTC(date.getUTCFullYear(), 0, 1)) / 86_400_000) + 1;

/** Numeric field printed at its natural width (count 1) or zero-padded to `count`, up to `max` letters. */
const numeric = (letter: string, count: number, max: number, value: (date: Date) => number): Field => {
  if (count > max) throw new PrefixConfigurationError(`Too many pattern letters: ${letter.repeat(count)}`);
  return count === 1 ? (date) => String(value(date)) : (date) => pad(value(date), count);
};

const fieldFor = (letter: string, count: number): Field => {
  switch (letter) {
    case 'y':
    case 'u':
      // Java: "yy" is the two-digit reduced year; otherwise the year padded to `count`.
      if (count === 2) return (date) => pad(date.getUTCFullYear() % 100, 2);
      return (date) => pad(date.getUTCFullYear(), count);
    case 'M':
    case 'L':
      if (count <= 2) return numeric(letter, count, 2, (date) => date.getUTCMonth() + 1);
      if (count > 5) throw new PrefixConfigurationError(`Too many pattern letters: ${letter.repeat(count)}`);
      return (date) => text(MONTHS, date.getUTCMonth(), count);
    case 'd':
      return numeric(letter, count, 2, (date) => date.getUTCDate());
    case 'D':
      return numeric(letter, count, 3, dayOfYear);
    case 'H':
      return numeric(letter, count, 2, (date) => date.getUTCHours());
    case 'k':
      return numeric(letter, count, 2, (date) => date.getUTCHours() || 24);
    case 'K':
      return numeric(letter, count, 2, (date) => date.getUTCHours() % 12);
    case 'h':
      return numeric(letter, count, 2, (date) => date.getUTCHours() % 12 || 12);
    case 'm':
      return numeric(letter, count, 2, (date) => date.getUTCMinutes());
    case 's':
      return numeric(letter, count, 2, (date) => date.getUTCSeconds());
    case 'S':
      // Fraction of second, `count` digits (millisecond precision, zero-filled past 3).
      if (count > 9) throw new PrefixConfigurationError(`Too many pattern letters: ${letter.repeat(count)}`);
      return (date) => pad(date.getUTCMilliseconds(), 3).padEnd(count, '0').slice(0, count);
    case 'a':
      if (count > 1) throw new PrefixConfigurationError(`Too many pattern letters: ${letter.repeat(count)}`);
      return (date) => (date.getUTCHours() < 12 ? 'AM' : 'PM');
    case 'E':
      if (count > 5) throw new PrefixConfigurationError(`Too many pattern letters: ${letter.repeat(count)}`);
      return (date) => text(DAYS, date.getUTCDay(), count);
    default:
      throw new PrefixConfigurationError(
        `Pattern letter '${letter}' is not supported by the local Firehose (supported: y u M L d D H k K h m s S a E)`,
      );
  }
};

const isLetter = (char: string): boolean => (char >= 'a' && char <= 'z') || (char >= 'A' && char <= 'Z');
const RESERVED = new Set(['[', ']', '{', '}', '#']);

/**
 * Compiles a Java `DateTimeFormatter` pattern (`yyyy-MM-dd'T'HH`) into a UTC formatter.
 * Letters are fields, `'…'` is quoted text (`''` is a quote), other characters are literal.
 * Throws {@link PrefixConfigurationError} for an invalid or unsupported pattern.
 */
export const compileJavaDateTimeFormat = (pattern: string): ((epochMs: number) => string) => {
  const pieces: (string | Field)[] = [];
  let i = 0;
  while (i < pattern.length) {
    const char = pattern[i] as string;
    if (isLetter(char)) {
      let end = i + 1;
      while (pattern[end] === char) end++;
      pieces.push(fieldFor(char, end - i));
      i = end;
    } else if (char === "'") {
      if (pattern[i + 1] === "'") {
        pieces.push("'");
        i += 2;
        continue;
      }
      let literal = '';
      let j = i + 1;
      for (;;) {
        if (j >= pattern.length) throw new PrefixConfigurationError(`Pattern ends within a quoted literal: ${pattern}`);
        if (pattern[j] === "'") {
          if (pattern[j + 1] === "'") {
            literal += "'";
            j += 2;
            continue;
          }
          break;
        }
        literal += pattern[j];
        j++;
      }
      pieces.push(literal);
      i = j + 1;
    } else if (RESERVED.has(char)) {
      throw new PrefixConfigurationError(`Pattern character '${char}' is reserved or unsupported: ${pattern}`);
    } else {
      pieces.push(char);
      i++;
    }
  }
  if (pieces.length === 0) throw new PrefixConfigurationError('Empty timestamp pattern');
  return (epochMs) => {
    const date = new Date(epochMs);
    let out = '';
    for (const piece of pieces) out += typeof piece === 'string' ? piece : piece(date);
    return out;
  };
};

/** Formats an instant (epoch ms) in UTC with a Java `DateTimeFormatter` pattern. */
export const formatJavaDateTime = (pattern: string, epochMs: number): string =>
  compileJavaDateTimeFormat(pattern)(epochMs);

// ---------------------------------------------------------------------------------------------
// Prefix expressions

const parseExpression = (body: string, source: string): PrefixPart => {
  const colon = body.indexOf(':');
  if (colon <= 0)
    throw new PrefixConfigurationError(`Expression !{${body}} is not of the form !{namespace:value} in "${source}"`);
  const namespace = body.slice(0, colon);
  const value = body.slice(colon + 1);
  if (value === '') throw new PrefixConfigurationError(`Expression !{${body}} has an empty value in "${source}"`);
  switch (namespace) {
    case 'partitionKeyFromLambda':
      return { kind: 'partitionKeyFromLambda', key: value };
    case 'partitionKeyFromQuery':
      return { kind: 'partitionKeyFromQuery', key: value };
    case 'timestamp':
      return { kind: 'timestamp', pattern: value, format: compileJavaDateTimeFormat(value) };
    case 'firehose':
      if (value === 'error-output-type') return { kind: 'errorOutputType' };
      if (value === 'random-string') return { kind: 'randomString' };
      throw new PrefixConfigurationError(
        `Unknown firehose expression !{firehose:${value}} (use error-output-type or random-string) in "${source}"`,
      );
    default:
      throw new PrefixConfigurationError(
        `Unknown namespace "${namespace}" in "${source}" (use firehose, timestamp, partitionKeyFromLambda or partitionKeyFromQuery)`,
      );
  }
};

/** Parses a prefix into literal text and expressions. Throws {@link PrefixConfigurationError}. */
export const parsePrefix = (source: string): CompiledPrefix => {
  if (source.length > FIREHOSE_MAX_PREFIX_LENGTH) {
    throw new PrefixConfigurationError(
      `Prefix is ${source.length} characters; the limit is ${FIREHOSE_MAX_PREFIX_LENGTH}`,
    );
  }
  const parts: PrefixPart[] = [];
  let literal = '';
  let i = 0;
  while (i < source.length) {
    const start = source.indexOf('!{', i);
    if (start === -1) {
      literal += source.slice(i);
      break;
    }
    literal += source.slice(i, start);
    const end = source.indexOf('}', start + 2);
    if (end === -1) throw new PrefixConfigurationError(`Unterminated expression at position ${start} in "${source}"`);
    const body = source.slice(start + 2, end);
    if (body.includes('!{')) throw new PrefixConfigurationError(`Expressions cannot be nested: "${source}"`);
    if (literal !== '') parts.push({ kind: 'literal', text: literal });
    literal = '';
    parts.push(parseExpression(body, source));
    i = end + 1;
  }
  if (literal !== '') parts.push({ kind: 'literal', text: literal });
  const keysOf = (kind: 'partitionKeyFromLambda' | 'partitionKeyFromQuery') => [
    ...new Set(parts.flatMap((part) => (part.kind === kind ? [part.key] : []))),
  ];
  return {
    source,
    parts,
    hasExpressions: parts.some((part) => part.kind !== 'literal'),
    lambdaKeys: keysOf('partitionKeyFromLambda'),
    queryKeys: keysOf('partitionKeyFromQuery'),
    usesErrorOutputType: parts.some((part) => part.kind === 'errorOutputType'),
    usesRandomString: parts.some((part) => part.kind === 'randomString'),
  };
};

/**
 * Evaluates a prefix for one record. A missing (or non-string) partition key throws
 * {@link PrefixEvaluationError} with Firehose's `DynamicPartitioning.MetadataExtractionFailed`.
 */
export const evaluatePrefix = (prefix: CompiledPrefix | string, context: PrefixContext): string => {
  const compiled = typeof prefix === 'string' ? parsePrefix(prefix) : prefix;
  let out = '';
  for (const part of compiled.parts) {
    switch (part.kind) {
      case 'literal':
        out += part.text;
        break;
      case 'timestamp':
        out += part.format(context.arrivalTimestamp);
        break;
      case 'partitionKeyFromLambda': {
        const value = context.partitionKeys?.[part.key];
        if (typeof value !== 'string') {
          throw new PrefixEvaluationError(
            value === undefined
              ? `Partition key "${part.key}" is missing from the processor's metadata.partitionKeys`
              : `Partition key "${part.key}" is not a string`,
            'DynamicPartitioning.MetadataExtractionFailed',
          );
        }
        out += value;
        break;
      }
      case 'partitionKeyFromQuery':
        throw new PrefixEvaluationError(
          `!{partitionKeyFromQuery:${part.key}} is not supported by the local Firehose`,
          'DynamicPartitioning.MetadataExtractionFailed',
        );
      case 'errorOutputType':
        if (context.errorOutputType === undefined) {
          throw new PrefixEvaluationError('!{firehose:error-output-type} needs an error output type', 'InternalError');
        }
        out += context.errorOutputType;
        break;
      case 'randomString':
        out += context.randomString ?? randomString();
        break;
    }
  }
  return out;
};

export interface DeliveryPrefixSettings {
  prefix: string;
  errorOutputPrefix: string;
  dynamicPartitioning: boolean;
  /** Whether a Lambda processor is configured (needed by partitionKeyFromLambda). */
  hasLambdaProcessor: boolean;
}

export interface DeliveryPrefixes {
  prefix: CompiledPrefix;
  errorOutputPrefix: CompiledPrefix;
}

/**
 * Parses and validates Prefix and ErrorOutputPrefix the way CreateDeliveryStream does, and
 * applies Firehose's defaults: a prefix without expressions gets the `yyyy/MM/dd/HH/` time
 * prefix appended; an error prefix without expressions gets `<error-output-type>/yyyy/MM/dd/HH/`.
 * Throws {@link PrefixConfigurationError}.
 */
export const compileDeliveryPrefixes = (settings: DeliveryPrefixSettings): DeliveryPrefixes => {
  const prefix = parsePrefix(settings.prefix);
  const errorOutputPrefix = parsePrefix(settings.errorOutputPrefix);

  if (prefix.usesErrorOutputType) {
    throw new PrefixConfigurationError('!{firehose:error-output-type} can only be used in ErrorOutputPrefix');
  }
  if (prefix.queryKeys.length > 0) {
    throw new PrefixConfigurationError(
      '!{partitionKeyFromQuery:…} needs a MetadataExtraction (JQ) processor, which the local Firehose does not support',
    );
  }
  if (prefix.lambdaKeys.length > 0 && !settings.dynamicPartitioning) {
    throw new PrefixConfigurationError(
      '!{partitionKeyFromLambda:…} in Prefix requires dynamic partitioning to be enabled',
    );
  }
  if (prefix.lambdaKeys.length > 0 && !settings.hasLambdaProcessor) {
    throw new PrefixConfigurationError('!{partitionKeyFromLambda:…} in Prefix requires a Lambda processor');
  }
  if (errorOutputPrefix.lambdaKeys.length > 0 || errorOutputPrefix.queryKeys.length > 0) {
    throw new PrefixConfigurationError('ErrorOutputPrefix cannot use partition keys (partitionKeyFromLambda/Query)');
  }
  if (errorOutputPrefix.hasExpressions && !errorOutputPrefix.usesErrorOutputType) {
    throw new PrefixConfigurationError(
      'ErrorOutputPrefix uses expressions, so it must contain !{firehose:error-output-type} at least once',
    );
  }
  if (settings.dynamicPartitioning && settings.errorOutputPrefix === '') {
    throw new PrefixConfigurationError('Dynamic partitioning requires an ErrorOutputPrefix');
  }

  return {
    prefix: prefix.hasExpressions ? prefix : parsePrefix(`${settings.prefix}${DEFAULT_TIME_PREFIX}`),
    errorOutputPrefix: errorOutputPrefix.hasExpressions
      ? errorOutputPrefix
      : parsePrefix(`${settings.errorOutputPrefix}${DEFAULT_ERROR_SUFFIX}`),
  };
};
