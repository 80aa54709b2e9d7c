import type { RecordFailure } from './types';

/** Firehose's error records: what its error outputs (processing-failed, partitioning-failed) hold. */

/** A record the processor returned with `result: ProcessingFailed`. */
export const PROCESSING_FAILED_STATUS: RecordFailure = {
  errorCode: 'Lambda.ProcessingFailedStatus',
  errorMessage: 'ProcessingFailed status set for record',
};

/** A record of a new partition while the active-partition quota is reached. */
export const activePartitionsExceeded = (limit: number): RecordFailure => ({
  errorCode: 'DynamicPartitioning.ActivePartitionsLimitExceeded',
  errorMessage: `The number of active partitions exceeded the limit of ${limit}.`,
});

export interface ErrorRecordInput {
  attemptsMade: number;
  arrivalTimestamp: number;
  failure: RecordFailure;
  attemptEndingTimestamp: number;
  rawData: Buffer;
  /** The processor's ARN: processing-failed records carry it, partitioning-failed ones do not. */
  lambdaArn?: string;
}

/** One error record, as a JSON line of an error object. */
/** The fields every Firehose failed-record line starts with, in the documented order. */
const failedFields = (input: Omit<ErrorRecordInput, 'lambdaArn'>) => ({
  attemptsMade: input.attemptsMade,
  arrivalTimestamp: input.arrivalTimestamp,
  errorCode: input.failure.errorCode,
  errorMessage: input.failure.errorMessage,
  attemptEndingTimestamp: input.attemptEndingTimestamp,
  rawData: input.rawData.toString('base64'),
});

const jsonLine = (line: object): Buffer => Buffer.from(`${JSON.stringify(line)}\n`);

export const errorRecordLine = (input: ErrorRecordInput): Buffer =>
  jsonLine({ ...failedFields(input), ...(input.lambdaArn !== undefined && { lambdaArn: input.lambdaArn }) });

/** A record the HTTP endpoint destination could not deliver within its retry duration (S3 backup, FailedDataOnly). */
export interface HttpEndpointFailedInput {
  /** Requests made for the record's batch. */
  attemptsMade: number;
  arrivalTimestamp: number;
  /** The last attempt's failure. */
  failure: RecordFailure;
  attemptEndingTimestamp: number;
  rawData: Buffer;
  /** The record's ID (PutRecord / PutRecordBatch `RecordId`). */
  recordId: string | undefined;
}

/**
 * One failed HTTP endpoint record, as a JSON line of an `http-endpoint-failed` backup object: the
 * fields of the documented example ("Handle data delivery failure", HTTP endpoint destination,
 * https://docs.aws.amazon.com/firehose/latest/dev/retry.html), in its order. `dataId` is the
 * record's ID and its subsequence number (always 0 for a DirectPut record, which is never
 * aggregated).
 */
export const httpEndpointFailedLine = (input: HttpEndpointFailedInput): Buffer =>
  jsonLine({
    ...failedFields(input),
    subsequenceNumber: 0,
    ...(input.recordId !== undefined && { dataId: `${input.recordId}.0` }),
  });
