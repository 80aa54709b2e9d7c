import { EventEmitter } from 'node:events';
import {
  exitCodeFor,
  SAME_STOP_MS,
  type SignalSource,
  type StopSignal,
  watchStopSignals,
} from '../../../infra/local/cli/stop-signals';

/** A process stand-in: signals are emitted by the test, the clock is the test's. */
const setup = () => {
  const source = new EventEmitter();
  let time = 1_000;
  const calls: string[] = [];
  const stop = watchStopSignals({
    source: source as unknown as SignalSource,
    now: () => time,
    onStop: (signal) => calls.push(`stop ${signal}`),
    onStopNow: (signal) => calls.push(`now ${signal}`),
  });
  const send = (signal: StopSignal, afterMs = 0) => {
    time += afterMs;
    source.emit(signal, signal);
  };
  return { source, stop, calls, send };
};

describe('npm start stop signals', () => {
  it('asks for a graceful stop on the first SIGINT, and says which signal it was', async () => {
    // Prepare
    const { stop, calls, send } = setup();

    // Act
    send('SIGINT');

    // Assess
    expect(calls).toEqual(['stop SIGINT']);
    expect(stop.signal).toBe('SIGINT');
    await expect(stop.requested).resolves.toBe('SIGINT');
  });

  it('treats SIGTERM the same way', async () => {
    const { stop, calls, send } = setup();
    send('SIGTERM');
    expect(calls).toEqual(['stop SIGTERM']);
    await expect(stop.requested).resolves.toBe('SIGTERM');
  });

  it("takes a signal soon after the first as the same Ctrl-C (the terminal's and npm's copy), a later one as a second Ctrl-C", () => {
    // Prepare
    const { calls, send } = setup();

    // Act
    send('SIGINT');
    send('SIGINT', 5); // npm forwarding the Ctrl-C the terminal also sent to node
    send('SIGINT', SAME_STOP_MS); // the user pressing Ctrl-C again
    send('SIGINT', 1_000); // and again: already stopping at once

    // Assess
    expect(calls).toEqual(['stop SIGINT', 'now SIGINT']);
  });

  it('stops at once on a SIGTERM after a Ctrl-C', () => {
    const { calls, send } = setup();
    send('SIGINT');
    send('SIGTERM', 2_000);
    expect(calls).toEqual(['stop SIGINT', 'now SIGTERM']);
  });

  it('removes its listeners on dispose, so the default action applies again', () => {
    // Prepare
    const { source, stop } = setup();
    expect(source.listenerCount('SIGINT')).toBe(1);
    expect(source.listenerCount('SIGTERM')).toBe(1);

    // Act
    stop.dispose();

    // Assess
    expect(source.listenerCount('SIGINT')).toBe(0);
    expect(source.listenerCount('SIGTERM')).toBe(0);
  });

  it('exits with 128 + the signal number, as a shell reports a process the signal ended', () => {
    // https://nodejs.org/docs/latest-v20.x/api/process.html#exit-codes (">128 Signal Exits")
    expect(exitCodeFor('SIGINT')).toBe(130);
    expect(exitCodeFor('SIGTERM')).toBe(143);
  });
});
