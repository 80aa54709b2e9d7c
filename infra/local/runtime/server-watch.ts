import { request } from 'node:http';
import type { LocalServiceName } from './local-servers';

/**
 * Watches the local servers for as long as they run: a child process that exits, and a server
 * that stops answering (alive but hung, e.g. SIGSTOPped: the kernel still accepts connections,
 * nothing answers them). Reports at most one problem per server, then stops watching it.
 */

export type ServerProblemKind = 'exited' | 'not-answering';

export interface ServerProblem {
  service: LocalServiceName;
  endpoint: string;
  kind: ServerProblemKind;
  /** What happened, to follow the server's name: `exited (signal SIGKILL)`, `stopped answering for 4 s`. */
  detail: string;
}

/** What the watcher needs of a ChildProcess. */
export interface WatchedChild {
  readonly exitCode: number | null;
  readonly signalCode: NodeJS.Signals | null;
  on(event: 'exit', listener: (code: number | null, signal: NodeJS.Signals | null) => void): unknown;
  off(event: 'exit', listener: (code: number | null, signal: NodeJS.Signals | null) => void): unknown;
}

export interface WatchedServer {
  service: LocalServiceName;
  endpoint: string;
  child: WatchedChild;
  stderr?: () => string;
}

/** `inconclusive`: this process was too busy to tell (its timer fired late), so the probe counts neither way. */
export type ProbeResult = { kind: 'answered' } | { kind: 'failed'; error: string } | { kind: 'inconclusive' };
export type Probe = (endpoint: string, timeoutMs: number) => Promise<ProbeResult>;

export interface ServerWatchOptions {
  /** Time between probes of a server (they do not wait for each other). Default 1,000 ms. */
  intervalMs?: number;
  /** A probe with no HTTP response by then has failed. Default 2,000 ms. */
  timeoutMs?: number;
  /** Failed probes in a row that make a server "not answering". Default 3. */
  failures?: number;
  probe?: Probe;
  now?: () => number;
}

export interface ServerWatch {
  /** Clears every timer and listener; probes in flight are ignored. Idempotent. */
  stop(): void;
}

export const DEFAULT_WATCH = { intervalMs: 1_000, timeoutMs: 2_000, failures: 3 } as const;

/** How late a probe's timeout may fire before the failure is this process's, not the server's. */
const LAG_TOLERANCE_MS = 500;

/** Any HTTP response is an answer: the servers answer `GET /` with 200 or 403, and a hung one not at all. */
export const httpProbe: Probe = (endpoint, timeoutMs) =>
  new Promise((resolve) => {
    const startedAt = performance.now();
    let settled = false;
    const settle = (result: ProbeResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.destroy();
      resolve(result);
    };
    // No agent: a fresh connection each time, so a hung server cannot hold a pooled socket.
    const req = request(`${endpoint}/`, { method: 'GET', agent: false }, (response) => {
      response.resume();
      settle({ kind: 'answered' });
    });
    req.on('error', (error: NodeJS.ErrnoException) => settle({ kind: 'failed', error: error.code ?? error.message }));
    // The watcher must never keep the process alive.
    req.on('socket', (socket) => socket.unref());
    req.end();
    const timer = setTimeout(() => {
      // A timer that fires late means our event loop was blocked: the answer may be waiting unread.
      const late = performance.now() - startedAt - timeoutMs;
      settle(
        late > LAG_TOLERANCE_MS
          ? { kind: 'inconclusive' }
          : { kind: 'failed', error: `no answer within ${timeoutMs / 1000} s` },
      );
    }, timeoutMs);
    timer.unref();
  });

const exitDetail = (code: number | null, signal: NodeJS.Signals | null, stderr: string): string => {
  const how = signal ? `exited (signal ${signal})` : `exited with code ${code}`;
  const said = stderr.trim().split('\n').at(-1)?.trim().slice(0, 200);
  return said ? `${how}: ${said}` : how;
};

/**
 * Watches `servers.processes`; calls `onProblem` once per server that exits or fails
 * `failures` probes in a row (an answer resets the count). Exits after `servers.stopping`
 * turned true are expected and not reported.
 */
export const watchServers = (
  servers: { readonly processes: readonly WatchedServer[]; readonly stopping?: boolean },
  onProblem: (problem: ServerProblem) => void,
  options: ServerWatchOptions = {},
): ServerWatch => {
  const intervalMs = options.intervalMs ?? DEFAULT_WATCH.intervalMs;
  const timeoutMs = options.timeoutMs ?? DEFAULT_WATCH.timeoutMs;
  const failures = options.failures ?? DEFAULT_WATCH.failures;
  const probe = options.probe ?? httpProbe;
  const now = options.now ?? Date.now;
  const startedAt = now();
  let stopped = false;
  const cleanups: (() => void)[] = [];

  for (const server of servers.processes) {
    let reported = false;
    let failed = 0;
    let lastAnswer = startedAt;
    const report = (kind: ServerProblemKind, detail: string) => {
      if (reported || stopped || servers.stopping) return;
      reported = true;
      clearInterval(interval);
      onProblem({ service: server.service, endpoint: server.endpoint, kind, detail });
    };
    const onExit = (code: number | null, signal: NodeJS.Signals | null) =>
      report('exited', exitDetail(code, signal, server.stderr?.() ?? ''));
    const interval = setInterval(() => {
      probe(server.endpoint, timeoutMs).then(
        (result) => {
          if (result.kind === 'answered') {
            failed = 0;
            lastAnswer = now();
          } else if (result.kind === 'failed' && ++failed >= failures) {
            report(
              'not-answering',
              `stopped answering for ${Math.round((now() - lastAnswer) / 1000)} s (${failed} probes in a row: ${result.error})`,
            );
          }
        },
        () => undefined,
      );
    }, intervalMs);
    interval.unref();
    server.child.on('exit', onExit);
    cleanups.push(() => {
      clearInterval(interval);
      server.child.off('exit', onExit);
    });
    // It may have exited before the watch began; report it from the event loop, like an 'exit' event.
    const { exitCode, signalCode } = server.child;
    if (exitCode !== null || signalCode !== null) setImmediate(() => onExit(exitCode, signalCode)).unref();
  }

  return {
    stop: () => {
      if (stopped) return;
      stopped = true;
      for (const cleanup of cleanups.splice(0)) cleanup();
    },
  };
};

const SERVICE_OF: Record<LocalServiceName, string> = { kinesalite: 'Kinesis', dynalite: 'DynamoDB', s3rver: 'S3' };

/** `dynalite (DynamoDB, 127.0.0.1:PORT)` */
export const serverLabel = ({ service, endpoint }: Pick<ServerProblem, 'service' | 'endpoint'>): string =>
  `${service} (${SERVICE_OF[service]}, ${endpoint.replace(/^https?:\/\//, '')})`;

/** `dynalite stopped answering`, `dynalite exited`: the reason in the summary's lines. */
export const problemReason = ({ service, kind }: Pick<ServerProblem, 'service' | 'kind'>): string =>
  `${service} ${kind === 'exited' ? 'exited' : 'stopped answering'}`;

export type Settled<T> = { status: 'done'; value: T } | { status: 'failed'; error: unknown } | { status: 'timed-out' };

/**
 * Waits for `work` at most `timeoutMs`; the work itself goes on (stop it elsewhere). The timer is
 * deliberately not unref'd: an await that only a timer can end must keep the process alive.
 */
export const settleWithin = <T>(work: Promise<T>, timeoutMs: number): Promise<Settled<T>> =>
  new Promise((resolve) => {
    const timer = setTimeout(() => resolve({ status: 'timed-out' }), timeoutMs);
    work.then(
      (value) => {
        clearTimeout(timer);
        resolve({ status: 'done', value });
      },
      (error: unknown) => {
        clearTimeout(timer);
        resolve({ status: 'failed', error });
      },
    );
  });
