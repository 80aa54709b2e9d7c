import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { filesUnder } from '../runtime/files';

/**
 * `osls print` takes about 4 s (most of `npm start`'s start-up): the framework and its plugins load
 * some 2,700 modules. Its output depends only on the files the configuration is built from and on
 * the environment (`${env:…}`, `${param:…}` defaults), so it is kept under `.local/osls-print/`,
 * keyed by a hash of those files' contents, the stage and the environment; any change to either is
 * a new key, and a failed print is never kept. `LOCAL_CONFIG_CACHE=off` turns it off.
 */

/** What `serverless.yml` is built from: itself, the files it includes and the code its resolvers load. */
const INPUT_FILES = ['serverless.yml', 'routes.yml', 'package.json', 'package-lock.json'];
const INPUT_DIRS = ['infra', 'shared'];
/** Parts of the environment that differ between runs of the same configuration and that it never reads. */
const VOLATILE_ENV = /^(npm_.*|JEST_WORKER_ID|INIT_CWD|PWD|OLDPWD|SHLVL|_|TERM.*|COLUMNS|LINES|COLORTERM)$/;
const KEEP_ENTRIES = 16;

export const CACHE_OFF_VARIABLE = 'LOCAL_CONFIG_CACHE';

/** The cache key: every input file (path and content), the stage and the non-volatile environment. */
export const printedConfigKey = async (root: string, stage: string, env: NodeJS.ProcessEnv): Promise<string> => {
  const hash = createHash('sha256');
  hash.update(`stage\0${stage}\0`);
  const inDirs = await Promise.all(
    INPUT_DIRS.map(async (dir) => (await filesUnder(join(root, dir))).map((file) => `${dir}/${file}`)),
  );
  const files = [...INPUT_FILES, ...inDirs.flat().filter((file) => !file.split('/').includes('node_modules'))].sort();
  for (const file of files) {
    let content: Buffer;
    try {
      content = await readFile(join(root, file));
    } catch {
      continue; // an optional input (routes.yml) that is not there
    }
    hash.update(`file\0${file}\0${content.length}\0`).update(content);
  }
  for (const [name, value] of Object.entries(env).sort(([a], [b]) => a.localeCompare(b))) {
    if (value !== undefined && !VOLATILE_ENV.test(name)) hash.update(`env\0${name}\0${value}\0`);
  }
  return hash.digest('hex').slice(0, 32);
};

export interface PrintedConfigCache {
  /** The printed configuration for this key, or undefined. */
  read(key: string): Promise<string | undefined>;
  write(key: string, printed: string): Promise<void>;
}

/** A cache in `dir`, at most KEEP_ENTRIES entries (the oldest go first). */
export const printedConfigCache = (dir: string): PrintedConfigCache => ({
  async read(key) {
    try {
      return await readFile(join(dir, `${key}.json`), 'utf8');
    } catch {
      return undefined;
    }
  },
  async write(key, printed) {
    await mkdir(dir, { recursive: true });
    // Written whole, then renamed: a concurrent reader sees the old entry or the new one, never half.
    const partial = join(dir, `${key}.${process.pid}.partial`);
    await writeFile(partial, printed);
    await rename(partial, join(dir, `${key}.json`));
    const entries = await Promise.all(
      (await readdir(dir))
        .filter((name) => name.endsWith('.json'))
        .map(async (name) => ({
          name,
          mtime: await stat(join(dir, name)).then(
            (s) => s.mtimeMs,
            () => 0,
          ),
        })),
    );
    const old = entries.sort((a, b) => b.mtime - a.mtime).slice(KEEP_ENTRIES);
    await Promise.all(old.map(({ name }) => rm(join(dir, name), { force: true })));
  },
});
