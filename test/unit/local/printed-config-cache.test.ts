import { mkdir, mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { printedConfigCache, printedConfigKey } from '../../../infra/local/pipeline/printed-config-cache';

// The cache of `osls print` (infra/local/pipeline/printed-config-cache.ts) must never hand back a
// configuration built from other inputs: every file the configuration reads and every part of the
// environment it may read is in the key.

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'printed-config-'));
  await mkdir(join(root, 'infra', 'plugins'), { recursive: true });
  await mkdir(join(root, 'shared', 'lake-query'), { recursive: true });
  await writeFile(join(root, 'serverless.yml'), 'service: usage-pipeline\n');
  await writeFile(join(root, 'infra', 'storage.yml'), 'Resources: {}\n');
  await writeFile(join(root, 'infra', 'plugins', 'bound.cjs'), 'module.exports = {};\n');
  await writeFile(join(root, 'shared', 'lake-query', 'catalog.ts'), 'export const x = 1;\n');
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

const ENV = { PATH: '/usr/bin', MAX_EVENT_AGE_SECONDS: '604800' };

describe('printedConfigKey', () => {
  it('is the same for the same files, stage and environment', async () => {
    expect(await printedConfigKey(root, 'local', ENV)).toBe(await printedConfigKey(root, 'local', { ...ENV }));
  });

  it.each([
    ['serverless.yml', 'service: other\n'],
    ['infra/storage.yml', 'Resources: { B: {} }\n'],
    ['infra/plugins/bound.cjs', 'module.exports = { x: 1 };\n'],
    ['shared/lake-query/catalog.ts', 'export const x = 2;\n'],
    ['routes.yml', 'routes: {}\n'],
    ['infra/new-file.yml', 'Resources: {}\n'],
  ])('changes when %s changes or appears', async (file, content) => {
    const before = await printedConfigKey(root, 'local', ENV);
    await writeFile(join(root, file), content);
    expect(await printedConfigKey(root, 'local', ENV)).not.toBe(before);
  });

  it('changes with the stage and with any variable the configuration may read', async () => {
    const key = await printedConfigKey(root, 'local', ENV);
    expect(await printedConfigKey(root, 'test', ENV)).not.toBe(key);
    expect(await printedConfigKey(root, 'local', { ...ENV, MAX_EVENT_AGE_SECONDS: '3024000' })).not.toBe(key);
    expect(await printedConfigKey(root, 'local', { ...ENV, ROUTE_SECRET: 'x' })).not.toBe(key);
  });

  it("ignores what npm and jest add to a run's environment", async () => {
    const key = await printedConfigKey(root, 'local', ENV);
    const run = { ...ENV, npm_lifecycle_event: 'start', npm_package_version: '0.1.0', JEST_WORKER_ID: '3', PWD: '/x' };
    expect(await printedConfigKey(root, 'local', run)).toBe(key);
  });

  it('does not read node_modules', async () => {
    const key = await printedConfigKey(root, 'local', ENV);
    await mkdir(join(root, 'infra', 'node_modules'), { recursive: true });
    await writeFile(join(root, 'infra', 'node_modules', 'x.js'), '1');
    expect(await printedConfigKey(root, 'local', ENV)).toBe(key);
  });
});

describe('printedConfigCache', () => {
  it('gives back what was written under a key, nothing for another key', async () => {
    const cache = printedConfigCache(join(root, 'cache'));
    await cache.write('a'.repeat(32), '{"service":"usage-pipeline"}');
    expect(await cache.read('a'.repeat(32))).toBe('{"service":"usage-pipeline"}');
    expect(await cache.read('b'.repeat(32))).toBeUndefined();
    expect((await readdir(join(root, 'cache'))).filter((name) => name.endsWith('.partial'))).toEqual([]);
  });

  it('keeps the 16 newest entries', async () => {
    const dir = join(root, 'cache');
    const cache = printedConfigCache(dir);
    for (let index = 0; index < 17; index += 1) {
      const key = String(index).padStart(32, '0');
      await cache.write(key, `{"n":${index}}`);
      // Distinct modification times, oldest first, whatever the file system's resolution.
      const seconds = 1_700_000_000 + index;
      await utimes(join(dir, `${key}.json`), seconds, seconds);
    }
    await cache.write('f'.repeat(32), '{"n":"last"}');
    const kept = await readdir(dir);
    expect(kept).toHaveLength(16);
    expect(kept).not.toContain(`${'0'.repeat(32)}.json`);
    expect(kept).not.toContain(`${'1'.padStart(32, '0')}.json`);
    expect(kept).toContain(`${'f'.repeat(32)}.json`);
  });
});
