import { open, stat } from 'node:fs/promises';
import { RoutesFileError } from '../../../shared/routes/routes-file';
import { readOptions } from './cli-options';

export const USAGE = `Usage: npm start -- [options]

Runs the whole pipeline locally (kinesalite, dynalite, s3rver, a local Firehose and the
Lambda event-source runner, configured from serverless.yml) and prints what it did.

Options:
  --input FILE      NDJSON (or .gz) of records as producers put them into the stream,
                    one record's data per line, instead of the built-in sample workload
  --events N        size of the built-in sample workload (default 5000)
  --drop FILE       drop FILE into the S3 drop location, as a metering vendor would: a
                    JSON array or NDJSON of records (gzip when named .gz) uploaded to
                    ingest/<MM-DD-YYYY>/<name>; s3Drop gets the ObjectCreated event and
                    the run waits until its records are in the lake. The summary shows
                    what was read, sent, rejected and the report key. Repeatable. Alone,
                    it replaces the built-in workload; with --input or --events, that
                    is sent first.
  --json            end stdout with one JSON line: the run's summary
  --out DIR         copy every object of the bucket into DIR, keyed by path
  --keep-running    leave the stack up, print its endpoints (the HTTP ingest API
                    included), stop on Ctrl-C
  --routes FILE     the routes file (default routes.yml): each route runs on the local
                    routing bus (EventBridge rules, API destinations, dead-letter queues);
                    routes with localUrl: receiver deliver to a receiver this run starts
  --verbose         show the functions' own logs (Powertools, INFO)
  -h, --help        show this help

Ctrl-C (or SIGTERM) stops the intake, drains what is in flight and prints the summary;
a second Ctrl-C stops at once. Bad options or files: one line on stderr, exit 2.`;

export const DEFAULT_EVENTS = 5_000;

export interface StartOptions {
  input?: string;
  /** --events as given; the workload size is `events ?? DEFAULT_EVENTS`. */
  events?: number;
  drop: string[];
  json: boolean;
  out?: string;
  keepRunning: boolean;
  routes?: string;
  verbose: boolean;
}

export type StartCommand = { help: true } | ({ help: false } & StartOptions);

export type StartUsageReason =
  | 'UnknownOption'
  | 'UnexpectedArgument'
  | 'MissingValue'
  | 'UnexpectedValue'
  | 'RepeatedOption'
  | 'InvalidEvents'
  | 'ConflictingOptions'
  | 'UnreadableFile'
  | 'NotGzip';

/** What the user must fix (an option, a value, a file): one line on stderr, exit 2, no stack trace. */
export class StartUsageError extends Error {
  override readonly name = 'StartUsageError';
  constructor(
    readonly reason: StartUsageReason,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

const OPTIONS = {
  input: { type: 'string' },
  events: { type: 'string' },
  drop: { type: 'string', multiple: true },
  json: { type: 'boolean' },
  out: { type: 'string' },
  'keep-running': { type: 'boolean' },
  routes: { type: 'string' },
  verbose: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

type OptionName = keyof typeof OPTIONS;

/**
 * argv after `npm start --`, checked by readOptions (unknown options, positionals, missing values,
 * flags given values, repeats), then: --events a whole number ≥ 1, not with --input. `--help` anywhere wins.
 */
export const parseStartArgs = (argv: readonly string[]): StartCommand => {
  const { help, values } = readOptions(argv, OPTIONS, (reason, message) => new StartUsageError(reason, message), {
    helpHint: ' (npm start -- --help lists the options)',
  });
  if (help) return { help: true };
  const one = (name: OptionName) => values.get(name)?.[0];
  const eventsText = one('events');
  if (eventsText !== undefined && !/^[1-9]\d*$/.test(eventsText))
    throw new StartUsageError('InvalidEvents', `--events must be a whole number of at least 1, got '${eventsText}'`);
  if (eventsText !== undefined && one('input') !== undefined)
    throw new StartUsageError(
      'ConflictingOptions',
      '--input and --events both choose what is sent: give one (the built-in workload is --events)',
    );
  const input = one('input');
  const out = one('out');
  const routes = one('routes');
  return {
    help: false,
    drop: values.get('drop') ?? [],
    json: values.has('json'),
    keepRunning: values.has('keep-running'),
    verbose: values.has('verbose'),
    ...(input !== undefined && { input }),
    ...(eventsText !== undefined && { events: Number(eventsText) }),
    ...(out !== undefined && { out }),
    ...(routes !== undefined && { routes }),
  };
};

const GZIP_MAGIC = Buffer.from([0x1f, 0x8b]);

const fileProblem = (error: NodeJS.ErrnoException): string => {
  switch (error.code) {
    case 'ENOENT':
      return 'no such file';
    case 'EACCES':
    case 'EPERM':
      return 'not readable (permission denied)';
    case 'EISDIR':
      return 'is a directory, not a file';
    default:
      return `cannot be read (${error.code ?? error.message})`;
  }
};

/**
 * Fails with StartUsageError unless `file` is a regular file this process can read; when `gzip`,
 * also unless it starts with gzip's magic bytes 1f 8b (RFC 1952 §2.3.1), so a mislabelled file is
 * named here rather than failing mid-stream with zlib's "incorrect header check".
 */
export const checkReadableFile = async (option: string, file: string, gzip = false): Promise<void> => {
  const problem = (what: string, reason: StartUsageReason, cause?: unknown) =>
    new StartUsageError(reason, `${option} ${file}: ${what}`, cause === undefined ? undefined : { cause });
  try {
    if (!(await stat(file)).isFile()) throw Object.assign(new Error('not a file'), { code: 'EISDIR' });
    const handle = await open(file, 'r');
    try {
      if (!gzip) return;
      const head = Buffer.alloc(2);
      const { bytesRead } = await handle.read(head, 0, 2, 0);
      if (bytesRead < 2 || !head.equals(GZIP_MAGIC))
        throw problem('named .gz but not gzip (it does not start with the gzip bytes 1f 8b)', 'NotGzip');
    } finally {
      await handle.close();
    }
  } catch (error) {
    if (error instanceof StartUsageError) throw error;
    throw problem(fileProblem(error as NodeJS.ErrnoException), 'UnreadableFile', error);
  }
};

/** Every file the options name, checked before anything starts. */
export const checkStartFiles = async (options: StartOptions): Promise<void> => {
  if (options.input !== undefined) await checkReadableFile('--input', options.input, options.input.endsWith('.gz'));
  if (options.routes !== undefined) await checkReadableFile('--routes', options.routes);
  // A drop is uploaded as it is: a .gz that is not gzip is the s3Drop handler's to report (BAD_GZIP).
  for (const file of options.drop) await checkReadableFile('--drop', file);
};

const oneLine = (text: string) => text.replace(/\s*\n\s*/g, ' ');

/**
 * What `npm start` prints when main() fails, and its exit code: `npm start: …` and 2 for what
 * the user must fix (options, files, an invalid routes file), `npm start failed: …` and 1 for the
 * rest. One line either way, no stack trace.
 */
export const failureLine = (error: unknown): { line: string; code: number } => {
  if (error instanceof StartUsageError || error instanceof RoutesFileError)
    return { line: `npm start: ${oneLine(error.message)}`, code: 2 };
  return { line: `npm start failed: ${oneLine(error instanceof Error ? error.message : String(error))}`, code: 1 };
};
