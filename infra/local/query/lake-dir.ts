import { stat } from 'node:fs/promises';
import {
  DEFAULT_ERROR_ROOT,
  DEFAULT_LAKE_PREFIX,
  DEFAULT_QUARANTINE_ROOT,
  LAYOUT_KEYS,
  type LayoutKey,
  layoutKeysOf,
} from '../../../shared/lake-layout';
import { filesUnder } from '../runtime/files';

/**
 * A lake on disk: what `npm start -- --out DIR` copies (every object of the bucket, keyed by its
 * path) or what the query CLI copies from a running stack. The layout is read off the data
 * objects' paths, so a copy made with another `custom.lake.prefix` is read as it was written.
 */
export interface LakeDir {
  /** Absolute path of the copy's root (the bucket's root). */
  dir: string;
  /** The Firehose prefix the data was written with (`events/event_type=!{…}/dt=!{…}/`). */
  prefix: string;
  /** Fixed roots of the error outputs and the quarantine. */
  errorRoot: string;
  quarantineRoot: string;
  /** The bucket it came from, for `"$path"` (`s3://<bucket>/<key>`); `lake` for a copy of unknown origin. */
  bucket: string;
}

export { DEFAULT_ERROR_ROOT, DEFAULT_QUARANTINE_ROOT, filesUnder };

const isLayoutKey = (name: string): name is LayoutKey => (LAYOUT_KEYS as readonly string[]).includes(name);

/**
 * The prefix a data object's key was written under: its leading segments up to the first
 * `key=value` of a layout key are the root, the run of `key=value` segments the partition keys.
 * Undefined for a key that is not under such a layout (an error output, the quarantine, a drop).
 */
export const prefixOfKey = (key: string): string | undefined => {
  const segments = key.split('/').slice(0, -1);
  const first = segments.findIndex((segment) => isLayoutKey(segment.split('=')[0] ?? '') && segment.includes('='));
  if (first === -1) return undefined;
  const keys: string[] = [];
  for (const segment of segments.slice(first)) {
    const name = segment.slice(0, segment.indexOf('='));
    if (!segment.includes('=') || !isLayoutKey(name)) break;
    keys.push(name);
  }
  const root = segments
    .slice(0, first)
    .map((segment) => `${segment}/`)
    .join('');
  const prefix = `${root}${keys.map((name) => `${name}=!{partitionKeyFromLambda:${name}}/`).join('')}`;
  try {
    layoutKeysOf(prefix);
    return prefix;
  } catch {
    // No dt, or a key twice: not a data object of this pipeline.
    return undefined;
  }
};

export class LakeDirError extends Error {
  override readonly name = 'LakeDirError';
  constructor(
    readonly reason: 'NoSuchDirectory' | 'NotADirectory',
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** The lake copy at `dir`: its layout from the first data object found (the default layout when it has none). */
export const openLakeDir = async (
  dir: string,
  options: { bucket?: string; errorRoot?: string; quarantineRoot?: string; prefix?: string } = {},
): Promise<LakeDir> => {
  try {
    if (!(await stat(dir)).isDirectory()) throw new LakeDirError('NotADirectory', `${dir} is not a directory`);
  } catch (error) {
    if (error instanceof LakeDirError) throw error;
    throw new LakeDirError('NoSuchDirectory', `${dir}: no such directory`, { cause: error });
  }
  const errorRoot = options.errorRoot ?? DEFAULT_ERROR_ROOT;
  const quarantineRoot = options.quarantineRoot ?? DEFAULT_QUARANTINE_ROOT;
  let prefix = options.prefix;
  if (prefix === undefined) {
    for (const key of await filesUnder(dir)) {
      if (key.startsWith(errorRoot) || key.startsWith(quarantineRoot)) continue;
      prefix = prefixOfKey(key);
      if (prefix !== undefined) break;
    }
  }
  return { dir, prefix: prefix ?? DEFAULT_LAKE_PREFIX, errorRoot, quarantineRoot, bucket: options.bucket ?? 'lake' };
};
