import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { withDeadLetters } from '../../../infra/local/query/dead-letters';
import { LocalLakeEngine } from '../../../infra/local/query/engine';
import { openLakeDir } from '../../../infra/local/query/lake-dir';
import { LakeWriter } from '../../../infra/local/query/lake-writer';
import { isReportName, REPORT_NAMES, report } from '../../../shared/lake-query/reports';
import { type Fixture, layoutOf, writeErrorObject, writeFixture, writeQuarantine } from './lake-fixture';

const tally = <K>(items: readonly K[], key: (item: K) => string, value: (item: K) => number = () => 1) => {
  const out = new Map<string, number>();
  for (const item of items) out.set(key(item), (out.get(key(item)) ?? 0) + value(item));
  return out;
};

/** quantile_disc: the smallest value with at least p of the values at or below it. */
const quantile = (values: number[], p: number): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)] as number;
};

describe('the built-in reports', () => {
  let fixture: Fixture;
  let engine: LocalLakeEngine;

  beforeAll(async () => {
    fixture = writeFixture(400, { days: 4 });
    writeQuarantine(fixture.dir, ['MALFORMED_JSON', 'INVALID_METER_VALUE', 'MALFORMED_JSON']);
    writeErrorObject(fixture.dir, 'processing-failed', 3);
    writeErrorObject(fixture.dir, 'partitioning-failed', 2);
    engine = await LocalLakeEngine.open(await openLakeDir(fixture.dir));
  });

  afterAll(() => {
    engine?.close();
    rmSync(fixture.dir, { recursive: true, force: true });
  });

  it('names four reports', () => {
    expect(REPORT_NAMES).toEqual(['usage', 'actions', 'api-calls', 'health']);
    expect(isReportName('usage')).toBe(true);
    expect(isReportName('USAGE')).toBe(false);
  });

  it('usage: meter totals per customer, meter and day, biggest first within a day', async () => {
    const meters = fixture.events.filter((event) => event.idScope === 'usage-meter');
    const key = (event: (typeof meters)[number]) =>
      [event.detail.clientId, event.detail.meterApiName, event.time.slice(0, 10)].join('|');
    const totals = tally(meters, key, (event) => Number(event.detail.meterValue));
    const counts = tally(meters, key);

    const result = await engine.query(report('usage').sql);

    expect(result.columns).toEqual(['customerId', 'meterApiName', 'day', 'total', 'events']);
    expect(result.rows).toHaveLength(totals.size);
    for (const [customer, meter, day, total, events] of result.rows) {
      expect(total).toBe(totals.get([customer, meter, day].join('|')));
      expect(events).toBe(counts.get([customer, meter, day].join('|')));
    }
    const order = result.rows.map(([, , day, total]) => [String(day), Number(total)] as const);
    for (let i = 1; i < order.length; i++) {
      const [day, total] = order[i] as readonly [string, number];
      const [previousDay, previousTotal] = order[i - 1] as readonly [string, number];
      expect(day < previousDay || (day === previousDay && total <= previousTotal)).toBe(true);
    }
  });

  it('actions: count and distinct users per company, action and day', async () => {
    const actions = fixture.events.filter((event) => event.idScope === 'product-action');
    const key = (event: (typeof actions)[number]) =>
      [event.detail.clientId, event.detail.eventType, event.time.slice(0, 10)].join('|');
    const counts = tally(actions, key);
    const users = new Map<string, Set<unknown>>();
    for (const action of actions)
      users.set(key(action), (users.get(key(action)) ?? new Set()).add(action.detail.user_id));

    const result = await engine.query(report('actions').sql);

    expect(result.columns).toEqual(['company_id', 'action_name', 'day', 'actions', 'users']);
    expect(
      result.rows
        .map(([company, action, day, count, distinct]) => [[company, action, day].join('|'), count, distinct])
        .sort(),
    ).toEqual([...counts.entries()].map(([k, count]) => [k, count, users.get(k)?.size]).sort());
  });

  it('api-calls: calls, errors, error rate and p50/p95 latency per client and route', async () => {
    const calls = fixture.events.filter((event) => event.idScope === 'api-call');
    const routeOf = (event: (typeof calls)[number]) => {
      const request = event.detail.request as { verb: string; uri: string };
      return `${request.verb} ${new URL(request.uri).pathname}`;
    };
    const groups = new Map<string, (typeof calls)[number][]>();
    for (const call of calls) {
      const key = `${call.detail.clientId}|${routeOf(call)}`;
      groups.set(key, [...(groups.get(key) ?? []), call]);
    }

    const result = await engine.query(report('api-calls').sql);

    expect(result.columns).toEqual([
      'clientId',
      'route',
      'captured',
      'calls',
      'errors',
      'error_rate',
      'p50_ms',
      'p95_ms',
    ]);
    expect(result.rows).toHaveLength(groups.size);
    for (const [client, route, captured, total, errors, rate, p50, p95] of result.rows) {
      const group = groups.get(`${client}|${route}`) ?? [];
      const failed = group.filter((call) => (call.detail.response as { status: number }).status >= 400).length;
      const durations = group.map((call) => Number(call.detail.duration_ms));
      expect([captured, total, errors, rate, p50, p95]).toEqual([
        group.length,
        group.length,
        failed,
        Math.round((failed / group.length) * 10_000) / 10_000,
        quantile(durations, 0.5),
        quantile(durations, 0.95),
      ]);
    }
  });

  it('health: quarantine by reason, error outputs by type, then dead letters by route', async () => {
    const result = await engine.query(report('health').sql);

    expect(result.columns).toEqual(['place', 'kind', 'records']);
    expect(result.rows).toEqual([
      ['quarantine', 'MALFORMED_JSON', 2],
      ['quarantine', 'INVALID_METER_VALUE', 1],
      ['error output', 'processing-failed', 3],
      ['error output', 'partitioning-failed', 2],
    ]);
    expect(withDeadLetters(result, { 'a-route': 0, 'b-route': 4 }).rows.slice(-2)).toEqual([
      ['dead letter', 'b-route', 4],
      ['dead letter', 'a-route', 0],
    ]);
  });

  it('health reads an error root other than errors/ when the layout has one', () => {
    expect(report('health', { errorRoot: 'failed.records/' }).sql).toContain("'^s3://[^/]+/failed\\.records/([^/]+)/'");
  });
});

describe('the reports on a lake with no data yet', () => {
  it('run, and return no rows', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lake-empty-'));
    const engine = await LocalLakeEngine.open(await openLakeDir(dir));
    try {
      for (const name of REPORT_NAMES) expect((await engine.query(report(name).sql)).rows).toEqual([]);
    } finally {
      engine.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('an API call sent with a UTC offset', () => {
  it('reads its request time in UTC', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lake-offset-'));
    const writer = new LakeWriter(dir, { ...layoutOf(), environment: 'test' });
    const utc = new Date(Date.now() - 3_600_000);
    const local = new Date(utc.getTime() + 2 * 3_600_000).toISOString().replace('Z', '+02:00');
    writer.add({
      kind: 'api-call',
      id: 'offset-1',
      clientId: 'acme-corp',
      apiCall: {
        request: { time: local, uri: '/v1/x', verb: 'GET' },
        response: { time: local, status: 200 },
        duration_ms: 3,
      },
    });
    writer.flush();
    const engine = await LocalLakeEngine.open(await openLakeDir(dir));
    try {
      const { rows } = await engine.query('SELECT request_time, "time", path FROM api_calls');
      const expected = utc.toISOString().replace('T', ' ').replace('Z', '');
      expect(rows).toEqual([[expected, expected, '/v1/x']]);
    } finally {
      engine.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
