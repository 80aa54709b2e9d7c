// The CloudFormation template `osls package` writes (.serverless/cloudformation-template-update-stack.json),
// for tests that check what would really be deployed (the framework's own resources included: the
// deployment bucket, the HTTP API stage), not only serverless.yml's `resources`.
//
// Packaging runs esbuild and takes seconds, so it happens in a copy of the checkout in the temp
// directory (serverless-esbuild's .esbuild/ and .serverless/ work folders would collide with a
// concurrent `osls package` in the checkout) and the template is cached there, keyed by the stage,
// the --param values and the path, size and mtime of every file copied: test files that ask for the
// same template share one packaging, and any edit to serverless.yml, infra/, shared/... repackages.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';

export const REPO_ROOT = join(__dirname, '..', '..');
const OSLS_BIN = join(REPO_ROOT, 'node_modules', 'osls', 'bin', 'serverless.js');
const CACHE_ROOT = join(tmpdir(), 'usage-pipeline-packaged-templates');
const TEMPLATE_FILE = 'cloudformation-template-update-stack.json';
/** Top-level entries packaging does not need (tests, benchmarks, work folders, local output). */
const NOT_COPIED = new Set([
  'node_modules',
  '.git',
  '.esbuild',
  '.serverless',
  '.local',
  'lake',
  'coverage',
  'test',
  'bench',
]);
const LOCK_STALE_MS = 180_000;
const CACHE_MAX_AGE_MS = 24 * 3_600_000;

export interface CfnResource {
  Type: string;
  Properties?: Record<string, unknown>;
  Condition?: string;
  DependsOn?: string | string[];
  [attribute: string]: unknown;
}
export interface CfnTemplate {
  Parameters?: Record<string, { Type: string; Default?: unknown; [key: string]: unknown }>;
  Conditions?: Record<string, unknown>;
  Mappings?: Record<string, unknown>;
  Resources: Record<string, CfnResource>;
  Outputs?: Record<string, { Value: unknown; Condition?: string; Export?: { Name: unknown }; [key: string]: unknown }>;
  [section: string]: unknown;
}

export interface OslsOptions {
  stage?: string;
  /** osls `--param="name=value"` values. */
  params?: Record<string, string>;
}

/** A customer managed key ARN of the documented form (no such key exists: packaging is offline). */
export const LAKE_KEY_ARN = 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
/**
 * The non-default configuration the infra tests package besides the defaults: a lake key, an
 * on-demand stream, and the route presets (one route of each target type, a Firehose HTTP endpoint
 * backing up to the lake included).
 */
export const CONFIGURED_PARAMS = {
  lakeKmsKeyArn: LAKE_KEY_ARN,
  streamMode: 'ON_DEMAND',
  streamShardCount: '3',
  routesFile: 'examples/routes-presets.yml',
};

export class PackagedTemplateError extends Error {
  override readonly name = 'PackagedTemplateError';
  constructor(
    readonly reason: 'OSLS_FAILED',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

const OSLS_ENV = {
  SLS_TELEMETRY_DISABLED: '1',
  SLS_NOTIFICATIONS_MODE: 'off',
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
};

const paramArgs = (params: Record<string, string> = {}): string[] =>
  Object.entries(params)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, value]) => `--param=${name}=${value}`);

/** Runs osls (offline: no credentials needed) with `args`; rejects with its output when it fails. */
export const runOsls = async (args: string[], cwd = REPO_ROOT): Promise<string> => {
  try {
    const { stdout } = await promisify(execFile)(process.execPath, [OSLS_BIN, ...args], {
      cwd,
      maxBuffer: 64 * 1024 * 1024,
      env: { ...process.env, ...OSLS_ENV },
    });
    return stdout;
  } catch (error) {
    const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string };
    throw new PackagedTemplateError('OSLS_FAILED', `osls ${args.join(' ')} failed:\n${stdout}\n${stderr}`, {
      cause: error,
    });
  }
};

/** `osls print` of serverless.yml, resolved (no packaging). */
export const printedConfig = async ({ stage = 'test', params }: OslsOptions = {}): Promise<Record<string, unknown>> =>
  JSON.parse(await runOsls(['print', '--format', 'json', '--stage', stage, ...paramArgs(params)])) as Record<
    string,
    unknown
  >;

/** Every file packaging may read, relative to the checkout, with what identifies its version. */
const sourceFiles = (): { path: string; size: number; mtimeMs: number }[] => {
  const files: { path: string; size: number; mtimeMs: number }[] = [];
  const walk = (relative: string): void => {
    for (const entry of readdirSync(join(REPO_ROOT, relative), { withFileTypes: true })) {
      if (relative === '' && NOT_COPIED.has(entry.name)) continue;
      const path = relative === '' ? entry.name : join(relative, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.isFile()) {
        const stat = statSync(join(REPO_ROOT, path));
        files.push({ path, size: stat.size, mtimeMs: stat.mtimeMs });
      }
    }
  };
  walk('');
  return files.sort((a, b) => a.path.localeCompare(b.path));
};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const pruneOldEntries = (): void => {
  for (const entry of existsSync(CACHE_ROOT) ? readdirSync(CACHE_ROOT) : []) {
    const path = join(CACHE_ROOT, entry);
    if (Date.now() - statSync(path).mtimeMs > CACHE_MAX_AGE_MS) rmSync(path, { recursive: true, force: true });
  }
};

const packageInCopy = async (files: { path: string }[], options: OslsOptions, target: string): Promise<void> => {
  const work = mkdtempSync(join(tmpdir(), 'usage-pipeline-package-'));
  try {
    for (const { path } of files) {
      mkdirSync(dirname(join(work, path)), { recursive: true });
      copyFileSync(join(REPO_ROOT, path), join(work, path));
    }
    symlinkSync(join(REPO_ROOT, 'node_modules'), join(work, 'node_modules'), 'dir');
    const out = join(work, 'out');
    await runOsls(
      ['package', '--stage', options.stage ?? 'test', '--package', out, ...paramArgs(options.params)],
      work,
    );
    // Written beside, then renamed: a reader never sees half a file.
    writeFileSync(`${target}.partial`, readFileSync(join(out, TEMPLATE_FILE)));
    renameSync(`${target}.partial`, target);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
};

/**
 * The packaged template for `options` (stage `test`, no params by default), packaged at most once
 * for a given state of the sources, whichever test file asks first (a lock directory makes the
 * others wait for it).
 */
export const packagedTemplate = async (options: OslsOptions = {}): Promise<CfnTemplate> => {
  const files = sourceFiles();
  const key = createHash('sha256')
    .update(JSON.stringify({ stage: options.stage ?? 'test', params: paramArgs(options.params), files }))
    .digest('hex')
    .slice(0, 32);
  const entry = join(CACHE_ROOT, key);
  const template = join(entry, TEMPLATE_FILE);
  const lock = join(CACHE_ROOT, `${key}.lock`);
  mkdirSync(CACHE_ROOT, { recursive: true });

  for (;;) {
    if (existsSync(template)) return JSON.parse(readFileSync(template, 'utf8')) as CfnTemplate;
    try {
      mkdirSync(lock);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      // Another test file is packaging this one; take over only from a packaging that died.
      const lockedSince = statSync(lock, { throwIfNoEntry: false })?.mtimeMs;
      if (lockedSince !== undefined && Date.now() - lockedSince > LOCK_STALE_MS)
        rmSync(lock, { recursive: true, force: true });
      await sleep(250);
      continue;
    }
    try {
      pruneOldEntries();
      mkdirSync(entry, { recursive: true });
      await packageInCopy(files, options, template);
    } finally {
      rmSync(lock, { recursive: true, force: true });
    }
  }
};
