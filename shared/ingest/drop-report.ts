import { createHash } from 'node:crypto';
import type { FileErrorCode, RecordsFormat } from './json-records';

/** A record the drop did not send because it is invalid. */
export interface RejectedRecord {
  /** 0-based position among the file's records. */
  index: number;
  /** 1-based line where the record starts. */
  line: number;
  reason: string;
  message: string;
  /** The record's first bytes, on one line. */
  excerpt: string;
}

/** A valid record Kinesis still refused after the writer's retries. */
export interface RefusedRecord {
  index: number;
  line: number;
  errorCode: string;
  errorMessage: string;
}

export type DropStopCode = FileErrorCode | 'TIME_LIMIT';

/** What happened to one dropped object. */
export interface DropResult {
  bucket: string;
  key: string;
  /** Object size as stored (compressed when gzip). */
  size?: number;
  eTag?: string;
  compressed: boolean;
  format?: RecordsFormat;
  /** Bytes read after decompression. */
  bytesRead: number;
  /** Records split out of the file (sent + rejected + refused). */
  records: number;
  sent: number;
  rejected: number;
  refused: number;
  rejectionReasons: Record<string, number>;
  refusalCodes: Record<string, number>;
  /** Records sent, per claiming source adapter. */
  bySource: Record<string, number>;
  /** Why reading stopped before the end of the file, when it did. */
  fileError?: { code: DropStopCode; message: string; line?: number };
  /** The first rejected / refused records (up to the configured limit); the counts cover all. */
  rejections: RejectedRecord[];
  refusals: RefusedRecord[];
  /** Where the failure report was written; absent when every record was accepted. */
  reportKey?: string;
  startedAt: string;
  seconds: number;
}

/** Whether a drop needs a failure report: anything rejected, refused, or an unreadable file. */
export const needsReport = (result: DropResult): boolean =>
  result.rejected > 0 || result.refused > 0 || result.fileError !== undefined;

const pad2 = (value: number) => String(value).padStart(2, '0');

/** `MM-DD-YYYY` in UTC, the date format of the drop location's keys. */
export const dropDate = (date: Date): string =>
  `${pad2(date.getUTCMonth() + 1)}-${pad2(date.getUTCDate())}-${date.getUTCFullYear()}`;

const MAX_KEY_BYTES = 1024;

/**
 * `failed-requests/<MM-DD-YYYY>/<original key>.reason.txt`, dated the day of processing. S3
 * keys stop at 1,024 bytes: an original key too long for that is cut and suffixed with a
 * hash of the whole key, so the report key stays unique.
 */
export const reportKeyFor = (key: string, processedAt: Date, prefix: string): string => {
  const head = `${prefix}${dropDate(processedAt)}/`;
  const full = `${head}${key}.reason.txt`;
  if (Buffer.byteLength(full) <= MAX_KEY_BYTES) return full;
  const tail = `-${createHash('sha256').update(key).digest('hex').slice(0, 16)}.reason.txt`;
  let cut = Buffer.from(key)
    .subarray(0, MAX_KEY_BYTES - Buffer.byteLength(head) - tail.length)
    .toString('utf8');
  // A multi-byte character cut in half decodes as U+FFFD (3 bytes): drop it.
  while (cut.endsWith('\uFFFD') || Buffer.byteLength(head + cut + tail) > MAX_KEY_BYTES) cut = cut.slice(0, -1);
  return `${head}${cut}${tail}`;
};

const EXCERPT_CHARS = 120;
const MESSAGE_CHARS = 300;

const oneLine = (text: string, max: number): string => {
  // Control characters (newlines of a pretty-printed record included) become spaces.
  const flat = text
    // biome-ignore lint/suspicious/noControlCharactersInRegex: that is the point
    .replace(/[\u0000-\u001f\u007f]+/g, ' ')
    .replace(/ {2,}/g, ' ')
    .trim();
  return flat.length > max ? `${flat.slice(0, max)}…` : flat;
};

/** A record's first bytes as a one-line excerpt for the report. */
export const excerptOf = (data: Buffer): string =>
  oneLine(data.subarray(0, EXCERPT_CHARS * 4).toString('utf8'), EXCERPT_CHARS);

export const clipMessage = (message: string): string => oneLine(message, MESSAGE_CHARS);

const FORMAT_NAMES: Record<RecordsFormat, string> = { 'json-array': 'JSON array', ndjson: 'NDJSON' };

const countsText = (counts: Record<string, number>): string => {
  const entries = Object.entries(counts).sort(([a, x], [b, y]) => y - x || a.localeCompare(b));
  return entries.length === 0 ? '' : `  (${entries.map(([name, count]) => `${name} ${count}`).join(', ')})`;
};

/** Where a record sits in the file: `line N` for NDJSON, `record #N (line L)` in an array. */
export const positionOf = (format: RecordsFormat | undefined, record: { index: number; line: number }): string =>
  format === 'json-array' ? `record #${record.index + 1} (line ${record.line})` : `line ${record.line}`;

const headline = (result: DropResult): string => {
  if (result.fileError?.code === 'TIME_LIMIT') return 'INCOMPLETE: processing stopped before the end of the file';
  if (result.fileError) return 'FILE UNREADABLE: reading stopped at an error';
  if (result.rejected > 0 && result.refused > 0) return 'RECORDS REJECTED AND REFUSED';
  if (result.rejected > 0) return 'RECORDS REJECTED';
  if (result.refused > 0) return 'RECORDS REFUSED BY THE STREAM';
  return 'ALL RECORDS ACCEPTED';
};

/**
 * The human-readable failure report for a dropped file: what was read, which records were
 * rejected or refused and why, and whether the file could be read to the end.
 */
export const formatDropReport = (result: DropResult): string => {
  const sizeParts = [
    result.size === undefined ? undefined : `${result.size} bytes${result.compressed ? ' (gzip)' : ''}`,
    result.compressed ? `${result.bytesRead} bytes uncompressed` : undefined,
    result.eTag ? `ETag ${result.eTag}` : undefined,
  ].filter(Boolean);
  const width = String(result.records).length;
  const num = (value: number) => String(value).padStart(width);
  const lines = [
    `S3 drop report: ${headline(result)}`,
    '',
    `File        s3://${result.bucket}/${result.key}`,
    ...(sizeParts.length > 0 ? [`Size        ${sizeParts.join(', ')}`] : []),
    `Format      ${result.format ? FORMAT_NAMES[result.format] : 'unknown (not read as records)'}${result.compressed ? ', gzip' : ''}`,
    `Processed   ${result.startedAt} (${result.seconds.toFixed(1)} s)`,
    '',
    'Totals',
    `  records read         ${num(result.records)}`,
    `  sent to the stream   ${num(result.sent)}${countsText(result.bySource)}`,
    `  rejected             ${num(result.rejected)}${countsText(result.rejectionReasons)}`,
    `  refused by Kinesis   ${num(result.refused)}${countsText(result.refusalCodes)}`,
    '',
    'Only rejected and refused records were not sent; the pipeline validates the sent ones',
    'again and deduplicates them, so dropping a corrected file again (whole or only the',
    'failed records) is safe.',
  ];
  const labelWidth = Math.max(
    0,
    ...[...result.rejections, ...result.refusals].map((record) => positionOf(result.format, record).length),
  );
  const label = (record: { index: number; line: number }) => positionOf(result.format, record).padEnd(labelWidth);
  if (result.rejected > 0) {
    lines.push(
      '',
      `Rejected records (${result.format === 'json-array' ? 'record numbers and lines' : 'line numbers'} are 1-based)`,
    );
    for (const record of result.rejections) {
      lines.push(`  ${label(record)} ${record.reason}: ${record.message}`);
      if (record.excerpt) lines.push(`  ${''.padEnd(labelWidth)}   ${record.excerpt}`);
    }
    const unlisted = result.rejected - result.rejections.length;
    if (unlisted > 0)
      lines.push(`  … ${unlisted} more rejected records not listed (the first ${result.rejections.length} are)`);
  }
  if (result.refused > 0) {
    lines.push('', 'Refused by Kinesis after retries (valid records that were not sent: drop them again)');
    for (const record of result.refusals) lines.push(`  ${label(record)} ${record.errorCode}: ${record.errorMessage}`);
    const unlisted = result.refused - result.refusals.length;
    if (unlisted > 0)
      lines.push(`  … ${unlisted} more refused records not listed (the first ${result.refusals.length} are)`);
  }
  if (result.fileError) {
    const { code, message } = result.fileError;
    lines.push(
      '',
      code === 'TIME_LIMIT' ? 'Stopped early' : 'File error',
      `  ${code}: ${message}`,
      result.records > 0
        ? `  The ${result.records === 1 ? 'record' : `${result.records} records`} before this point ${result.records === 1 ? 'was' : 'were'} handled as counted above; nothing after it was read.`
        : '  No record could be read from the file.',
    );
  }
  return `${lines.join('\n')}\n`;
};

/** The result without the per-record details (for logs and the handler's response). */
export const summarizeDrop = ({ rejections: _rejections, refusals: _refusals, ...summary }: DropResult) => summary;
export type DropSummary = ReturnType<typeof summarizeDrop>;
