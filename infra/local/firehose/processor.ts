import { randomUUID } from 'node:crypto';
import type { FirehoseTransformationEvent } from 'aws-lambda';
import type { FirehoseSettings } from '../pipeline/serverless-config';
import { LAMBDA_MAX_PAYLOAD_BYTES } from '../runtime/aws';
import { errorMessage } from '../runtime/errors';
import { Limiter } from '../runtime/limiter';
import { PROCESSING_FAILED_STATUS } from './error-records';
import type { Partitions } from './partitions';
import {
  type BufferedRecord,
  type FirehoseCounters,
  isObject,
  type Json,
  type RecordFailure,
  type TransformFunction,
} from './types';

export type ProcessorSettings = NonNullable<FirehoseSettings['processor']>;

type RecordResult = { result: 'Ok' | 'Dropped' | 'ProcessingFailed'; data?: Buffer; partitionKeys?: Json };

type Verdict = { valid: true; results: RecordResult[] } | { valid: false; failure: RecordFailure };

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

const base64Length = (bytes: number): number => 4 * Math.ceil(bytes / 3);

/** Checks a processor response against the invocation, as Firehose does. */
const judgeResponse = (response: unknown, batch: readonly BufferedRecord[]): Verdict => {
  const invalid = (errorCode: string, errorMessage: string): Verdict => ({
    valid: false,
    failure: { errorCode, errorMessage },
  });
  if (!isObject(response) || !Array.isArray(response.records)) {
    return invalid(
      'Lambda.JsonProcessingException',
      'The response is not an object with a records array. Ensure that the returned records follow the status model required by Firehose.',
    );
  }
  let size: number;
  try {
    size = Buffer.byteLength(JSON.stringify(response));
  } catch (error) {
    return invalid('Lambda.JsonProcessingException', `The response cannot be serialized: ${errorMessage(error)}`);
  }
  if (size > LAMBDA_MAX_PAYLOAD_BYTES) {
    return invalid(
      'Lambda.FunctionError',
      `Response payload size (${size} bytes) exceeded maximum allowed payload size (${LAMBDA_MAX_PAYLOAD_BYTES} bytes).`,
    );
  }
  const position = new Map(batch.map((record, index) => [record.recordId, index]));
  const results: (RecordResult | undefined)[] = Array.from({ length: batch.length }, () => undefined);
  for (const entry of response.records as unknown[]) {
    if (!isObject(entry) || typeof entry.recordId !== 'string') {
      return invalid('Lambda.JsonProcessingException', 'A returned record has no recordId string.');
    }
    const index = position.get(entry.recordId);
    if (index === undefined) {
      return invalid(
        'Lambda.MissingRecordId',
        `Record ID ${entry.recordId} was not in the invocation. Return every received record ID.`,
      );
    }
    if (results[index] !== undefined) {
      return invalid(
        'Lambda.DuplicatedRecordId',
        `Multiple records were returned with the record ID ${entry.recordId}. Return each record ID once.`,
      );
    }
    const result = entry.result;
    if (result !== 'Ok' && result !== 'Dropped' && result !== 'ProcessingFailed') {
      return invalid(
        'Lambda.JsonProcessingException',
        `Record ${entry.recordId} has an invalid result: ${String(result)}.`,
      );
    }
    let data: Buffer | undefined;
    if (typeof entry.data === 'string' && entry.data.length % 4 === 0 && BASE64.test(entry.data)) {
      data = Buffer.from(entry.data, 'base64');
    } else if (result === 'Ok') {
      return invalid('Lambda.JsonProcessingException', `Record ${entry.recordId} has no valid base64 data.`);
    }
    const metadata = entry.metadata;
    let partitionKeys: Json | undefined;
    if (metadata !== undefined && metadata !== null) {
      if (!isObject(metadata) || (metadata.partitionKeys !== undefined && !isObject(metadata.partitionKeys))) {
        return invalid(
          'Lambda.JsonProcessingException',
          `Record ${entry.recordId} has invalid metadata.partitionKeys.`,
        );
      }
      partitionKeys = metadata.partitionKeys as Json | undefined;
    }
    results[index] = { result, ...(data && { data }), ...(partitionKeys && { partitionKeys }) };
  }
  const missing = results.indexOf(undefined);
  if (missing !== -1) {
    return invalid(
      'Lambda.MissingRecordId',
      `One or more record IDs were not returned (first: ${batch[missing]?.recordId}). Return every received record ID.`,
    );
  }
  return { valid: true, results: results as RecordResult[] };
};

/** The processor as DescribeDeliveryStream shows it (`ProcessingConfiguration`). */
export const describeProcessing = (processor: ProcessorSettings | undefined, lambdaArn: string): Json =>
  processor
    ? {
        Enabled: true,
        Processors: [
          {
            Type: 'Lambda',
            Parameters: [
              { ParameterName: 'LambdaArn', ParameterValue: lambdaArn },
              { ParameterName: 'NumberOfRetries', ParameterValue: String(processor.numberOfRetries) },
              { ParameterName: 'BufferSizeInMBs', ParameterValue: String(processor.bufferSizeBytes / (1024 * 1024)) },
              { ParameterName: 'BufferIntervalInSeconds', ParameterValue: String(processor.bufferIntervalSeconds) },
            ],
          },
        ],
      }
    : { Enabled: false, Processors: [] };

export interface ProcessorOptions {
  settings: ProcessorSettings;
  transform: TransformFunction;
  deliveryStreamArn: string;
  region: string;
  /** Invocations in flight at once. */
  concurrency: number;
  counters: FirehoseCounters;
  /** Where processed records go: Ok to their partition, failures to processing-failed. */
  partitions: Partitions;
  /** Runs background work the Firehose waits for in flush() and stop(). */
  track: (work: Promise<void>) => void;
  isStopping: () => boolean;
}

/**
 * The processor stage: records buffered by size and interval (and within Lambda's 6 MB), the
 * transformer invoked with real transformation events and retried `numberOfRetries` times, and
 * its response held to Firehose's status model.
 */
export class Processor {
  private buffer: BufferedRecord[] = [];
  private bytes = 0;
  private payload = 0;
  private timer?: NodeJS.Timeout;
  private readonly limiter: Limiter;

  constructor(private readonly options: ProcessorOptions) {
    this.limiter = new Limiter(options.concurrency);
  }

  /** Records waiting for an invocation. */
  get buffered(): number {
    return this.buffer.length;
  }

  add(record: BufferedRecord): void {
    const { settings, isStopping } = this.options;
    // Keep the invocation payload within Lambda's 6 MB whatever the size hint.
    const payload = base64Length(record.data.length) + record.recordId.length + 64;
    if (this.buffer.length > 0 && this.payload + payload > LAMBDA_MAX_PAYLOAD_BYTES - 1024) {
      this.cutBatch();
    }
    this.buffer.push(record);
    this.bytes += record.data.length;
    this.payload += payload;
    if (this.bytes >= settings.bufferSizeBytes) {
      this.cutBatch();
    } else if (this.timer === undefined && !isStopping()) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        if (!isStopping() && this.buffer.length > 0) this.cutBatch();
      }, settings.bufferIntervalSeconds * 1000);
      this.timer.unref();
    }
  }

  /** Invokes the processor for what is buffered, if anything. */
  flush(): void {
    if (this.buffer.length > 0) this.cutBatch();
  }

  /** Clears the interval timer (stopping: what is buffered stays, undelivered). */
  stop(): void {
    clearTimeout(this.timer);
  }

  private cutBatch(): void {
    const batch = this.buffer;
    this.buffer = [];
    this.bytes = 0;
    this.payload = 0;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.options.track(this.limiter.run(() => this.invoke(batch)));
  }

  private async invoke(batch: BufferedRecord[]): Promise<void> {
    const { settings, transform, counters, partitions } = this.options;
    const attempts = settings.numberOfRetries + 1;
    let failure: RecordFailure = { errorCode: 'Lambda.FunctionError', errorMessage: 'not invoked' };
    for (let attempt = 1; attempt <= attempts; attempt++) {
      const event: FirehoseTransformationEvent = {
        invocationId: randomUUID(),
        deliveryStreamArn: this.options.deliveryStreamArn,
        region: this.options.region,
        records: batch.map((record) => ({
          recordId: record.recordId,
          approximateArrivalTimestamp: record.arrival,
          data: record.data.toString('base64'),
        })),
      };
      counters.invocations++;
      let response: unknown;
      try {
        response = await transform(event);
      } catch (error) {
        counters.invocationErrors++;
        failure = {
          errorCode: 'Lambda.FunctionError',
          errorMessage: `The Lambda function was successfully invoked but it returned an error result: ${errorMessage(error)}`,
        };
        continue;
      }
      const verdict = judgeResponse(response, batch);
      if (!verdict.valid) {
        counters.invocationErrors++;
        failure = verdict.failure;
        continue;
      }
      this.applyResults(batch, verdict.results, attempt);
      return;
    }
    for (const record of batch)
      partitions.routeError('processing-failed', record.data, record.arrival, failure, attempts, true);
  }

  private applyResults(batch: readonly BufferedRecord[], results: readonly RecordResult[], attempt: number): void {
    const { counters, partitions } = this.options;
    batch.forEach((record, index) => {
      const outcome = results[index];
      if (!outcome) return;
      counters.transformed++;
      if (outcome.result === 'Dropped') {
        counters.dropped++;
      } else if (outcome.result === 'ProcessingFailed') {
        partitions.routeError(
          'processing-failed',
          record.data,
          record.arrival,
          PROCESSING_FAILED_STATUS,
          attempt,
          true,
        );
      } else {
        counters.ok++;
        partitions.route(outcome.data ?? Buffer.alloc(0), record.arrival, outcome.partitionKeys, record.recordId);
      }
    });
  }
}
