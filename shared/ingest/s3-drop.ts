import { pipeline, type Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import type { Logger } from '@aws-lambda-powertools/logger';
import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { S3Event } from 'aws-lambda';
import { InvalidRecordError, toError } from '../errors';
import { exceedsJsonDepth, jsonTooDeepMessage } from '../json-depth';
import { adapt } from '../sources';
import {
  clipMessage,
  type DropResult,
  type DropSummary,
  excerptOf,
  formatDropReport,
  needsReport,
  positionOf,
  reportKeyFor,
  summarizeDrop,
} from './drop-report';
import { FileFormatError, JsonRecordSplitter, type SplitRecord, splitJsonRecords } from './json-records';
import type { DropConfig } from './s3-drop-config';
import { MAX_RECORD_BYTES, MAX_RECORDS_PER_PUT, type StreamRecordInput, type WriteOutcome } from './stream-writer';

export interface DropDependencies {
  s3: S3Client;
  /** A KinesisStreamWriter for the events stream (or anything with its contract). */
  writer: { write(records: readonly StreamRecordInput[]): Promise<WriteOutcome[]> };
  logger: Pick<Logger, 'info' | 'warn' | 'error'>;
  now?: () => Date;
}

export interface DropLimits {
  /** Milliseconds the invocation has left (Lambda context); unlimited when absent. */
  remainingMs?: () => number;
}

/** Every record of a PutRecords batch failed: the stream is unusable right now, so retry the file. */
export class StreamUnavailableError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'StreamUnavailableError';
  }
}

/**
 * Keys in S3 event notifications are URL-encoded the way HTML forms are: spaces as `+`,
 * everything else as %XX. A malformed escape is kept as it is rather than failing the event.
 */
export const decodeS3Key = (encoded: string): string => {
  const plus = encoded.replace(/\+/g, ' ');
  try {
    return decodeURIComponent(plus);
  } catch {
    return plus;
  }
};

/** The inverse, as S3 writes keys into events (for the local stack and tests). */
export const encodeS3Key = (key: string): string =>
  key
    .split('/')
    .map((segment) => encodeURIComponent(segment).replace(/%20/g, '+'))
    .join('/');

// No instanceof: zlib's errors come from Node's own realm (not the same Error under jest).
const isZlibError = (error: unknown): error is Error & { code: string } => {
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  return typeof code === 'string' && code.startsWith('Z_');
};

const isReadable = (body: unknown): body is Readable =>
  body !== null && typeof body === 'object' && typeof (body as Readable).pipe === 'function';

/** The object's bytes as chunks, gunzipped when asked; `close` releases the connection early. */
const openBody = (body: unknown, gzip: boolean): { chunks: AsyncIterable<Uint8Array>; close: () => void } => {
  if (!isReadable(body)) throw new Error('GetObject returned no readable body');
  if (!gzip) return { chunks: body, close: () => body.destroy() };
  const gunzip = createGunzip();
  // pipeline forwards the body's errors into gunzip (so iteration throws them) and tears
  // both down when either ends early; its own callback has nothing left to do.
  pipeline(body, gunzip, () => undefined);
  return {
    chunks: gunzip,
    close: () => {
      gunzip.destroy();
      body.destroy();
    },
  };
};

interface Pending {
  records: StreamRecordInput[];
  positions: { index: number; line: number; source: string }[];
  bytes: number;
}

/**
 * Reads one dropped object as a stream and sends its valid records to the events stream,
 * one PutRecords batch at a time (the next bytes are read only after a batch is accepted).
 * Bad records, records Kinesis refused after retries, and a file that stops being readable
 * end up in a report next to the drop location; nothing is deleted.
 *
 * Throws only for what a retry can fix (S3 unreachable, the whole stream refusing): the
 * records already sent are deduplicated by the consumer when the file is read again.
 */
export const processDropObject = async (
  object: { bucket: string; key: string; size?: number; eTag?: string },
  deps: DropDependencies,
  config: DropConfig,
  limits: DropLimits = {},
): Promise<DropResult> => {
  const now = deps.now ?? (() => new Date());
  const started = now();
  const result: DropResult = {
    bucket: object.bucket,
    key: object.key,
    ...(object.size !== undefined && { size: object.size }),
    ...(object.eTag && { eTag: object.eTag }),
    compressed: false,
    bytesRead: 0,
    records: 0,
    sent: 0,
    rejected: 0,
    refused: 0,
    rejectionReasons: {},
    refusalCodes: {},
    bySource: {},
    rejections: [],
    refusals: [],
    startedAt: started.toISOString(),
    seconds: 0,
  };

  const response = await deps.s3.send(new GetObjectCommand({ Bucket: object.bucket, Key: object.key }));
  if (result.size === undefined && response.ContentLength !== undefined) result.size = response.ContentLength;
  if (!result.eTag && response.ETag) result.eTag = response.ETag.replace(/"/g, '');
  result.compressed = object.key.endsWith('.gz') || response.ContentEncoding === 'gzip';
  const body = openBody(response.Body, result.compressed);

  const splitter = new JsonRecordSplitter({ maxRecordBytes: config.maxRecordBytes });
  let pending: Pending = { records: [], positions: [], bytes: 0 };

  const reject = (record: SplitRecord, reason: string, message: string, excerpt: Buffer | undefined) => {
    result.rejected++;
    result.rejectionReasons[reason] = (result.rejectionReasons[reason] ?? 0) + 1;
    if (result.rejections.length < config.maxReportedRecords) {
      result.rejections.push({
        index: record.index,
        line: record.line,
        reason,
        message: clipMessage(message),
        excerpt: excerpt ? excerptOf(excerpt) : '',
      });
    }
  };

  const flush = async () => {
    if (pending.records.length === 0) return;
    const batch = pending;
    pending = { records: [], positions: [], bytes: 0 };
    const outcomes = await deps.writer.write(batch.records);
    if (outcomes.every((outcome) => !outcome.ok)) {
      const first = outcomes[0] as Extract<WriteOutcome, { ok: false }>;
      throw new StreamUnavailableError(
        `The stream refused all ${outcomes.length} records of a batch (${first.errorCode}: ${first.errorMessage}); ${result.sent} records of ${object.key} were sent before`,
      );
    }
    outcomes.forEach((outcome, i) => {
      const position = batch.positions[i] as Pending['positions'][number];
      if (outcome.ok) {
        result.sent++;
        result.bySource[position.source] = (result.bySource[position.source] ?? 0) + 1;
        return;
      }
      result.refused++;
      result.refusalCodes[outcome.errorCode] = (result.refusalCodes[outcome.errorCode] ?? 0) + 1;
      if (result.refusals.length < config.maxReportedRecords) {
        result.refusals.push({
          index: position.index,
          line: position.line,
          errorCode: outcome.errorCode,
          errorMessage: clipMessage(outcome.errorMessage),
        });
      }
    });
  };

  const handle = async (record: SplitRecord) => {
    result.records++;
    if (record.tooLarge || record.data === undefined) {
      reject(
        record,
        'RECORD_TOO_LARGE',
        `Record is ${record.bytes} bytes or more, over the ${config.maxRecordBytes}-byte limit`,
        record.head,
      );
      return;
    }
    const data = record.data;
    let payload: unknown;
    const text = data.toString('utf8');
    if (exceedsJsonDepth(text)) {
      reject(record, 'JSON_TOO_DEEP', jsonTooDeepMessage('Record'), data);
      return;
    }
    try {
      payload = JSON.parse(text);
    } catch (error) {
      // A pretty-printed object read as NDJSON: its first line is a lone '{'.
      const hint =
        record.index === 0 && splitter.format === 'ndjson' && data.length === 1
          ? ' (the file looks like pretty-printed JSON: NDJSON needs one whole record per line; or send a JSON array)'
          : '';
      reject(record, 'MALFORMED_JSON', `Record is not valid JSON: ${toError(error).message}${hint}`, data);
      return;
    }
    let adapted: ReturnType<typeof adapt>;
    try {
      adapted = adapt(payload);
    } catch (error) {
      if (!(error instanceof InvalidRecordError)) throw error;
      reject(record, error.reason, error.message, data);
      return;
    }
    const partitionKey = adapted.event.clientId;
    const size = data.length + Buffer.byteLength(partitionKey);
    if (size > MAX_RECORD_BYTES) {
      reject(
        record,
        'RECORD_TOO_LARGE',
        `Record and partition key are ${size} bytes, over Kinesis's ${MAX_RECORD_BYTES}`,
        data,
      );
      return;
    }
    if (pending.records.length === MAX_RECORDS_PER_PUT || pending.bytes + size > config.batchMaxBytes) await flush();
    // The original bytes: the consumer parses, validates and deduplicates them like any producer's.
    pending.records.push({ partitionKey, data });
    pending.positions.push({ index: record.index, line: record.line, source: adapted.source });
    pending.bytes += size;
  };

  const outOfTime = () => limits.remainingMs !== undefined && limits.remainingMs() < config.timeMarginMs;

  try {
    for await (const record of splitJsonRecords(body.chunks, splitter)) {
      await handle(record);
      if (outOfTime()) {
        result.fileError = {
          code: 'TIME_LIMIT',
          message: `The function was about to time out after ${result.records} records (${positionOf(splitter.format, record)}); the rest of the file was not read. Drop the remainder as a new file.`,
          line: record.line,
        };
        break;
      }
    }
  } catch (caught) {
    if (caught instanceof FileFormatError) {
      result.fileError = {
        code: caught.code,
        message: caught.message,
        ...(caught.line !== undefined && { line: caught.line }),
      };
    } else if (isZlibError(caught)) {
      result.fileError = {
        code: 'BAD_GZIP',
        message: `The file cannot be gunzipped after ${splitter.bytesRead} uncompressed bytes (${caught.code}: ${caught.message}).`,
      };
    } else {
      throw caught;
    }
  } finally {
    body.close();
  }
  // Records completed before an error are good: send them too.
  await flush();
  result.format = splitter.format;
  result.bytesRead = splitter.bytesRead;
  result.seconds = (now().getTime() - started.getTime()) / 1000;

  if (needsReport(result)) {
    const reportKey = reportKeyFor(object.key, started, config.reportPrefix);
    result.reportKey = reportKey;
    await deps.s3.send(
      new PutObjectCommand({
        Bucket: object.bucket,
        Key: reportKey,
        Body: formatDropReport(result),
        ContentType: 'text/plain; charset=utf-8',
      }),
    );
  }
  return result;
};

/**
 * Handles an S3 ObjectCreated notification: each object under the ingest prefix in turn.
 * A bad file is reported, not thrown; an unexpected error (S3 or the stream unreachable)
 * fails the invocation after the other objects were tried, so Lambda retries the event.
 */
export const processS3Event = async (
  event: S3Event,
  deps: DropDependencies,
  config: DropConfig,
  limits: DropLimits = {},
): Promise<{ files: DropSummary[] }> => {
  const files: DropSummary[] = [];
  const failures: Error[] = [];
  // `Records` is absent from the s3:TestEvent S3 sends when a notification is configured.
  for (const record of event.Records ?? []) {
    const key = decodeS3Key(record.s3.object.key);
    const bucket = record.s3.bucket.name;
    if (!record.eventName.startsWith('ObjectCreated:') || !key.startsWith(config.ingestPrefix) || key.endsWith('/')) {
      deps.logger.warn('Ignoring an S3 notification outside the drop location', {
        eventName: record.eventName,
        bucket,
        key,
      });
      continue;
    }
    try {
      const result = await processDropObject(
        { bucket, key, size: record.s3.object.size, ...(record.s3.object.eTag && { eTag: record.s3.object.eTag }) },
        deps,
        config,
        limits,
      );
      const summary = summarizeDrop(result);
      if (result.reportKey) deps.logger.warn('Dropped file had failures; report written', { ...summary });
      else deps.logger.info('Dropped file processed', { ...summary });
      files.push(summary);
    } catch (caught) {
      const error = toError(caught);
      if (error.name === 'NoSuchKey') {
        // Deleted (or renamed) before we got to it: nothing to read, and a retry cannot change that.
        deps.logger.warn('Dropped object no longer exists; skipped', { bucket, key });
        continue;
      }
      deps.logger.error('Dropped file could not be processed; the invocation will fail and be retried', {
        bucket,
        key,
        error,
      });
      failures.push(error);
    }
  }
  if (failures.length === 1) throw failures[0];
  if (failures.length > 1)
    throw new AggregateError(failures, `${failures.length} dropped files could not be processed`);
  return { files };
};
