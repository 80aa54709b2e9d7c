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
export const errorRecordLine = (input: ErrorRecordInput): Buffer => {
  const line = {
    attemptsMade: input.attemptsMade,
    arrivalTimestamp: input.arrivalTimestamp,
    errorCode: input.failure.errorCode,
    errorMessage: input.failure.errorMessage,
    attemptEndingTimestamp: input.attemptEndingTimestamp,
    rawData: input.rawData.toString('base64'),
    ...(input.lambdaArn !== undefined && { lambdaArn: input.lambdaArn }),
  };
  return Buffer.from(`${JSON.stringify(line)}\n`);
};
