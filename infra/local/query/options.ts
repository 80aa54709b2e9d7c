import { isReportName, REPORT_NAMES, type ReportName } from '../../../shared/lake-query/reports';
import { readOptions } from '../cli/cli-options';
import type { OutputFormat } from './format';

export const USAGE = `Usage: npm run query -- [--lake DIR] [--json | --csv] ("SQL" | --report NAME)

Runs SQL over the lake on a local DuckDB, with the tables and views Athena has (lake_events,
events, api_calls, product_actions, usage_meters, client_events, quarantine, error_outputs),
written in Athena's dialect.

Options:
  --lake DIR        a lake copied by npm start -- --out DIR; without it, the lake of the
                    stack running with npm start -- --keep-running (copied from its S3
                    endpoint into a temporary directory first)
  --report NAME     a built-in report: ${REPORT_NAMES.join(', ')}
  --print-sql       print the SQL of --report NAME (to run in Athena) and run nothing
  --json            a JSON array of row objects instead of the table
  --csv             CSV (RFC 4180) instead of the table
  -h, --help        show this help

Bad options, bad SQL or no lake: one line on stderr, exit 2.`;

export type QueryTarget = { kind: 'sql'; sql: string } | { kind: 'report'; report: ReportName };

export interface QueryOptions {
  lake?: string;
  format: OutputFormat;
  target: QueryTarget;
  printSql: boolean;
}

export type QueryCommand = { help: true } | ({ help: false } & QueryOptions);

export type QueryUsageReason =
  | 'UnknownOption'
  | 'UnexpectedArgument'
  | 'MissingValue'
  | 'UnexpectedValue'
  | 'RepeatedOption'
  | 'ConflictingOptions'
  | 'NoQuery'
  | 'UnknownReport'
  | 'InvalidQuery'
  | 'NoLake';

/** What the user must fix (an option, the SQL, the lake): one line on stderr, exit 2, no stack trace. */
export class QueryUsageError extends Error {
  override readonly name = 'QueryUsageError';
  constructor(
    readonly reason: QueryUsageReason,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

const OPTIONS = {
  lake: { type: 'string' },
  report: { type: 'string' },
  'print-sql': { type: 'boolean' },
  json: { type: 'boolean' },
  csv: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

const HELP_HINT = ' (npm run query -- --help lists the options)';

/**
 * argv after `npm run query --`, checked by readOptions (unknown options, missing values, flags
 * given values, repeats), then: one SQL argument or --report, never both; --json or --csv, not
 * both; `--help` anywhere wins. A SQL text starting with `-` follows `--`.
 */
export const parseQueryArgs = (argv: readonly string[]): QueryCommand => {
  const { help, values, positionals } = readOptions(
    argv,
    OPTIONS,
    (reason, message) => new QueryUsageError(reason, message),
    { helpHint: HELP_HINT, allowPositionals: true },
  );
  if (help) return { help: true };
  if (values.has('json') && values.has('csv'))
    throw new QueryUsageError('ConflictingOptions', '--json and --csv both choose the output: give one');
  if (positionals.length > 1)
    throw new QueryUsageError(
      'UnexpectedArgument',
      `give the SQL as one argument, in quotes: "SELECT …" (got ${positionals.length} arguments)`,
    );
  const report = values.get('report')?.[0];
  const [sql] = positionals;
  if (report !== undefined && sql !== undefined)
    throw new QueryUsageError('ConflictingOptions', '--report and a SQL argument both choose the query: give one');
  if (report !== undefined && !isReportName(report))
    throw new QueryUsageError('UnknownReport', `unknown report '${report}' (reports: ${REPORT_NAMES.join(', ')})`);
  const printSql = values.has('print-sql');
  if (printSql && report === undefined)
    throw new QueryUsageError('ConflictingOptions', '--print-sql prints the SQL of a --report: give one');
  if (report === undefined && (sql === undefined || sql.trim() === ''))
    throw new QueryUsageError('NoQuery', `no query: give "SQL" or --report NAME${HELP_HINT}`);
  const lake = values.get('lake')?.[0];
  return {
    help: false,
    format: values.has('json') ? 'json' : values.has('csv') ? 'csv' : 'table',
    target: report !== undefined ? { kind: 'report', report: report as ReportName } : { kind: 'sql', sql: sql ?? '' },
    printSql,
    ...(lake !== undefined && { lake }),
  };
};

const oneLine = (text: string) => text.replace(/\s*\n\s*/g, ' ');

/**
 * What `npm run query` prints when it fails, and its exit code: `npm run query: …` and 2 for what
 * the user must fix (options, SQL, no lake), `npm run query failed: …` and 1 for the rest. One
 * line either way, no stack trace.
 */
export const failureLine = (error: unknown): { line: string; code: number } => {
  if (error instanceof QueryUsageError) return { line: `npm run query: ${oneLine(error.message)}`, code: 2 };
  return { line: `npm run query failed: ${oneLine(error instanceof Error ? error.message : String(error))}`, code: 1 };
};
