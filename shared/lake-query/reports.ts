import { DEFAULT_ERROR_ROOT } from '../lake-layout';
import { ERROR_OUTPUTS_TABLE, QUARANTINE_TABLE } from './catalog';

/**
 * The built-in reports of `npm run query -- --report NAME`, in Athena's dialect (Trino) over the
 * catalog's views, so each runs unchanged in the Athena console; the local engine runs them on
 * DuckDB through its compatibility macros (approx_percentile is exact there).
 */
export const REPORT_NAMES = ['usage', 'actions', 'api-calls', 'health'] as const;
export type ReportName = (typeof REPORT_NAMES)[number];

export const isReportName = (value: string): value is ReportName => (REPORT_NAMES as readonly string[]).includes(value);

export interface Report {
  name: ReportName;
  title: string;
  sql: string;
}

export interface ReportOptions {
  /** The Firehose error prefix's fixed root (serverless.yml custom.lake.errorPrefix, default `errors/`). */
  errorRoot?: string;
}

/** Regex-escapes a key prefix for a pattern in SQL (single quotes doubled). */
const patternOf = (prefix: string) => prefix.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/'/g, "''");

export const reportSql = (name: ReportName, options: ReportOptions = {}): string => {
  switch (name) {
    case 'usage':
      return [
        'SELECT "customerId", "meterApiName", dt AS "day", sum("meterValue") AS total, count(*) AS events',
        'FROM usage_meters',
        'GROUP BY "customerId", "meterApiName", dt',
        'ORDER BY "day" DESC, total DESC, "customerId", "meterApiName"',
      ].join('\n');
    case 'actions':
      return [
        'SELECT company_id, action_name, dt AS "day", count(*) AS actions, count(DISTINCT user_id) AS users',
        'FROM product_actions',
        'GROUP BY company_id, action_name, dt',
        'ORDER BY "day" DESC, actions DESC, company_id, action_name',
      ].join('\n');
    case 'api-calls':
      // weight: how many calls a sampled capture stands for (the capture library sets it, ≥ 1).
      return [
        'SELECT "clientId", route, count(*) AS captured, sum(COALESCE(weight, 1)) AS calls,',
        '  sum(CASE WHEN status >= 400 THEN COALESCE(weight, 1) ELSE 0 END) AS errors,',
        '  round(CAST(sum(CASE WHEN status >= 400 THEN COALESCE(weight, 1) ELSE 0 END) AS double) / sum(COALESCE(weight, 1)), 4) AS error_rate,',
        '  approx_percentile(duration_ms, 0.5) AS p50_ms, approx_percentile(duration_ms, 0.95) AS p95_ms',
        'FROM api_calls',
        'GROUP BY "clientId", route',
        'ORDER BY calls DESC, "clientId", route',
      ].join('\n');
    case 'health': {
      // The error output type is the key's first folder under the error root (`"$path"` is `s3://<bucket>/<key>`).
      const errorType = `regexp_extract("$path", '^s3://[^/]+/${patternOf(options.errorRoot ?? DEFAULT_ERROR_ROOT)}([^/]+)/', 1)`;
      return [
        "SELECT 'quarantine' AS place, reason AS kind, count(*) AS records",
        `FROM ${QUARANTINE_TABLE}`,
        'GROUP BY reason',
        'UNION ALL',
        `SELECT 'error output' AS place, ${errorType} AS kind, count(*) AS records`,
        `FROM ${ERROR_OUTPUTS_TABLE}`,
        `GROUP BY ${errorType}`,
        'ORDER BY place DESC, records DESC, kind',
      ].join('\n');
    }
  }
};

const TITLES: Record<ReportName, string> = {
  usage: 'Usage: meter totals per customer, meter and day',
  actions: 'Product actions per company, action and day',
  'api-calls': 'API calls per client and route: calls, error rate (status ≥ 400), p50/p95 latency',
  health: 'Health: quarantine by reason, Firehose error outputs by type (dead letters by route, where known)',
};

export const report = (name: ReportName, options: ReportOptions = {}): Report => ({
  name,
  title: TITLES[name],
  sql: reportSql(name, options),
});
