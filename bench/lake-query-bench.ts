import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createRandom, LakeWriter, sampleProducerRecord } from '../infra/local/query/lake-writer';
import type { LakeLayout } from '../shared/lake-layout';
import { runChild } from './fork-child';
import { LAKE_QUERY_SQL, type LakeQueryReport } from './lake-query-spec';
import { indent, int } from './report';

/** BENCH_LAKE_EVENTS=N (default 1,000,000): the size of the generated lake. */
export const lakeEventsFromEnv = (): number => {
  const raw = process.env.BENCH_LAKE_EVENTS?.trim() || '1000000';
  if (!/^[1-9]\d*$/.test(raw)) throw new Error(`BENCH_LAKE_EVENTS must be a whole number ≥ 1, got "${raw}"`);
  return Number(raw);
};

/** Targets for the query: a laptop-sized machine answers a week of a million events in well under these. */
export const LAKE_QUERY_TARGET_SECONDS = 30;
export const LAKE_QUERY_TARGET_RSS_MB = 1_024;
/** Lines per object, like a Firehose object of a busy partition (the default buffer: 64 MiB or 120 s). */
const LINES_PER_OBJECT = 20_000;
const DAYS = 7;
const TIMEOUT_MS = 600_000;

export interface LakeQueryResult extends LakeQueryReport {
  generated: { events: number; objects: number; seconds: number; days: number };
  maxRssMB: number;
}

/**
 * A lake of `events` events written straight in the layout (GZIP NDJSON objects under the
 * partitions the real transformer returns: meters, actions, client events and API calls of six
 * clients over seven days), then one query over it, count per client per day, in a process of
 * its own: its wall time, from opening DuckDB to the last row, and its peak RSS.
 */
export const runLakeQueryBench = async (layout: LakeLayout, events = lakeEventsFromEnv()): Promise<LakeQueryResult> => {
  const dir = await mkdtemp(join(tmpdir(), 'bench-lake-'));
  try {
    const started = performance.now();
    const writer = new LakeWriter(dir, { ...layout, environment: 'bench' }, LINES_PER_OBJECT);
    const random = createRandom(2026);
    const now = Date.now();
    const span = (DAYS - 0.1) * 86_400_000;
    // In time order, day by day, so only a day's partitions hold lines in memory at once.
    for (let index = 0; index < events; index++) {
      const time = new Date(now - span + (span * index) / events - 60_000);
      writer.add(sampleProducerRecord(index, time, random), now);
    }
    writer.flush();
    const generated = {
      events: writer.events,
      objects: writer.objects,
      seconds: (performance.now() - started) / 1000,
      days: DAYS,
    };
    const report = await runChild<LakeQueryReport>('lake-query-child.ts', {
      env: { ...process.env, BENCH_LAKE_DIR: dir },
      timeoutMs: TIMEOUT_MS,
    });
    return { ...report, generated, maxRssMB: report.maxRssKiB / 1024 };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
};

/** The summary table's rows for this benchmark, numbered `row` and `row`b. */
export const lakeQueryRows = (row: string, result: LakeQueryResult): string[][] => {
  const pass = result.seconds <= LAKE_QUERY_TARGET_SECONDS && result.maxRssMB <= LAKE_QUERY_TARGET_RSS_MB;
  const exact = result.events === result.generated.events;
  return [
    [
      row,
      `Lake query, local DuckDB: ${int(result.generated.events)}-event lake, count per client per day (wall / peak RSS)`,
      `${result.seconds.toFixed(2)} s / ${result.maxRssMB.toFixed(0)} MB`,
      `≤ ${LAKE_QUERY_TARGET_SECONDS} s / ≤ ${int(LAKE_QUERY_TARGET_RSS_MB)} MB`,
      pass ? 'PASS' : 'MISS',
    ],
    [`${row}b`, 'Lake query: every event counted once', exact ? 'yes' : 'NO', 'yes', exact ? 'PASS' : 'MISS'],
  ];
};

export const printLakeQueryDetails = (row: string, result: LakeQueryResult): void => {
  const { generated } = result;
  console.log(
    `\n${row}. Lake query: ${int(generated.events)} events (meters, actions, client events, API calls of 6 clients over ` +
      `${generated.days} days) written through the real transformer into ${int(generated.objects)} GZIP NDJSON objects in the lake ` +
      `layout (${generated.seconds.toFixed(1)} s, not timed), then in a process of its own (bench/lake-query-child.ts):`,
  );
  console.log(indent(`${LAKE_QUERY_SQL}`));
  console.log(
    indent(
      `${result.seconds.toFixed(2)} s from opening DuckDB to the last row (${result.openSeconds.toFixed(2)} s of it opening and ` +
        `defining the views), ${result.rows} rows, ${int(result.events)} events counted; maxRSS ${result.maxRssMB.toFixed(1)} MB` +
        `${result.vmHwmKiB === undefined ? '' : ` (VmHWM ${(result.vmHwmKiB / 1024).toFixed(1)} MB)`}. BENCH_LAKE_EVENTS=N scales the lake.`,
    ),
  );
};

// `npx tsx bench/lake-query-bench.ts`: this row alone, with serverless.yml's layout.
if (require.main === module) {
  (async () => {
    const { runLayoutBound } = await import('./partition-bound-bench');
    const { layout } = await runLayoutBound();
    const result = await runLakeQueryBench(layout);
    const { table } = await import('./report');
    console.log(table(['#', 'Measurement', 'Result', 'Target', 'Status'], lakeQueryRows('9', result)));
    printLakeQueryDetails('9', result);
  })().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
