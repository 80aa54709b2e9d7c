import { rmSync } from 'node:fs';
import { LocalLakeEngine } from '../../../infra/local/query/engine';
import { openLakeDir } from '../../../infra/local/query/lake-dir';
import { createRandom, sampleProducerRecord } from '../../../infra/local/query/lake-writer';
import {
  LAKE_RAW_TABLE,
  LAKE_VIEWS,
  type LakeColumnType,
  lakeViews,
  partitionColumns,
  rawColumns,
  sideTables,
} from '../../../shared/lake-query/catalog';
import { transformRecord } from '../../../shared/transformer/firehose-transform';
import { type Fixture, layoutOf, writeFixture } from './lake-fixture';

const DUCKDB_TO_LAKE: Record<string, LakeColumnType> = {
  VARCHAR: 'string',
  BIGINT: 'bigint',
  DOUBLE: 'double',
  BOOLEAN: 'boolean',
  TIMESTAMP: 'timestamp',
  DATE: 'date',
};

describe('the lake catalog', () => {
  it('reads every top-level key the transformer writes, for every source, and no other', () => {
    // Prepare: one record of each producer shape, plus an EventBridge envelope, through the real transformer.
    const layout = { ...layoutOf(), environment: 'test' };
    const now = Date.now();
    const random = createRandom(3);
    const records: unknown[] = [0, 1, 2, 3].map((index) => sampleProducerRecord(index, new Date(now - 60_000), random));
    records.push({
      version: '0',
      id: 'eb-1',
      'detail-type': 'Client Event',
      source: 'com.example',
      time: new Date(now - 60_000).toISOString(),
      resources: ['acme-corp'],
      detail: { eventType: 'page_view' },
    });

    // Act
    const keys = new Set(
      records.flatMap((record) => {
        const outcome = transformRecord(Buffer.from(JSON.stringify(record)), layout, now);
        if (outcome.result !== 'Ok') throw new Error(`not Ok: ${JSON.stringify(outcome)}`);
        return Object.keys(JSON.parse(outcome.data.toString('utf8')) as object);
      }),
    );

    // Assess
    expect([...keys].sort()).toEqual(rawColumns.map((column) => column.jsonKey).sort());
    expect(rawColumns.find((column) => column.jsonKey === 'detail-type')?.name).toBe('detail_type');
  });

  it('takes the partition columns from the layout prefix, in its order', () => {
    expect(partitionColumns(layoutOf()).map((column) => column.name)).toEqual(['event_type', 'dt']);
    const custom =
      'events/client_id=!{partitionKeyFromLambda:client_id}/dt=!{partitionKeyFromLambda:dt}/hour=!{partitionKeyFromLambda:hour}/';
    expect(partitionColumns({ prefix: custom }).map((column) => column.name)).toEqual(['client_id', 'dt', 'hour']);
    expect(partitionColumns({ prefix: custom }).every((column) => column.type === 'string')).toBe(true);
  });

  it('puts events first, then one view per source, each carrying the partition columns', () => {
    const prefix = 'events/dt=!{partitionKeyFromLambda:dt}/hour=!{partitionKeyFromLambda:hour}/';
    const views = lakeViews({ prefix });
    expect(views.map((view) => view.name)).toEqual([
      'events',
      'api_calls',
      'product_actions',
      'usage_meters',
      'client_events',
    ]);
    for (const view of views) expect(view.columns.slice(-2).map((column) => column.name)).toEqual(['dt', 'hour']);
    expect(LAKE_VIEWS.map((view) => view.columns.at(-1)?.name)).toEqual(LAKE_VIEWS.map(() => 'dt'));
    expect(views[0]?.sql).toContain(`FROM ${LAKE_RAW_TABLE}`);
  });

  describe('on the local engine', () => {
    let fixture: Fixture;
    let engine: LocalLakeEngine;

    beforeAll(async () => {
      fixture = writeFixture(200);
      engine = await LocalLakeEngine.open(await openLakeDir(fixture.dir));
    });

    afterAll(() => {
      engine?.close();
      rmSync(fixture.dir, { recursive: true, force: true });
    });

    it('gives every view and table exactly the declared columns and types', async () => {
      const declared = [
        ...LAKE_VIEWS,
        {
          name: LAKE_RAW_TABLE,
          columns: [...rawColumns, ...partitionColumns(fixture.layout)],
        },
        ...sideTables(),
      ];
      for (const view of declared) {
        const described = await engine.query(`DESCRIBE "${view.name}"`);
        const actual = described.rows
          .map(([name, type]) => ({ name: String(name), type: DUCKDB_TO_LAKE[String(type)] ?? String(type) }))
          .filter((column) => column.name !== '$path');
        expect({ view: view.name, columns: actual }).toEqual({
          view: view.name,
          columns: view.columns.map(({ name, type }) => ({ name, type })),
        });
      }
    });

    it('counts every event once, with the clientId and eventType of its detail', async () => {
      const { rows } = await engine.query(
        'SELECT count(*), count(DISTINCT id), count(DISTINCT "clientId"), count_if("clientId" IS NULL) FROM events',
      );
      const clients = new Set(fixture.events.map((event) => event.detail.clientId));
      expect(rows).toEqual([[fixture.events.length, fixture.events.length, clients.size, 0]]);
      const types = await engine.query('SELECT "eventType", count(*) FROM events GROUP BY 1 ORDER BY 1');
      const expected = new Map<string, number>();
      for (const event of fixture.events) {
        const type = String(event.detail.eventType);
        expected.set(type, (expected.get(type) ?? 0) + 1);
      }
      expect(types.rows).toEqual([...expected.entries()].sort(([a], [b]) => (a < b ? -1 : 1)));
    });

    it('types each source view from its detail: meters, actions, client events, API calls', async () => {
      const meters = fixture.events.filter((event) => event.idScope === 'usage-meter');
      const sums = await engine.query('SELECT "customerId", sum("meterValue") FROM usage_meters GROUP BY 1 ORDER BY 1');
      const expected = new Map<string, number>();
      for (const meter of meters)
        expected.set(
          meter.detail.clientId,
          (expected.get(meter.detail.clientId) ?? 0) + Number(meter.detail.meterValue),
        );
      expect(sums.rows).toEqual([...expected.entries()].sort(([a], [b]) => (a < b ? -1 : 1)));

      const call = fixture.events.find((event) => event.idScope === 'api-call');
      const apiCall = call?.detail as unknown as {
        request: { verb: string; time: string };
        response: { status: number };
        duration_ms: number;
      };
      const { rows } = await engine.query(
        `SELECT verb, path, route, status, duration_ms, request_time, "time" FROM api_calls WHERE id = '${call?.id}'`,
      );
      expect(rows).toEqual([
        [
          apiCall.request.verb,
          expect.stringMatching(/^\/v\d\/[a-z/]+$/),
          `${apiCall.request.verb} ${rows[0]?.[1]}`,
          apiCall.response.status,
          apiCall.duration_ms,
          apiCall.request.time.replace('T', ' ').replace('Z', ''),
          call?.time.replace('T', ' ').replace('Z', ''),
        ],
      ]);

      const actions = await engine.query('SELECT count(*), count_if(company_id = "clientId") FROM product_actions');
      const actionCount = fixture.events.filter((event) => event.idScope === 'product-action').length;
      expect(actions.rows).toEqual([[actionCount, actionCount]]);
      const clientEvents = await engine.query('SELECT DISTINCT data, "schemaVersion" FROM client_events');
      expect(clientEvents.rows).toEqual([['{"page":"/products/1"}', '1']]);
    });
  });
});
