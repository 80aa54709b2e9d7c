import { EventEmitter } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import {
  httpProbe,
  type Probe,
  type ProbeResult,
  problemReason,
  type ServerProblem,
  serverLabel,
  settleWithin,
  type WatchedServer,
  watchServers,
} from '../../../infra/local/runtime/server-watch';

/** A ChildProcess as the watcher sees it: exit status and the 'exit' event. */
class FakeChild extends EventEmitter {
  exitCode: number | null = null;
  signalCode: NodeJS.Signals | null = null;
  die(code: number | null, signal: NodeJS.Signals | null) {
    this.exitCode = code;
    this.signalCode = signal;
    this.emit('exit', code, signal);
  }
}

const server = (
  service: WatchedServer['service'],
  port: number,
  stderr = '',
): WatchedServer & { child: FakeChild } => ({
  service,
  endpoint: `http://127.0.0.1:${port}`,
  child: new FakeChild(),
  stderr: () => stderr,
});

/** A probe answered from a script per endpoint (the last entry repeats); records its calls. */
const scriptedProbe = (script: Record<string, ProbeResult['kind'][]>) => {
  const calls: string[] = [];
  const probe: Probe = async (endpoint) => {
    calls.push(endpoint);
    const steps = script[endpoint] ?? ['answered'];
    const kind = steps.length > 1 ? (steps.shift() as ProbeResult['kind']) : (steps[0] ?? 'answered');
    return kind === 'failed' ? { kind, error: 'no answer within 2 s' } : { kind };
  };
  return { probe, calls };
};

const OPTIONS = { intervalMs: 1_000, timeoutMs: 2_000, failures: 3 };

beforeEach(() => {
  jest.useFakeTimers({ now: 0, doNotFake: ['nextTick', 'queueMicrotask'] });
});
afterEach(() => {
  jest.useRealTimers();
});

describe('watchServers', () => {
  it('reports a child that exits, once, with its signal', async () => {
    // Prepare
    const dynalite = server('dynalite', 4568);
    const problems: ServerProblem[] = [];
    const watch = watchServers({ processes: [dynalite] }, (problem) => problems.push(problem), {
      ...OPTIONS,
      probe: scriptedProbe({}).probe,
    });

    // Act
    dynalite.child.die(null, 'SIGKILL');
    dynalite.child.emit('exit', null, 'SIGKILL');
    await jest.advanceTimersByTimeAsync(5_000);

    // Assess
    expect(problems).toEqual([
      { service: 'dynalite', endpoint: 'http://127.0.0.1:4568', kind: 'exited', detail: 'exited (signal SIGKILL)' },
    ]);
    watch.stop();
  });

  it('says what a server that exited with a code last wrote to stderr', async () => {
    // Prepare
    const s3rver = server('s3rver', 4569, 'starting\nError: EACCES: permission denied, mkdir /data\n');
    const problems: ServerProblem[] = [];
    const watch = watchServers({ processes: [s3rver] }, (problem) => problems.push(problem), {
      ...OPTIONS,
      probe: scriptedProbe({}).probe,
    });

    // Act
    s3rver.child.die(1, null);

    // Assess
    expect(problems.map(({ detail }) => detail)).toEqual([
      'exited with code 1: Error: EACCES: permission denied, mkdir /data',
    ]);
    watch.stop();
  });

  it('reports a child that had already exited when the watch began', async () => {
    // Prepare
    const kinesalite = server('kinesalite', 4567);
    kinesalite.child.exitCode = 0;
    const problems: ServerProblem[] = [];

    // Act
    const watch = watchServers({ processes: [kinesalite] }, (problem) => problems.push(problem), {
      ...OPTIONS,
      probe: scriptedProbe({}).probe,
    });
    expect(problems).toEqual([]); // from the event loop, like an 'exit' event
    await jest.advanceTimersByTimeAsync(0);

    // Assess
    expect(problems).toMatchObject([{ service: 'kinesalite', kind: 'exited', detail: 'exited with code 0' }]);
    watch.stop();
  });

  it('does not report exits once the servers are stopping', async () => {
    // Prepare
    const dynalite = server('dynalite', 4568);
    const servers = { processes: [dynalite], stopping: false };
    const problems: ServerProblem[] = [];
    const watch = watchServers(servers, (problem) => problems.push(problem), {
      ...OPTIONS,
      probe: scriptedProbe({}).probe,
    });

    // Act
    servers.stopping = true;
    dynalite.child.die(0, null);

    // Assess
    expect(problems).toEqual([]);
    watch.stop();
  });

  it('reports "not answering" at the third failed probe in a row, not before, with how long it has been silent', async () => {
    // Prepare: answers once, then never again.
    const dynalite = server('dynalite', 4568);
    const { probe, calls } = scriptedProbe({ [dynalite.endpoint]: ['answered', 'failed'] });
    const problems: ServerProblem[] = [];
    const watch = watchServers({ processes: [dynalite] }, (problem) => problems.push(problem), { ...OPTIONS, probe });

    // Act 1: the answer at 1 s, failures at 2 s and 3 s.
    await jest.advanceTimersByTimeAsync(3_000);

    // Assess 1
    expect(calls).toHaveLength(3);
    expect(problems).toEqual([]);

    // Act 2: the third failure, then more time.
    await jest.advanceTimersByTimeAsync(1_000);
    await jest.advanceTimersByTimeAsync(5_000);

    // Assess 2: one report; the server is no longer probed.
    expect(problems).toEqual([
      {
        service: 'dynalite',
        endpoint: dynalite.endpoint,
        kind: 'not-answering',
        detail: 'stopped answering for 3 s (3 probes in a row: no answer within 2 s)',
      },
    ]);
    expect(calls).toHaveLength(4);
    watch.stop();
  });

  it('starts counting again after an answer', async () => {
    // Prepare: two failures, an answer, two failures, an answer, forever.
    const s3rver = server('s3rver', 4569);
    const { probe, calls } = scriptedProbe({
      [s3rver.endpoint]: ['failed', 'failed', 'answered', 'failed', 'failed', 'answered', 'answered'],
    });
    const problems: ServerProblem[] = [];
    const watch = watchServers({ processes: [s3rver] }, (problem) => problems.push(problem), { ...OPTIONS, probe });

    // Act
    await jest.advanceTimersByTimeAsync(10_000);

    // Assess
    expect(calls).toHaveLength(10);
    expect(problems).toEqual([]);
    watch.stop();
  });

  it('counts a probe this process was too busy to judge neither way', async () => {
    // Prepare: failed, failed, inconclusive, failed — the third real failure is the fourth probe.
    const kinesalite = server('kinesalite', 4567);
    const { probe } = scriptedProbe({
      [kinesalite.endpoint]: ['failed', 'failed', 'inconclusive', 'inconclusive', 'failed'],
    });
    const problems: ServerProblem[] = [];
    const watch = watchServers({ processes: [kinesalite] }, (problem) => problems.push(problem), { ...OPTIONS, probe });

    // Act
    await jest.advanceTimersByTimeAsync(4_000);
    const before = problems.length;
    await jest.advanceTimersByTimeAsync(1_000);

    // Assess
    expect(before).toBe(0);
    expect(problems).toMatchObject([{ service: 'kinesalite', kind: 'not-answering' }]);
    watch.stop();
  });

  it('keeps watching the other servers after one failed', async () => {
    // Prepare
    const kinesalite = server('kinesalite', 4567);
    const dynalite = server('dynalite', 4568);
    const { probe } = scriptedProbe({
      [dynalite.endpoint]: ['answered', 'answered', 'answered', 'answered', 'failed'],
    });
    const problems: ServerProblem[] = [];
    const watch = watchServers({ processes: [kinesalite, dynalite] }, (problem) => problems.push(problem), {
      ...OPTIONS,
      probe,
    });

    // Act
    kinesalite.child.die(null, 'SIGKILL');
    await jest.advanceTimersByTimeAsync(10_000);

    // Assess
    expect(problems.map(({ service, kind }) => [service, kind])).toEqual([
      ['kinesalite', 'exited'],
      ['dynalite', 'not-answering'],
    ]);
    watch.stop();
  });

  it('stop() clears its timers and listeners, and reports nothing after', async () => {
    // Prepare
    const servers = [server('kinesalite', 4567), server('dynalite', 4568), server('s3rver', 4569)];
    const { probe, calls } = scriptedProbe({});
    const problems: ServerProblem[] = [];
    const watch = watchServers({ processes: servers }, (problem) => problems.push(problem), { ...OPTIONS, probe });
    await jest.advanceTimersByTimeAsync(2_000);
    expect(jest.getTimerCount()).toBe(3);
    expect(calls).toHaveLength(6);

    // Act
    watch.stop();
    watch.stop();
    for (const { child } of servers) child.die(null, 'SIGKILL');
    await jest.advanceTimersByTimeAsync(10_000);

    // Assess
    expect(jest.getTimerCount()).toBe(0);
    expect(servers.map(({ child }) => child.listenerCount('exit'))).toEqual([0, 0, 0]);
    expect(calls).toHaveLength(6);
    expect(problems).toEqual([]);
  });
});

describe('watchServers with real timers', () => {
  beforeEach(() => {
    jest.useRealTimers();
  });

  it("never keeps the process alive: its interval is unref'd", () => {
    // Prepare
    const setIntervalSpy = jest.spyOn(global, 'setInterval');

    // Act
    const watch = watchServers({ processes: [server('dynalite', 4568)] }, () => undefined, {
      ...OPTIONS,
      probe: scriptedProbe({}).probe,
    });

    // Assess
    const timer = setIntervalSpy.mock.results[0]?.value as NodeJS.Timeout;
    const referenced = timer.hasRef();
    watch.stop();
    setIntervalSpy.mockRestore();
    expect(referenced).toBe(false);
  });
});

describe('httpProbe', () => {
  const servers: Server[] = [];
  const sockets = new Set<Socket>();
  const listen = async (handler: Parameters<typeof createServer>[1]): Promise<string> => {
    const created = createServer(handler);
    created.on('connection', (socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
    servers.push(created);
    await new Promise<void>((resolve) => created.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(created.address() as AddressInfo).port}`;
  };

  beforeEach(() => {
    jest.useRealTimers();
  });
  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await Promise.all(servers.map((created) => new Promise((resolve) => created.close(resolve))));
  });

  it('takes any HTTP response as an answer, a 403 included', async () => {
    const endpoint = await listen((_request, response) => {
      response.statusCode = 403;
      response.end('{"__type":"MissingAuthenticationTokenException"}');
    });
    await expect(httpProbe(endpoint, 1_000)).resolves.toEqual({ kind: 'answered' });
  });

  it('fails a server that accepts the connection and never answers, at the timeout', async () => {
    // Prepare: like a SIGSTOPped server, the connection is accepted and nothing comes back.
    const endpoint = await listen(() => undefined);
    const startedAt = Date.now();

    // Act
    const result = await httpProbe(endpoint, 300);

    // Assess
    expect(result).toEqual({ kind: 'failed', error: 'no answer within 0.3 s' });
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(290);
    expect(Date.now() - startedAt).toBeLessThan(1_000);
  });

  it('does not blame the server when this process was too busy to read its answer', async () => {
    // Prepare
    const endpoint = await listen(() => undefined);

    // Act: the event loop blocked well past the timeout, as a long synchronous step would.
    const result = httpProbe(endpoint, 100);
    const until = Date.now() + 800;
    while (Date.now() < until) {
      // busy
    }

    // Assess
    await expect(result).resolves.toEqual({ kind: 'inconclusive' });
  });

  it('fails a port nothing listens on', async () => {
    // Prepare: a port that was just free.
    const endpoint = await listen(() => undefined);
    const closing = servers.pop() as Server;
    await new Promise((resolve) => closing.close(resolve));

    // Act, Assess
    await expect(httpProbe(endpoint, 1_000)).resolves.toEqual({ kind: 'failed', error: 'ECONNREFUSED' });
  });
});

describe('problem wording and settleWithin', () => {
  beforeEach(() => {
    jest.useRealTimers();
  });

  it('names the server, the AWS service it stands for, and its address', () => {
    expect(serverLabel({ service: 'dynalite', endpoint: 'http://127.0.0.1:4568' })).toBe(
      'dynalite (DynamoDB, 127.0.0.1:4568)',
    );
    expect(serverLabel({ service: 's3rver', endpoint: 'http://127.0.0.1:4569' })).toBe('s3rver (S3, 127.0.0.1:4569)');
    expect(problemReason({ service: 'kinesalite', kind: 'exited' })).toBe('kinesalite exited');
    expect(problemReason({ service: 'dynalite', kind: 'not-answering' })).toBe('dynalite stopped answering');
  });

  it('settles with the value, the error, or timed-out, whichever comes first', async () => {
    await expect(settleWithin(Promise.resolve(7), 1_000)).resolves.toEqual({ status: 'done', value: 7 });
    const error = new Error('refused');
    await expect(settleWithin(Promise.reject(error), 1_000)).resolves.toEqual({ status: 'failed', error });
    await expect(settleWithin(new Promise(() => undefined), 20)).resolves.toEqual({ status: 'timed-out' });
  });
});
