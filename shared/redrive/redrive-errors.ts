import type { FirehoseClient } from '@aws-sdk/client-firehose';
import type { S3Client } from '@aws-sdk/client-s3';
import { DEFAULT_ERROR_ROOT } from '../lake-layout';
import { ERROR_OUTPUT_TYPES, type ErrorOutputType, parseErrorObject } from './error-records';
import { deleteMarker, originalKeyOf, PROGRESS_PREFIX, readMarker, resumePoint, writeMarker } from './progress-marker';
import { putRecordBatchWithRetry, type RetryOptions } from './put-record-batch';
import { RedriveError } from './redrive-error';
import {
  countRecords,
  emptyResult,
  plural,
  type RedriveLog,
  type RedriveResult,
  waitUnlessAborted,
} from './redrive-result';
import { listKeys, moveToRedriven, REDRIVEN_PREFIX, readParsed } from './s3-objects';
import {
  DEFAULT_MAX_PARTITIONS,
  groupByPartition,
  nextChunkEnd,
  type PartitionOf,
  PartitionWave,
  PUT_RECORD_BATCH_LIMITS,
} from './waves';

export const DEFAULT_ERRORS_PREFIX = DEFAULT_ERROR_ROOT;
/** The project's Firehose buffering (60 s destination + 60 s processor) plus a margin. */
export const DEFAULT_WAVE_SECONDS = 125;

export interface RedriveErrorsClients {
  s3: S3Client;
  firehose: FirehoseClient;
}

export interface RedriveErrorsOptions extends RetryOptions {
  bucket: string;
  deliveryStreamName: string;
  /** Error output types to re-drive (default both). */
  types?: readonly ErrorOutputType[];
  /** Where Firehose writes error outputs (default `errors/`). */
  errorsPrefix?: string;
  dryRun?: boolean;
  /** The partition each record will land in: records are sent in waves of ≤ maxPartitions of them. */
  partitionOf?: PartitionOf;
  maxPartitions?: number;
  /** Wait between two waves (Firehose closes a partition once its buffer interval expires). */
  waveSeconds?: number;
  /** Stops after the current chunk and its marker (or at once during a wave wait). */
  signal?: AbortSignal;
  log?: RedriveLog;
}

interface ErrorObject {
  key: string;
  type: ErrorOutputType;
}

/**
 * Re-drives Firehose error outputs (`errors/<type>/…`, NDJSON error records, gzip or not) into
 * the delivery stream with PutRecordBatch: each record's `rawData` goes back as it was, so the
 * transformer sees it again. The records were already deduplicated by the consumer, which is why
 * they go straight to Firehose and never through Kinesis.
 *
 * One object at a time, chunk by chunk; after every accepted chunk a progress marker
 * (`redrive-progress/<key>.json`: key, ETag, recordsDone) is written, and a run that finds a
 * marker for the same ETag resumes after recordsDone. Once all of an object's records are
 * accepted it is copied to `redriven/<key>`, the original deleted, then the marker.
 *
 * Remaining window: a kill -9 (or a lost marker write) after Firehose accepted a chunk but before
 * its marker is stored re-puts that one chunk (≤ 500 records) on the next run, and Firehose does
 * not deduplicate. Likewise, when a chunk is given up on, its accepted records after the first
 * refused one are put again by the next run (the marker only records a contiguous prefix).
 */
export const redriveErrors = async (
  { s3, firehose }: RedriveErrorsClients,
  options: RedriveErrorsOptions,
): Promise<RedriveResult> => {
  const { bucket, deliveryStreamName, signal } = options;
  const log = options.log ?? (() => undefined);
  const errorsPrefix = options.errorsPrefix ?? DEFAULT_ERRORS_PREFIX;
  const types = options.types ?? ERROR_OUTPUT_TYPES;
  const dryRun = options.dryRun ?? false;
  const waveSeconds = options.waveSeconds ?? DEFAULT_WAVE_SECONDS;
  const wave = new PartitionWave(options.maxPartitions ?? DEFAULT_MAX_PARTITIONS);
  const sources = types.map((type) => `${errorsPrefix}${type}/`);
  const result = emptyResult({
    mode: 'errors',
    dryRun,
    bucket,
    target: deliveryStreamName,
    sources,
    movedTo: `${REDRIVEN_PREFIX}${errorsPrefix}`,
  });

  const objects: ErrorObject[] = [];
  for (const [index, type] of types.entries()) {
    for (const key of await listKeys(s3, bucket, sources[index] ?? '')) objects.push({ key, type });
  }
  const markers = new Set<string>();
  for (const source of sources) {
    for (const marker of await listKeys(s3, bucket, `${PROGRESS_PREFIX}${source}`)) {
      const original = originalKeyOf(marker);
      if (original !== undefined) markers.add(original);
    }
  }
  const present = new Set(objects.map(({ key }) => key));
  if (!dryRun) {
    // A marker whose object is gone: the run that moved it stopped before deleting the marker.
    for (const original of markers) if (!present.has(original)) await deleteMarker(s3, bucket, original);
  }
  result.found = objects.length;
  if (objects.length === 0) return result;
  log(
    `found ${plural(objects.length, 'object')} under ${sources.map((source) => `s3://${bucket}/${source}`).join(', ')}`,
  );

  for (const [index, { key, type }] of objects.entries()) {
    if (signal?.aborted) {
      result.interrupted = true;
      break;
    }
    const position = `[${index + 1}/${objects.length}]`;
    const read = await readParsed(s3, bucket, key, parseErrorObject, { result, log, position });
    if (read === undefined) continue;
    let records = read.parsed;
    // Records of one partition go together, so a wave of ≤ maxPartitions partitions carries
    // whole partitions instead of stopping at the first new one in a shuffled object. The order
    // is a pure function of the object's bytes, so a resumed run counts recordsDone the same way.
    if (options.partitionOf) records = groupByPartition(records, options.partitionOf);
    const hadMarker = markers.has(key);
    const start = hadMarker ? resumePoint(await readMarker(s3, bucket, key), key, read.etag, records.length) : 0;
    if (start > 0) log(`${position} ${key}: resuming after ${start} of ${records.length} records`);
    if (dryRun) {
      countRecords(result, type, records.length - start);
      result.objects++;
      log(`${position} ${key}: would re-drive ${records.length - start} records (${type})`);
      continue;
    }

    const sizes = records.map((record) => record.length);
    const partitions = records.map((record) => options.partitionOf?.(record));
    let done = start;
    let wroteMarker = hadMarker;
    let chunks = 0;
    while (done < records.length) {
      if (!wave.admits(partitions[done])) {
        log(`waiting ${waveSeconds} s for Firehose to close ${wave.size} partitions…`);
        await waitUnlessAborted(waveSeconds * 1000, signal, options.sleep);
        if (signal?.aborted) break;
        wave.reset();
      }
      const end = nextChunkEnd(sizes, partitions, done, wave, PUT_RECORD_BATCH_LIMITS);
      const put = await putRecordBatchWithRetry(firehose, deliveryStreamName, records.slice(done, end), options);
      const firstRefused = put.accepted.indexOf(false);
      if (firstRefused >= 0) {
        if (firstRefused > 0) await writeMarker(s3, bucket, { key, etag: read.etag, recordsDone: done + firstRefused });
        const refused = put.accepted.filter((accepted) => !accepted).length;
        throw new RedriveError(
          `PutRecordBatch ${deliveryStreamName} failed: ${refused} of ${end - done} records still refused after ${put.attempts} attempts (${put.lastFailure ?? 'unknown error'}); ` +
            `s3://${bucket}/${key} left in place with ${done + firstRefused} of ${records.length} records done`,
        );
      }
      done = end;
      await writeMarker(s3, bucket, { key, etag: read.etag, recordsDone: done });
      wroteMarker = true;
      chunks++;
      // Every 10th chunk (5,000 records at most): enough to see a large object move.
      if (done < records.length && chunks % 10 === 0) log(`${position} ${key}: ${done}/${records.length} records`);
      if (signal?.aborted) break;
    }
    countRecords(result, type, done - start);
    if (done < records.length) {
      result.interrupted = true;
      break;
    }
    await moveToRedriven(s3, bucket, key, read.etag);
    if (wroteMarker) await deleteMarker(s3, bucket, key);
    result.objects++;
    log(`${position} ${key}: ${records.length - start} records re-driven (${type}); ${result.records} so far`);
  }
  return result;
};
