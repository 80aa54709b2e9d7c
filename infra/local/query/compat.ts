/**
 * Functions of Athena's dialect (Trino) that DuckDB lacks, as DuckDB macros, so the catalog's views,
 * the reports and a user's query written for Athena run locally unchanged. What cannot be bridged
 * this way is listed in the README ("Query the lake", dialect differences).
 */
export const COMPAT_MACROS: readonly { name: string; sql: string }[] = [
  // A scalar's text, like Trino's (which gives NULL for an object or array; DuckDB gives its JSON).
  { name: 'json_extract_scalar', sql: 'CREATE MACRO json_extract_scalar(j, p) AS json_extract_string(j, p)' },
  { name: 'json_format', sql: 'CREATE MACRO json_format(j) AS CAST(j AS VARCHAR)' },
  { name: 'json_parse', sql: 'CREATE MACRO json_parse(s) AS CAST(s AS JSON)' },
  // ISO 8601 with a zone or offset (the session time zone is UTC, like Athena's).
  { name: 'from_iso8601_timestamp', sql: 'CREATE MACRO from_iso8601_timestamp(s) AS CAST(s AS TIMESTAMPTZ)' },
  { name: 'from_iso8601_date', sql: 'CREATE MACRO from_iso8601_date(s) AS CAST(s AS DATE)' },
  { name: 'from_unixtime', sql: 'CREATE MACRO from_unixtime(s) AS to_timestamp(s)' },
  { name: 'to_unixtime', sql: 'CREATE MACRO to_unixtime(t) AS epoch(t)' },
  // Exact here, approximate on Athena (a value of the data set either way).
  { name: 'approx_percentile', sql: 'CREATE MACRO approx_percentile(x, p) AS quantile_disc(x, p)' },
  { name: 'regexp_like', sql: 'CREATE MACRO regexp_like(s, p) AS regexp_matches(s, p)' },
  {
    name: 'url_extract_path',
    sql: "CREATE MACRO url_extract_path(u) AS regexp_extract(u, '^(?:[A-Za-z][A-Za-z0-9+.-]*://[^/?#]*)?([^?#]*)', 1)",
  },
];
