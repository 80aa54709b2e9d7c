import { isReconciled, notProcessed } from '../../../infra/local/cli/summary';
import type { RunSummary } from '../../../infra/local/pipeline/local-pipeline';

// The summary's "reconciled" line: every record counted once, in one place.

const summary = (counts: Partial<RunSummary>): RunSummary => ({
  in: 0,
  produced: 0,
  delivered: 0,
  duplicates: 0,
  quarantined: 0,
  quarantineReasons: {},
  discarded: 0,
  lost: 0,
  retriedRecords: 0,
  unrecorded: 0,
  errors: {},
  foreignErrors: 0,
  notInLake: 0,
  bySource: {},
  routes: {},
  unrouted: 0,
  objects: [],
  ...counts,
});

describe('isReconciled', () => {
  it('holds when in = delivered + duplicates + quarantined + errors + discarded', () => {
    const run = summary({
      in: 10,
      produced: 10,
      delivered: 5,
      duplicates: 1,
      quarantined: 2,
      errors: { 'processing-failed': 1 },
      discarded: 1,
    });
    expect(isReconciled(run)).toBe(true);
    expect(isReconciled({ ...run, delivered: 4 })).toBe(false);
    expect(isReconciled({ ...run, delivered: 6 })).toBe(false);
  });

  it('counts events Firehose took and wrote nowhere as not in the lake', () => {
    const run = summary({ in: 10, produced: 10, delivered: 7, notInLake: 3 });
    expect(isReconciled(run)).toBe(true);
    expect(isReconciled({ ...run, notInLake: 0 })).toBe(false);
  });

  it('in a stopped run, accounts for what was put and not processed', () => {
    // 20,000 put, 2,500 read, 2,013 settled: 17,987 reached no place.
    const run = summary({ in: 2_500, produced: 20_000, delivered: 1_822, duplicates: 142, quarantined: 49 });
    expect(notProcessed(run)).toBe(17_987);
    expect(isReconciled(run, notProcessed(run))).toBe(true);
    expect(isReconciled(run)).toBe(false);
  });

  it('in a stopped run, is not reconciled when records are counted twice', () => {
    const run = summary({ in: 100, produced: 100, delivered: 90, quarantined: 20 });
    expect(notProcessed(run)).toBe(0);
    expect(isReconciled(run, notProcessed(run))).toBe(false);
  });
});
