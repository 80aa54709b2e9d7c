import { fork } from 'node:child_process';
import { join } from 'node:path';

const ROOT = join(__dirname, '..');
const LAUNCHER = join(__dirname, 'clean-rusage-launcher.cjs');

/** Loads TypeScript through tsx's require hook only (no ESM loader thread: nothing here is ESM-only). */
export const TSX_REQUIRE = ['--require', 'tsx/cjs'];

/**
 * Runs a bench/*.ts script in a child process and resolves with the one message it sends, once
 * it has exited (so no child outlives the call). A script reports failure by sending `{ error }`.
 * The script is forked by clean-rusage-launcher.cjs, not by this process, so that its
 * `process.resourceUsage().maxRSS` is its own (Linux carries the parent's peak RSS across
 * fork + exec). Both exit when this process goes away (IPC disconnect); a run that overruns
 * `timeoutMs` is killed.
 */
export const runChild = <T>(
  script: string,
  options: { env: NodeJS.ProcessEnv; execArgv?: string[]; timeoutMs: number },
): Promise<T> =>
  new Promise((resolve, reject) => {
    const child = fork(LAUNCHER, [join(__dirname, script), JSON.stringify(options.execArgv ?? TSX_REQUIRE)], {
      cwd: ROOT,
      env: options.env,
      execArgv: [],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    let settled = false;
    let report: { value: T } | undefined;
    let failure: Error | undefined;
    const finish = (error: Error | undefined): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (error) {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
        reject(error);
      } else resolve((report as { value: T }).value);
    };
    const timer = setTimeout(
      () => finish(new Error(`${script} did not finish within ${options.timeoutMs / 1000} s`)),
      options.timeoutMs,
    );
    child.once('message', (message: unknown) => {
      if (message !== null && typeof message === 'object' && 'error' in message) {
        failure = new Error(`${script} failed: ${String((message as { error: unknown }).error)}`);
      } else report = { value: message as T };
    });
    child.once('error', (error) => finish(error));
    child.once('exit', (code, signal) =>
      finish(
        report
          ? undefined
          : (failure ?? new Error(`${script} exited (code ${code}, signal ${signal}) without a report`)),
      ),
    );
  });
