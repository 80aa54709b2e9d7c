import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gunzipSync, gzipSync } from 'node:zlib';

// `npm start` is a public interface: its flags and its --json line are what users script against.
const ROOT = join(__dirname, '..', '..');
const run = (args: string[]) =>
  promisify(execFile)(
    process.execPath,
    [join(ROOT, 'node_modules/tsx/dist/cli.mjs'), 'infra/local/cli/start.ts', ...args],
    {
      cwd: ROOT,
      maxBuffer: 64 * 1024 * 1024,
      timeout: 120_000,
    },
  );

interface JsonSummary {
  in: number;
  delivered: number;
  duplicates: number;
  quarantined: number;
  quarantineReasons: Record<string, number>;
  objects: string[];
}
const lastJsonLine = (stdout: string): JsonSummary => JSON.parse(stdout.trim().split('\n').at(-1) ?? '') as JsonSummary;

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'start-cli-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('npm start', () => {
  it('runs the built-in workload and ends stdout with a reconciled JSON summary', async () => {
    // Act
    const { stdout } = await run(['--events', '600', '--json']);

    // Assess
    const summary = lastJsonLine(stdout);
    expect(summary.in).toBe(600);
    expect(summary.delivered + summary.duplicates + summary.quarantined).toBe(600);
    expect(summary.duplicates).toBeGreaterThan(0);
    expect(summary.quarantined).toBe(Object.values(summary.quarantineReasons).reduce((a, b) => a + b, 0));
    expect(summary.objects.some((key) => key.startsWith('events/event_type='))).toBe(true);
    expect(summary.objects.some((key) => key.startsWith('quarantine/'))).toBe(true);
    expect(stdout).toContain('reconciled      yes');
    // routes.yml's ticketing route, delivered to the local receiver: every matched event delivered.
    const tickets = (
      summary as JsonSummary & { routes: Record<string, { matched: number; delivered: number; deadLettered: number }> }
    ).routes['loyalty-tickets'];
    expect(tickets?.matched).toBeGreaterThan(0);
    expect(tickets).toMatchObject({ delivered: tickets?.matched, deadLettered: 0 });
    expect(stdout).toMatch(
      /loyalty-tickets +matched \d+, delivered \d+, retried 0, dead-lettered 0 {2}\(the local receiver got \d+\)/,
    );
  });

  it('takes gzipped NDJSON with --input and copies the bucket with --out', async () => {
    // Prepare: 20 events, one re-sent, one malformed line, one blank line
    const time = new Date(Date.now() - 60_000).toISOString();
    const events = Array.from({ length: 20 }, (_, i) =>
      JSON.stringify({
        id: `cli-${i}`,
        'detail-type': 'Client Event',
        source: 'cli',
        time,
        resources: ['cli-co'],
        detail: { eventType: 'upload' },
      }),
    );
    const input = join(dir, 'records.ndjson.gz');
    await writeFile(input, gzipSync([...events, events[3], '{"broken', ''].join('\n')));
    const out = join(dir, 'lake');

    // Act
    const { stdout } = await run(['--input', input, '--json', '--out', out]);

    // Assess
    const summary = lastJsonLine(stdout);
    expect(summary).toMatchObject({
      in: 22,
      delivered: 20,
      duplicates: 1,
      quarantined: 1,
      quarantineReasons: { MALFORMED_JSON: 1 },
    });
    const eventKeys = summary.objects.filter((key) => key.startsWith('events/'));
    const lines = (
      await Promise.all(eventKeys.map(async (key) => gunzipSync(await readFile(join(out, key))).toString('utf8')))
    )
      .join('')
      .split('\n')
      .filter(Boolean);
    expect(lines.map((line) => (JSON.parse(line) as { id: string }).id).sort()).toEqual(
      events.map((line) => (JSON.parse(line) as { id: string }).id).sort(),
    );
  });

  it('takes every supported shape mixed in one file and counts each source exactly', async () => {
    // Prepare: 3 EventBridge envelopes, 2 actions (one re-sent), 3 meters (one identical repeat
    // without uniqueId), 2 client-event records, one bad meter and one line nothing claims.
    const now = Date.now() - 60_000;
    const time = new Date(now).toISOString();
    const envelope = (id: string) =>
      JSON.stringify({
        id,
        'detail-type': 'Client Event',
        source: 'mixed',
        time,
        resources: ['mix-co'],
        detail: { eventType: 'view' },
      });
    const action = (id: string) =>
      JSON.stringify({
        action_name: 'Processed Payment Transaction',
        company_id: 'mix-co',
        transaction_id: id,
        request: { time },
        metadata: { amount: 3 },
      });
    const meter = (value: number) =>
      JSON.stringify({ customerId: 'mix-co', meterApiName: 'api_calls', meterValue: value, meterTimeInMillis: now });
    const clientEvent = (id: string) =>
      JSON.stringify({
        kind: 'client-event',
        id,
        clientId: 'mix-co',
        receivedAt: time,
        entry: { eventType: 'searching', data: { q: id } },
      });
    const lines = [
      envelope('mx-1'),
      action('0b1c2d3e-4f50-4a6b-8c7d-9e0f1a2b3c4d'),
      meter(1),
      clientEvent('ce-1'),
      envelope('mx-2'),
      action('0b1c2d3e-4f50-4a6b-8c7d-9e0f1a2b3c4d'),
      meter(2),
      meter(1),
      clientEvent('ce-2'),
      envelope('mx-3'),
      action('1b1c2d3e-4f50-4a6b-8c7d-9e0f1a2b3c4d'),
      JSON.stringify({ customerId: 'mix-co', meterApiName: 'api_calls', meterValue: '3', meterTimeInMillis: now }),
      JSON.stringify({ neither: 'fish', nor: 'fowl' }),
    ];
    const input = join(dir, 'mixed.ndjson');
    await writeFile(input, `${lines.join('\n')}\n`);

    // Act
    const { stdout } = await run(['--input', input, '--json']);

    // Assess
    const summary = lastJsonLine(stdout) as JsonSummary & { bySource: Record<string, unknown> };
    expect(summary).toMatchObject({ in: 13, delivered: 9, duplicates: 2, quarantined: 2, errors: {} });
    expect(summary.bySource).toEqual({
      eventbridge: { in: 3, delivered: 3, duplicates: 0, quarantined: 0, errors: {}, notInLake: 0 },
      'product-action': { in: 3, delivered: 2, duplicates: 1, quarantined: 0, errors: {}, notInLake: 0 },
      'usage-meter': { in: 4, delivered: 2, duplicates: 1, quarantined: 1, errors: {}, notInLake: 0 },
      'client-event': { in: 2, delivered: 2, duplicates: 0, quarantined: 0, errors: {}, notInLake: 0 },
      unknown: { in: 1, delivered: 0, duplicates: 0, quarantined: 1, errors: {}, notInLake: 0 },
    });
  });

  it('fails on an invalid --routes file with one line naming the route and the field, exit 2, before starting anything', async () => {
    // Prepare
    const dir = mkdtempSync(join(tmpdir(), 'start-routes-'));
    const file = join(dir, 'routes.yml');
    writeFileSync(
      file,
      'routes:\n  - name: too-fast\n    pattern: { source: [client.events] }\n    target: { type: http, url: "https://x.example.com/t", rateLimitPerSecond: 1000 }\n',
    );

    // Act
    const failure = await run(['--routes', file, '--events', '10']).catch(
      (error: { code: number; stderr: string; stdout: string }) => error,
    );

    // Assess
    rmSync(dir, { recursive: true, force: true });
    expect(failure).toMatchObject({ code: 2, stdout: '' });
    const lines = (failure as { stderr: string }).stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^npm start: .*routes\.yml: route "too-fast": target\.rateLimitPerSecond: /);
  });
});

// Through npm itself, as a user types it: a mistake is one line on stderr and exit 2, before
// anything starts (no stack trace, no zlib message, npm adds nothing: its banner is on stdout).
const npmStart = (args: string[]) =>
  promisify(execFile)('npm', ['start', '--', ...args], {
    cwd: ROOT,
    env: { ...process.env, npm_config_update_notifier: 'false' },
    timeout: 60_000,
  }).then(
    () => {
      throw new Error(`npm start -- ${args.join(' ')} succeeded`);
    },
    (error: { code: number; stderr: string }) => error,
  );

describe('npm start, given a mistake', () => {
  it('names a missing --input file', async () => {
    // Act
    const missing = join(dir, 'my-events.ndjson.gz');
    const { code, stderr } = await npmStart(['--input', missing]);

    // Assess
    expect(code).toBe(2);
    expect(stderr).toBe(`npm start: --input ${missing}: no such file\n`);
  });

  it('names a .gz --input that is not gzip, instead of zlib\'s "incorrect header check"', async () => {
    // Prepare
    const notGzip = join(dir, 'plain.ndjson.gz');
    await writeFile(notGzip, '{"id":"a"}\n');

    // Act
    const { code, stderr } = await npmStart(['--input', notGzip]);

    // Assess
    expect(code).toBe(2);
    expect(stderr).toBe(
      `npm start: --input ${notGzip}: named .gz but not gzip (it does not start with the gzip bytes 1f 8b)\n`,
    );
  });

  it('names an unknown option and points to --help', async () => {
    const { code, stderr } = await npmStart(['--no-such-flag']);
    expect(code).toBe(2);
    expect(stderr).toBe('npm start: unknown option --no-such-flag (npm start -- --help lists the options)\n');
  });
});
