import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type Envelope,
  envelopes,
  lakeProblems,
  lastJsonLine,
  readLakeDir,
  runStart,
  writeNdjson,
} from '../helpers/lake-workloads';
import { sharedStack } from '../helpers/shared-stack';

// Realistic multi-client traffic through `npm start`, the lake read back from `--out`: every event
// exactly once, in the partition the layout gives it, whatever the number of clients, and a summary
// that says "delivered" only for what is in the lake. Firehose writes records past its
// active-partition quota (500 per delivery stream by default) to the error output:
// https://docs.aws.amazon.com/firehose/latest/dev/dynamic-partitioning.html ("Dynamic partitioning
// limits") — the local Firehose enforces that quota, so these runs would show any overflow.

interface Summary {
  in: number;
  delivered: number;
  duplicates: number;
  quarantined: number;
  quarantineReasons: Record<string, number>;
  errors: Record<string, number>;
  lake: {
    events: number;
    duplicated: number;
    misplaced: number;
    errors: Record<string, number>;
    peakActivePartitions: number;
  };
}

/** Five types serverless.yml lists and one it does not (it shares event_type=_other). */
const TYPES = ['page_view', 'searching', 'checkout', 'signup', 'add_to_cart', 'Exported Report'];
const listed = () => new Set((sharedStack().definition.transformer.environment.LAKE_EVENT_TYPES ?? '').split(','));

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lake-scale-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const runTraffic = async (name: string, sent: Envelope[], env: Record<string, string> = {}) => {
  const input = join(dir, `${name}.ndjson`);
  const out = join(dir, `${name}-lake`);
  await writeNdjson(input, sent);
  const result = await runStart(['--input', input, '--json', '--out', out], env);
  return { ...result, summary: lastJsonLine<Summary>(result.stdout), lake: await readLakeDir(out) };
};

describe('the lake at scale (npm start)', () => {
  it('takes 30 clients × 6 event types × 3 days in random order: every event once, in its partition', async () => {
    // Prepare
    const sent = envelopes({ clients: 30, types: TYPES, days: 3, perCombination: 6, seed: 30 });

    // Act
    const { code, summary, lake } = await runTraffic('thirty', sent);

    // Assess
    expect(lakeProblems(sent, lake, listed())).toEqual([]);
    expect(summary).toMatchObject({
      in: sent.length,
      delivered: sent.length,
      duplicates: 0,
      quarantined: 0,
      errors: {},
    });
    expect(summary.lake).toMatchObject({ events: sent.length, duplicated: 0, misplaced: 0, errors: {} });
    expect(summary.lake.peakActivePartitions).toBeLessThanOrEqual(6 * 4);
    expect(code).toBe(0);
  });

  it('takes 2,000 clients × 2 event types within one hour: the partitions do not grow with the clients', async () => {
    const sent = envelopes({
      clients: 2_000,
      types: ['page_view', 'Exported Report'],
      days: 1,
      withinMs: 3_300_000,
      seed: 2000,
    });

    const { code, summary, lake } = await runTraffic('two-thousand', sent);

    expect(lakeProblems(sent, lake, listed())).toEqual([]);
    expect(summary).toMatchObject({ in: 4_000, delivered: 4_000, errors: {} });
    // Two types, at most two UTC days in one hour.
    expect(summary.lake.peakActivePartitions).toBeLessThanOrEqual(4);
    expect(code).toBe(0);
  });

  it('delivers a 35-day backfill completely once the lateness window is widened (MAX_EVENT_AGE_SECONDS)', async () => {
    const sent = envelopes({ clients: 10, types: TYPES, days: 35, seed: 35 });

    const narrow = await runTraffic('backfill-narrow', sent);
    const wide = await runTraffic('backfill-wide', sent, { MAX_EVENT_AGE_SECONDS: String(35 * 86_400) });

    // The default window (7 days) quarantines what is older, says so, and names the setting.
    expect(narrow.summary.quarantineReasons.EVENT_TIME_OUT_OF_RANGE).toBeGreaterThan(0);
    expect(narrow.summary.delivered + narrow.summary.quarantined).toBe(sent.length);
    expect(narrow.stdout).toContain('MAX_EVENT_AGE_SECONDS=604800');
    expect(narrow.stdout).toContain('npm run redrive -- quarantine --reason EVENT_TIME_OUT_OF_RANGE');
    // Widened: everything, nothing lost to partition limits (6 types × 35 days = 210 partitions).
    expect(lakeProblems(sent, wide.lake, listed())).toEqual([]);
    expect(wide.summary).toMatchObject({ in: sent.length, delivered: sent.length, quarantined: 0, errors: {} });
    expect(wide.summary.lake.peakActivePartitions).toBeGreaterThan(150);
    expect(wide.code).toBe(0);
  });
});
