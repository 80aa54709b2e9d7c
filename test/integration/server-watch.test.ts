import { type ChildProcessByStdio, execFile, spawn } from 'node:child_process';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { lastJsonLine, ROOT } from '../helpers/lake-workloads';

// `npm start -- --keep-running` watches its servers for their whole life: a server killed (or
// SIGSTOPped: alive, not answering) under it is named on stderr, the run drains, prints its summary
// with a serverFailure and exits 1, and takes the other servers with it.

const TSX = join(ROOT, 'node_modules/tsx/dist/cli.mjs');
/** Detection (3 probes, 1 s apart, 2 s timeout) + drain + stop, with room for a loaded machine. */
const EXIT_WITHIN_MS = 45_000;

type Stack = ChildProcessByStdio<null, Readable, Readable>;

interface Summary {
  in: number;
  reconciled: boolean;
  notProcessed?: number;
  serverFailure?: { service: string; kind: string; detail: string };
}

const groups: number[] = [];
const serverProcesses: number[] = [];
afterAll(() => {
  // Each stack is its own process group, and each of its servers another (local-servers.ts forks
  // them detached): whatever is left of them (a stopped server included) goes.
  for (const target of [...groups.map((group) => -group), ...serverProcesses]) {
    for (const signal of ['SIGCONT', 'SIGKILL'] as const) {
      try {
        process.kill(target, signal);
      } catch {
        // Already gone.
      }
    }
  }
});

const startStack = () => {
  const child: Stack = spawn(
    process.execPath,
    [TSX, 'infra/local/cli/start.ts', '--events', '200', '--keep-running', '--json'],
    {
      cwd: ROOT,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  if (child.pid !== undefined) groups.push(child.pid);
  const output = { stdout: '', stderr: '' };
  child.stdout.on('data', (chunk: Buffer) => {
    output.stdout += chunk.toString('utf8');
  });
  child.stderr.on('data', (chunk: Buffer) => {
    output.stderr += chunk.toString('utf8');
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output, exited };
};

const waitForText = (stack: ReturnType<typeof startStack>, text: string) =>
  new Promise<void>((resolve, reject) => {
    const check = () => {
      if (!stack.output.stdout.includes(text)) return;
      stack.child.stdout.off('data', check);
      resolve();
    };
    stack.child.stdout.on('data', check);
    void stack.exited.then((code) =>
      reject(new Error(`npm start exited (${code}) before printing "${text}": ${stack.output.stderr}`)),
    );
    check();
  });

/** The server processes under `root` (tsx runs start.ts in a child, which forks the servers), by service. */
const serverPids = async (root: number): Promise<Record<string, number>> => {
  const { stdout } = await promisify(execFile)('ps', ['-A', '-o', 'pid=,ppid=,args=']);
  const rows = stdout
    .split('\n')
    .map((line) => /^\s*(\d+)\s+(\d+)\s+(.*)$/.exec(line))
    .flatMap((match) => (match ? [{ pid: Number(match[1]), ppid: Number(match[2]), args: match[3] ?? '' }] : []));
  const tree = new Set([root]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const row of rows) {
      if (tree.has(row.ppid) && !tree.has(row.pid)) {
        tree.add(row.pid);
        grew = true;
      }
    }
  }
  const servers: Record<string, number> = {};
  for (const row of rows) {
    const service = /server-process\.cjs (kinesalite|dynalite|s3rver)\b/.exec(row.args)?.[1];
    if (service && tree.has(row.pid)) servers[service] = row.pid;
  }
  serverProcesses.push(...Object.values(servers));
  return servers;
};

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** Resolves with the exit code, or with 'still running' past `ms`. */
const exitWithin = async (exited: Promise<number | null>, ms: number) => {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      exited,
      new Promise<'still running'>((resolve) => (timer = setTimeout(() => resolve('still running'), ms))),
    ]);
  } finally {
    clearTimeout(timer);
  }
};

/** The servers a stack forked are gone soon after it exits (reparented ones are reaped by init). */
const gone = async (pids: number[]) => {
  for (let waited = 0; waited < 5_000 && pids.some(alive); waited += 100)
    await new Promise((resolve) => setTimeout(resolve, 100));
  return pids.filter(alive);
};

describe('npm start -- --keep-running, when a server fails', () => {
  it('names dynalite when it is killed, prints the summary with a serverFailure, exits 1, and leaves no server behind', async () => {
    // Prepare
    const stack = startStack();
    await waitForText(stack, 'Press Ctrl-C');
    const servers = await serverPids(stack.child.pid as number);
    expect(Object.keys(servers).sort()).toEqual(['dynalite', 'kinesalite', 's3rver']);
    const port = /AWS_ENDPOINT_URL_DYNAMODB=http:\/\/127\.0\.0\.1:(\d+)/.exec(stack.output.stdout)?.[1];
    const before = stack.output.stdout.length;

    // Act
    process.kill(servers.dynalite as number, 'SIGKILL');
    const code = await exitWithin(stack.exited, EXIT_WITHIN_MS);

    // Assess
    expect(code).toBe(1);
    expect(stack.output.stderr).toContain(
      `dynalite (DynamoDB, 127.0.0.1:${port}) exited (signal SIGKILL): stopping the run`,
    );
    const final = stack.output.stdout.slice(before);
    expect(final).toContain('Pipeline run stopped: dynalite exited');
    expect(final).toContain('  not processed   0  (dynalite exited)');
    expect(final).toContain(
      '  reconciled      yes: in = delivered + duplicates + quarantined + errors + discarded + lost + not in the lake + not processed',
    );
    expect(lastJsonLine<Summary>(stack.output.stdout)).toMatchObject({
      in: 200,
      reconciled: true,
      notProcessed: 0,
      serverFailure: { service: 'dynalite', kind: 'exited', detail: 'exited (signal SIGKILL)' },
    });
    expect(await gone(Object.values(servers))).toEqual([]);
  });

  it('names dynalite when it stops answering (SIGSTOP), exits 1, and kills the stopped server', async () => {
    // Prepare
    const stack = startStack();
    await waitForText(stack, 'Press Ctrl-C');
    const servers = await serverPids(stack.child.pid as number);
    const dynalite = servers.dynalite as number;

    // Act
    process.kill(dynalite, 'SIGSTOP');
    const stoppedAt = Date.now();
    const code = await exitWithin(stack.exited, EXIT_WITHIN_MS);
    const seconds = (Date.now() - stoppedAt) / 1000;

    // Assess
    expect(code).toBe(1);
    expect(stack.output.stderr).toMatch(
      /dynalite \(DynamoDB, 127\.0\.0\.1:\d+\) stopped answering for \d+ s \(3 probes in a row: [^)]*\): stopping the run/,
    );
    expect(lastJsonLine<Summary>(stack.output.stdout)).toMatchObject({
      notProcessed: 0,
      serverFailure: { service: 'dynalite', kind: 'not-answering' },
    });
    // Three probes at 1 s intervals at the earliest.
    expect(seconds).toBeGreaterThan(3);
    expect(await gone(Object.values(servers))).toEqual([]);
  });
});
