import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gunzipSync, gzipSync } from 'node:zlib';

// `npm start` is a public interface: its flags and its --json line are what users script against.
const ROOT = join(__dirname, '..', '..');
const run = (args: string[]) =>
  promisify(execFile)(process.execPath, [join(ROOT, 'node_modules/tsx/dist/cli.mjs'), 'infra/local/start.ts', ...args], {
    cwd: ROOT,
    maxBuffer: 64 * 1024 * 1024,
    timeout: 120_000,
  });

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
    expect(summary.objects.some((key) => key.startsWith('events/clientId='))).toBe(true);
    expect(summary.objects.some((key) => key.startsWith('quarantine/'))).toBe(true);
    expect(stdout).toContain('reconciled      yes');
  });

  it('takes gzipped NDJSON with --input and copies the bucket with --out', async () => {
    // Prepare: 20 events, one re-sent, one malformed line, one blank line
    const time = new Date(Date.now() - 60_000).toISOString();
    const events = Array.from({ length: 20 }, (_, i) =>
      JSON.stringify({ id: `cli-${i}`, 'detail-type': 'Client Event', source: 'cli', time, resources: ['cli-co'], detail: { eventType: 'upload' } }),
    );
    const input = join(dir, 'records.ndjson.gz');
    await writeFile(input, gzipSync([...events, events[3], '{"broken', ''].join('\n')));
    const out = join(dir, 'lake');

    // Act
    const { stdout } = await run(['--input', input, '--json', '--out', out]);

    // Assess
    const summary = lastJsonLine(stdout);
    expect(summary).toMatchObject({ in: 22, delivered: 20, duplicates: 1, quarantined: 1, quarantineReasons: { MALFORMED_JSON: 1 } });
    const eventKeys = summary.objects.filter((key) => key.startsWith('events/'));
    const lines = (await Promise.all(eventKeys.map(async (key) => gunzipSync(await readFile(join(out, key))).toString('utf8'))))
      .join('')
      .split('\n')
      .filter(Boolean);
    expect(lines.map((line) => (JSON.parse(line) as { id: string }).id).sort()).toEqual(
      events.map((line) => (JSON.parse(line) as { id: string }).id).sort(),
    );
  });

  it('rejects an unknown flag with a clear message', async () => {
    await expect(run(['--no-such-flag'])).rejects.toMatchObject({ stderr: expect.stringContaining("Unknown option '--no-such-flag'") });
  });
});
