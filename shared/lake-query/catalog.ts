import {
  DEFAULT_ERROR_ROOT,
  DEFAULT_LAKE_PREFIX,
  DEFAULT_QUARANTINE_ROOT,
  type LakeLayout,
  layoutKeysOf,
} from '../lake-layout';

/**
 * The tables and views over the lake, defined once for both engines: the Glue tables and Athena
 * views (serverless.yml) and the local DuckDB engine (`npm run query`, infra/local/query/). The
 * view SQL is written in Athena's dialect (Trino); the local engine defines the few functions
 * DuckDB lacks as macros (infra/local/query/compat.ts), so the same text runs on both.
 *
 * Names are lower-case-insensitive in both engines: Glue stores column names in lower case, so
 * Athena prints `receivedat` where DuckDB prints `receivedAt`; a query may write either.
 */

export type LakeColumnType = 'string' | 'bigint' | 'double' | 'boolean' | 'timestamp' | 'date';

export interface LakeColumn {
  name: string;
  type: LakeColumnType;
  comment: string;
}

/** A column of the base table and the top-level JSON key of a lake record it reads. */
export interface RawColumn extends LakeColumn {
  jsonKey: string;
}

export interface LakeView {
  name: string;
  comment: string;
  columns: readonly LakeColumn[];
  sql: string;
}

/** The base table over `<dataPrefix>` (GZIP NDJSON): the raw JSON keys, `detail` as its JSON text. */
export const LAKE_RAW_TABLE = 'lake_events';

/**
 * The top-level keys of a lake record: the canonical event with `clientId` moved into `detail`
 * (shared/transformer/firehose-transform.ts). Times stay the ISO 8601 text they are in the JSON
 * (the `events` view types them), so no SerDe timestamp format is involved.
 */
export const rawColumns: readonly RawColumn[] = [
  { name: 'id', jsonKey: 'id', type: 'string', comment: 'Event id, unique within (clientId, idScope)' },
  { name: 'source', jsonKey: 'source', type: 'string', comment: 'Envelope source (api.calls, usage.meters, …)' },
  { name: 'detail_type', jsonKey: 'detail-type', type: 'string', comment: 'Envelope detail-type' },
  { name: 'time', jsonKey: 'time', type: 'string', comment: 'Event time, ISO 8601 UTC with milliseconds' },
  {
    name: 'receivedAt',
    jsonKey: 'receivedAt',
    type: 'string',
    comment: 'When the record reached the stream, ISO 8601 UTC',
  },
  {
    name: 'idScope',
    jsonKey: 'idScope',
    type: 'string',
    comment: 'Where id is unique: the source adapter, http-api/ prefixed for the HTTP API',
  },
  { name: 'environment', jsonKey: 'environment', type: 'string', comment: 'Stage that wrote the event' },
  { name: 'envelopeVersion', jsonKey: 'envelopeVersion', type: 'string', comment: 'Version of the envelope' },
  { name: 'detail', jsonKey: 'detail', type: 'string', comment: 'The event detail as JSON text (clientId included)' },
];

const PARTITION_COMMENTS: Record<string, string> = {
  client_id: 'Partition: the client id, made S3- and Hive-safe (shared/lake-layout.ts encodePartitionValue)',
  event_type: 'Partition: the event type when listed in custom.lake.eventTypes, else _other',
  dt: 'Partition: UTC day of the event time, YYYY-MM-DD',
  hour: 'Partition: UTC hour of the event time, HH',
};

/** The partition columns, in the order the prefix names them; all strings (Hive partition values). */
export const partitionColumns = (layout: Pick<LakeLayout, 'prefix'>): readonly LakeColumn[] =>
  layoutKeysOf(layout.prefix).map((key) => ({ name: key, type: 'string', comment: PARTITION_COMMENTS[key] ?? key }));

// Trino's functions throughout: json_extract_scalar (a scalar's text, NULL when absent),
// json_format(json_extract(…)) (a sub-object's JSON text), from_iso8601_timestamp. `AT TIME ZONE
// 'UTC'` before the cast so a time sent with an offset (an API call's request.time) reads in UTC;
// TRY_CAST for numbers, so one odd value is a NULL rather than a failed query.
const text = (path: string) => `json_extract_scalar(detail, '${path}')`;
const json = (path: string) => `json_format(json_extract(detail, '${path}'))`;
const utc = (expression: string) => `CAST(from_iso8601_timestamp(${expression}) AT TIME ZONE 'UTC' AS timestamp)`;
/** A producer's own time in detail: NULL, not a failed query, when it is not ISO 8601. */
const producerTime = (path: string) => `try(${utc(text(path))})`;
const number = (path: string, type: 'double' | 'bigint') => `TRY_CAST(${text(path)} AS ${type})`;

interface ViewColumn extends LakeColumn {
  /** The SELECT expression; the column name when absent. */
  sql?: string;
}

const view = (
  name: string,
  comment: string,
  from: string,
  columns: readonly ViewColumn[],
  where?: string,
): LakeView => ({
  name,
  comment,
  columns: columns.map(({ name: column, type, comment: about }) => ({ name: column, type, comment: about })),
  sql:
    `SELECT\n${columns.map((column) => `  ${column.sql === undefined ? `"${column.name}"` : `${column.sql} AS "${column.name}"`}`).join(',\n')}\n` +
    `FROM ${from}${where === undefined ? '' : `\nWHERE ${where}`}`,
});

/** One adapter's events, over either channel (`usage-meter`, `http-api/usage-meter`). */
const fromAdapter = (adapter: string) => `"idScope" IN ('${adapter}', 'http-api/${adapter}')`;

/**
 * `events` first (every event, clientId and eventType as columns), then one view per source with
 * its fields typed. The per-source views carry the partition columns too, so `dt` predicates on
 * them prune partitions on Athena.
 */
export const lakeViews = (layout: Pick<LakeLayout, 'prefix'>): readonly LakeView[] => {
  const partitions: ViewColumn[] = [...partitionColumns(layout)];
  const common = (clientId: string): ViewColumn[] => [
    { name: 'id', type: 'string', comment: 'Event id' },
    { name: 'clientId', type: 'string', comment: clientId },
    { name: 'time', type: 'timestamp', comment: 'Event time (UTC)' },
    { name: 'receivedAt', type: 'timestamp', comment: 'When the record reached the stream (UTC)' },
    { name: 'idScope', type: 'string', comment: 'The adapter and channel (http-api/ prefix) that read it' },
  ];
  return [
    view(
      'events',
      'Every event in the lake: the envelope, clientId and eventType as columns, detail as JSON text',
      LAKE_RAW_TABLE,
      [
        { name: 'id', type: 'string', comment: 'Event id, unique within (clientId, idScope)' },
        { name: 'source', type: 'string', comment: 'Envelope source' },
        { name: 'detail_type', type: 'string', comment: 'Envelope detail-type' },
        { name: 'time', type: 'timestamp', comment: 'Event time (UTC)', sql: utc('"time"') },
        {
          name: 'receivedAt',
          type: 'timestamp',
          comment: 'When the record reached the stream (UTC)',
          sql: utc('"receivedAt"'),
        },
        {
          name: 'clientId',
          type: 'string',
          comment: "The event's client id (detail.clientId)",
          sql: text('$.clientId'),
        },
        {
          name: 'eventType',
          type: 'string',
          comment: 'detail.eventType, else detail-type (the real type, also under event_type=_other)',
          sql: `COALESCE(NULLIF(${text('$.eventType')}, ''), detail_type)`,
        },
        { name: 'detail', type: 'string', comment: 'The detail as JSON text' },
        { name: 'idScope', type: 'string', comment: 'Where id is unique: the adapter, http-api/ prefixed' },
        { name: 'environment', type: 'string', comment: 'Stage that wrote the event' },
        { name: 'envelopeVersion', type: 'string', comment: 'Version of the envelope' },
        ...partitions,
      ],
    ),
    view(
      'api_calls',
      'API calls captured by the apiCallCapture middleware (source api.calls)',
      'events',
      [
        ...common('The client (company_id, else the capture default)'),
        { name: 'verb', type: 'string', comment: 'HTTP method', sql: text('$.request.verb') },
        { name: 'uri', type: 'string', comment: 'Request URI as captured', sql: text('$.request.uri') },
        {
          name: 'path',
          type: 'string',
          comment: 'The URI path, without scheme, host and query',
          sql: `regexp_extract(${text('$.request.uri')}, '^(?:[A-Za-z][A-Za-z0-9+.-]*://[^/?#]*)?([^?#]*)', 1)`,
        },
        {
          name: 'route',
          type: 'string',
          comment: 'verb and path, e.g. GET /orders/42',
          sql: `concat(${text('$.request.verb')}, ' ', regexp_extract(${text('$.request.uri')}, '^(?:[A-Za-z][A-Za-z0-9+.-]*://[^/?#]*)?([^?#]*)', 1))`,
        },
        { name: 'status', type: 'bigint', comment: 'Response status', sql: number('$.response.status', 'bigint') },
        { name: 'duration_ms', type: 'double', comment: 'Latency in ms', sql: number('$.duration_ms', 'double') },
        { name: 'request_time', type: 'timestamp', comment: 'Request time (UTC)', sql: producerTime('$.request.time') },
        {
          name: 'response_time',
          type: 'timestamp',
          comment: 'Response time (UTC)',
          sql: producerTime('$.response.time'),
        },
        { name: 'ip_address', type: 'string', comment: 'Client IP', sql: text('$.request.ip_address') },
        { name: 'user_id', type: 'string', comment: 'User id', sql: text('$.user_id') },
        { name: 'company_id', type: 'string', comment: 'Company id', sql: text('$.company_id') },
        { name: 'api_version', type: 'string', comment: 'API version', sql: text('$.api_version') },
        { name: 'request_id', type: 'string', comment: 'Request id', sql: text('$.request_id') },
        { name: 'direction', type: 'string', comment: 'incoming or outgoing', sql: text('$.direction') },
        { name: 'weight', type: 'bigint', comment: 'Sampling weight', sql: number('$.weight', 'bigint') },
        { name: 'transaction_id', type: 'string', comment: 'Transaction id', sql: text('$.transaction_id') },
        { name: 'metadata', type: 'string', comment: 'metadata as JSON text', sql: json('$.metadata') },
        ...partitions,
      ],
      fromAdapter('api-call'),
    ),
    view(
      'product_actions',
      'Product actions (Moesif Actions API shape, source product.actions)',
      'events',
      [
        ...common('The company (company_id)'),
        { name: 'company_id', type: 'string', comment: 'The company (= clientId)', sql: '"clientId"' },
        { name: 'action_name', type: 'string', comment: 'The action (= eventType)', sql: '"eventType"' },
        { name: 'user_id', type: 'string', comment: 'User id', sql: text('$.user_id') },
        { name: 'transaction_id', type: 'string', comment: 'Transaction id (UUID)', sql: text('$.transaction_id') },
        { name: 'session_token', type: 'string', comment: 'Session token', sql: text('$.session_token') },
        { name: 'subscription_id', type: 'string', comment: 'Subscription id', sql: text('$.subscription_id') },
        { name: 'uri', type: 'string', comment: 'request.uri', sql: text('$.request.uri') },
        { name: 'ip_address', type: 'string', comment: 'request.ip_address', sql: text('$.request.ip_address') },
        {
          name: 'user_agent_string',
          type: 'string',
          comment: 'request.user_agent_string',
          sql: text('$.request.user_agent_string'),
        },
        { name: 'metadata', type: 'string', comment: 'metadata as JSON text', sql: json('$.metadata') },
        ...partitions,
      ],
      fromAdapter('product-action'),
    ),
    view(
      'usage_meters',
      'Usage meters (source usage.meters): one row per usage, value as a double',
      'events',
      [
        ...common('The customer (customerId)'),
        { name: 'customerId', type: 'string', comment: 'The customer (= clientId)', sql: '"clientId"' },
        { name: 'meterApiName', type: 'string', comment: 'The meter', sql: text('$.meterApiName') },
        { name: 'meterValue', type: 'double', comment: 'The value', sql: number('$.meterValue', 'double') },
        {
          name: 'meterTimeInMillis',
          type: 'bigint',
          comment: 'Event time, epoch ms',
          sql: number('$.meterTimeInMillis', 'bigint'),
        },
        { name: 'uniqueId', type: 'string', comment: "The producer's id, when sent", sql: text('$.uniqueId') },
        { name: 'dimensions', type: 'string', comment: 'dimensions as JSON text', sql: json('$.dimensions') },
        ...partitions,
      ],
      fromAdapter('usage-meter'),
    ),
    view(
      'client_events',
      'Client events from the HTTP ingest API (source client.events)',
      'events',
      [
        ...common("The authorizer's client"),
        { name: 'eventType', type: 'string', comment: 'entry.eventType' },
        {
          name: 'schemaVersion',
          type: 'string',
          comment: "The producer's schema version",
          sql: text('$.schemaVersion'),
        },
        { name: 'data', type: 'string', comment: 'entry.data as JSON text', sql: json('$.data') },
        ...partitions,
      ],
      fromAdapter('client-event'),
    ),
  ];
};

/** The views for the default layout (`events/event_type=…/dt=…/`); use lakeViews(layout) for the configured one. */
export const LAKE_VIEWS: readonly LakeView[] = lakeViews({ prefix: DEFAULT_LAKE_PREFIX });

/**
 * A table over one of the bucket's other roots, for the health report, in Glue (Athena) and
 * locally: one JSON object per line (a quarantine object holds one; a Firehose error object one per
 * failed record). Not partitioned: these stay small next to the lake, and their paths are not
 * Hive-style; a query reads all of the root.
 */
export interface LakeSideTable {
  name: string;
  comment: string;
  /** The key prefix the table reads, everything under it. */
  root: string;
  columns: readonly RawColumn[];
}

export const QUARANTINE_TABLE = 'quarantine';
export const ERROR_OUTPUTS_TABLE = 'error_outputs';

/**
 * The quarantine (`quarantine/<REASON>/yyyy/mm/dd/…json`, written by the consumer) and the Firehose
 * error outputs (`<errorPrefix><error-output-type>/year=…/…gz`). The error output type is in the
 * key only: read it from Athena's `"$path"` (`s3://<bucket>/<key>`), which the local engine gives
 * these tables too.
 */
export const sideTables = (roots: { quarantine?: string; errors?: string } = {}): readonly LakeSideTable[] => [
  {
    name: QUARANTINE_TABLE,
    comment: 'Records the consumer quarantined, one per object, with the reason and the raw bytes',
    root: roots.quarantine ?? DEFAULT_QUARANTINE_ROOT,
    columns: [
      { name: 'reason', jsonKey: 'reason', type: 'string', comment: 'The reason code (README, Quarantine)' },
      { name: 'message', jsonKey: 'message', type: 'string', comment: 'What was wrong' },
      { name: 'quarantinedAt', jsonKey: 'quarantinedAt', type: 'string', comment: 'When, ISO 8601 UTC' },
      {
        name: 'origin',
        jsonKey: 'origin',
        type: 'string',
        comment: 'Where it came from (shard, sequence) as JSON text',
      },
      { name: 'dataText', jsonKey: 'dataText', type: 'string', comment: 'The raw record, when it is UTF-8' },
      { name: 'dataBase64', jsonKey: 'dataBase64', type: 'string', comment: 'The raw record, base64' },
    ],
  },
  {
    name: ERROR_OUTPUTS_TABLE,
    comment: 'Records Firehose wrote to its error outputs (processing-failed, partitioning-failed)',
    root: roots.errors ?? DEFAULT_ERROR_ROOT,
    columns: [
      { name: 'attemptsMade', jsonKey: 'attemptsMade', type: 'bigint', comment: 'Attempts' },
      { name: 'arrivalTimestamp', jsonKey: 'arrivalTimestamp', type: 'bigint', comment: 'Firehose arrival, epoch ms' },
      { name: 'errorCode', jsonKey: 'errorCode', type: 'string', comment: 'Firehose error code' },
      { name: 'errorMessage', jsonKey: 'errorMessage', type: 'string', comment: 'Firehose error message' },
      {
        name: 'attemptEndingTimestamp',
        jsonKey: 'attemptEndingTimestamp',
        type: 'bigint',
        comment: 'Last attempt, epoch ms',
      },
      { name: 'rawData', jsonKey: 'rawData', type: 'string', comment: 'The record as put, base64' },
      { name: 'lambdaArn', jsonKey: 'lambdaArn', type: 'string', comment: 'The processor (processing-failed only)' },
    ],
  },
];
