/**
 * `npm run faults`: the fault runs the README and the closing notes report. Each runs the real
 * `npm start -- --events N --json` in its own process group, waits until a thousand records are
 * processed, then stops (SIGSTOP, resumed after S seconds) or kills (SIGKILL) one of its servers, and
 * prints what the run's JSON summary says: in, delivered, duplicates, quarantined, discarded,
 * not processed, the lake count and the exit code.
 *
 *   npm run faults                      all runs below, 20,000 events each
 *   npm run faults -- --only dynalite-stop-15 --events 5000
 */
import { execFile, spawn } from 'node:child_process';
import { join } from 'node:path';
import { parseArgs, promisify } from 'node:util';

const ROOT = join(__dirname, '..');
const TSX = join(ROOT, 'node_modules/tsx/dist/cli.mjs');

interface Fault {
  name: string;
  service: 'dynalite' | 's3rver' | 'kinesalite';
  /** Seconds stopped before SIGCONT; undefined: SIGKILL. */
  stopSeconds?: number;
}

const FAULTS: Fault[] = [
  { name: 'dynalite-stop-15', service: 'dynalite', stopSeconds: 15 },
  { name: 'dynalite-stop-75', service: 'dynalite', stopSeconds: 75 },
  { name: 'dynalite-kill', service: 'dynalite' },
  { name: 's3rver-stop-15', service: 's3rver', stopSeconds: 15 },
];

interface Summary {
  in: number;
  delivered: number;
  duplicates: number;
  quarantined: number;
  discarded: number;
  lost?: number;
  notInLake?: number;
  notProcessed?: number;
  reconciled?: boolean;
  lake: { events: number } | null;
  serverFailure?: { service: string; kind: string };
}

const serverPid = async (root: number, service: string): Promise<number | undefined> => {
  const { stdout } = await promisify(execFile)('ps', ['-A', '-o', 'pid=,ppid=,args=']);
  const rows = stdout.split('\n').flatMap((line) => {
    const match = /^\s*(\d+)\s+(\d+)\s+(.*)$/.exec(line);
    return match ? [{ pid: Number(match[1]), ppid: Number(match[2]), args: match[3] ?? '' }] : [];
  });
  const tree = new Set([root]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const row of rows) if (tree.has(row.ppid) && !tree.has(row.pid)) grew = tree.add(row.pid).size > 0;
  }
  return rows.find((row) => tree.has(row.pid) && row.args.includes(`server-process.cjs ${service}`))?.pid;
};

const run = async (
  fault: Fault,
  events: number,
): Promise<{ code: number | null; summary?: Summary; seconds: number }> => {
  const started = Date.now();
  const child = spawn(process.execPath, [TSX, 'infra/local/cli/start.ts', '--events', String(events), '--json'], {
    cwd: ROOT,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString('utf8');
  });
  const flowing = new Promise<void>((resolve) => {
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
      // Records are flowing once the progress line shows a thousand processed.
      if (/processed [1-9]\d{3,}\//.test(stderr)) resolve();
    });
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  if ((await Promise.race([flowing.then(() => 'flowing' as const), exited])) !== 'flowing') {
    throw new Error(`npm start exited before a thousand records were processed: ${stderr.slice(-500)}`);
  }
  const pid = await serverPid(child.pid as number, fault.service);
  if (pid === undefined) throw new Error(`${fault.service} not found under ${child.pid}`);
  if (fault.stopSeconds === undefined) process.kill(pid, 'SIGKILL');
  else {
    process.kill(pid, 'SIGSTOP');
    setTimeout(() => {
      try {
        process.kill(pid, 'SIGCONT');
      } catch {
        // Already killed by the stack's stop.
      }
    }, fault.stopSeconds * 1000).unref();
  }
  const code = await exited;
  try {
    process.kill(-(child.pid as number), 'SIGKILL');
  } catch {
    // The group is gone.
  }
  const last = stdout
    .trim()
    .split('\n')
    .reverse()
    .find((line) => line.startsWith('{'));
  return { code, ...(last && { summary: JSON.parse(last) as Summary }), seconds: (Date.now() - started) / 1000 };
};

const main = async () => {
  const { values } = parseArgs({
    options: { only: { type: 'string' }, events: { type: 'string', default: '20000' } },
    strict: true,
  });
  const events = Number(values.events);
  if (!Number.isInteger(events) || events < 1)
    throw new Error(`--events must be a positive integer, got ${values.events}`);
  const chosen = values.only ? FAULTS.filter((fault) => fault.name === values.only) : FAULTS;
  if (chosen.length === 0)
    throw new Error(`--only: no fault run named ${values.only} (${FAULTS.map((f) => f.name).join(', ')})`);
  process.stdout.write(
    '| run | in | delivered | duplicates | quarantined | discarded | lost | not in lake | not processed | lake | reconciled | exit |\n|---|---|---|---|---|---|---|---|---|---|---|---|\n',
  );
  for (const fault of chosen) {
    const { code, summary: s } = await run(fault, events);
    const cell = (value: unknown) => (value === undefined || value === null ? '–' : String(value));
    process.stdout.write(
      `| ${fault.name} | ${cell(s?.in)} | ${cell(s?.delivered)} | ${cell(s?.duplicates)} | ${cell(s?.quarantined)} | ${cell(s?.discarded)} | ${cell(s?.lost)} | ${cell(s?.notInLake)} | ${cell(s?.notProcessed)} | ${s?.lake ? s.lake.events : 'not read'} | ${cell(s?.reconciled)} | ${cell(code)} |\n`,
    );
  }
};

main().catch((error: unknown) => {
  process.stderr.write(`npm run faults failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
