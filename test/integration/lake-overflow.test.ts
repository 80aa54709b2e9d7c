import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  envelopes,
  lakeProblems,
  lastJsonLine,
  ROOT,
  readLakeDir,
  runScript,
  writeNdjson,
} from '../helpers/lake-workloads';
import { sharedStack } from '../helpers/shared-stack';

// A forced overflow and its recovery, as a user would do it: `npm start -- --keep-running` with the
// local Firehose's active-partition quota lowered (LOCAL_FIREHOSE_MAX_ACTIVE_PARTITIONS), so
// records past the quota go to errors/partitioning-failed/ as on AWS
// (https://docs.aws.amazon.com/firehose/latest/dev/dynamic-partitioning.html, "Dynamic
// partitioning limits"); the summary shows them and exits 1; `npm run redrive -- errors` against the
// running stack brings every event into the lake exactly once; a second re-drive finds nothing.

const QUOTA = 4;
const TYPES = ['page_view', 'searching', 'checkout', 'signup', 'add_to_cart', 'Exported Report'];

interface RedriveJson {
  mode: string;
  dryRun: boolean;
  objects: number;
  records: number;
  byType: Record<string, number>;
}

interface Summary {
  in: number;
  delivered: number;
  errors: Record<string, number>;
  lake: { events: number; errors: Record<string, number> };
}

let dir: string;
let stack: ChildProcessWithoutNullStreams | undefined;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lake-overflow-'));
});
afterAll(async () => {
  stack?.kill('SIGKILL');
  await rm(dir, { recursive: true, force: true });
});

/** Collects the child's stdout and resolves once `text` has appeared in it. */
const waitFor = (child: ChildProcessWithoutNullStreams, output: { stdout: string }, text: string) =>
  new Promise<void>((resolve, reject) => {
    const check = () => {
      if (output.stdout.includes(text)) {
        child.stdout.off('data', check);
        resolve();
      }
    };
    child.stdout.on('data', check);
    child.once('exit', (code) => reject(new Error(`npm start exited (${code}) before printing "${text}"`)));
    check();
  });

it('overflows the lowered quota into errors/, says so, and the re-drive brings every event back exactly once', async () => {
  // Prepare: 6 types × 3 days = 18 partitions against a quota of 4.
  const sent = envelopes({ clients: 30, types: TYPES, days: 3, perCombination: 2, seed: 404 });
  const input = join(dir, 'overflow.ndjson');
  const out = join(dir, 'lake');
  await writeNdjson(input, sent);
  const output = { stdout: '', stderr: '' };
  stack = spawn(
    process.execPath,
    [
      join(ROOT, 'node_modules/tsx/dist/cli.mjs'),
      'infra/local/cli/start.ts',
      '--input',
      input,
      '--keep-running',
      '--json',
      '--out',
      out,
    ],
    {
      cwd: ROOT,
      env: {
        ...process.env,
        LOCAL_FIREHOSE_MAX_ACTIVE_PARTITIONS: String(QUOTA),
        LOCAL_FIREHOSE_BUFFER_INTERVAL_SECONDS: '1',
      },
    },
  );
  stack.stdout.on('data', (chunk: Buffer) => {
    output.stdout += chunk.toString('utf8');
  });
  stack.stderr.on('data', (chunk: Buffer) => {
    output.stderr += chunk.toString('utf8');
  });
  const exited = new Promise<number | null>((resolve) => stack?.once('exit', resolve));

  // Act 1: the run, until the stack waits for Ctrl-C.
  await waitFor(stack, output, 'Press Ctrl-C');
  const first = output.stdout;
  // Every NAME=value of the printed `export` lines, as a user's shell would take them.
  const exports = first.split('\n').filter((line) => line.trim().startsWith('export '));
  const env = Object.fromEntries(
    exports.flatMap((line) =>
      [...line.matchAll(/(\w+)=(\S+)/g)].map(([, name, value]) => [name as string, value as string]),
    ),
  );

  // Assess 1: delivered counts only what is in the lake; the errors are named with the command.
  const errorsLine = /errors +(\d+) \(partitioning-failed (\d+)\)/.exec(first);
  expect(errorsLine?.[1]).toBeDefined();
  const overflowed = Number(errorsLine?.[1]);
  expect(overflowed).toBeGreaterThan(0);
  expect(first).toMatch(new RegExp(`delivered +${sent.length - overflowed} +\\(in the lake\\)`));
  expect(first).toContain('reconciled      yes: in = delivered + duplicates + quarantined + errors');
  expect(first).toContain(`npm run redrive -- errors --stage local --max-partitions ${QUOTA}`);

  // Act 2: a dry run, then the re-drive, then a second re-drive, against the running stack.
  const redrive = (args: string[]) =>
    runScript(
      'scripts/redrive.ts',
      ['errors', '--stage', 'local', '--json', '--max-partitions', String(QUOTA), '--wave-seconds', '4', ...args],
      env,
    );
  const dry = await redrive(['--dry-run']);
  const real = await redrive([]);
  const again = await redrive([]);

  // Assess 2
  expect(dry.code).toBe(0);
  expect(lastJsonLine<RedriveJson>(dry.stdout)).toMatchObject({ mode: 'errors', dryRun: true, records: overflowed });
  expect(real.code).toBe(0);
  expect(lastJsonLine<RedriveJson>(real.stdout)).toMatchObject({
    dryRun: false,
    records: overflowed,
    byType: { 'partitioning-failed': overflowed },
  });
  expect(lastJsonLine<RedriveJson>(again.stdout)).toMatchObject({ records: 0 });

  // Act 3: Ctrl-C drains and prints the final summary.
  stack.kill('SIGINT');
  const code = await exited;

  // Assess 3: everything in the lake once, in its partition; nothing left in errors/.
  const summary = lastJsonLine<Summary>(output.stdout);
  expect(summary).toMatchObject({ in: sent.length, delivered: sent.length, errors: {} });
  expect(summary.lake).toMatchObject({ events: sent.length, errors: {} });
  const listed = new Set((sharedStack().definition.transformer.environment.LAKE_EVENT_TYPES ?? '').split(','));
  expect(lakeProblems(sent, await readLakeDir(out), listed)).toEqual([]);
  expect(code).toBe(0);
});
