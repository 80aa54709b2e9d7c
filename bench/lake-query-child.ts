/**
 * The query process of the lake-query benchmark (bench/lake-query-bench.ts runs it through
 * bench/fork-child.ts, so its peak RSS is its own): opens the local engine over the lake directory
 * BENCH_LAKE_DIR, runs the count per client per day once, and sends its figures over IPC.
 */
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { LocalLakeEngine } from '../infra/local/query/engine';
import { openLakeDir } from '../infra/local/query/lake-dir';

export const LAKE_QUERY_SQL =
  'SELECT "clientId", dt, count(*) AS events FROM events GROUP BY "clientId", dt ORDER BY 1, 2';

export interface LakeQueryReport {
  seconds: number;
  /** Of which opening DuckDB and defining the tables and views. */
  openSeconds: number;
  rows: number;
  /** Σ events over the rows: every event counted once. */
  events: number;
  /** process.resourceUsage().maxRSS after the query, KiB. */
  maxRssKiB: number;
  /** VmHWM of /proc/self/status (this address space's peak RSS), KiB; Linux only. */
  vmHwmKiB?: number;
}

const vmHwm = (): { vmHwmKiB?: number } => {
  try {
    const match = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'));
    return match ? { vmHwmKiB: Number(match[1]) } : {};
  } catch {
    return {};
  }
};

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

/** Answers the parent over IPC (or stdout when run by hand) and exits: the open IPC channel would hold the process. */
const reply = (message: unknown, code: number): void => {
  if (process.send) process.send(message, () => process.exit(code));
  else {
    process.stdout.write(`${JSON.stringify(message, null, 2)}\n`);
    process.exit(code);
  }
};

main().catch((error: unknown) => reply({ error: String((error as Error)?.stack ?? error) }, 1));
