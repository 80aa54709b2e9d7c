import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { exampleFiles } from '../../scripts/make-examples';
import { SOURCE_ADAPTERS } from '../../shared/sources';
import {
  fencedBlocks,
  isJsonLine,
  matches,
  parseShown,
  printedAfter,
  readmeCommands,
  transcriptOf,
} from '../helpers/readme-commands';

// The README's commands, run as a user types them: every command of a ```sh block (and every
// `$ ` line of a transcript) that starts with one of the project's tools is either run here for
// real, through bash in the repository root, or listed in NOT_RUN with the reason. Only paths
// are rewritten: ./lake and examples/ go to a temporary directory (the examples written there by
// the README's own `make-examples` line, so their event times are today's), and <port> is the
// port the running stack printed. Ctrl-C is SIGINT to the command's process group, as a
// terminal sends it.

const ROOT = join(__dirname, '..', '..');
const README = readFileSync(join(ROOT, 'README.md'), 'utf8');

// --- running commands ----------------------------------------------------------------------

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

interface Context {
  examples: string;
  lake: string;
  port?: string;
  exports?: Record<string, string>;
}

/** A user's shell: no AWS variables or credentials, nothing jest set. */
const userEnv = (extra: Record<string, string> = {}): NodeJS.ProcessEnv => {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of Object.keys(env)) {
    if (/^(AWS_|POWERTOOLS_|JEST_)/.test(name) || name === 'NODE_ENV') delete env[name];
  }
  return {
    ...env,
    AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/credentials',
    AWS_CONFIG_FILE: '/nonexistent/config',
    AWS_EC2_METADATA_DISABLED: 'true',
    ...extra,
  };
};

const children = new Set<ChildProcess>();
const signalGroup = (child: ChildProcess, signal: NodeJS.Signals) => {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // The group is gone already.
  }
};

/** Runs `command` with bash in the repository root, in a process group of its own (as a terminal job). */
const launch = (command: string, env: NodeJS.ProcessEnv, timeoutMs: number) => {
  const child = spawn('bash', ['-c', command], { cwd: ROOT, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  const output = { stdout: '', stderr: '' };
  child.stdout.on('data', (chunk: Buffer) => {
    output.stdout += chunk.toString('utf8');
  });
  child.stderr.on('data', (chunk: Buffer) => {
    output.stderr += chunk.toString('utf8');
  });
  const done = new Promise<Ran>((resolve, reject) => {
    const timer = setTimeout(() => signalGroup(child, 'SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      children.delete(child);
      resolve({ code, ...output });
    });
  });
  return { child, output, done };
};

const forTest = (command: string, context: Context): string =>
  command
    .replaceAll('./lake', context.lake)
    .replace(/(?<=[\s@])examples\//g, `${context.examples}/`)
    .replaceAll('<port>', context.port ?? '<port>');

const run = (command: string, context: Context, timeoutMs = 60_000): Promise<Ran> =>
  launch(forTest(command, context), userEnv(context.exports), timeoutMs).done;

/** Starts a `--keep-running` command, waits until it prints its endpoints, runs `dependents` against it, then Ctrl-C. */
const withStack = async (
  command: string,
  dependents: readonly string[],
  context: Context,
): Promise<Map<string, Ran>> => {
  const stack = launch(forTest(command, context), userEnv(), 120_000);
  const ready = await new Promise<string>((resolve, reject) => {
    const check = () => {
      if (stack.output.stdout.includes('Press Ctrl-C')) resolve(stack.output.stdout);
    };
    stack.child.stdout?.on('data', check);
    void stack.done.then((ran) =>
      reject(new Error(`${command} exited (${ran.code}) early: ${ran.stderr.slice(-2000)}`)),
    );
  });
  const exports = Object.fromEntries(
    ready
      .split('\n')
      .filter((line) => line.trim().startsWith('export '))
      .flatMap((line) =>
        [...line.matchAll(/(\w+)=(\S+)/g)].map(([, name, value]) => [name as string, value as string]),
      ),
  );
  const port = /HTTP ingest API[^\n]*?http:\/\/127\.0\.0\.1:(\d+)/.exec(ready)?.[1];
  const ran = new Map<string, Ran>();
  for (const dependent of dependents) ran.set(dependent, await run(dependent, { ...context, exports, port }));
  signalGroup(stack.child, 'SIGINT');
  ran.set(command, { ...(await stack.done), stdout: stack.output.stdout });
  ran.set(`${command} (before Ctrl-C)`, { code: null, stdout: ready, stderr: '' });
  return ran;
};

// --- what is run, and what each must print -------------------------------------------------

const NOT_RUN: Record<string, string> = {
  'npm ci': "CI's own first step (.ci/run); here it would reinstall node_modules under the running suite",
  'npm test': 'runs this file, and the whole suite, again',
  'npm run bench': 'about 3.5 minutes and not part of npm test; README "Benchmarks" holds its figures',
  'npm start':
    'the built-in workload of 5,000 records (about 20 s here): `npm start -- --events 200 --keep-running` runs it smaller up to Ctrl-C, start-cli.test.ts with --json',
  'npm run -s token -- --client acme-corp [--ttl 3600] [--scope S]… [--key FILE] [--issuer URL]':
    'a synopsis: its placeholders are not values (its forms run here: --ttl -5, and inside each curl)',
  'npm run redrive -- errors [--dry-run] [--json] [--stage S] [--type partitioning-failed|processing-failed]':
    'a synopsis; its local form runs here against the overflow stack (lake-overflow.test.ts runs --dry-run and --json)',
  'npm start -- --out ./lake':
    'the built-in workload of 5,000 records (about 20 s here); the query commands run on the lake of `npm start -- --input examples/mixed.ndjson --json --out ./lake`',
  "npm run query -- --lake DIR 'SQL'": 'a synopsis: DIR and SQL are placeholders (its forms run here)',
  'npm run redrive -- quarantine --reason CODE [--dry-run] [--json] [--stage S]':
    'a synopsis (CODE is a placeholder); quarantine-redrive.test.ts re-drives EVENT_TIME_OUT_OF_RANGE',
};

const MAKE_EXAMPLES = 'npx tsx scripts/make-examples.ts';
const MIXED = 'npm start -- --input examples/mixed.ndjson --json --out ./lake';
const DROP = 'npm start -- --drop examples/meters.ndjson.gz --drop examples/vendor-export.json';
const BACKFILL = 'MAX_EVENT_AGE_SECONDS=3024000 npm start -- --input examples/backfill.ndjson';
const INVOKES = [
  'npx osls invoke local -f kinesisConsumer -p events/kinesis-batch.json',
  'npx osls invoke local -f firehoseTransformer -p events/firehose-transformation.json',
  'npx osls invoke local -f exampleApi -p events/example-api-v2.json',
];
const API_STACK = 'npm start -- --events 200 --keep-running';
const EXPIRED_TOKEN = 'npm run -s token -- --client acme-corp --ttl -5';
const curlTo = (path: string, body: string) =>
  `curl -H "Authorization: Bearer $(npm run -s token -- --client acme-corp)" -H 'content-type: application/json' --data-binary @examples/${body} http://127.0.0.1:<port>/${path}`;
const API_CALLS = [
  { command: curlTo('events', 'events.json'), entries: (body: { entries: unknown[] }) => body.entries.length },
  { command: curlTo('actions', 'actions.json'), entries: (body: unknown[]) => body.length },
  { command: curlTo('meters', 'meters.json'), entries: (body: unknown[]) => body.length },
];
const JWKS = 'curl http://127.0.0.1:<port>/.well-known/jwks.json';
const OVERFLOW_STACK =
  'LOCAL_FIREHOSE_MAX_ACTIVE_PARTITIONS=4 LOCAL_FIREHOSE_BUFFER_INTERVAL_SECONDS=1 npm start -- --input examples/mixed.ndjson --keep-running';
const REDRIVE = 'npm run redrive -- errors --stage local --max-partitions 4 --wave-seconds 7';
const QUERY_TABLE =
  "npm run query -- --lake ./lake 'SELECT clientId, dt, count(*) AS events FROM events GROUP BY 1, 2 ORDER BY 1, 2'";
const QUERY_JSON = 'npm run query -- --lake ./lake --json --report usage';
const QUERY_CSV = "npm run query -- --lake ./lake --csv 'SELECT * FROM usage_meters'";
const QUERY_SQL = 'npm run query -- --report api-calls --print-sql';
const QUERIES = [QUERY_TABLE, QUERY_JSON, QUERY_CSV, QUERY_SQL];
/** Runs against the `--keep-running` stack (its `.local/stack.json`). */
const QUERY_STACK = 'npm run query -- --report health';

const RUN = [
  MAKE_EXAMPLES,
  MIXED,
  DROP,
  BACKFILL,
  ...INVOKES,
  API_STACK,
  EXPIRED_TOKEN,
  ...API_CALLS.map(({ command }) => command),
  JWKS,
  OVERFLOW_STACK,
  REDRIVE,
  ...QUERIES,
  QUERY_STACK,
];

let dir: string;
let context: Context;
let results: Map<string, Promise<Ran>>;
const result = async (command: string): Promise<Ran> => {
  const ran = await results.get(command);
  if (!ran) throw new Error(`${command} was not run`);
  return ran;
};

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'readme-commands-'));
  context = { examples: join(dir, 'examples'), lake: join(dir, 'lake') };
  // The examples first, written for today: every other command reads them.
  const examples = await run(`${MAKE_EXAMPLES} --out ${context.examples}`, context);
  results = new Map([[MAKE_EXAMPLES, Promise.resolve(examples)]]);
  // Two lanes, about even; the two stacks in one, as `npm run token` takes the issuer of the API that started last.
  const stacks = (async () => {
    const api = await withStack(
      API_STACK,
      [EXPIRED_TOKEN, ...API_CALLS.map(({ command }) => command), JWKS, QUERY_STACK],
      context,
    );
    const overflow = await withStack(OVERFLOW_STACK, [REDRIVE], context);
    return new Map([...api, ...overflow]);
  })();
  stacks.catch(() => undefined);
  const fromStacks = [
    API_STACK,
    OVERFLOW_STACK,
    REDRIVE,
    EXPIRED_TOKEN,
    JWKS,
    QUERY_STACK,
    ...API_CALLS.map((call) => call.command),
  ];
  for (const key of [...fromStacks, ...[API_STACK, OVERFLOW_STACK].map((stack) => `${stack} (before Ctrl-C)`)])
    results.set(
      key,
      stacks.then((ran) => ran.get(key) as Ran),
    );
  let previous: Promise<unknown> = Promise.resolve();
  // The queries read the lake MIXED copies into ./lake.
  for (const command of [...INVOKES, MIXED, ...QUERIES, DROP, BACKFILL]) {
    const ran = previous.then(() => run(command, context));
    ran.catch(() => undefined);
    results.set(command, ran);
    previous = ran;
  }
});

afterAll(async () => {
  for (const child of children) signalGroup(child, 'SIGKILL');
  await rm(dir, { recursive: true, force: true });
});

const sum = (counts: Record<string, number>) => Object.values(counts).reduce((total, count) => total + count, 0);
const today = () => exampleFiles(new Date());
const lastJson = <T>(stdout: string): T => JSON.parse(stdout.trim().split('\n').at(-1) ?? '') as T;
/** The numbers of the last summary a run printed (`--keep-running` prints one before Ctrl-C and one after). */
const lastCount = (stdout: string, label: RegExp): number | undefined => {
  const found = [...stdout.matchAll(label)];
  const value = found.at(-1)?.[1];
  return value === undefined ? undefined : Number(value);
};

/** What a command printed, without the `> pkg@version script` banner npm run prints first (not with -s). */
const printed = (stdout: string): string =>
  stdout
    .split('\n')
    .filter((_line, i, lines) => !lines.slice(0, i + 1).every((above) => above.startsWith('> ') || above.trim() === ''))
    .join('\n')
    .trim();

describe('README.md commands', () => {
  it('runs, or says why it does not run, every command the README shows, and nothing it does not', () => {
    const listed = [...RUN, ...Object.keys(NOT_RUN)].sort();

    expect(readmeCommands(README).sort()).toEqual(listed);
  });

  it(`${MAKE_EXAMPLES}: writes every example file, for today`, async () => {
    const ran = await result(MAKE_EXAMPLES);

    expect(ran.code).toBe(0);
    for (const file of today().files) {
      const bytes = await readFile(join(context.examples, file.name));
      expect((file.gzip ? gunzipSync(bytes) : bytes).toString('utf8')).toBe(file.text);
    }
  });

  it(`${MIXED}: every source in one file, counted exactly, and the bucket copied`, async () => {
    const ran = await result(MIXED);
    const { mixed } = today().expected;

    expect(ran.code).toBe(0);
    const summary = lastJson<{
      in: number;
      delivered: number;
      duplicates: number;
      quarantineReasons: Record<string, number>;
      bySource: Record<string, unknown>;
      reconciled: boolean;
      objects: string[];
      lake: { events: number };
    }>(ran.stdout);
    expect(summary).toMatchObject({
      in: mixed.records,
      delivered: mixed.records - mixed.duplicates - sum(mixed.quarantined),
      duplicates: mixed.duplicates,
      quarantineReasons: mixed.quarantined,
      reconciled: true,
      lake: { events: summary.delivered },
    });
    expect(Object.keys(summary.bySource).sort()).toEqual(SOURCE_ADAPTERS.map((adapter) => adapter.name).sort());
    expect(summary.objects.filter((key) => !existsSync(join(context.lake, key)))).toEqual([]);
  });

  it(`${QUERY_TABLE} and the other queries of the lake: what the run delivered, as a table, JSON and CSV`, async () => {
    const mixedRun = lastJson<{ delivered: number }>((await result(MIXED)).stdout);
    const table = await result(QUERY_TABLE);
    const json = await result(QUERY_JSON);
    const csv = await result(QUERY_CSV);
    const sql = await result(QUERY_SQL);

    expect(table.code).toBe(0);
    const [header, rule, ...rows] = printed(table.stdout).split('\n');
    expect(header?.split(/\s+/)).toEqual(['clientId', 'dt', 'events']);
    expect(rule).toMatch(/^[- ]+$/);
    const counted = rows
      .filter((row) => !row.startsWith('('))
      .reduce((total, row) => total + Number(row.trim().split(/\s+/).at(-1)), 0);
    expect(counted).toBe(mixedRun.delivered);
    expect(json.code).toBe(0);
    const usage = JSON.parse(printed(json.stdout)) as { customerId: string; total: number }[];
    expect(usage.length).toBeGreaterThan(0);
    expect(usage.every((row) => typeof row.customerId === 'string' && typeof row.total === 'number')).toBe(true);
    expect(csv.code).toBe(0);
    const [csvHeader, ...csvRows] = printed(csv.stdout).split('\n');
    expect(csvHeader?.split(',')).toEqual(expect.arrayContaining(['customerId', 'meterApiName', 'meterValue']));
    expect(csvRows.length).toBe(usage.reduce((total, row) => total + (row as unknown as { events: number }).events, 0));
    expect(sql.code).toBe(0);
    expect(printed(sql.stdout)).toMatch(/^SELECT[\s\S]*FROM api_calls/);
  });

  it(`${QUERY_STACK}, against the --keep-running stack: the health report`, async () => {
    const ran = await result(QUERY_STACK);

    expect(ran.code).toBe(0);
    expect(ran.stderr).toBe('');
    expect(printed(ran.stdout).split('\n').length).toBeGreaterThan(2);
  });

  it('## The canonical event: the README shows the keys, source and detail-type of a client event in the lake', async () => {
    expect((await result(MIXED)).code).toBe(0);
    const section = README.slice(README.indexOf('## The canonical event'));
    const shown = parseShown(
      fencedBlocks(section)
        .find((block) => block.info === 'json')
        ?.lines.join('\n') ?? '',
    ) as Record<string, unknown> & { detail: Record<string, unknown> };
    const keys = (await readdir(join(context.lake, 'events'), { recursive: true })).filter((key) =>
      key.endsWith('.gz'),
    );
    const events = (
      await Promise.all(
        keys.map(async (key) => gunzipSync(await readFile(join(context.lake, 'events', key))).toString()),
      )
    )
      .flatMap((text) => text.split('\n').filter(Boolean))
      .map((line) => JSON.parse(line) as Record<string, unknown> & { detail: Record<string, unknown> });
    const clientEvent = events.find((event) => event.source === shown.source);

    expect(clientEvent).toBeDefined();
    expect(Object.keys(shown)).toEqual(Object.keys(clientEvent ?? {}));
    expect(Object.keys(shown.detail)).toEqual(Object.keys(clientEvent?.detail ?? {}));
    expect(shown['detail-type']).toBe(clientEvent?.['detail-type']);
  });

  it(`${DROP}: prints what the README shows, every record of the files counted`, async () => {
    const ran = await result(DROP);
    const { meters, vendorExport } = today().expected;
    const shown = printedAfter(README, DROP).map(
      (line) =>
        new RegExp(line.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replaceAll('<MM-DD-YYYY>', '\\d{2}-\\d{2}-\\d{4}')),
    );

    expect(ran.code).toBe(0);
    expect(shown.filter((line) => !line.test(ran.stdout))).toEqual([]);
    expect(ran.stdout).toContain(`meters.ndjson.gz: ${meters.records} read, ${meters.records} sent, 0 rejected`);
    const rejected = sum(vendorExport.rejected);
    expect(ran.stdout).toContain(
      `vendor-export.json: ${vendorExport.records} read, ${vendorExport.records - rejected} sent, ${rejected} rejected`,
    );
    expect(ran.stdout).toMatch(/reconciled +yes/);
  });

  it(`${BACKFILL}: the widened window takes every day of the backfill`, async () => {
    const ran = await result(BACKFILL);
    const { backfill } = today().expected;

    expect(ran.code).toBe(0);
    expect(lastCount(ran.stdout, /records in +(\d+)/g)).toBe(backfill.records);
    expect(lastCount(ran.stdout, /delivered +(\d+) +\(in the lake\)/g)).toBe(backfill.records);
    expect(ran.stdout).toMatch(/reconciled +yes/);
  });

  it.each(INVOKES)('%s: prints what README shows, and nothing but JSON', async (command) => {
    const ran = await result(command);
    const transcript = transcriptOf(README, command);
    const resultAt = transcript.indexOf('{');
    const outputAt = ran.stdout.split('\n').indexOf('{');
    const actual = [...ran.stdout.split('\n').slice(0, outputAt), ...ran.stderr.split('\n')].filter(
      (line) => line.trim() !== '',
    );

    expect(ran.code).toBe(0);
    // No Node-version notice or any other text: every line is a JSON log or metric line.
    expect(actual.filter((line) => !isJsonLine(line))).toEqual([]);
    const logged = actual.map((line) => JSON.parse(line) as unknown);
    const shownLines = transcript.slice(0, resultAt).filter((line) => line.startsWith('{'));
    expect(shownLines.length).toBeGreaterThan(0);
    expect(shownLines.filter((line) => !logged.some((entry) => matches(parseShown(line), entry)))).toEqual([]);
    const shownResult = parseShown(transcript.slice(resultAt).join('\n'));
    expect(matches(shownResult, JSON.parse(ran.stdout.split('\n').slice(outputAt).join('\n')))).toBe(true);
  });

  it(`${API_STACK}, then the HTTP API's commands against it, then Ctrl-C`, async () => {
    const before = await result(`${API_STACK} (before Ctrl-C)`);
    const expired = await result(EXPIRED_TOKEN);
    const jwks = await result(JWKS);

    // A token minted 5 s in the past: its exp is behind the clock.
    expect(expired.code).toBe(0);
    const claims = JSON.parse(Buffer.from(expired.stdout.trim().split('.')[1] ?? '', 'base64url').toString()) as {
      exp: number;
    };
    expect(claims.exp).toBeLessThanOrEqual(Date.now() / 1000);
    expect(jwks.code).toBe(0);
    expect((JSON.parse(jwks.stdout) as { keys: unknown[] }).keys.length).toBeGreaterThan(0);
    let posted = 0;
    for (const { command, entries } of API_CALLS) {
      const ran = await result(command);
      const file = /@examples\/(\S+)/.exec(command)?.[1] ?? '';
      const count = entries(JSON.parse(await readFile(join(context.examples, file), 'utf8')));
      expect({ command, code: ran.code }).toEqual({ command, code: 0 });
      expect(JSON.parse(ran.stdout)).toMatchObject({ FailedEntryCount: 0 });
      expect((JSON.parse(ran.stdout) as { Entries: unknown[] }).Entries).toHaveLength(count);
      posted += count;
    }
    // Ctrl-C drains, prints the final summary (with what the API took) and stops with the run's code.
    const stack = await result(API_STACK);
    const first = lastCount(before.stdout, /records in +(\d+)/g) ?? Number.NaN;
    expect(stack.code).toBe(0);
    expect(lastCount(stack.stdout, /records in +(\d+)/g)).toBe(first + posted);
    expect(stack.stdout.slice(before.stdout.length)).toMatch(/reconciled +yes/);
  });

  it(`${OVERFLOW_STACK}: overflows, ${REDRIVE} brings every record back, Ctrl-C`, async () => {
    const before = await result(`${OVERFLOW_STACK} (before Ctrl-C)`);
    const redrive = await result(REDRIVE);
    const stack = await result(OVERFLOW_STACK);
    const { mixed } = today().expected;

    const overflowed = lastCount(before.stdout, /^ {2}errors +(\d+) \(partitioning-failed/gm) ?? 0;
    expect(overflowed).toBeGreaterThan(0);
    // The summary prints the README's re-drive command.
    expect(before.stdout).toContain(REDRIVE);
    expect(redrive.code).toBe(0);
    expect(redrive.stdout).toContain(`re-drove ${overflowed} records`);
    expect(stack.code).toBe(0);
    const after = stack.stdout.slice(before.stdout.length);
    expect(lastCount(after, /delivered +(\d+) +\(in the lake\)/g)).toBe(
      mixed.records - mixed.duplicates - sum(mixed.quarantined),
    );
    expect(after).not.toMatch(/errors +\d+ \(partitioning-failed/);
    expect(after).toMatch(/reconciled +yes/);
  });
});
