import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { publishStack, type RunningStack, runningStack, withdrawStack } from '../../../infra/local/query/stack-state';

const stack = (pid: number): RunningStack => ({
  pid,
  startedAt: new Date().toISOString(),
  service: 'usage-pipeline',
  stage: 'local',
  bucket: 'lake',
  prefix: 'events/dt=!{partitionKeyFromLambda:dt}/',
  errorRoot: 'errors/',
  quarantineRoot: 'quarantine/',
  env: { AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:1' },
});

describe('the running stack file', () => {
  let dir: string;
  let file: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'stack-state-'));
    file = join(dir, 'nested', 'stack.json');
  });

  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('is found while its process runs, and gone once it is withdrawn', () => {
    const published = stack(process.pid);
    publishStack(published, file);
    expect(runningStack(file)).toEqual(published);
    withdrawStack(process.pid, file);
    expect(existsSync(file)).toBe(false);
    expect(runningStack(file)).toBeUndefined();
  });

  it('is stale when its process has exited', () => {
    // A pid that certainly existed and is gone: a child that has exited.
    const { pid } = spawnSync(process.execPath, ['-e', '0']);
    publishStack(stack(pid), file);
    expect(runningStack(file)).toBeUndefined();
  });

  it('is left alone by a process it does not belong to', () => {
    publishStack(stack(process.pid), file);
    withdrawStack(process.pid + 1, file);
    expect(runningStack(file)?.pid).toBe(process.pid);
  });

  it('is no stack when absent or not JSON', () => {
    expect(runningStack(file)).toBeUndefined();
    writeFileSync(join(dir, 'bad.json'), '{not json');
    expect(runningStack(join(dir, 'bad.json'))).toBeUndefined();
  });
});
