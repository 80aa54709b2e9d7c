import { resolve } from 'node:path';
import { type DuckDBConnection, DuckDBInstance, DuckDBTimestampValue, type DuckDBValue } from '@duckdb/node-api';
import { prefixRoot } from '../../../shared/lake-layout';
import {
  LAKE_RAW_TABLE,
  type LakeColumnType,
  lakeViews,
  partitionColumns,
  type RawColumn,
  rawColumns,
  sideTables,
} from '../../../shared/lake-query/catalog';
import { COMPAT_MACROS } from './compat';
import { filesUnder, type LakeDir } from './lake-dir';

/**
 * The lake's tables and views on an in-memory DuckDB: `lake_events` over the data objects (GZIP
 * NDJSON, Hive partitions from the paths), `quarantine` and `error_outputs` over their roots, and
 * the catalog's views, the same names and columns as in Athena. Nothing is loaded up front: each
 * query reads the files it needs (partition predicates prune them, as on Athena).
 */

export type QueryValue = string | number | boolean | null;

export interface QueryResult {
  columns: string[];
  rows: QueryValue[][];
}

export type LakeQueryReason = 'InvalidQuery' | 'ReadFailed';

/** A query that failed: the SQL is the user's to fix (InvalidQuery), or a lake file could not be read. */
export class LakeQueryError extends Error {
  override readonly name = 'LakeQueryError';
  constructor(
    readonly reason: LakeQueryReason,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

const DUCKDB_TYPES: Record<LakeColumnType, string> = {
  string: 'VARCHAR',
  bigint: 'BIGINT',
  double: 'DOUBLE',
  boolean: 'BOOLEAN',
  timestamp: 'TIMESTAMP',
  date: 'DATE',
};

const literal = (text: string) => `'${text.replace(/'/g, "''")}'`;
const identifier = (name: string) => `"${name.replace(/"/g, '""')}"`;

/** `read_json`'s columns: each JSON key with its type (an object read as VARCHAR is its JSON text). */
const jsonColumns = (columns: readonly RawColumn[]) =>
  `{${columns.map((column) => `${literal(column.jsonKey)}: ${literal(DUCKDB_TYPES[column.type])}`).join(', ')}}`;

/** The same columns, typed and empty: the table of a root with no objects yet (read_json fails on no files). */
const emptyOf = (columns: readonly { name: string; type: LakeColumnType }[]) =>
  `SELECT ${columns.map((column) => `CAST(NULL AS ${DUCKDB_TYPES[column.type]}) AS ${identifier(column.name)}`).join(', ')} WHERE false`;

/**
 * DuckDB's message on one line: its first paragraph (the error and its hint), without the
 * `LINE 1: … ^` pointer that follows.
 */
export const duckDbMessage = (error: unknown): string => {
  const text = error instanceof Error ? error.message : String(error);
  const [first = text] = text.split(/\n\s*\n/);
  return first.replace(/\s*\n\s*/g, ' ').trim();
};

/** IO errors are the lake's (a file that cannot be read); every other error is the query's. */
const classify = (error: unknown): LakeQueryError => {
  const message = duckDbMessage(error);
  return new LakeQueryError(/^IO Error:/.test(message) ? 'ReadFailed' : 'InvalidQuery', message, { cause: error });
};

/**
 * A timestamp as Athena prints a `timestamp(3)`: `2026-01-15 10:29:18.120`, milliseconds always
 * (DuckDB's own text drops trailing zeros), microseconds only when there are any.
 */
const FIRST_ISO_MILLIS = Date.parse('0000-01-01T00:00:00.000Z');
const LAST_ISO_MILLIS = Date.parse('9999-12-31T23:59:59.999Z');

const timestampText = (value: DuckDBTimestampValue): string => {
  const millis = Number(value.micros / 1000n) - (value.micros % 1000n < 0n ? 1 : 0);
  const iso = new Date(millis).toISOString();
  const micros = ((value.micros % 1000n) + 1000n) % 1000n;
  return `${iso.slice(0, 10)} ${iso.slice(11, 23)}${micros === 0n ? '' : String(micros).padStart(3, '0')}`;
};

const toQueryValue = (value: DuckDBValue): QueryValue => {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? value : String(value);
  if (typeof value === 'bigint')
    return value <= BigInt(Number.MAX_SAFE_INTEGER) && value >= BigInt(Number.MIN_SAFE_INTEGER)
      ? Number(value)
      : value.toString();
  if (value instanceof DuckDBTimestampValue && value.isFinite) {
    // Years 0000–9999: what toISOString writes in its fixed-width form.
    const millis = Number(value.micros / 1000n);
    if (millis >= FIRST_ISO_MILLIS && millis <= LAST_ISO_MILLIS) return timestampText(value);
  }
  return String(value);
};

export class LocalLakeEngine {
  private constructor(
    private readonly instance: DuckDBInstance,
    private readonly connection: DuckDBConnection,
    readonly lake: LakeDir,
  ) {}

  /** Opens an in-memory DuckDB over the lake copy `lake` and defines the tables and views. */
  static async open(lake: LakeDir): Promise<LocalLakeEngine> {
    const instance = await DuckDBInstance.create(':memory:');
    const connection = await instance.connect();
    const engine = new LocalLakeEngine(instance, connection, { ...lake, dir: resolve(lake.dir) });
    try {
      await engine.define();
    } catch (error) {
      engine.close();
      throw error;
    }
    return engine;
  }

  private async define(): Promise<void> {
    const { dir, prefix } = this.lake;
    // Athena's session zone is UTC: timestamps read and print in UTC here too.
    await this.connection.run("SET TimeZone = 'UTC'");
    for (const macro of COMPAT_MACROS) await this.connection.run(macro.sql);
    const dataRoot = prefixRoot(prefix);
    const partitions = partitionColumns(this.lake);
    const files = await filesUnder(dir);
    const under = (root: string) => files.some((file) => file.startsWith(root));
    const raw = rawColumns.map((column) => `${identifier(column.jsonKey)} AS ${identifier(column.name)}`);
    const data = under(dataRoot)
      ? `SELECT ${[...raw, ...partitions.map((column) => identifier(column.name))].join(', ')} FROM read_json(${literal(`${dir}/${dataRoot}**/*`)}, format = 'newline_delimited', compression = 'auto_detect', hive_partitioning = true, hive_types_autocast = false, columns = ${jsonColumns(rawColumns)})`
      : emptyOf([...rawColumns, ...partitions]);
    await this.connection.run(`CREATE VIEW ${LAKE_RAW_TABLE} AS ${data}`);
    for (const table of sideTables({ errors: this.lake.errorRoot, quarantine: this.lake.quarantineRoot })) {
      const columns = [...table.columns, { name: '$path', type: 'string' as const }];
      const select = table.columns.map((column) => `${identifier(column.jsonKey)} AS ${identifier(column.name)}`);
      // Athena's "$path" is the object's S3 URL: the same here, from the file's path under the copy.
      const path = `${literal(`s3://${this.lake.bucket}/`)} || substr(filename, ${dir.length + 2}) AS "$path"`;
      const sql = under(table.root)
        ? `SELECT ${[...select, path].join(', ')} FROM read_json(${literal(`${dir}/${table.root}**/*`)}, format = 'newline_delimited', compression = 'auto_detect', filename = true, columns = ${jsonColumns(table.columns)})`
        : emptyOf(columns);
      await this.connection.run(`CREATE VIEW ${identifier(table.name)} AS ${sql}`);
    }
    for (const view of lakeViews(this.lake)) {
      await this.connection.run(`CREATE VIEW ${identifier(view.name)} AS ${view.sql}`);
    }
  }

  /** Runs `sql` (Athena's dialect, through the compatibility macros); the last statement's rows. */
  async query(sql: string): Promise<QueryResult> {
    let reader: Awaited<ReturnType<DuckDBConnection['runAndReadAll']>>;
    try {
      reader = await this.connection.runAndReadAll(sql);
    } catch (error) {
      throw classify(error);
    }
    return { columns: reader.columnNames(), rows: reader.getRows().map((row) => row.map(toQueryValue)) };
  }

  close(): void {
    this.connection.closeSync();
    this.instance.closeSync();
  }
}
