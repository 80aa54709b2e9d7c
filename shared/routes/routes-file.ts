/**
 * routes.yml: where canonical events go besides the lake. One schema for `osls package` (which
 * compiles each route into EventBridge or Firehose resources) and `npm start` (which runs them on
 * the local emulators); an invalid file fails both with the route and the field named.
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { ROUTE_LIMITS } from './limits';

export const DEFAULT_ROUTES_FILE = 'routes.yml';
/** `localUrl: receiver`: locally, deliver to the receiver `npm start` starts and prints. */
export const LOCAL_RECEIVER = 'receiver';

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

export type RoutesMode = 'deploy' | 'local';

const secretName = z
  .string()
  .min(1)
  .max(512)
  .regex(/^[A-Za-z0-9/_+=.@-]+$/, 'a Secrets Manager secret name (letters, digits and /_+=.@-)');

/** Where the secret's JSON keys are documented: README "Routes" → "Auth". */
const auth = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('apiKey'),
    secret: secretName,
    header: z.string().min(1).max(512).default('x-api-key'),
  }),
  z.strictObject({ type: z.literal('basic'), secret: secretName }),
  z.strictObject({
    type: z.literal('oauth-client-credentials'),
    secret: secretName,
    tokenUrl: z.url({ protocol: /^https?$/ }),
    method: z.enum(['GET', 'POST', 'PUT']).default('POST'),
    scope: z.string().min(1).optional(),
  }),
]);

const stringMap = z.record(z.string().min(1), z.string());

const httpTarget = z.strictObject({
  type: z.literal('http'),
  url: z.string(),
  localUrl: z.string().optional(),
  method: z.enum(['POST', 'GET', 'HEAD', 'OPTIONS', 'PUT', 'PATCH', 'DELETE']).default('POST'),
  headers: stringMap.default({}),
  query: stringMap.default({}),
  rateLimitPerSecond: z
    .int()
    .min(1)
    .max(ROUTE_LIMITS.rateLimitPerSecondMax)
    .default(ROUTE_LIMITS.rateLimitPerSecondMax),
  auth: auth.optional(),
  retry: z
    .strictObject({
      maximumAttempts: z
        .int()
        .min(0)
        .max(ROUTE_LIMITS.maximumRetryAttemptsMax)
        .default(ROUTE_LIMITS.maximumRetryAttemptsMax),
      maximumEventAgeSeconds: z
        .int()
        .min(ROUTE_LIMITS.maximumEventAgeSecondsMin)
        .max(ROUTE_LIMITS.maximumEventAgeSecondsMax)
        .default(ROUTE_LIMITS.maximumEventAgeSecondsMax),
    })
    .default({
      maximumAttempts: ROUTE_LIMITS.maximumRetryAttemptsMax,
      maximumEventAgeSeconds: ROUTE_LIMITS.maximumEventAgeSecondsMax,
    }),
});

const firehoseHttpTarget = z.strictObject({
  type: z.literal('firehose-http'),
  url: z.string(),
  localUrl: z.string().optional(),
  /** The vendor's access key, sent as X-Amz-Firehose-Access-Key. */
  auth: z.strictObject({ type: z.literal('apiKey'), secret: secretName }),
  buffering: z
    .strictObject({
      sizeMiB: z.int().min(ROUTE_LIMITS.firehoseBufferSizeMiBMin).max(ROUTE_LIMITS.firehoseBufferSizeMiBMax).default(1),
      intervalSeconds: z.int().min(0).max(ROUTE_LIMITS.firehoseBufferIntervalSecondsMax).default(60),
    })
    .default({ sizeMiB: 1, intervalSeconds: 60 }),
  retryDurationSeconds: z.int().min(0).max(ROUTE_LIMITS.firehoseRetryDurationSecondsMax).default(300),
  /** Sent as X-Amz-Firehose-Common-Attributes. */
  commonAttributes: stringMap.default({}),
});

const input = z.union([
  z.strictObject({ path: z.string().min(1) }),
  z.strictObject({
    pathsMap: z.record(
      z.string().regex(/^[A-Za-z0-9_-]+$/, 'variable names are letters, digits, _ and -'),
      z.string().min(1),
    ),
    template: z.string().min(1).max(ROUTE_LIMITS.inputTemplateMaxLength),
  }),
]);

const route = z.strictObject({
  name: z
    .string()
    .min(1)
    .max(ROUTE_LIMITS.nameMaxLength)
    .regex(ROUTE_LIMITS.namePattern, 'letters, digits, ".", "-" and "_" (an EventBridge rule name)'),
  description: z.string().max(512).optional(),
  pattern: z.record(z.string(), z.unknown()),
  input: input.optional(),
  target: z.discriminatedUnion('type', [httpTarget, firehoseHttpTarget]),
});

const routesDocument = z.strictObject({ routes: z.array(route).default([]) });

export type Route = z.infer<typeof route>;
export type RouteTarget = Route['target'];
export type HttpTarget = z.infer<typeof httpTarget>;
export type FirehoseHttpTarget = z.infer<typeof firehoseHttpTarget>;
export type RouteInput = z.infer<typeof input>;
export type RouteAuth = z.infer<typeof auth>;

/** An invalid routes file: `route` and `field` name what is wrong (`field` like `target.url`). */
export class RoutesFileError extends Error {
  override readonly name = 'RoutesFileError';
  readonly code = 'INVALID_ROUTES_FILE';
  constructor(
    readonly file: string,
    readonly route: string | undefined,
    readonly field: string,
    detail: string,
  ) {
    super(`${file}: ${route === undefined ? '' : `route "${route}": `}${field ? `${field}: ` : ''}${detail}`);
  }
}

/** A check beyond the schema (URLs, patterns, names); returns a problem or undefined. */
export type RouteCheck = (route: Route, mode: RoutesMode) => { field: string; detail: string } | undefined;

const urlProblem = (value: string, mode: RoutesMode, https: boolean): string | undefined => {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return `not a URL: ${JSON.stringify(value)}`;
  }
  if (value.length > ROUTE_LIMITS.urlMaxLength) return `longer than ${ROUTE_LIMITS.urlMaxLength} characters`;
  if (url.protocol === 'https:') return undefined;
  if (url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname)) {
    return mode === 'local' ? undefined : 'http:// (a loopback host) works only locally; deployed routes need https://';
  }
  return https ? 'must be https:// (http:// only for loopback hosts, in local runs)' : undefined;
};

const builtInChecks: RouteCheck[] = [
  (route, mode) => {
    const problem = urlProblem(route.target.url, mode, true);
    return problem ? { field: 'target.url', detail: problem } : undefined;
  },
  (route) => {
    const local = route.target.localUrl;
    if (local === undefined || local === LOCAL_RECEIVER) return undefined;
    const problem = urlProblem(local, 'local', true);
    return problem ? { field: 'target.localUrl', detail: `"${LOCAL_RECEIVER}" or a URL: ${problem}` } : undefined;
  },
  (route) => {
    if (!route.input || !('pathsMap' in route.input)) return undefined;
    const count = Object.keys(route.input.pathsMap).length;
    return count > ROUTE_LIMITS.inputPathsMapMax
      ? { field: 'input.pathsMap', detail: `${count} variables; EventBridge allows ${ROUTE_LIMITS.inputPathsMapMax}` }
      : undefined;
  },
];

const fieldOf = (path: readonly PropertyKey[]): string =>
  path
    .map((part, index) => (typeof part === 'number' ? `[${part}]` : index === 0 ? String(part) : `.${String(part)}`))
    .join('');

/**
 * Validates a parsed routes document. `checks` add what the schema cannot say (the event
 * pattern and input compilers register theirs). Throws RoutesFileError on the first problem.
 */
export const parseRoutes = (
  document: unknown,
  file: string,
  mode: RoutesMode,
  checks: readonly RouteCheck[] = [],
): Route[] => {
  const parsed = routesDocument.safeParse(document ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const path = issue?.path ?? [];
    if (path[0] === 'routes' && typeof path[1] === 'number') {
      const raw = (document as { routes?: unknown[] }).routes?.[path[1]] as { name?: unknown } | undefined;
      const name = typeof raw?.name === 'string' ? raw.name : `routes[${path[1]}]`;
      throw new RoutesFileError(file, name, fieldOf(path.slice(2)), issue?.message ?? 'invalid');
    }
    throw new RoutesFileError(file, undefined, fieldOf(path), issue?.message ?? 'invalid');
  }
  const routes = parsed.data.routes;
  const seen = new Set<string>();
  for (const route of routes) {
    if (seen.has(route.name)) throw new RoutesFileError(file, route.name, 'name', 'two routes have this name');
    seen.add(route.name);
    for (const check of [...builtInChecks, ...checks]) {
      const problem = check(route, mode);
      if (problem) throw new RoutesFileError(file, route.name, problem.field, problem.detail);
    }
  }
  return routes;
};

/** Reads and validates a routes file; a missing file is no routes. */
export const loadRoutesFile = (file: string, mode: RoutesMode, checks: readonly RouteCheck[] = []): Route[] => {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new RoutesFileError(file, undefined, '', `cannot be read: ${(error as Error).message}`);
  }
  let document: unknown;
  try {
    document = parseYaml(text, { prettyErrors: true });
  } catch (error) {
    throw new RoutesFileError(file, undefined, '', `not valid YAML: ${(error as Error).message.split('\n')[0]}`);
  }
  return parseRoutes(document, file, mode, checks);
};
