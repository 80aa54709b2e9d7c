// The lake's Glue catalog and Athena workgroup in the packaged template (`osls package`,
// test/helpers/packaged-template.ts; infra/lake-catalog.cjs, infra/athena.yml), checked against
// what the transformer really writes: every record a pipeline run lands (consumer normalization,
// then the transformer, with the layout and event types the template gives the transformer) is
// at a key the table's partition projection generates, with values in the projected ranges, and
// its JSON keys are the table's columns. Other layouts (hour, client_id) are checked on the
// generator itself, as serverless.yml's custom.lake.prefix is not a parameter.
//
// AWS behaviour pinned here:
// - partition projection types (enum, date with format/range/interval, injected) and
//   `storage.location.template`: https://docs.aws.amazon.com/athena/latest/ug/partition-projection-supported-types.html
//   and https://docs.aws.amazon.com/athena/latest/ug/partition-projection-setting-up.html
//   (`NOW+1DAYS`: the range's relative-date pattern `NOW[+-]<n>(YEARS?|MONTHS?|WEEKS?|DAYS?|…)`);
// - the OpenX JSON SerDe (`mapping.<column>` for a JSON key that is not a column name, keys matched
//   case-insensitively by default, an object read into a string column as its JSON text):
//   https://docs.aws.amazon.com/athena/latest/ug/openx-json-serde.html and Trino's reader,
//   trinodb/trino lib/trino-hive-formats/.../line/openxjson/OpenXJsonDeserializer.java (VarcharDecoder);
// - GZIP text objects read by their `.gz` extension: https://docs.aws.amazon.com/athena/latest/ug/compression-formats.html
// - a view is a VIRTUAL_VIEW Glue table whose ViewOriginalText is `/* Presto View: <base64 JSON> */`
//   (ViewOriginalText: https://docs.aws.amazon.com/glue/latest/webapi/API_TableInput.html);
// - workgroup settings: https://docs.aws.amazon.com/athena/latest/ug/workgroups-settings.html
//   (BytesScannedCutoffPerQuery ≥ 10,000,000: https://docs.aws.amazon.com/athena/latest/APIReference/API_WorkGroupConfiguration.html).

import { errorRecordLine, PROCESSING_FAILED_STATUS } from '../../../infra/local/firehose/error-records';
import {
  encodePartitionValue,
  evaluateLayoutPrefix,
  type LakeLayout,
  layoutKeysOf,
  loadLakeLayout,
  OTHER_EVENT_TYPE,
  prefixRoot,
} from '../../../shared/lake-layout';
import { LAKE_RAW_TABLE, lakeViews, rawColumns, sideTables } from '../../../shared/lake-query/catalog';
import {
  compileGlueCatalog,
  decodePrestoView,
  GlueCatalogError,
  type GlueCatalogStack,
  type GlueResource,
} from '../../../shared/lake-query/glue-catalog';
import { REPORT_NAMES, reportSql } from '../../../shared/lake-query/reports';
import { quarantineBody } from '../../../shared/quarantine/quarantine';
import { transformRecord } from '../../../shared/transformer/firehose-transform';
import { resolveTemplate } from '../../helpers/cfn-resolve';
import {
  ARRIVAL_SECONDS,
  clientEventRecordPayload,
  eventBridgeEnvelope,
  normalizePayload,
  productAction,
  usageMeter,
} from '../../helpers/factories';
import {
  type CfnResource,
  type CfnTemplate,
  CONFIGURED_PARAMS,
  LAKE_KEY_ARN,
  packagedTemplate,
} from '../../helpers/packaged-template';

interface GlueColumn {
  Name: string;
  Type: string;
  Comment?: string;
}
interface TableInput {
  Name: string;
  TableType: string;
  Parameters: Record<string, string>;
  PartitionKeys: GlueColumn[];
  StorageDescriptor: {
    Location?: string;
    InputFormat?: string;
    OutputFormat?: string;
    Compressed?: boolean;
    SerdeInfo: { SerializationLibrary?: string; Parameters?: Record<string, string> };
    Columns: GlueColumn[];
  };
  ViewOriginalText?: string;
  ViewExpandedText?: string;
}
interface Statement {
  Sid?: string;
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: Record<string, Record<string, unknown>>;
}

let byDefault: CfnTemplate;
let configured: CfnTemplate;

beforeAll(async () => {
  const [plain, withParams] = await Promise.all([packagedTemplate(), packagedTemplate({ params: CONFIGURED_PARAMS })]);
  byDefault = resolveTemplate(plain);
  configured = resolveTemplate(withParams);
}, 180_000);

const resource = (template: CfnTemplate | { Resources: Record<string, GlueResource> }, id: string, type: string) => {
  const found = template.Resources[id];
  expect(found?.Type).toBe(type);
  return (found as CfnResource).Properties ?? {};
};
const tableInput = (template: CfnTemplate | { Resources: Record<string, GlueResource> }, id: string): TableInput =>
  resource(template, id, 'AWS::Glue::Table').TableInput as TableInput;
const list = <T>(value: T | T[] | undefined): T[] =>
  value === undefined ? [] : Array.isArray(value) ? value : [value];

/** What the template gives the transformer: the layout it partitions by, and the lake bucket. */
const deployed = (template: CfnTemplate) => {
  const transformer = resource(template, 'FirehoseTransformerLambdaFunction', 'AWS::Lambda::Function') as {
    Environment: { Variables: Record<string, string> };
  };
  const destination = resource(template, 'DeliveryStream', 'AWS::KinesisFirehose::DeliveryStream')
    .ExtendedS3DestinationConfiguration as { Prefix: string; ErrorOutputPrefix: string; CompressionFormat: string };
  const consumer = resource(template, 'KinesisConsumerLambdaFunction', 'AWS::Lambda::Function') as {
    Environment: { Variables: Record<string, string> };
  };
  const bucket = resource(template, 'LakeBucket', 'AWS::S3::Bucket').BucketName as string;
  return {
    env: transformer.Environment.Variables,
    consumerEnv: consumer.Environment.Variables,
    layout: loadLakeLayout(transformer.Environment.Variables),
    destination,
    bucket,
  };
};

// --- Athena's partition projection, evaluated the way Athena evaluates it -----------------------

const DAY_MS = 86_400_000;
/** Projected values of one partition column, or `undefined` for an injected one (any value the query gives). */
const projectedValues = (parameters: Record<string, string>, column: string, now: number): string[] | undefined => {
  const type = parameters[`projection.${column}.type`];
  if (type === 'enum') return (parameters[`projection.${column}.values`] ?? '').split(',');
  if (type === 'injected') return undefined;
  expect(type).toBe('date');
  expect(parameters[`projection.${column}.format`]).toBe('yyyy-MM-dd');
  expect(parameters[`projection.${column}.interval`]).toBe('1');
  expect(parameters[`projection.${column}.interval.unit`]).toBe('DAYS');
  const [start, end] = (parameters[`projection.${column}.range`] ?? '').split(',') as [string, string];
  const relative = /^NOW(?:\+(\d+)DAYS)?$/.exec(end);
  expect(relative).not.toBeNull();
  const last = now + Number(relative?.[1] ?? 0) * DAY_MS;
  const days: string[] = [];
  for (let day = Date.parse(`${start}T00:00:00.000Z`); day <= last; day += DAY_MS) {
    days.push(new Date(day).toISOString().slice(0, 10));
  }
  return days;
};
/** The S3 location Athena reads for one projected partition. */
const projectedLocation = (parameters: Record<string, string>, values: Record<string, string>): string =>
  (parameters['storage.location.template'] ?? '').replace(/\$\{([^}]+)\}/g, (_, column: string) => {
    expect(values[column]).toBeDefined();
    return values[column] as string;
  });

/** Lake records as a pipeline run writes them: each source's shape, through the consumer, then the transformer. */
const landedRecords = (layout: LakeLayout, extraTypes: string[] = []) => {
  const payloads: unknown[] = [
    usageMeter(),
    productAction(),
    clientEventRecordPayload(),
    eventBridgeEnvelope({ detail: { eventType: 'searching', data: {} } }),
    // A type the layout does not list goes to _other; one that needs encoding keeps its own partition.
    clientEventRecordPayload({ id: 'unlisted', entry: { eventType: 'never_listed_type' } }),
    ...extraTypes.map((eventType, index) => clientEventRecordPayload({ id: `extra-${index}`, entry: { eventType } })),
  ];
  return payloads.map((payload) => {
    const { event } = normalizePayload(payload);
    const outcome = transformRecord(Buffer.from(JSON.stringify(event)), layout, ARRIVAL_SECONDS * 1000);
    if (outcome.result !== 'Ok') throw new Error(`not transformed: ${JSON.stringify(outcome)}`);
    return outcome;
  });
};

/** Every landed record sits where the projection looks, with partition values inside the projected ranges. */
const expectProjectionCovers = (table: TableInput, bucket: string, layout: LakeLayout, extraTypes: string[] = []) => {
  const now = ARRIVAL_SECONDS * 1000;
  for (const { partitionKeys } of landedRecords(layout, extraTypes)) {
    const values = partitionKeys as Record<string, string>;
    for (const key of layout.keys) {
      const domain = projectedValues(table.Parameters, key, now);
      if (domain !== undefined)
        expect({ key, value: values[key], inDomain: domain.includes(values[key] ?? '') }).toEqual({
          key,
          value: values[key],
          inDomain: true,
        });
    }
    expect(projectedLocation(table.Parameters, values)).toBe(
      `s3://${bucket}/${evaluateLayoutPrefix(layout.prefix, partitionKeys)}`,
    );
  }
};

describe('lake_events (the base table)', () => {
  it('is partitioned by the keys the transformer writes, in the Firehose prefix order', () => {
    const { layout, destination, env } = deployed(byDefault);
    const table = tableInput(byDefault, 'LakeEventsTable');

    expect(env.LAKE_PREFIX).toBe(destination.Prefix);
    expect(table.Name).toBe(LAKE_RAW_TABLE);
    expect(table.TableType).toBe('EXTERNAL_TABLE');
    expect(table.PartitionKeys.map((column) => column.Name)).toEqual(layoutKeysOf(destination.Prefix));
    expect(table.PartitionKeys.map((column) => column.Name)).toEqual(layout.keys);
    expect(new Set(table.PartitionKeys.map((column) => column.Type))).toEqual(new Set(['string']));
  });

  it('projects every partition: the listed event types (as encoded) plus _other, and UTC days from the start date to tomorrow', () => {
    const { layout } = deployed(byDefault);
    const { Parameters } = tableInput(byDefault, 'LakeEventsTable');

    expect(Parameters['projection.enabled']).toBe('true');
    expect(Parameters['projection.event_type.type']).toBe('enum');
    expect(Parameters['projection.event_type.values']?.split(',')).toEqual([
      ...[...layout.eventTypes].map(encodePartitionValue),
      OTHER_EVENT_TYPE,
    ]);
    expect(Parameters).toEqual(
      expect.objectContaining({
        'projection.dt.type': 'date',
        'projection.dt.format': 'yyyy-MM-dd',
        'projection.dt.range': '2026-01-01,NOW+1DAYS',
        'projection.dt.interval': '1',
        'projection.dt.interval.unit': 'DAYS',
      }),
    );
    // Only the layout's keys are projected (Athena fails a query on a column without a projection).
    const projected = new Set(
      Object.keys(Parameters).flatMap((key) => /^projection\.(.+)\.type$/.exec(key)?.[1] ?? []),
    );
    expect(projected).toEqual(new Set(layout.keys));
  });

  it(`reads the Firehose prefix's folders: storage.location.template is the prefix with \${key} for each key`, () => {
    const { destination, bucket } = deployed(byDefault);
    const table = tableInput(byDefault, 'LakeEventsTable');

    expect(table.Parameters['storage.location.template']).toBe(
      `s3://${bucket}/${destination.Prefix.replace(/!\{partitionKeyFromLambda:([a-z_]+)\}/g, (_, key: string) => `\${${key}}`)}`,
    );
    expect(table.Parameters['storage.location.template']).toBe(
      `s3://${bucket}/events/event_type=\${event_type}/dt=\${dt}/`,
    );
    expect(table.StorageDescriptor.Location).toBe(`s3://${bucket}/${prefixRoot(destination.Prefix)}`);
  });

  it('finds every record a pipeline run lands, at a projected location with projected values', () => {
    const { layout, bucket } = deployed(byDefault);
    expectProjectionCovers(tableInput(byDefault, 'LakeEventsTable'), bucket, layout);
  });

  it('reads GZIP NDJSON with the OpenX JSON SerDe, detail-type mapped and every key of a landed record a column', () => {
    const { layout, destination } = deployed(byDefault);
    const { StorageDescriptor: storage, Parameters } = tableInput(byDefault, 'LakeEventsTable');

    expect(destination.CompressionFormat).toBe('GZIP');
    expect(Parameters.compressionType).toBe('gzip');
    expect(storage.Compressed).toBe(true);
    expect(storage.InputFormat).toBe('org.apache.hadoop.mapred.TextInputFormat');
    expect(storage.OutputFormat).toBe('org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat');
    expect(storage.SerdeInfo.SerializationLibrary).toBe('org.openx.data.jsonserde.JsonSerDe');
    expect(storage.SerdeInfo.Parameters).toEqual({ 'case.insensitive': 'TRUE', 'mapping.detail_type': 'detail-type' });
    expect(storage.Columns.map((column) => column.Name)).toEqual(rawColumns.map((column) => column.name.toLowerCase()));

    // The JSON key OpenX reads for a column: its mapping, else the column name, case-insensitively.
    const keyOf = (column: string) => (storage.SerdeInfo.Parameters?.[`mapping.${column}`] ?? column).toLowerCase();
    const columnKeys = new Set(storage.Columns.map((column) => keyOf(column.Name)));
    for (const { data } of landedRecords(layout)) {
      const text = data.toString('utf8');
      expect(text.indexOf('\n')).toBe(text.length - 1);
      const record = JSON.parse(text) as Record<string, unknown>;
      expect(Object.keys(record).filter((key) => !columnKeys.has(key.toLowerCase()))).toEqual([]);
      for (const column of storage.Columns)
        expect(Object.keys(record).map((k) => k.toLowerCase())).toContain(keyOf(column.Name));
      // `detail` is an object in the JSON; OpenX gives a string column an object's JSON text.
      expect(storage.Columns.find((column) => column.Name === 'detail')?.Type).toBe('string');
      expect(typeof record.detail).toBe('object');
    }
  });

  it('lives in the stage’s database, named without dashes', () => {
    expect(resource(byDefault, 'LakeDatabase', 'AWS::Glue::Database').DatabaseInput).toEqual(
      expect.objectContaining({ Name: 'usage_pipeline_test' }),
    );
    expect(resource(byDefault, 'LakeEventsTable', 'AWS::Glue::Table').DatabaseName).toEqual({ Ref: 'LakeDatabase' });
    expect(byDefault.Outputs?.LakeDatabaseName?.Value).toEqual({ Ref: 'LakeDatabase' });
  });
});

describe('views', () => {
  it('are Presto views whose definitions decode to the SQL and columns of shared/lake-query/catalog.ts', () => {
    const { layout } = deployed(byDefault);
    const views = lakeViews(layout);
    const glueViews = Object.entries(byDefault.Resources).filter(
      ([, r]) =>
        r.Type === 'AWS::Glue::Table' &&
        (r.Properties?.TableInput as TableInput | undefined)?.TableType === 'VIRTUAL_VIEW',
    );
    expect(glueViews.map(([, r]) => (r.Properties?.TableInput as TableInput | undefined)?.Name)).toEqual(
      views.map((v) => v.name),
    );
    const trino = {
      string: 'varchar',
      bigint: 'bigint',
      double: 'double',
      boolean: 'boolean',
      timestamp: 'timestamp',
      date: 'date',
    };

    for (const [[, glue], view] of glueViews.map((entry, index) => [entry, views[index]] as const)) {
      const input = glue.Properties?.TableInput as TableInput;
      expect(glue.Properties?.DatabaseName).toEqual({ Ref: 'LakeDatabase' });
      expect(input.Parameters).toEqual({ presto_view: 'true', comment: 'Presto View' });
      expect(input.ViewExpandedText).toBe('/* Presto View */');
      expect(input.ViewOriginalText).toMatch(/^\/\* Presto View: [A-Za-z0-9+/=]+ \*\/$/);
      expect(decodePrestoView(input.ViewOriginalText ?? '')).toEqual({
        originalSql: view?.sql,
        catalog: 'awsdatacatalog',
        schema: 'usage_pipeline_test',
        columns: view?.columns.map((column) => ({ name: column.name.toLowerCase(), type: trino[column.type] })),
      });
      expect(input.StorageDescriptor.Columns.map(({ Name, Type }) => ({ Name, Type }))).toEqual(
        view?.columns.map((column) => ({ Name: column.name.toLowerCase(), Type: column.type })),
      );
    }
  });

  it('start with events, with clientId and eventType as columns and the partition columns last', () => {
    const events = decodePrestoView(tableInput(byDefault, 'LakeViewEvents').ViewOriginalText ?? '');
    const names = events.columns.map((column) => column.name);
    expect(names).toEqual(
      expect.arrayContaining(['id', 'source', 'detail_type', 'time', 'receivedat', 'clientid', 'eventtype', 'detail']),
    );
    expect(names.slice(-2)).toEqual(['event_type', 'dt']);
    expect(events.originalSql).toMatch(new RegExp(`FROM ${LAKE_RAW_TABLE}\\b`));
    for (const id of ['LakeViewApiCalls', 'LakeViewProductActions', 'LakeViewUsageMeters', 'LakeViewClientEvents']) {
      expect(decodePrestoView(tableInput(byDefault, id).ViewOriginalText ?? '').originalSql).toMatch(/FROM events\b/);
    }
  });
});

describe('quarantine and error_outputs (the tables of the health report)', () => {
  const ORIGIN = {
    shardId: 'shardId-000000000000',
    partitionKey: 'acme',
    sequenceNumber: '49590338271490256608559692538361571095921575989136588898',
    approximateArrivalTimestamp: '2026-03-01T10:00:00.000Z',
  };
  /** The JSON key OpenX reads for each column: its mapping, else the column name, case-insensitively. */
  const columnKeys = (table: TableInput) =>
    new Set(
      table.StorageDescriptor.Columns.map((column) =>
        (table.StorageDescriptor.SerdeInfo.Parameters?.[`mapping.${column.Name}`] ?? column.Name).toLowerCase(),
      ),
    );
  /** A line's keys that no column reads: none, or Athena would silently drop them. */
  const unread = (line: string, table: TableInput) => {
    expect(line.indexOf('\n')).toBe(line.length - 1);
    return Object.keys(JSON.parse(line) as object).filter((key) => !columnKeys(table).has(key.toLowerCase()));
  };

  it('quarantine reads, unpartitioned, everything under the prefix the consumer quarantines to, every key a column', () => {
    const { bucket, consumerEnv } = deployed(byDefault);
    const table = tableInput(byDefault, 'LakeQuarantineTable');

    expect(table.Name).toBe('quarantine');
    expect(table.TableType).toBe('EXTERNAL_TABLE');
    expect(table.PartitionKeys).toEqual([]);
    expect(consumerEnv.QUARANTINE_PREFIX).toBe('quarantine/');
    expect(table.StorageDescriptor.Location).toBe(`s3://${bucket}/${consumerEnv.QUARANTINE_PREFIX}`);
    expect(table.StorageDescriptor.SerdeInfo.SerializationLibrary).toBe('org.openx.data.jsonserde.JsonSerDe');
    expect(table.StorageDescriptor.Columns.map((column) => column.Name)).toEqual(
      sideTables()
        .find((side) => side.name === 'quarantine')
        ?.columns.map((column) => column.name.toLowerCase()),
    );
    // Both shapes of body: UTF-8 data (dataText kept) and bytes that are not.
    for (const data of [Buffer.from('{"not":"an event"'), Buffer.from([0xff, 0xfe, 0x00])]) {
      const line = quarantineBody(
        { reason: 'MALFORMED_JSON', message: 'not JSON', origin: ORIGIN, data },
        '2026-03-01T10:00:01.000Z',
      );
      expect(unread(line, table)).toEqual([]);
    }
    expect(table.StorageDescriptor.Columns.find((column) => column.Name === 'origin')?.Type).toBe('string');
  });

  it('error_outputs reads everything under the Firehose error prefix, GZIP by extension, every key of an error record a column', () => {
    const { bucket, destination } = deployed(byDefault);
    const table = tableInput(byDefault, 'LakeErrorOutputsTable');

    expect(table.Name).toBe('error_outputs');
    expect(table.PartitionKeys).toEqual([]);
    expect(table.StorageDescriptor.Location).toBe(`s3://${bucket}/${prefixRoot(destination.ErrorOutputPrefix)}`);
    expect(destination.ErrorOutputPrefix.startsWith('errors/!{firehose:error-output-type}/')).toBe(true);
    // Athena picks the codec by the object's extension (.gz); the table does not fix one.
    expect(table.Parameters.compressionType).toBeUndefined();
    for (const lambdaArn of ['arn:aws:lambda:us-east-1:123456789012:function:transformer', undefined]) {
      const line = errorRecordLine({
        attemptsMade: 4,
        arrivalTimestamp: 1_772_359_200_000,
        failure: PROCESSING_FAILED_STATUS,
        attemptEndingTimestamp: 1_772_359_260_000,
        rawData: Buffer.from('{}'),
        ...(lambdaArn !== undefined && { lambdaArn }),
      }).toString('utf8');
      expect(unread(line, table)).toEqual([]);
    }
  });

  it('every table and view a report reads is in the database, so each report runs on Athena', () => {
    const names = new Set(
      Object.values(byDefault.Resources)
        .filter((r) => r.Type === 'AWS::Glue::Table')
        .map((r) => (r.Properties?.TableInput as TableInput | undefined)?.Name),
    );
    for (const name of REPORT_NAMES) {
      const read = [...reportSql(name).matchAll(/\b(?:FROM|JOIN)\s+("?)([A-Za-z_][A-Za-z0-9_]*)\1/g)].map((m) => m[2]);
      expect(read.length).toBeGreaterThan(0);
      expect({ name, missing: read.filter((table) => !names.has(table ?? '')) }).toEqual({ name, missing: [] });
    }
  });
});

describe('a configured layout (the generator, as serverless.yml custom.lake would give it)', () => {
  const stack = (prefix: string, overrides: Partial<GlueCatalogStack> = {}): GlueCatalogStack => ({
    service: 'usage-pipeline',
    stage: 'prod-eu',
    bucket: 'usage-pipeline-prod-eu-lake-123',
    prefix,
    dataPrefix: 'events/',
    errorPrefix: 'errors/',
    quarantinePrefix: 'quarantine/',
    eventTypes: 'api_call,check out,signup',
    startDate: '2026-02-01',
    ...overrides,
  });
  const layoutOf = (prefix: string) =>
    loadLakeLayout({ LAKE_PREFIX: prefix, LAKE_EVENT_TYPES: 'api_call,check out,signup' });

  it('with hour and client_id: partition keys in prefix order, hour 00–23, client_id injected, every landed record found', () => {
    const prefix =
      'events/client_id=!{partitionKeyFromLambda:client_id}/event_type=!{partitionKeyFromLambda:event_type}/dt=!{partitionKeyFromLambda:dt}/hour=!{partitionKeyFromLambda:hour}/';
    const catalog = compileGlueCatalog(stack(prefix));
    const table = tableInput(catalog, 'LakeEventsTable');

    expect(catalog.databaseName).toBe('usage_pipeline_prod_eu');
    expect(table.PartitionKeys.map((column) => column.Name)).toEqual(['client_id', 'event_type', 'dt', 'hour']);
    expect(table.Parameters).toEqual(
      expect.objectContaining({
        'projection.client_id.type': 'injected',
        'projection.hour.type': 'enum',
        'projection.hour.values': Array.from({ length: 24 }, (_, h) => String(h).padStart(2, '0')).join(','),
        'projection.dt.range': '2026-02-01,NOW+1DAYS',
        'projection.event_type.values': `api_call,${encodePartitionValue('check out')},signup,_other`,
        'storage.location.template': `s3://usage-pipeline-prod-eu-lake-123/events/client_id=\${client_id}/event_type=\${event_type}/dt=\${dt}/hour=\${hour}/`,
      }),
    );
    expectProjectionCovers(table, 'usage-pipeline-prod-eu-lake-123', layoutOf(prefix), ['check out', 'signup']);
    // The views carry the configured partition columns too.
    const events = decodePrestoView(tableInput(catalog, 'LakeViewEvents').ViewOriginalText ?? '');
    expect(events.columns.slice(-4).map((column) => column.name)).toEqual(['client_id', 'event_type', 'dt', 'hour']);
  });

  it('with dt only: no event_type projection, one folder per day', () => {
    const prefix = 'events/dt=!{partitionKeyFromLambda:dt}/';
    const table = tableInput(compileGlueCatalog(stack(prefix)), 'LakeEventsTable');

    expect(table.PartitionKeys.map((column) => column.Name)).toEqual(['dt']);
    expect(Object.keys(table.Parameters).filter((key) => key.startsWith('projection.event_type'))).toEqual([]);
    expectProjectionCovers(table, 'usage-pipeline-prod-eu-lake-123', layoutOf(prefix));
  });

  it.each([
    [
      'a Firehose expression projection cannot follow',
      { prefix: 'events/dt=!{partitionKeyFromLambda:dt}/y=!{timestamp:yyyy}/' },
      'UNSUPPORTED_PREFIX',
    ],
    ['a prefix that is not a folder', { prefix: 'events/dt=!{partitionKeyFromLambda:dt}' }, 'UNSUPPORTED_PREFIX'],
    ['a prefix outside dataPrefix', { dataPrefix: 'lake/' }, 'PREFIX_OUTSIDE_DATA_PREFIX'],
    ['a start date that is no date', { startDate: '2026-02-30' }, 'INVALID_START_DATE'],
    [
      'an error prefix that is not a fixed folder',
      { errorPrefix: 'errors/!{firehose:error-output-type}/' },
      'UNSUPPORTED_PREFIX',
    ],
    ['a quarantine prefix that is not a folder', { quarantinePrefix: 'quarantine' }, 'UNSUPPORTED_PREFIX'],
  ] as const)('refuses %s, naming the reason', (_, overrides, reason) => {
    const compile = () => compileGlueCatalog(stack('events/dt=!{partitionKeyFromLambda:dt}/', overrides));
    expect(compile).toThrow(GlueCatalogError);
    try {
      compile();
    } catch (error) {
      expect((error as GlueCatalogError).reason).toBe(reason);
    }
  });
});

describe('Athena workgroup', () => {
  const workGroup = (template: CfnTemplate) =>
    resource(template, 'LakeWorkGroup', 'AWS::Athena::WorkGroup') as {
      Name: string;
      WorkGroupConfiguration: {
        EnforceWorkGroupConfiguration: boolean;
        BytesScannedCutoffPerQuery: unknown;
        ResultConfiguration: { OutputLocation: string; EncryptionConfiguration: Record<string, unknown> };
      };
    };

  it('enforces its settings: results in the lake bucket under athena-results/, SSE-S3, a 10 GB scan limit', () => {
    const { bucket } = deployed(byDefault);
    const group = workGroup(byDefault);

    expect(group.Name).toBe('usage-pipeline-test-lake');
    expect(group.WorkGroupConfiguration.EnforceWorkGroupConfiguration).toBe(true);
    expect(group.WorkGroupConfiguration.ResultConfiguration.OutputLocation).toBe(`s3://${bucket}/athena-results/`);
    expect(group.WorkGroupConfiguration.ResultConfiguration.EncryptionConfiguration).toEqual({
      EncryptionOption: 'SSE_S3',
    });
    expect(Number(group.WorkGroupConfiguration.BytesScannedCutoffPerQuery)).toBe(10 * 1024 ** 3);
    expect(byDefault.Parameters?.AthenaBytesScannedCutoffPerQuery?.MinValue).toBe(10_000_000);
    expect(byDefault.Outputs?.AthenaWorkGroupName?.Value).toEqual({ Ref: 'LakeWorkGroup' });
  });

  it('with a lake key: encrypts the results with it (SSE-KMS)', () => {
    expect(workGroup(configured).WorkGroupConfiguration.ResultConfiguration.EncryptionConfiguration).toEqual({
      EncryptionOption: 'SSE_KMS',
      KmsKey: LAKE_KEY_ARN,
    });
  });

  it('has its results expired by a lifecycle rule on exactly that prefix', () => {
    const rules = (
      resource(byDefault, 'LakeBucket', 'AWS::S3::Bucket').LifecycleConfiguration as {
        Rules: { Id: string; Status: string; Prefix?: string; ExpirationInDays?: number | string }[];
      }
    ).Rules;
    const location = workGroup(byDefault).WorkGroupConfiguration.ResultConfiguration.OutputLocation;
    const results = rules.filter((rule) => rule.Prefix === 'athena-results/');

    expect(location.endsWith('/athena-results/')).toBe(true);
    expect(results).toEqual([expect.objectContaining({ Status: 'Enabled' })]);
    expect(Number(results[0]?.ExpirationInDays)).toBe(7);
  });
});

describe('IAM', () => {
  const PSEUDO: Record<string, string> = {
    'AWS::Partition': 'aws',
    'AWS::Region': 'us-east-1',
    'AWS::AccountId': '123456789012',
  };
  /** An ARN expression as text; Refs and attributes other than pseudo parameters as `<Name>`. */
  const render = (value: unknown): string => {
    const named = (name: string) => PSEUDO[name] ?? `<${name}>`;
    if (typeof value === 'string') return value;
    const call = value as Record<string, unknown>;
    if (typeof call.Ref === 'string') return named(call.Ref);
    if (Array.isArray(call['Fn::GetAtt'])) return named((call['Fn::GetAtt'] as string[]).join('.'));
    if (typeof call['Fn::Sub'] === 'string')
      return call['Fn::Sub'].replace(/\$\{([^}]+)\}/g, (_, name: string) => named(name));
    return JSON.stringify(value);
  };
  const statements = (template: CfnTemplate): Statement[] =>
    (resource(template, 'LakeQueryPolicy', 'AWS::IAM::ManagedPolicy').PolicyDocument as { Statement: Statement[] })
      .Statement;
  const granted = (template: CfnTemplate) =>
    statements(template).map((s) => ({
      Action: list(s.Action),
      Resource: list(s.Resource).map(render),
      ...(s.Condition && { Condition: s.Condition }),
    }));

  it('LakeQueryPolicy allows queries in the workgroup, reads of the lake tables, the data, quarantine and error prefixes, and the results prefix only', () => {
    const { bucket } = deployed(byDefault);
    const lake = `arn:aws:s3:::${bucket}`;
    const glue = 'arn:aws:glue:us-east-1:123456789012';

    expect(statements(byDefault).every((s) => s.Effect === 'Allow')).toBe(true);
    expect(granted(byDefault)).toEqual([
      {
        Action: [
          'athena:StartQueryExecution',
          'athena:GetQueryExecution',
          'athena:GetQueryResults',
          'athena:StopQueryExecution',
          'athena:GetWorkGroup',
        ],
        Resource: ['arn:aws:athena:us-east-1:123456789012:workgroup/<LakeWorkGroup>'],
      },
      {
        Action: ['glue:GetDatabase', 'glue:GetTable', 'glue:GetTables', 'glue:GetPartitions'],
        Resource: [`${glue}:catalog`, `${glue}:database/<LakeDatabase>`, `${glue}:table/<LakeDatabase>/*`],
      },
      {
        Action: ['s3:ListBucket'],
        Resource: [lake],
        Condition: { StringLike: { 's3:prefix': ['events/*', 'quarantine/*', 'errors/*', 'athena-results/*'] } },
      },
      { Action: ['s3:GetBucketLocation'], Resource: [lake] },
      { Action: ['s3:GetObject'], Resource: [`${lake}/events/*`, `${lake}/quarantine/*`, `${lake}/errors/*`] },
      {
        Action: ['s3:PutObject', 's3:GetObject', 's3:AbortMultipartUpload', 's3:ListMultipartUploadParts'],
        Resource: [`${lake}/athena-results/*`],
      },
    ]);
    expect(byDefault.Outputs?.LakeQueryPolicyArn).toEqual(
      expect.objectContaining({
        Value: { Ref: 'LakeQueryPolicy' },
        Export: { Name: 'usage-pipeline-test-LakeQueryPolicyArn' },
      }),
    );
  });

  it('LakeQueryPolicy lists and reads under the location of every table in the database', () => {
    const { bucket } = deployed(byDefault);
    const grants = granted(byDefault);
    const reads = grants.filter((g) => g.Action.includes('s3:GetObject')).flatMap((g) => g.Resource);
    const listed = grants
      .filter((g) => g.Action.includes('s3:ListBucket'))
      .flatMap((g) => list(g.Condition?.StringLike?.['s3:prefix'] as string | string[] | undefined));
    const tables = Object.values(byDefault.Resources)
      .filter((r) => r.Type === 'AWS::Glue::Table')
      .map((r) => r.Properties?.TableInput as TableInput)
      .filter((input) => input.TableType === 'EXTERNAL_TABLE');
    expect(tables.map((input) => input.Name).sort()).toEqual(['error_outputs', 'lake_events', 'quarantine']);

    for (const input of tables) {
      const key = (input.StorageDescriptor.Location ?? '').replace(`s3://${bucket}/`, '');
      expect({ table: input.Name, read: reads.includes(`arn:aws:s3:::${bucket}/${key}*`) }).toEqual({
        table: input.Name,
        read: true,
      });
      expect({ table: input.Name, listed: listed.includes(`${key}*`) }).toEqual({ table: input.Name, listed: true });
    }
  });

  it('LakeQueryPolicy, with a lake key: may use it through S3 only', () => {
    expect(granted(configured).filter((s) => s.Action.some((a) => a.startsWith('kms:')))).toEqual([
      {
        Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
        Resource: [LAKE_KEY_ARN],
        Condition: { StringEquals: { 'kms:ViaService': { 'Fn::Sub': `s3.\${AWS::Region}.amazonaws.com` } } },
      },
    ]);
  });

  it('no role of the stack (the Firehose delivery role included) may write query results', () => {
    const { bucket } = deployed(configured);
    const probe = `arn:aws:s3:::${bucket}/athena-results/2026/query.csv`;
    const matches = (pattern: string) =>
      new RegExp(
        `^${pattern
          .replace(/[.+^${}()|[\]\\]/g, '\\$&')
          .replace(/\*/g, '.*')
          .replace(/\?/g, '.')}$`,
      ).test(probe);
    const roles = Object.entries(configured.Resources).filter(([, r]) => r.Type === 'AWS::IAM::Role');
    expect(roles.map(([id]) => id)).toContain('FirehoseDeliveryRole');

    for (const [id, role] of roles) {
      const inline = list(role.Properties?.Policies as { PolicyDocument: { Statement: Statement[] } }[]).flatMap(
        (policy) => policy.PolicyDocument.Statement,
      );
      const attached = Object.values(configured.Resources)
        .filter((r) => ['AWS::IAM::Policy', 'AWS::IAM::ManagedPolicy'].includes(r.Type))
        .filter((r) =>
          list(r.Properties?.Roles as unknown[]).some((ref) => JSON.stringify(ref) === JSON.stringify({ Ref: id })),
        )
        .flatMap((r) => (r.Properties?.PolicyDocument as { Statement: Statement[] } | undefined)?.Statement ?? []);
      const writes = [...inline, ...attached]
        .filter((s) => s.Effect === 'Allow' && list(s.Action).some((a) => ['s3:PutObject', 's3:*', '*'].includes(a)))
        .flatMap((s) => list(s.Resource).map(render));
      expect({ id, writesResults: writes.filter(matches) }).toEqual({ id, writesResults: [] });
    }
  });
});
