import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '..');
const DYNALITE_CLI = path.join(ROOT, 'node_modules', 'dynalite', 'cli.js');
const EXIT_WITH_PARENT = path.join(__dirname, 'exit-with-parent.cjs');
const HOST = '127.0.0.1';
const START_TIMEOUT_MS = 15_000;
const STOP_TIMEOUT_MS = 3_000;

export interface LocalDynamo {
  endpoint: string;
  port: number;
  pid: number | undefined;
  stop(): Promise<void>;
}

/** A free loopback port: bind port 0, read it, release it. */
const freePort = async (): Promise<number> => {
  const server = createServer();
  server.listen(0, HOST);
  await once(server, 'listening');
  const address = server.address();
  server.close();
  await once(server, 'close');
  if (address === null || typeof address === 'string') throw new Error('Could not read a free port');
  return address.port;
};

const running = new Set<ChildProcess>();
let hooksInstalled = false;

/** Whatever happens to this process, the servers it started go with it. */
const installExitHooks = (): void => {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.on('exit', () => {
    for (const child of running) child.kill('SIGKILL');
  });
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      for (const child of running) child.kill('SIGKILL');
      process.exit(128 + (signal === 'SIGINT' ? 2 : signal === 'SIGTERM' ? 15 : 1));
    });
  }
};

const waitUntilListening = (child: ChildProcess, port: number): Promise<void> =>
  new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => fail(new Error(`dynalite did not start within ${START_TIMEOUT_MS} ms: ${output}`)), START_TIMEOUT_MS);
    const cleanup = (): void => {
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      child.stderr?.off('data', onData);
      child.off('exit', onExit);
      child.off('error', fail);
    };
    const fail = (error: Error): void => {
      cleanup();
      reject(error);
    };
    const onExit = (code: number | null, signal: NodeJS.Signals | null): void =>
      fail(new Error(`dynalite exited before listening on port ${port} (code ${code}, signal ${signal}): ${output}`));
    const onData = (chunk: Buffer): void => {
      output += chunk.toString('utf8');
      if (output.includes('Dynalite listening')) {
        cleanup();
        resolve();
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', onExit);
    child.once('error', fail);
  });

const stopChild = async (child: ChildProcess): Promise<void> => {
  if (child.exitCode === null && child.signalCode === null) {
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    await exited;
    clearTimeout(timer);
  }
  running.delete(child);
};

/**
 * Starts an in-memory dynalite on a random free loopback port, as a child process that
 * cannot outlive this one. Retries with another port if the chosen one was taken meanwhile.
 */
export const startDynalite = async (attempts = 3): Promise<LocalDynamo> => {
  installExitHooks();
  let lastError: unknown;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    const port = await freePort();
    const child = spawn(
      process.execPath,
      ['--require', EXIT_WITH_PARENT, DYNALITE_CLI, '--host', HOST, '--port', String(port), '--createTableMs', '0'],
      { stdio: ['pipe', 'pipe', 'pipe'] },
    );
    running.add(child);
    try {
      await waitUntilListening(child, port);
    } catch (error) {
      lastError = error;
      await stopChild(child);
      continue;
    }
    // Drain output so a chatty server can never block on a full pipe.
    child.stdout?.resume();
    child.stderr?.resume();
    return { endpoint: `http://${HOST}:${port}`, port, pid: child.pid, stop: () => stopChild(child) };
  }
  throw lastError instanceof Error ? lastError : new Error('dynalite did not start');
};
