/**
 * EventBridge target input, rendered locally as EventBridge renders it: the whole event, the
 * value at an InputPath, or an InputTransformer (InputPathsMap variables filled into an
 * InputTemplate). Validation follows PutTargets; rendering follows the user guide
 * (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-transform-target-input.html) and
 * the InputTransformer API reference; where those are silent, what EventBridge was seen to do.
 */
import type { RouteCheck, RouteInput } from './routes-file';

export type { RouteInput } from './routes-file';

/** What EventBridge knows of the delivery besides the event: the predefined variables' values. */
export interface InputContext {
  ruleName: string;
  ruleArn: string;
  /** ISO 8601: when EventBridge received the event. */
  ingestionTime: string;
}

export type InputRenderer = (event: unknown, context: InputContext) => string;

/** Input PutTargets would reject; `field` names it (`input.template`, `input.pathsMap.state`). */
export class InputTransformerError extends Error {
  override readonly name = 'InputTransformerError';
  readonly code = 'INVALID_INPUT';
  constructor(
    readonly field: string,
    readonly reason: string,
  ) {
    super(`${field}: ${reason}`);
  }
}

/**
 * An event whose transformed input is not valid JSON (a JSON object or array inside quotes in a
 * JSON template): EventBridge fails that delivery rather than send it, so the caller should too.
 */
export class InputRenderError extends Error {
  override readonly name = 'InputRenderError';
  readonly code = 'INPUT_NOT_VALID_JSON';
  constructor(
    readonly variable: string | undefined,
    reason: string,
  ) {
    super(`input.template: ${variable === undefined ? '' : `<${variable}> `}${reason}`);
  }
}

// InputTransformer limits (API reference): at most 100 variables; names [A-Za-z0-9_-]+; paths and
// InputPath up to 256 characters; InputTemplate 1 to 8,192 characters.
const MAX_VARIABLES = 100;
const MAX_PATH_LENGTH = 256;
const MAX_TEMPLATE_LENGTH = 8192;
const VARIABLE_NAME = /^[A-Za-z0-9_-]+$/;

const RULE_ARN = 'aws.events.rule-arn';
const RULE_NAME = 'aws.events.rule-name';
const INGESTION_TIME = 'aws.events.event.ingestion-time';
const EVENT = 'aws.events.event';
const EVENT_JSON = 'aws.events.event.json';
/** Reserved: usable without a path, and not definable in InputPathsMap. */
const PREDEFINED: ReadonlySet<string> = new Set([RULE_ARN, RULE_NAME, INGESTION_TIME, EVENT, EVENT_JSON]);
/** "Can only be used as a value for a JSON field, as its contents are not escaped." */
const JSON_ONLY: ReadonlySet<string> = new Set([EVENT, EVENT_JSON]);

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

// ---- JSON paths -------------------------------------------------------------------------------

type Step = { kind: 'name'; name: string } | { kind: 'index'; index: number } | { kind: 'all' };
interface JsonPath {
  readonly steps: readonly Step[];
  /** A path with `*` selects a list (possibly empty), as JSONPath does. */
  readonly wildcard: boolean;
}

// EventBridge's documented subset: dot notation over alphanumerics, dashes and underscores, array
// indices, and `*`. InputPath also takes bracket notation for names; InputPathsMap does not.
const DOT_STEP = /^\.(?:([A-Za-z0-9_-]+)|\*)/;
const INDEX_STEP = /^\[(?:(\d+)|\*)\]/;
const BRACKET_NAME_STEP = /^\[(?:'([^'\\]*)'|"([^"\\]*)")\]/;

const parsePath = (text: unknown, field: string, bracketNames: boolean): JsonPath => {
  if (typeof text !== 'string' || text === '')
    throw new InputTransformerError(field, 'must be a JSON path such as "$.detail.state"');
  if (text.length > MAX_PATH_LENGTH)
    throw new InputTransformerError(field, `longer than ${MAX_PATH_LENGTH} characters`);
  if (!text.startsWith('$'))
    throw new InputTransformerError(field, `${JSON.stringify(text)} is not a JSON path: it must start with "$"`);
  const steps: Step[] = [];
  let rest = text.slice(1);
  while (rest !== '') {
    const dot = DOT_STEP.exec(rest);
    const index = dot ? null : INDEX_STEP.exec(rest);
    const bracket = dot || index || !bracketNames ? null : BRACKET_NAME_STEP.exec(rest);
    const match = dot ?? index ?? bracket;
    if (!match) {
      const allowed = bracketNames
        ? 'dot notation, bracket notation, array indices and *'
        : 'dot notation, array indices and * (not bracket notation)';
      throw new InputTransformerError(
        field,
        `${JSON.stringify(text)} is not a JSON path EventBridge accepts (${allowed}) at ${JSON.stringify(rest)}`,
      );
    }
    if (dot) steps.push(dot[1] === undefined ? { kind: 'all' } : { kind: 'name', name: dot[1] });
    else if (index) steps.push(index[1] === undefined ? { kind: 'all' } : { kind: 'index', index: Number(index[1]) });
    else if (bracket) steps.push({ kind: 'name', name: bracket[1] ?? bracket[2] ?? '' });
    rest = rest.slice(match[0].length);
  }
  return { steps, wildcard: steps.some((step) => step.kind === 'all') };
};

const MISSING = Symbol('missing');
type Extracted = unknown | typeof MISSING;

const childrenOf = (value: unknown, step: Step): unknown[] => {
  if (step.kind === 'all') return Array.isArray(value) ? value : isRecord(value) ? Object.values(value) : [];
  if (step.kind === 'index') return Array.isArray(value) && step.index < value.length ? [value[step.index]] : [];
  return isRecord(value) && Object.hasOwn(value, step.name) ? [value[step.name]] : [];
};

const extract = (event: unknown, path: JsonPath): Extracted => {
  let found: unknown[] = [event];
  for (const step of path.steps) found = found.flatMap((value) => childrenOf(value, step));
  if (path.wildcard) return found;
  return found.length === 0 ? MISSING : found[0];
};

// ---- templates ---------------------------------------------------------------------------------

type Segment = { kind: 'text'; text: string } | { kind: 'variable'; name: string; quoted: boolean };

/** `<name>` placeholders; the template cannot escape "<" or ">". */
const PLACEHOLDER = /<([^<>]+)>/y;

/** Splits a template into text and placeholders, noting which sit inside a JSON string. */
const segmentsOf = (template: string, json: boolean): Segment[] => {
  const segments: Segment[] = [];
  let text = '';
  let inString = false;
  for (let index = 0; index < template.length; index++) {
    const char = template[index] ?? '';
    if (char === '<') {
      PLACEHOLDER.lastIndex = index;
      const placeholder = PLACEHOLDER.exec(template);
      if (placeholder) {
        segments.push({ kind: 'text', text }, { kind: 'variable', name: placeholder[1] ?? '', quoted: inString });
        text = '';
        index += placeholder[0].length - 1;
        continue;
      }
    }
    text += char;
    if (!json) continue;
    if (inString && char === '\\') {
      text += template[index + 1] ?? '';
      index++;
    } else if (char === '"') {
      inString = !inString;
    }
  }
  segments.push({ kind: 'text', text });
  return segments.filter((segment) => segment.kind === 'variable' || segment.text !== '');
};

const MARKER = '\u2063eventbridge-placeholder\u2063';

const keysOf = (value: unknown): string[] => {
  if (Array.isArray(value)) return value.flatMap(keysOf);
  if (!isRecord(value)) return [];
  return Object.entries(value).flatMap(([key, child]) => [key, ...keysOf(child)]);
};

/**
 * A JSON template must be valid JSON once its placeholders are filled, and "the placeholder
 * cannot be used as an object key" (InputTransformer API reference).
 */
const checkJsonTemplate = (segments: readonly Segment[]): void => {
  const probe = segments
    .map((segment) => (segment.kind === 'text' ? segment.text : segment.quoted ? MARKER : `"${MARKER}"`))
    .join('');
  let parsed: unknown;
  try {
    parsed = JSON.parse(probe);
  } catch (error) {
    throw new InputTransformerError(
      'input.template',
      `starts with "{", so it must be valid JSON with its placeholders filled: ${(error as Error).message}`,
    );
  }
  if (keysOf(parsed).some((key) => key.includes(MARKER)))
    throw new InputTransformerError('input.template', 'a placeholder cannot be used as an object key');
};

/** JSON text with its double quotes removed: how EventBridge writes an object or array into a string. */
const unquotedJson = (value: unknown): string => (JSON.stringify(value) ?? 'null').replaceAll('"', '');

/**
 * A value in a JSON template: its JSON outside quotes; inside quotes, a string as it is — "EventBridge
 * doesn't escape values extracted by Input Path" (input transformation, EventBridge user guide), so a
 * quote or a newline in it makes the input invalid JSON and the delivery fails (checked after rendering).
 */
const renderInJson = (name: string, value: Extracted, quoted: boolean): string => {
  // A path that matches nothing creates no variable: it renders as the empty string.
  if (value === MISSING) return quoted ? '' : '""';
  const json = JSON.stringify(value) ?? 'null';
  if (!quoted) return json;
  if (typeof value === 'string') return value;
  if (typeof value === 'object' && value !== null) {
    throw new InputRenderError(
      name,
      'is a JSON object or array inside quotes; EventBridge inserts it unescaped, so the input is not valid JSON and the delivery fails',
    );
  }
  return json;
};

/** A value in a text template: strings as they are, objects and arrays as JSON without quotes. */
const renderInText = (value: Extracted): string => {
  if (value === MISSING) return '';
  if (typeof value === 'string') return value;
  return typeof value === 'object' && value !== null ? unquotedJson(value) : (JSON.stringify(value) ?? '');
};

/** `<aws.events.event>`: the envelope without `detail`, its `detail-type` named `detailType` as EventBridge sends it. */
const envelopeOf = (event: unknown): unknown => {
  if (!isRecord(event)) return event;
  return Object.fromEntries(
    Object.entries(event).flatMap(([key, value]) =>
      key === 'detail' ? [] : [[key === 'detail-type' ? 'detailType' : key, value]],
    ),
  );
};

const predefinedValue = (name: string, event: unknown, context: InputContext): Extracted => {
  if (name === RULE_ARN) return context.ruleArn;
  if (name === RULE_NAME) return context.ruleName;
  if (name === INGESTION_TIME) return context.ingestionTime;
  return name === EVENT ? envelopeOf(event) : event;
};

const compileTransformer = (pathsMap: unknown, template: unknown): InputRenderer => {
  if (!isRecord(pathsMap))
    throw new InputTransformerError('input.pathsMap', 'must be an object of variable names to JSON paths');
  const entries = Object.entries(pathsMap);
  if (entries.length > MAX_VARIABLES)
    throw new InputTransformerError(
      'input.pathsMap',
      `${entries.length} variables; EventBridge allows ${MAX_VARIABLES}`,
    );
  const paths = new Map<string, JsonPath>();
  for (const [name, path] of entries) {
    const field = `input.pathsMap.${name}`;
    if (PREDEFINED.has(name) || name.toLowerCase().startsWith('aws.'))
      throw new InputTransformerError(field, `"${name}" is reserved for EventBridge's predefined variables`);
    if (!VARIABLE_NAME.test(name))
      throw new InputTransformerError(field, 'variable names are letters, digits, "_" and "-"');
    paths.set(name, parsePath(path, field, false));
  }
  if (typeof template !== 'string' || template === '')
    throw new InputTransformerError('input.template', 'must be a non-empty string');
  if (template.length > MAX_TEMPLATE_LENGTH)
    throw new InputTransformerError('input.template', `longer than ${MAX_TEMPLATE_LENGTH} characters`);

  // A template that is a JSON object is filled as JSON; anything else (a quoted string, plain text) as text.
  const json = template.trimStart().startsWith('{');
  const segments = segmentsOf(template, json);
  for (const segment of segments) {
    if (segment.kind !== 'variable') continue;
    if (!paths.has(segment.name) && !PREDEFINED.has(segment.name)) {
      throw new InputTransformerError(
        'input.template',
        `contains invalid placeholder <${segment.name}>: not in pathsMap and not a predefined variable`,
      );
    }
    if (JSON_ONLY.has(segment.name) && (!json || segment.quoted)) {
      throw new InputTransformerError(
        'input.template',
        `<${segment.name}> can only be used as the value of a JSON field (it is not escaped)`,
      );
    }
  }
  if (json) checkJsonTemplate(segments);

  return (event, context) => {
    const values = new Map<string, Extracted>();
    const lookup = (name: string): Extracted => {
      if (!values.has(name)) {
        const path = paths.get(name);
        values.set(name, path ? extract(event, path) : predefinedValue(name, event, context));
      }
      return values.get(name);
    };
    const rendered = segments
      .map((segment) => {
        if (segment.kind === 'text') return segment.text;
        const value = lookup(segment.name);
        return json ? renderInJson(segment.name, value, segment.quoted) : renderInText(value);
      })
      .join('');
    if (json) {
      try {
        JSON.parse(rendered);
      } catch {
        throw new InputRenderError(
          undefined,
          'renders to invalid JSON (a value inserted unescaped, as EventBridge does); the delivery fails',
        );
      }
    }
    return rendered;
  };
};

/**
 * Compiles a route's input once (throwing InputTransformerError where PutTargets would refuse it)
 * into a renderer of the request body. No input sends the whole event; `{ path }` sends the JSON
 * of the value there (nothing when the path matches nothing); `{ pathsMap, template }` transforms.
 */
export const compileInput = (input: RouteInput | undefined): InputRenderer => {
  if (input === undefined) return (event) => JSON.stringify(event);
  const given = input as Record<string, unknown>;
  if (!isRecord(given)) throw new InputTransformerError('input', 'must be { path } or { pathsMap, template }');
  if ('path' in given) {
    if ('pathsMap' in given || 'template' in given)
      throw new InputTransformerError('input', 'only one of path or pathsMap/template may be given');
    const path = parsePath(given.path, 'input.path', true);
    return (event) => {
      const value = extract(event, path);
      return value === MISSING ? '' : (JSON.stringify(value) ?? '');
    };
  }
  if (!('template' in given)) throw new InputTransformerError('input.template', 'is required with pathsMap');
  return compileTransformer(given.pathsMap ?? {}, given.template);
};

/** The routes-file check for `route.input`. */
export const inputCheck: RouteCheck = (route) => {
  try {
    compileInput(route.input);
    return undefined;
  } catch (error) {
    if (!(error instanceof InputTransformerError)) throw error;
    return { field: error.field, detail: error.reason };
  }
};
