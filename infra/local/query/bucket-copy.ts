import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { mapWithConcurrency } from '../../../shared/concurrency';
import type { BucketReader } from '../pipeline/lake-check';

/**
 * Copies the objects under `roots` (the data root, the error outputs, the quarantine) into `dir`,
 * keyed by path, as `npm start -- --out` does. The local engine reads files: DuckDB's S3 support is
 * its httpfs extension, which it downloads on first use, and this machine has no route to it.
 */
export const copyLake = async (bucket: BucketReader, roots: readonly string[], dir: string): Promise<number> => {
  const root = resolve(dir);
  const keys = (await Promise.all(roots.map((prefix) => bucket.listKeys(prefix)))).flat();
  await mapWithConcurrency(keys, 8, async (key) => {
    const target = resolve(root, key);
    if (!target.startsWith(`${root}/`)) throw new Error(`Refusing to write outside ${root}: ${key}`);
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, await bucket.getObject(key));
  });
  return keys.length;
};
