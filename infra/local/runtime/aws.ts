import type { StreamEventSettings } from '../pipeline/serverless-config';

/**
 * The AWS constants the local emulators share: the local account, ARNs, and the service
 * quotas and defaults they enforce. Each value names the AWS documentation it follows.
 */

// --- Account, region, ARNs ---------------------------------------------------------------------

/** The account every local resource belongs to (LocalStack's default too). */
export const LOCAL_ACCOUNT_ID = '000000000000';
/** The region a local Lambda context gets when none is given. */
export const DEFAULT_REGION = 'us-east-1';
/** The memory size locally invoked functions report (context.memoryLimitInMB). */
export const LOCAL_FUNCTION_MEMORY_MB = 1024;

export const streamArn = (region: string, accountId: string, streamName: string): string =>
  `arn:aws:kinesis:${region}:${accountId}:stream/${streamName}`;

export const functionArn = (region: string, accountId: string, functionName: string): string =>
  `arn:aws:lambda:${region}:${accountId}:function:${functionName}`;

export const deliveryStreamArn = (region: string, accountId: string, deliveryStreamName: string): string =>
  `arn:aws:firehose:${region}:${accountId}:deliverystream/${deliveryStreamName}`;

export const bucketArn = (bucket: string): string => `arn:aws:s3:::${bucket}`;

export const roleArn = (accountId: string, roleName: string): string => `arn:aws:iam::${accountId}:role/${roleName}`;

// --- Lambda ------------------------------------------------------------------------------------

/** Lambda's limit on a synchronous invocation's payload, request and response (6 MB). */
export const LAMBDA_MAX_PAYLOAD_BYTES = 6 * 1024 * 1024;

// --- Kinesis and the Lambda event source mapping -------------------------------------------------

/** The largest `Limit` GetRecords accepts. */
export const KINESIS_MAX_GET_RECORDS_LIMIT = 10_000;

/** The event source mapping defaults AWS applies (CreateEventSourceMapping). */
export const DEFAULT_STREAM_SETTINGS: StreamEventSettings = {
  batchSize: 100,
  batchWindow: 0,
  startingPosition: 'TRIM_HORIZON',
  parallelizationFactor: 1,
  bisectBatchOnFunctionError: false,
  maximumRetryAttempts: -1,
  maximumRecordAgeInSeconds: -1,
};

// --- Firehose ----------------------------------------------------------------------------------

/** PutRecordBatch: records per call. */
export const FIREHOSE_MAX_BATCH_RECORDS = 500;
/** PutRecordBatch: total data per call. */
export const FIREHOSE_MAX_BATCH_BYTES = 4 * 1024 * 1024;
/** PutRecord/PutRecordBatch: one record's data, before base64 (1,000 KiB). */
export const FIREHOSE_MAX_RECORD_BYTES = 1_024_000;
/** Active partitions per delivery stream (default quota). */
export const FIREHOSE_DEFAULT_MAX_ACTIVE_PARTITIONS = 500;
/** S3 key prefix limit of the Firehose API (Prefix and ErrorOutputPrefix: 0–1024 characters). */
export const FIREHOSE_MAX_PREFIX_LENGTH = 1024;
/** A new delivery stream's VersionId (it also names its S3 objects). */
export const FIREHOSE_INITIAL_VERSION_ID = 1;
/** The Lambda processor's parameters when the configuration leaves them out. */
export const FIREHOSE_DEFAULT_PROCESSOR = { bufferSizeBytes: 1024 * 1024, bufferIntervalSeconds: 60, numberOfRetries: 3 };
/**
 * Firehose retries a failed delivery to S3 (every 5 seconds) until the stream's retention ends,
 * 24 hours for a DirectPut stream, then the data is lost
 * (https://docs.aws.amazon.com/firehose/latest/dev/troubleshooting.html; "Handle data delivery
 * failure", https://docs.aws.amazon.com/firehose/latest/dev/retry.html).
 */
export const FIREHOSE_S3_RETRY_INTERVAL_MS = 5_000;
export const FIREHOSE_S3_RETRY_DURATION_MS = 24 * 3_600_000;

// --- API Gateway HTTP API ----------------------------------------------------------------------

/** An HTTP API's request payload limit (10 MB); larger requests are 413 before the function. */
export const HTTP_API_MAX_PAYLOAD_BYTES = 10 * 1024 * 1024;
