import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { prefixRoot } from '../../../shared/lake-layout';
import { report } from '../../../shared/lake-query/reports';
import type { BucketReader } from '../pipeline/lake-check';
import { copyLake } from './bucket-copy';
import { withDeadLetters } from './dead-letters';
import { LocalLakeEngine, type QueryResult } from './engine';
import { formatTable } from './format';
import { openLakeDir } from './lake-dir';

/**
 * What `npm start` shows of the reports at the end of a run: the first rows of `usage`, and all of
 * `health` (a row per reason code, error output type and route at most).
 */
export const USAGE_TOP_ROWS = 5;

export interface RunLake {
  bucket: BucketReader;
  bucketName: string;
  /** The Firehose prefix and the roots of the error outputs and the quarantine. */
  prefix: string;
  errorRoot: string;
  quarantineRoot: string;
  /** Dead letters by route, as the run counted them (routes.yml); empty without routes. */
  deadLetters: Record<string, number>;
  /** How the user runs the full reports afterwards (`npm run query -- --lake DIR`). */
  queryCommand: string;
}

const section = (label: string, result: QueryResult, full: string, empty: string, top: number): string[] => {
  if (result.rows.length === 0) return [`  ${label.padEnd(15)} ${empty} (${full})`];
  const shown = { columns: result.columns, rows: result.rows.slice(0, top) };
  const more = result.rows.length - shown.rows.length;
  return [
    `  ${label.padEnd(15)} ${more > 0 ? `top ${shown.rows.length} of ${result.rows.length} rows` : `${result.rows.length} rows`} (${full})`,
    formatTable(shown, { indent: '    ', count: false }),
  ];
};

/**
 * The usage and health reports over what the run left in the bucket, as summary lines: the lake is
 * copied into a temporary directory and queried by the local engine, like `npm run query`.
 */
export const runReportLines = async (run: RunLake): Promise<string[]> => {
  const dir = await mkdtemp(join(tmpdir(), 'lake-report-'));
  try {
    await copyLake(run.bucket, [prefixRoot(run.prefix), run.errorRoot, run.quarantineRoot], dir);
    const lake = await openLakeDir(dir, {
      prefix: run.prefix,
      bucket: run.bucketName,
      errorRoot: run.errorRoot,
      quarantineRoot: run.quarantineRoot,
    });
    const engine = await LocalLakeEngine.open(lake);
    try {
      const usage = await engine.query(report('usage').sql);
      const health = withDeadLetters(
        await engine.query(report('health', { errorRoot: run.errorRoot }).sql),
        run.deadLetters,
      );
      return [
        ...section('usage', usage, `${run.queryCommand} --report usage`, 'no usage meters in the lake', USAGE_TOP_ROWS),
        ...section(
          'health',
          health,
          `${run.queryCommand} --report health`,
          'nothing quarantined, no error outputs',
          Number.POSITIVE_INFINITY,
        ),
      ];
    } finally {
      engine.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
};
