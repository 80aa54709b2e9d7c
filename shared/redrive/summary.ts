import { plural, type RedriveResult } from './redrive-result';

const countsText = (byType: Record<string, number>): string => {
  const text = Object.entries(byType)
    .map(([type, count]) => `${type} ${count}`)
    .join(', ');
  return text ? ` (${text})` : '';
};

/** The final human line on stdout. */
export const formatSummary = (result: RedriveResult): string => {
  const { bucket } = result;
  if (result.found === 0) {
    return `nothing to re-drive: no objects under ${result.sources.map((source) => `s3://${bucket}/${source}`).join(', ')}`;
  }
  const skipped =
    result.skipped.length > 0
      ? `; ${plural(result.skipped.length, 'object')} skipped (not readable as records, left in place)`
      : '';
  const what = `${plural(result.records, 'record')} from ${plural(result.objects, 'object')}${countsText(result.byType)} into ${result.target}`;
  if (result.dryRun) return `dry run: would re-drive ${what}; nothing was changed${skipped}`;
  return `re-drove ${what}; moved to s3://${bucket}/${result.movedTo}${skipped}`;
};

export const interruptedLine = (result: RedriveResult): string =>
  `interrupted: ${result.records} records re-driven so far; run the same command again to continue`;

/** The `--json` line: counts only (plus `interrupted` and `skipped` when they apply). */
export const summaryJson = (result: RedriveResult): string =>
  JSON.stringify({
    mode: result.mode,
    dryRun: result.dryRun,
    objects: result.objects,
    records: result.records,
    byType: result.byType,
    ...(result.interrupted && { interrupted: true }),
    ...(result.skipped.length > 0 && { skipped: result.skipped.length }),
  });
