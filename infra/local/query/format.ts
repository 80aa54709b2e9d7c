import type { QueryResult, QueryValue } from './engine';

/** What `npm run query` prints: an aligned table (default), a JSON array of row objects, or CSV. */
export type OutputFormat = 'table' | 'json' | 'csv';

/** A table cell is cut past this many characters (`--json` and `--csv` print every value whole). */
export const MAX_CELL_WIDTH = 60;

const cellText = (value: QueryValue): string => {
  if (value === null) return 'NULL';
  const text = String(value).replace(/\r?\n/g, '\\n').replace(/\t/g, ' ');
  return text.length > MAX_CELL_WIDTH ? `${text.slice(0, MAX_CELL_WIDTH - 1)}…` : text;
};

/**
 * Columns padded to their widest cell, numbers right-aligned, a dashed rule under the header and a
 * row count after (unless `count` is false). `indent` prefixes every line (the summary of
 * `npm start` indents its reports).
 */
export const formatTable = (result: QueryResult, options: { indent?: string; count?: boolean } = {}): string => {
  const indent = options.indent ?? '';
  const cells = result.rows.map((row) => row.map(cellText));
  const widths = result.columns.map((name, index) =>
    Math.max(name.length, ...cells.map((row) => (row[index] ?? '').length)),
  );
  const numeric = result.columns.map(
    (_, index) =>
      result.rows.length > 0 && result.rows.every((row) => row[index] === null || typeof row[index] === 'number'),
  );
  const line = (values: readonly string[], alignNumbers: boolean) =>
    `${indent}${values
      .map((value, index) => {
        const width = widths[index] ?? 0;
        return alignNumbers && numeric[index] ? value.padStart(width) : value.padEnd(width);
      })
      .join('  ')
      .trimEnd()}`;
  const count = `${indent}(${result.rows.length} ${result.rows.length === 1 ? 'row' : 'rows'})`;
  return [
    line(result.columns, false),
    line(
      widths.map((width) => '-'.repeat(width)),
      false,
    ),
    ...cells.map((row) => line(row, true)),
    ...(options.count === false ? [] : [count]),
  ].join('\n');
};

/** Row objects keyed by column name; a repeated name gets `_2`, `_3`… so no value is lost. */
export const rowObjects = (result: QueryResult): Record<string, QueryValue>[] => {
  const seen = new Map<string, number>();
  const keys = result.columns.map((name) => {
    const count = (seen.get(name) ?? 0) + 1;
    seen.set(name, count);
    return count === 1 ? name : `${name}_${count}`;
  });
  return result.rows.map((row) => Object.fromEntries(keys.map((key, index) => [key, row[index] ?? null])));
};

/** A JSON array, one row object per line. */
export const formatJson = (result: QueryResult): string => {
  const rows = rowObjects(result).map((row) => JSON.stringify(row));
  return rows.length === 0 ? '[]' : `[\n${rows.join(',\n')}\n]`;
};

// RFC 4180 quoting (https://www.rfc-editor.org/rfc/rfc4180#section-2): a field with a comma, a
// quote or a line break is quoted, its quotes doubled. NULL is an empty field.
const csvField = (value: QueryValue | string): string => {
  if (value === null) return '';
  const text = String(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
};

/** A header line, then one line per row. */
export const formatCsv = (result: QueryResult): string =>
  [result.columns, ...result.rows].map((row) => row.map(csvField).join(',')).join('\n');

export const formatResult = (result: QueryResult, format: OutputFormat): string =>
  format === 'json' ? formatJson(result) : format === 'csv' ? formatCsv(result) : formatTable(result);
