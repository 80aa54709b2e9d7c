/**
 * The query process of the lake-query benchmark (bench/lake-query-bench.ts runs it through
 * bench/fork-child.ts, so its peak RSS is its own): opens the local engine over the lake directory
 * BENCH_LAKE_DIR, runs the count per client per day once, and sends its figures over IPC.
 */

import { performance } from 'node:perf_hooks';
import { LocalLakeEngine } from '../infra/local/query/engine';
import { openLakeDir } from '../infra/local/query/lake-dir';
import { reply, replyFailure } from './child-reply';
import { LAKE_QUERY_SQL, type LakeQueryReport } from './lake-query-spec';
import { vmHwm } from './peak-rss';

process.on('disconnect', () => process.exit(0));

const main = async (): Promise<void> => {
  const dir = process.env.BENCH_LAKE_DIR;
  if (!dir) throw new Error('BENCH_LAKE_DIR is not set');
  const started = performance.now();
  const engine = await LocalLakeEngine.open(await openLakeDir(dir));
  const opened = performance.now();
  try {
    const result = await engine.query(LAKE_QUERY_SQL);
    const seconds = (performance.now() - started) / 1000;
    const report: LakeQueryReport = {
      seconds,
      openSeconds: (opened - started) / 1000,
      rows: result.rows.length,
      events: result.rows.reduce((total, row) => total + Number(row[2]), 0),
      maxRssKiB: process.resourceUsage().maxRSS,
      ...vmHwm(),
    };
    engine.close();
    reply(report, 0);
  } catch (error) {
    engine.close();
    throw error;
  }
};

main().catch(replyFailure);
