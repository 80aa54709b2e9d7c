/**
 * The lake's tables and views (shared/lake-query/catalog.ts) → Glue Data Catalog resources for
 * `osls package` / `osls deploy` (infra/lake-catalog.cjs feeds them into serverless.yml
 * `resources`), so Athena can query the lake with no DDL, crawler or MSCK REPAIR of the user's:
 * - `lake_events`: an external table over `s3://<bucket>/<dataPrefix>` read by the OpenX JSON
 *   SerDe (one JSON object per line; GZIP objects are read as such, by their `.gz` extension:
 *   https://docs.aws.amazon.com/athena/latest/ug/compression-formats.html), with partition
 *   projection derived from the Firehose prefix, so every partition the transformer can write is
 *   found without being registered:
 *   https://docs.aws.amazon.com/athena/latest/ug/partition-projection-supported-types.html
 * - the views (`events`, then one per source) as Glue tables of type VIRTUAL_VIEW in the encoding
 *   Athena itself writes for `CREATE VIEW`: the Trino view definition, base64 JSON, in
 *   ViewOriginalText.
 * - `quarantine` and `error_outputs`: unpartitioned external tables over the quarantine's and the
 *   Firehose error outputs' roots, for the health report. Athena reads every object under an
 *   unpartitioned table's location, subfolders included (as the non-partitioned table the
 *   CloudTrail console creates over `AWSLogs/…/<region>/<yyyy>/<mm>/<dd>/` does:
 *   https://docs.aws.amazon.com/athena/latest/ug/create-cloudtrail-table-ct.html).
 */
import { PipelineError } from '../errors';
import { encodePartitionValue, layoutKeysOf, OTHER_EVENT_TYPE, parseEventTypes } from '../lake-layout';
import {
  LAKE_RAW_TABLE,
  type LakeColumn,
  type LakeColumnType,
  type LakeSideTable,
  type LakeView,
  lakeViews,
  partitionColumns,
  type RawColumn,
  rawColumns,
  sideTables,
} from './catalog';

type Json = string | number | boolean | null | Json[] | { [key: string]: Json };
export type GlueResource = { Type: string; Properties: Record<string, Json> };

export type GlueCatalogReason =
  | 'UNSUPPORTED_PREFIX'
  | 'PREFIX_OUTSIDE_DATA_PREFIX'
  | 'INVALID_START_DATE'
  | 'INVALID_NAME'
  | 'COMMENT_TOO_LONG'
  | 'NOT_A_PRESTO_VIEW';

export class GlueCatalogError extends PipelineError {
  readonly reason: GlueCatalogReason;
  constructor(reason: GlueCatalogReason, message: string) {
    super(message);
    this.reason = reason;
  }
}

export interface GlueCatalogStack {
  service: string;
  stage: string;
  /** The lake bucket's literal name (custom.names.bucket). */
  bucket: string;
  /** The Firehose prefix (custom.lake.prefix), partition keys as `!{partitionKeyFromLambda:k}`. */
  prefix: string;
  /** Its fixed root (custom.lake.dataPrefix): the table's location. */
  dataPrefix: string;
  /** The Firehose error prefix's fixed root (custom.lake.errorPrefix): error_outputs' location. */
  errorPrefix: string;
  /** The consumer's quarantine prefix (custom.lake.quarantinePrefix): quarantine's location. */
  quarantinePrefix: string;
  /** custom.lake.eventTypes, comma-separated. */
  eventTypes: string;
  /** First day (yyyy-MM-dd, UTC) partition projection lists (custom.lake.startDate). */
  startDate: string;
}

/** Athena's Glue catalog, as Trino view definitions name it. */
export const ATHENA_CATALOG = 'awsdatacatalog';
export const DATABASE_LOGICAL_ID = 'LakeDatabase';
export const RAW_TABLE_LOGICAL_ID = 'LakeEventsTable';
/** The side tables' logical ids: `Lake` + PascalCase of the name + `Table` (`error_outputs` → `LakeErrorOutputsTable`). */
export const sideTableLogicalId = (name: string): string => `Lake${pascalCase(name)}Table`;

export const OPENX_SERDE = 'org.openx.data.jsonserde.JsonSerDe';
export const TEXT_INPUT_FORMAT = 'org.apache.hadoop.mapred.TextInputFormat';
export const TEXT_OUTPUT_FORMAT = 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat';

/** Glue names are lower case (Athena lower-cases them anyway); `-` is not allowed in Athena names. */
export const glueDatabaseName = (service: string, stage: string): string =>
  `${service}_${stage}`.replace(/-/g, '_').toLowerCase();

/** The view's logical id: `LakeView` + PascalCase of its name (`api_calls` → `LakeViewApiCalls`). */
export const viewLogicalId = (name: string): string => `LakeView${pascalCase(name)}`;

function pascalCase(name: string): string {
  return name
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((word) => word.charAt(0).toUpperCase() + word.slice(1))
    .join('');
}

// Column types of the table (Hive DDL names, what Glue stores) and of a view's definition
// (Trino type signatures, what Athena checks the view's query against).
const HIVE_TYPES: Record<LakeColumnType, string> = {
  string: 'string',
  bigint: 'bigint',
  double: 'double',
  boolean: 'boolean',
  timestamp: 'timestamp',
  date: 'date',
};
const TRINO_TYPES: Record<LakeColumnType, string> = {
  string: 'varchar',
  bigint: 'bigint',
  double: 'double',
  boolean: 'boolean',
  // `timestamp` is timestamp(3) in Trino; the views cast to it (a time zone would make the view stale).
  timestamp: 'timestamp',
  date: 'date',
};

// Glue's limits: https://docs.aws.amazon.com/glue/latest/webapi/API_Column.html (Comment ≤ 255).
const NAME = /^[a-z0-9_]{1,255}$/;
const MAX_COMMENT = 255;

const glueName = (name: string, what: string): string => {
  const lower = name.toLowerCase();
  if (!NAME.test(lower)) {
    throw new GlueCatalogError('INVALID_NAME', `${what} "${name}" is not a valid Glue/Athena name ([a-z0-9_])`);
  }
  return lower;
};

const glueColumn = (column: LakeColumn, where: string): Record<string, Json> => {
  if (column.comment.length > MAX_COMMENT) {
    throw new GlueCatalogError(
      'COMMENT_TOO_LONG',
      `${where}.${column.name}: comment of ${column.comment.length} characters, Glue allows ${MAX_COMMENT}`,
    );
  }
  return { Name: glueName(column.name, `${where} column`), Type: HIVE_TYPES[column.type], Comment: column.comment };
};

const KEY_EXPRESSION = /!\{partitionKeyFromLambda:([^}]*)\}/g;

/**
 * The prefix as an Athena `storage.location.template`: each `!{partitionKeyFromLambda:k}`
 * becomes `${k}`, so a projected partition's location is exactly where Firehose wrote it.
 */
export const locationTemplateOf = (bucket: string, prefix: string): string =>
  `s3://${bucket}/${prefix.replace(KEY_EXPRESSION, (_, key: string) => `\${${key}}`)}`;

const checkPrefix = (stack: GlueCatalogStack): void => {
  const other = stack.prefix.replace(KEY_EXPRESSION, '').match(/!\{[^}]*\}/);
  if (other !== null) {
    throw new GlueCatalogError(
      'UNSUPPORTED_PREFIX',
      `custom.lake.prefix uses ${other[0]}: partition projection can only follow partitionKeyFromLambda keys`,
    );
  }
  if (!stack.prefix.endsWith('/')) {
    throw new GlueCatalogError('UNSUPPORTED_PREFIX', 'custom.lake.prefix must end with "/" (one folder per partition)');
  }
  if (!stack.dataPrefix.endsWith('/') || !stack.prefix.startsWith(stack.dataPrefix)) {
    throw new GlueCatalogError(
      'PREFIX_OUTSIDE_DATA_PREFIX',
      `custom.lake.prefix (${stack.prefix}) must start with custom.lake.dataPrefix (${stack.dataPrefix}), ending in "/"`,
    );
  }
};

const checkStartDate = (startDate: string): void => {
  const day = new Date(`${startDate}T00:00:00.000Z`);
  if (
    !/^\d{4}-\d{2}-\d{2}$/.test(startDate) ||
    Number.isNaN(day.getTime()) ||
    !day.toISOString().startsWith(startDate)
  ) {
    throw new GlueCatalogError('INVALID_START_DATE', `lakeStartDate "${startDate}" is not a yyyy-MM-dd date`);
  }
};

const HOURS = Array.from({ length: 24 }, (_, hour) => String(hour).padStart(2, '0'));

/**
 * The projection of each partition key, as the transformer writes its values
 * (shared/lake-layout.ts layoutPartitionKeys):
 * - event_type: the listed types (encoded as the transformer encodes them) and `_other`;
 * - dt: UTC days from the start date to tomorrow (the consumer accepts events up to
 *   MAX_FUTURE_SKEW_SECONDS, at most a day, ahead of their arrival, so "NOW" would hide them);
 * - hour: `00`…`23`;
 * - client_id: unbounded, so `injected`: every Athena query must then fix client_id in its WHERE.
 */
export const projectionParameters = (
  stack: Pick<GlueCatalogStack, 'bucket' | 'prefix' | 'eventTypes' | 'startDate'>,
): Record<string, string> => {
  const parameters: Record<string, string> = { 'projection.enabled': 'true' };
  for (const key of layoutKeysOf(stack.prefix)) {
    if (key === 'event_type') {
      const values = [...parseEventTypes(stack.eventTypes)].map(encodePartitionValue);
      parameters['projection.event_type.type'] = 'enum';
      parameters['projection.event_type.values'] = [...values, OTHER_EVENT_TYPE].join(',');
    } else if (key === 'dt') {
      parameters['projection.dt.type'] = 'date';
      parameters['projection.dt.format'] = 'yyyy-MM-dd';
      parameters['projection.dt.range'] = `${stack.startDate},NOW+1DAYS`;
      parameters['projection.dt.interval'] = '1';
      parameters['projection.dt.interval.unit'] = 'DAYS';
    } else if (key === 'hour') {
      parameters['projection.hour.type'] = 'enum';
      parameters['projection.hour.values'] = HOURS.join(',');
    } else {
      parameters['projection.client_id.type'] = 'injected';
    }
  }
  parameters['storage.location.template'] = locationTemplateOf(stack.bucket, stack.prefix);
  return parameters;
};

/** OpenX maps a column to the JSON key of the same name, case-insensitively; the others need `mapping.<column>`. */
const serdeMappings = (columns: readonly RawColumn[], table: string): Record<string, string> =>
  Object.fromEntries(
    columns
      .filter((column) => column.jsonKey.toLowerCase() !== column.name.toLowerCase())
      .map((column) => [`mapping.${glueName(column.name, table)}`, column.jsonKey]),
  );

/** A table of the lake's database (`TableInput` as Glue's CreateTable takes it). */
const glueTable = (tableInput: Record<string, Json>): GlueResource => ({
  Type: 'AWS::Glue::Table',
  Properties: {
    CatalogId: { Ref: 'AWS::AccountId' },
    DatabaseName: { Ref: DATABASE_LOGICAL_ID },
    TableInput: tableInput,
  },
});

/** Text objects under `location`, one JSON object per line, read by the OpenX SerDe into `columns`. */
const jsonLines = (location: string, columns: readonly RawColumn[], table: string): Record<string, Json> => ({
  Location: location,
  InputFormat: TEXT_INPUT_FORMAT,
  OutputFormat: TEXT_OUTPUT_FORMAT,
  SerdeInfo: {
    SerializationLibrary: OPENX_SERDE,
    // An object read into a string column (`detail`, `origin`) is its JSON text.
    Parameters: { 'case.insensitive': 'TRUE', ...serdeMappings(columns, table) },
  },
  Columns: columns.map((column) => glueColumn(column, table)),
});

const rawTable = (stack: GlueCatalogStack, partitions: readonly LakeColumn[]): GlueResource =>
  glueTable({
    Name: LAKE_RAW_TABLE,
    Description: `The lake's records (GZIP NDJSON under ${stack.dataPrefix}), partitions projected from custom.lake.prefix`,
    TableType: 'EXTERNAL_TABLE',
    Parameters: {
      EXTERNAL: 'TRUE',
      classification: 'json',
      compressionType: 'gzip',
      ...projectionParameters(stack),
    },
    PartitionKeys: partitions.map((column) => glueColumn(column, LAKE_RAW_TABLE)),
    StorageDescriptor: {
      ...jsonLines(`s3://${stack.bucket}/${stack.dataPrefix}`, rawColumns, LAKE_RAW_TABLE),
      Compressed: true,
    },
  });

/**
 * A side table: everything under its root, one JSON object per line, plain (`.json`, the
 * quarantine) or GZIP (`.gz`, the error outputs: Athena decompresses by extension); `"$path"`
 * names each row's object.
 */
const sideTable = (stack: GlueCatalogStack, table: LakeSideTable): GlueResource =>
  glueTable({
    Name: glueName(table.name, 'table'),
    Description: `${table.comment} (everything under ${table.root})`,
    TableType: 'EXTERNAL_TABLE',
    Parameters: { EXTERNAL: 'TRUE', classification: 'json' },
    PartitionKeys: [],
    StorageDescriptor: jsonLines(`s3://${stack.bucket}/${table.root}`, table.columns, table.name),
  });

const checkRoot = (root: string, what: string): void => {
  if (!/^[^/!{}*?][^!{}*?]*\/$/.test(root) || root.includes('//')) {
    throw new GlueCatalogError('UNSUPPORTED_PREFIX', `${what} (${root}) must be a fixed folder ending in "/"`);
  }
};

/** The Trino view definition Athena stores for a view: what `CREATE VIEW` in Athena writes. */
export interface TrinoViewDefinition {
  originalSql: string;
  catalog: string;
  schema: string;
  columns: { name: string; type: string }[];
}

export const PRESTO_VIEW_PREFIX = '/* Presto View: ';
export const PRESTO_VIEW_SUFFIX = ' */';

export const encodePrestoView = (definition: TrinoViewDefinition): string =>
  `${PRESTO_VIEW_PREFIX}${Buffer.from(JSON.stringify(definition), 'utf8').toString('base64')}${PRESTO_VIEW_SUFFIX}`;

/** The inverse of encodePrestoView (tests read the packaged template back with it). */
export const decodePrestoView = (text: string): TrinoViewDefinition => {
  if (!text.startsWith(PRESTO_VIEW_PREFIX) || !text.endsWith(PRESTO_VIEW_SUFFIX)) {
    throw new GlueCatalogError('NOT_A_PRESTO_VIEW', `not a Presto view text: ${text.slice(0, 40)}`);
  }
  const base64 = text.slice(PRESTO_VIEW_PREFIX.length, -PRESTO_VIEW_SUFFIX.length);
  return JSON.parse(Buffer.from(base64, 'base64').toString('utf8')) as TrinoViewDefinition;
};

const viewTable = (view: LakeView, database: string): GlueResource => {
  const name = glueName(view.name, 'view');
  // Athena re-analyses the SQL at each query and calls the view stale unless its columns match
  // these, in number, order, name (case-insensitively) and type.
  const definition: TrinoViewDefinition = {
    originalSql: view.sql,
    catalog: ATHENA_CATALOG,
    schema: database,
    columns: view.columns.map((column) => ({ name: glueName(column.name, name), type: TRINO_TYPES[column.type] })),
  };
  return glueTable({
    Name: name,
    Description: view.comment,
    TableType: 'VIRTUAL_VIEW',
    Parameters: { presto_view: 'true', comment: 'Presto View' },
    ViewOriginalText: encodePrestoView(definition),
    ViewExpandedText: '/* Presto View */',
    PartitionKeys: [],
    StorageDescriptor: { Columns: view.columns.map((column) => glueColumn(column, name)), SerdeInfo: {} },
  });
};

export interface GlueCatalog {
  databaseName: string;
  Resources: Record<string, GlueResource>;
}

/** The database, `lake_events`, the views and the side tables, for this stack and lake layout. */
export const compileGlueCatalog = (stack: GlueCatalogStack): GlueCatalog => {
  checkPrefix(stack);
  checkStartDate(stack.startDate);
  checkRoot(stack.errorPrefix, 'custom.lake.errorPrefix');
  checkRoot(stack.quarantinePrefix, 'custom.lake.quarantinePrefix');
  const databaseName = glueDatabaseName(stack.service, stack.stage);
  const layout = { prefix: stack.prefix };
  const views = lakeViews(layout);
  const Resources: Record<string, GlueResource> = {
    [DATABASE_LOGICAL_ID]: {
      Type: 'AWS::Glue::Database',
      Properties: {
        CatalogId: { Ref: 'AWS::AccountId' },
        DatabaseInput: {
          Name: glueName(databaseName, 'database'),
          Description: `Usage pipeline lake (${stack.service}, stage ${stack.stage}): ${LAKE_RAW_TABLE} and its views`,
        },
      },
    },
    [RAW_TABLE_LOGICAL_ID]: rawTable(stack, partitionColumns(layout)),
  };
  for (const view of views) Resources[viewLogicalId(view.name)] = viewTable(view, databaseName);
  for (const table of sideTables({ errors: stack.errorPrefix, quarantine: stack.quarantinePrefix })) {
    Resources[sideTableLogicalId(table.name)] = sideTable(stack, table);
  }
  return { databaseName, Resources };
};
