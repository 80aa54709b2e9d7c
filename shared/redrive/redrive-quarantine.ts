import type { KinesisClient } from '@aws-sdk/client-kinesis';
import type { S3Client } from '@aws-sdk/client-s3';
import type { ReasonCode } from '../errors';
import { KinesisStreamWriter } from '../ingest/stream-writer';
import { DEFAULT_QUARANTINE_ROOT } from '../lake-layout';
import { DEFAULT_RETRY, type RetryOptions } from './put-record-batch';
import { parseQuarantineObject } from './quarantine-records';
import { RedriveError } from './redrive-error';
import { countRecords, emptyResult, plural, type RedriveLog, type RedriveResult } from './redrive-result';
import { listKeys, moveToRedriven, REDRIVEN_PREFIX, readParsed } from './s3-objects';

export const DEFAULT_QUARANTINE_PREFIX = DEFAULT_QUARANTINE_ROOT;

export interface RedriveQuarantineClients {
  s3: S3Client;
  kinesis: KinesisClient;
}

export interface RedriveQuarantineOptions extends RetryOptions {
  bucket: string;
  streamName: string;
  reason: ReasonCode;
  /** The consumer's QUARANTINE_PREFIX (default `quarantine/`). */
  quarantinePrefix?: string;
  dryRun?: boolean;
  /** Stops after the current object. */
  signal?: AbortSignal;
  log?: RedriveLog;
}

// One line per object is noise for thousands of them: every 100th (and the last) then.
const shouldLog = (position: number, total: number): boolean =>
  total <= 100 || position % 100 === 0 || position === total;

/**
 * Re-drives the quarantined records of one reason code (`quarantine/<reason>/…`, one record per
 * object) back into the Kinesis stream with their original partition key and bytes, one object
 * at a time: PutRecords (KinesisStreamWriter, failed entries retried), then the object moves to
 * `redriven/<key>`. Nothing needs a progress marker: the consumer deduplicates, so a record put
 * again after an interruption (put, then killed before the move) is stored once. A record the
 * consumer still rejects is quarantined again under a new key (its new sequence number).
 */
export const redriveQuarantine = async (
  { s3, kinesis }: RedriveQuarantineClients,
  options: RedriveQuarantineOptions,
): Promise<RedriveResult> => {
  const { bucket, streamName, reason, signal } = options;
  const log = options.log ?? (() => undefined);
  const dryRun = options.dryRun ?? false;
  const source = `${options.quarantinePrefix ?? DEFAULT_QUARANTINE_PREFIX}${reason}/`;
  const result = emptyResult({
    mode: 'quarantine',
    dryRun,
    bucket,
    target: streamName,
    sources: [source],
    movedTo: `${REDRIVEN_PREFIX}${source}`,
  });
  const keys = await listKeys(s3, bucket, source);
  result.found = keys.length;
  if (keys.length === 0) return result;
  log(`found ${plural(keys.length, 'object')} under s3://${bucket}/${source}`);

  const maxAttempts = options.maxAttempts ?? DEFAULT_RETRY.maxAttempts;
  const writer = new KinesisStreamWriter(kinesis, {
    streamName,
    maxAttempts,
    baseDelayMs: options.baseDelayMs ?? DEFAULT_RETRY.baseDelayMs,
    maxDelayMs: options.maxDelayMs ?? DEFAULT_RETRY.maxDelayMs,
    ...(options.sleep && { sleep: options.sleep }),
    ...(options.random && { random: options.random }),
  });

  for (const [index, key] of keys.entries()) {
    if (signal?.aborted) {
      result.interrupted = true;
      break;
    }
    const position = `[${index + 1}/${keys.length}]`;
    const read = await readParsed(s3, bucket, key, parseQuarantineObject, { result, log, position });
    if (read === undefined) continue;
    const { parsed: record, etag } = read;
    if (!dryRun) {
      // Not aborted mid-call: a put that was sent is allowed to finish, then the object moves.
      const [outcome] = await writer.write([record]);
      if (!outcome?.ok) {
        const failure = outcome ? `${outcome.errorCode}: ${outcome.errorMessage}` : 'no outcome';
        throw new RedriveError(
          `PutRecords ${streamName} failed after ${maxAttempts} attempts (${failure}); s3://${bucket}/${key} left in place`,
        );
      }
      await moveToRedriven(s3, bucket, key, etag);
    }
    countRecords(result, reason, 1);
    result.objects++;
    if (shouldLog(index + 1, keys.length)) {
      log(`${position} ${dryRun ? 'would re-drive' : 're-drove'} ${result.records} records so far (${key})`);
    }
  }
  return result;
};
