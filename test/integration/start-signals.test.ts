import { type ChildProcessByStdio, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { ROOT } from '../helpers/lake-workloads';

// `npm start` in a real terminal: the user's Ctrl-C (SIGINT to the whole foreground process
// group), or SIGINT / SIGTERM sent to npm or to node, drains, prints the final summary and exits
// 0/1 as a normal run does; a second Ctrl-C stops at once; no process of the tree outlives it.
//
// How the signals travel, which the design relies on:
// - npm 11 runs the script with `sh -c` and forwards SIGINT and SIGTERM to that child
//   (https://github.com/npm/run-script/blob/main/lib/signal-manager.js); a Ctrl-C in a terminal
//   reaches npm and node both, and node also gets npm's copy.
// - dash (Debian's sh) keeps running, and forwards nothing, on SIGINT while it waits for a
//   command, and dies on SIGTERM, orphaning it: the start script is `exec node …`, so npm's child
//   is node itself (https://pubs.opengroup.org/onlinepubs/9799919799/utilities/V3_chap02.html#exec).
// - The tsx CLI would relay a signal to its node child and SIGKILL it if the child does not report
//   the signal back within 30 ms (https://github.com/privatenumber/tsx/blob/master/src/cli.ts,
//   relaySignals): a busy run would die without its summary. So node loads tsx as a hook
//   (`node --import tsx`, https://tsx.is/dev-api/node-cli#node-js-cli) and there is no tsx process.
// - The servers are forked detached (their own process group and session,
//   https://nodejs.org/docs/latest-v20.x/api/child_process.html#optionsdetached): the terminal's
//   SIGINT does not reach them, and they exit on the IPC channel's 'disconnect' when node goes.

/** Boot (~3 s), 200 events, the drain and stop, with room for a loaded 2-core machine. */
const EXIT_WITHIN_MS = 60_000;

type Npm = ChildProcessByStdio<null, Readable, Readable>;

interface Proc {
  pid: number;
  ppid: number;
  pgid: number;
  args: string;
}

/** Every process now, from /proc (stat: "pid (comm) state ppid pgrp …"; comm may hold spaces). */
const processes = (): Proc[] =>
  readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .flatMap((name) => {
      try {
        const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
        const [, ppid, pgid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        const args = readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0').join(' ').trim();
        return [{ pid: Number(name), ppid: Number(ppid), pgid: Number(pgid), args }];
      } catch {
        return []; // gone meanwhile
      }
    });

/** `root` and every process below it. */
const tree = (root: number): Proc[] => {
  const all = processes();
  const found = new Map<number, Proc>();
  const self = all.find((proc) => proc.pid === root);
  if (self) found.set(root, self);
  for (let grew = true; grew; ) {
    grew = false;
    for (const proc of all) {
      if (found.has(proc.ppid) && !found.has(proc.pid)) {
        found.set(proc.pid, proc);
        grew = true;
      }
    }
  }
  return [...found.values()];
};

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** The pids still alive a few seconds after the run ended (the servers exit on 'disconnect', esbuild on stdin's end). */
const survivors = async (pids: number[]) => {
  for (let waited = 0; waited < 5_000 && pids.some(alive); waited += 100)
    await new Promise((resolve) => setTimeout(resolve, 100));
  return pids.filter(alive);
};

const started: number[] = [];
afterAll(() => {
  // A test that failed may leave its tree: every pid it saw goes.
  for (const pid of started) {
    for (const signal of ['SIGCONT', 'SIGKILL'] as const) {
      try {
        process.kill(pid, signal);
      } catch {
        // Already gone.
      }
    }
  }
});

const startNpm = (args: string[]) => {
  const child: Npm = spawn('npm', ['start', '--', ...args], {
    cwd: ROOT,
    // Its own process group, as a terminal gives a foreground job: process.kill(-pid) is the Ctrl-C.
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, npm_config_update_notifier: 'false' },
  });
  const { pid } = child;
  if (pid === undefined) throw new Error('npm did not start');
  const output = { stdout: '', stderr: '' };
  child.stdout.on('data', (chunk: Buffer) => {
    output.stdout += chunk.toString('utf8');
  });
  child.stderr.on('data', (chunk: Buffer) => {
    output.stderr += chunk.toString('utf8');
  });
  // Every process of the tree while it runs, sampled from /proc: afterwards, none may be alive.
  const seen = new Set<number>();
  const sample = () => {
    const now = tree(pid);
    for (const proc of now) {
      if (!seen.has(proc.pid)) started.push(proc.pid);
      seen.add(proc.pid);
    }
    return now;
  };
  const sampler = setInterval(sample, 200);
  // 'close': the exit, and all of its output read.
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('close', (code, signal) => {
      clearInterval(sampler);
      resolve({ code, signal });
    }),
  );
  const stack = {
    pid,
    output,
    exited,
    /** Every pid of the tree seen so far. */
    seen: () => [...seen],
    /** Resolves once `text` is in stdout (or stderr), with the process tree as it is then. */
    waitFor: (text: string, stream: 'stdout' | 'stderr' = 'stdout') =>
      new Promise<Proc[]>((resolve, reject) => {
        const check = () => {
          if (!output[stream].includes(text)) return;
          child[stream].off('data', check);
          resolve(sample());
        };
        child[stream].on('data', check);
        void exited.then(({ code, signal }) =>
          reject(new Error(`npm start ended (${code ?? signal}) before printing "${text}": ${output.stderr}`)),
        );
        check();
      }),
    /** The exit, or 'still running' past EXIT_WITHIN_MS. */
    exit: async () => {
      let timer: NodeJS.Timeout | undefined;
      try {
        return await Promise.race([
          exited,
          new Promise<'still running'>((resolve) => {
            timer = setTimeout(() => resolve('still running'), EXIT_WITHIN_MS);
          }),
        ]);
      } finally {
        clearTimeout(timer);
      }
    },
  };
  return stack;
};

type Stack = ReturnType<typeof startNpm>;

/** The stack up with --keep-running and its endpoints printed; its tree then: npm → node → servers (+ esbuild). */
const keepRunning = async () => {
  const stack = startNpm(['--events', '200', '--keep-running', '--json']);
  const procs = await stack.waitFor('Press Ctrl-C');
  const node = procs.find((proc) => proc.ppid === stack.pid && proc.args.includes('infra/local/cli/start.ts'));
  const servers = procs.filter((proc) => /server-process\.cjs (kinesalite|dynalite|s3rver)\b/.test(proc.args));
  expect(node).toBeDefined();
  expect(servers).toHaveLength(3);
  return { stack, node: node as Proc, servers };
};

const summaries = (stdout: string) => stdout.match(/^Pipeline run (complete|stopped)/gm)?.length ?? 0;

/** The run drained and printed its final summary (two with --keep-running: after the run and at the stop). */
const expectDrainedAndSummarised = (stack: Stack, signal: 'SIGINT' | 'SIGTERM') => {
  expect(stack.output.stderr).toContain(`${signal}: stopping. No more intake; draining what is in flight`);
  expect(summaries(stack.output.stdout)).toBe(2);
  const json = JSON.parse(stack.output.stdout.trim().split('\n').at(-1) ?? '') as { in: number; reconciled: boolean };
  expect(json).toMatchObject({ in: 200, reconciled: true });
  expect(stack.output.stderr).not.toContain('ECONNREFUSED');
};

describe('npm start and signals', () => {
  it('Ctrl-C (SIGINT to the process group) with --keep-running: drains, prints the final summary, exits 0, leaves nothing', async () => {
    // Prepare
    const { stack, servers } = await keepRunning();
    // The servers are not in the terminal's process group: the Ctrl-C does not reach them.
    expect(servers.every((server) => server.pgid === server.pid && server.pgid !== stack.pid)).toBe(true);

    // Act
    process.kill(-stack.pid, 'SIGINT');

    // Assess
    expect(await stack.exit()).toEqual({ code: 0, signal: null });
    expectDrainedAndSummarised(stack, 'SIGINT');
    expect(await survivors(stack.seen())).toEqual([]);
  });

  it('SIGINT to the npm process: npm forwards it, the same graceful stop, exit 0', async () => {
    const { stack } = await keepRunning();
    process.kill(stack.pid, 'SIGINT');
    expect(await stack.exit()).toEqual({ code: 0, signal: null });
    expectDrainedAndSummarised(stack, 'SIGINT');
    expect(await survivors(stack.seen())).toEqual([]);
  });

  it('SIGTERM to the npm process: the same graceful stop, exit 0', async () => {
    const { stack } = await keepRunning();
    process.kill(stack.pid, 'SIGTERM');
    expect(await stack.exit()).toEqual({ code: 0, signal: null });
    expectDrainedAndSummarised(stack, 'SIGTERM');
    expect(await survivors(stack.seen())).toEqual([]);
  });

  it('SIGTERM to node (the process running start.ts): the same graceful stop, npm exits 0', async () => {
    const { stack, node } = await keepRunning();
    process.kill(node.pid, 'SIGTERM');
    expect(await stack.exit()).toEqual({ code: 0, signal: null });
    expectDrainedAndSummarised(stack, 'SIGTERM');
    expect(await survivors(stack.seen())).toEqual([]);
  });

  it('a second Ctrl-C stops at once: no final summary, exit 130, nothing left (a stopped server included)', async () => {
    // Prepare: s3rver stopped (SIGSTOP), so the stop's summary, which reads the bucket, cannot be done
    // before the second Ctrl-C, however fast the drain.
    const { stack, servers } = await keepRunning();
    const s3rver = servers.find((server) => server.args.includes('s3rver')) as Proc;
    const before = summaries(stack.output.stdout);
    process.kill(s3rver.pid, 'SIGSTOP');
    process.kill(-stack.pid, 'SIGINT');
    await stack.waitFor('SIGINT: stopping', 'stderr');
    // Past the window in which a second SIGINT is the first one's copy (npm's forward).
    await new Promise((resolve) => setTimeout(resolve, 1_000));

    // Act
    process.kill(-stack.pid, 'SIGINT');

    // Assess
    expect(await stack.exit()).toEqual({ code: 130, signal: null });
    expect(stack.output.stderr).toContain('SIGINT again: stopping at once, without a summary');
    expect(summaries(stack.output.stdout)).toBe(before);
    expect(await survivors(stack.seen())).toEqual([]);
  });

  it('node SIGKILLed: the servers, in their own process group, still exit with it', async () => {
    // Prepare
    const { stack, node, servers } = await keepRunning();

    // Act
    process.kill(node.pid, 'SIGKILL');

    // Assess: npm ends the way its script did (https://github.com/npm/run-script/pull/16).
    expect(await stack.exit()).toEqual({ code: null, signal: 'SIGKILL' });
    expect(await survivors(servers.map((server) => server.pid))).toEqual([]);
    expect(await survivors(stack.seen())).toEqual([]);
  });

  it('Ctrl-C while the stack is starting: stops there, nothing sent, no summary, exit 130, nothing left', async () => {
    // Prepare
    const stack = startNpm(['--events', '200', '--json']);
    await stack.waitFor('Starting the local stack', 'stderr');

    // Act: the Ctrl-C also ends what the start runs in the foreground group (osls print).
    process.kill(-stack.pid, 'SIGINT');

    // Assess
    expect(await stack.exit()).toEqual({ code: 130, signal: null });
    expect(stack.output.stderr).toContain('Stopped (SIGINT) before the stack was up: nothing was sent.');
    expect(summaries(stack.output.stdout)).toBe(0);
    expect(await survivors(stack.seen())).toEqual([]);
  });

  it('SIGINT to npm during the run (no --keep-running): stops the intake, drains what went in, one summary, exit 0', async () => {
    // Prepare
    const stack = startNpm(['--events', '5000', '--json']);
    await stack.waitFor('Sending built-in sample workload', 'stderr');

    // Act
    process.kill(stack.pid, 'SIGINT');

    // Assess
    expect(await stack.exit()).toEqual({ code: 0, signal: null });
    expect(stack.output.stderr).toContain('SIGINT: stopping. No more intake');
    expect(summaries(stack.output.stdout)).toBe(1);
    const json = JSON.parse(stack.output.stdout.trim().split('\n').at(-1) ?? '') as { in: number; reconciled: boolean };
    expect(json.reconciled).toBe(true);
    expect(json.in).toBeGreaterThan(0);
    expect(json.in).toBeLessThan(5000); // the rest was not sent
    expect(await survivors(stack.seen())).toEqual([]);
  });
});
