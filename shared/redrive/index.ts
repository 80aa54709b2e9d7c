export { parseRedriveArgs, REDRIVE_USAGE, type RedriveCommand, UsageError } from './cli-args';
export {
  decodeObjectBody,
  ERROR_OUTPUT_TYPES,
  type ErrorOutputType,
  errorTypeOfKey,
  type FirehoseErrorRecord,
  isErrorOutputType,
  isGzip,
  ObjectFormatError,
  parseErrorObject,
} from './error-records';
export {
  markerKey,
  originalKeyOf,
  PROGRESS_PREFIX,
  type ProgressMarker,
  readMarker,
  resumePoint,
  writeMarker,
} from './progress-marker';
export {
  type BatchPutResult,
  DEFAULT_RETRY,
  isRetryableCallError,
  putRecordBatchWithRetry,
  type RetryOptions,
} from './put-record-batch';
export { parseQuarantineObject } from './quarantine-records';
export { awsCall, describeError, RedriveError } from './redrive-error';
export {
  DEFAULT_ERRORS_PREFIX,
  DEFAULT_WAVE_SECONDS,
  type RedriveErrorsClients,
  type RedriveErrorsOptions,
  redriveErrors,
} from './redrive-errors';
export {
  DEFAULT_QUARANTINE_PREFIX,
  type RedriveQuarantineClients,
  type RedriveQuarantineOptions,
  redriveQuarantine,
} from './redrive-quarantine';
export type { RedriveLog, RedriveMode, RedriveResult, SkippedObject } from './redrive-result';
export { copySourceOf, listKeys, moveToRedriven, REDRIVEN_PREFIX, readObject, redrivenKey } from './s3-objects';
export { formatSummary, interruptedLine, summaryJson } from './summary';
export {
  type ChunkLimits,
  DEFAULT_MAX_PARTITIONS,
  groupByPartition,
  nextChunkEnd,
  type PartitionOf,
  PartitionWave,
  PUT_RECORD_BATCH_LIMITS,
} from './waves';
