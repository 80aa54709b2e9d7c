// What the lake-query benchmark's child runs and reports: imported by both sides, so that the
// parent never imports the child module (which runs its query on load).

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
