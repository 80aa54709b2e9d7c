import { constants } from 'node:os';

/**
 * How `npm start` stops: the first SIGINT or SIGTERM asks for a graceful stop (stop the intake,
 * drain, print the summary, exit 0/1 as usual); another one later stops at once.
 *
 * A Ctrl-C in a terminal reaches node twice: from the terminal (SIGINT goes to the whole
 * foreground process group) and from npm, which forwards SIGINT and SIGTERM to the script's
 * process (https://github.com/npm/run-script/blob/main/lib/signal-manager.js). A signal within
 * `sameStopMs` of the first is taken as that same request.
 */

export type StopSignal = 'SIGINT' | 'SIGTERM';
export const STOP_SIGNALS: readonly StopSignal[] = ['SIGINT', 'SIGTERM'];

/** Two deliveries of one Ctrl-C arrive within milliseconds; two key presses rarely within half a second. */
export const SAME_STOP_MS = 500;

/** The part of `process` this needs. */
export interface SignalSource {
  on(event: StopSignal, listener: (signal: StopSignal) => void): unknown;
  off(event: StopSignal, listener: (signal: StopSignal) => void): unknown;
}

export interface StopSignalsOptions {
  /** The first signal: start the graceful stop. */
  onStop: (signal: StopSignal) => void;
  /** A later signal: stop at once (npm start exits with `exitCodeFor(signal)`). */
  onStopNow: (signal: StopSignal) => void;
  source?: SignalSource;
  sameStopMs?: number;
  now?: () => number;
}

export interface StopSignals {
  /** Resolves with the first signal; never rejects. */
  readonly requested: Promise<StopSignal>;
  /** The first signal, once there was one. */
  readonly signal: StopSignal | undefined;
  /** Removes the listeners: the signals' default action (exit) applies again. */
  dispose(): void;
}

/** 128 + the signal's number, as a shell reports a process a signal ended: 130 for SIGINT, 143 for SIGTERM. */
export const exitCodeFor = (signal: StopSignal): number => 128 + constants.signals[signal];

export const watchStopSignals = (options: StopSignalsOptions): StopSignals => {
  const source = options.source ?? process;
  const now = options.now ?? Date.now;
  const sameStopMs = options.sameStopMs ?? SAME_STOP_MS;
  let first: { signal: StopSignal; at: number } | undefined;
  let stoppingNow = false;
  let resolve: (signal: StopSignal) => void = () => undefined;
  const requested = new Promise<StopSignal>((done) => {
    resolve = done;
  });
  const listener = (signal: StopSignal) => {
    if (first === undefined) {
      first = { signal, at: now() };
      resolve(signal);
      options.onStop(signal);
    } else if (!stoppingNow && now() - first.at >= sameStopMs) {
      stoppingNow = true;
      options.onStopNow(signal);
    }
  };
  for (const signal of STOP_SIGNALS) source.on(signal, listener);
  return {
    requested,
    get signal() {
      return first?.signal;
    },
    dispose: () => {
      for (const signal of STOP_SIGNALS) source.off(signal, listener);
    },
  };
};
