import { type ChildProcess, fork } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export type LocalServiceName = 'kinesalite' | 'dynalite' | 's3rver';

/** One server process, for whoever watches it (server-watch.ts). */
export interface LocalServerProcess {
  service: LocalServiceName;
  endpoint: string;
  child: ChildProcess;
  /** The last few KB the server wrote to stderr (why it crashed, when it says). */
  stderr(): string;
}

export interface LocalServers {
  endpoints: { kinesis: string; dynamodb: string; s3: string };
  /** Where s3rver keeps the bucket's objects. */
  s3Directory: string;
  processes: readonly LocalServerProcess[];
  /** True once stop() was called: the exits that follow are expected. */
  readonly stopping: boolean;
  stop(): Promise<void>;
}

const SERVER_SCRIPT = join(__dirname, 'server-process.cjs');
const START_TIMEOUT_MS = 15_000;

/** Every server child not yet exited, for the exit hook below. */
const live = new Set<ChildProcess>();

/**
 * A parent that exits (process.exit(), also a second Ctrl-C's exit) takes its servers along at
 * once, and a stopped (SIGSTOPped) one too: SIGTERM, then SIGCONT so it can act on it. Without this
 * they would still go, on the IPC channel's 'disconnect', but a stopped one only when continued.
 */
const stopLiveServers = () => {
  for (const child of live) {
    child.kill('SIGTERM');
    child.kill('SIGCONT');
  }
};

interface Started {
  service: LocalServiceName;
  child: ChildProcess;
  port: number;
  stderr(): string;
}

const startServer = (service: LocalServiceName, dataDir?: string, owned = false): Promise<Started> =>
  new Promise((resolve, reject) => {
    const args = dataDir ? [service, dataDir, ...(owned ? ['--owned'] : [])] : [service];
    const child = fork(SERVER_SCRIPT, args, {
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      // Its own process group and session (setsid): a Ctrl-C in the terminal signals the whole
      // foreground group, and the servers must outlive it until the run has drained through them.
      // https://nodejs.org/docs/latest-v20.x/api/child_process.html#optionsdetached
      // They still exit with the parent, on 'disconnect' (server-process.cjs), even a SIGKILLed one.
      detached: true,
      // The servers are plain JS; don't inherit tsx/--require hooks from the parent. s3rver
      // encrypts ListObjectsV2 continuation tokens with DES, which OpenSSL 3 keeps in its legacy
      // provider: without it every listing past 1,000 keys fails with a 500.
      execArgv: service === 's3rver' ? ['--openssl-legacy-provider'] : [],
    });
    if (live.size === 0) process.on('exit', stopLiveServers);
    live.add(child);
    child.once('exit', () => {
      live.delete(child);
      if (live.size === 0) process.off('exit', stopLiveServers);
    });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-4_000);
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${service} did not start within ${START_TIMEOUT_MS} ms${stderr ? `: ${stderr}` : ''}`));
    }, START_TIMEOUT_MS);
    child.once('message', (message: { ready: boolean; port?: number; error?: string }) => {
      clearTimeout(timer);
      if (message.ready && message.port) resolve({ service, child, port: message.port, stderr: () => stderr });
      else reject(new Error(`${service} failed to start: ${message.error ?? 'unknown error'}`));
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(
        new Error(
          `${service} exited before it was ready (code ${code}, signal ${signal})${stderr ? `: ${stderr}` : ''}`,
        ),
      );
    });
  });

const stopServer = ({ child }: Started): Promise<void> =>
  new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const timer = setTimeout(() => child.kill('SIGKILL'), 3_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });

/** One local server (no data directory: kinesalite or dynalite), for callers that need only one. */
export const startLocalServer = async (
  service: Exclude<LocalServiceName, 's3rver'>,
): Promise<{ endpoint: string; stop: () => Promise<void> }> => {
  const started = await startServer(service);
  return { endpoint: `http://127.0.0.1:${started.port}`, stop: () => stopServer(started) };
};

/**
 * Starts kinesalite, dynalite and s3rver, each a real server process on 127.0.0.1 and a
 * free port chosen by the OS, in a process group of its own (a Ctrl-C meant for `npm start`
 * does not reach them). The children exit with their parent, so none is orphaned.
 */
export const startLocalServers = async (options: { s3Directory?: string } = {}): Promise<LocalServers> => {
  const ownDirectory = options.s3Directory === undefined;
  const s3Directory = options.s3Directory ?? (await mkdtemp(join(tmpdir(), 'usage-pipeline-s3-')));
  const results = await Promise.allSettled([
    startServer('kinesalite'),
    startServer('dynalite'),
    startServer('s3rver', s3Directory, ownDirectory),
  ]);
  const started = results.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
  const failure = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
  if (failure) {
    await Promise.all(started.map(stopServer));
    throw failure.reason;
  }
  const [kinesis, dynamodb, s3] = started as [Started, Started, Started];
  const url = ({ port }: Started) => `http://127.0.0.1:${port}`;
  let stopping = false;
  return {
    endpoints: { kinesis: url(kinesis), dynamodb: url(dynamodb), s3: url(s3) },
    s3Directory,
    processes: started.map((server) => ({
      service: server.service,
      endpoint: url(server),
      child: server.child,
      stderr: server.stderr,
    })),
    get stopping() {
      return stopping;
    },
    stop: async () => {
      stopping = true;
      await Promise.all(started.map(stopServer));
      if (ownDirectory) await rm(s3Directory, { recursive: true, force: true });
    },
  };
};
