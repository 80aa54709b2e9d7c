import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { LOCAL_STATE_DIR } from '../runtime/paths';

/**
 * How another process finds the stack `npm start -- --keep-running` keeps up: while it runs, it
 * writes `.local/stack.json` (git-ignored) with its S3 endpoint, bucket and layout, and removes it
 * when it stops; a file whose process is gone is stale (a stack killed with SIGKILL leaves it).
 */
export interface RunningStack {
  pid: number;
  startedAt: string;
  service: string;
  stage: string;
  bucket: string;
  /** The Firehose prefix (custom.lake.prefix) and the roots of the error outputs and the quarantine. */
  prefix: string;
  errorRoot: string;
  quarantineRoot: string;
  /** The AWS_* variables that point an SDK client at the stack (region, endpoints). */
  env: Record<string, string>;
  /** The local routing's SQS endpoint and the routes, when routes.yml has any: their dead letters. */
  routing?: { sqsEndpoint: string; routes: string[] };
}

export const DEFAULT_STACK_FILE = join(LOCAL_STATE_DIR, 'stack.json');

/** Written whole (a temporary file renamed), so a reader never sees half of it. */
export const publishStack = (stack: RunningStack, file = DEFAULT_STACK_FILE): void => {
  mkdirSync(dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}.${randomUUID()}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(stack, null, 2)}\n`);
  renameSync(temporary, file);
};

const isRunning = (pid: number): boolean => {
  try {
    // Signal 0 checks the process exists without signalling it (EPERM: it exists, not ours).
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/** The stack published in `file` if its process still runs; undefined when there is none (or it is stale). */
export const runningStack = (file = DEFAULT_STACK_FILE): RunningStack | undefined => {
  let stack: RunningStack;
  try {
    stack = JSON.parse(readFileSync(file, 'utf8')) as RunningStack;
  } catch {
    // Absent or not JSON: no stack.
    return undefined;
  }
  if (typeof stack?.pid !== 'number' || typeof stack.bucket !== 'string' || typeof stack.env !== 'object')
    return undefined;
  return isRunning(stack.pid) ? stack : undefined;
};

/** Removes the file if it is still this process's (a later stack may have replaced it). */
export const withdrawStack = (pid = process.pid, file = DEFAULT_STACK_FILE): void => {
  try {
    if ((JSON.parse(readFileSync(file, 'utf8')) as { pid?: unknown }).pid !== pid) return;
    unlinkSync(file);
  } catch {
    // Already gone, or not ours to judge.
  }
};
