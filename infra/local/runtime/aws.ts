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

/**
 * An on-demand stream starts with 4 MB/s and 4,000 records/s of write capacity, four shards' worth
 * (https://docs.aws.amazon.com/streams/latest/dev/how-do-i-size-a-stream.html): the local stack
 * creates it with that many shards (kinesalite has no on-demand mode, nor does it scale).
 */
export const KINESIS_ON_DEMAND_INITIAL_SHARDS = 4;

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
export const FIREHOSE_DEFAULT_PROCESSOR = {
  bufferSizeBytes: 1024 * 1024,
  bufferIntervalSeconds: 60,
  numberOfRetries: 3,
};
/**
 * Firehose retries a failed delivery to S3 (every 5 seconds) until the stream's retention ends,
 * 24 hours for a DirectPut stream, then the data is lost
 * (https://docs.aws.amazon.com/firehose/latest/dev/troubleshooting.html; "Handle data delivery
 * failure", https://docs.aws.amazon.com/firehose/latest/dev/retry.html).
 */
export const FIREHOSE_S3_RETRY_INTERVAL_MS = 5_000;
export const FIREHOSE_S3_RETRY_DURATION_MS = 24 * 3_600_000;

/**
 * The HTTP endpoint destination's contract ("Appendix - HTTP Endpoint Delivery Request and
 * Response Specifications", https://docs.aws.amazon.com/firehose/latest/dev/httpdeliveryrequestresponse.html):
 * protocol version 1.0; the endpoint has 3 minutes to answer; a response of at most 1 MiB; at
 * most 10,000 records per request; an access key of at most 4,096 bytes; at most 50 common
 * attributes (names 1–256 characters, values 0–1,024); failed requests retried with an
 * exponential back-off: 1 s initial, multiplier 2, 15 % jitter, capped at 2 minutes.
 */
export const FIREHOSE_HTTP_PROTOCOL_VERSION = '1.0';
export const FIREHOSE_HTTP_RESPONSE_TIMEOUT_MS = 180_000;
export const FIREHOSE_HTTP_MAX_RESPONSE_BYTES = 1024 * 1024;
export const FIREHOSE_HTTP_MAX_RECORDS_PER_REQUEST = 10_000;
export const FIREHOSE_HTTP_MAX_ACCESS_KEY_BYTES = 4096;
export const FIREHOSE_HTTP_COMMON_ATTRIBUTES = { max: 50, nameMaxLength: 256, valueMaxLength: 1024 } as const;
export const FIREHOSE_HTTP_BACKOFF = { initialMs: 1_000, multiplier: 2, jitter: 0.15, maxMs: 120_000 } as const;
/**
 * HttpEndpointBufferingHints: SizeInMBs 1–64, IntervalInSeconds 0–900
 * (https://docs.aws.amazon.com/firehose/latest/APIReference/API_HttpEndpointBufferingHints.html);
 * HttpEndpointRetryOptions: DurationInSeconds 0–7,200
 * (https://docs.aws.amazon.com/firehose/latest/APIReference/API_HttpEndpointRetryOptions.html),
 * 300 s when not given (the console's default, and routes.yml's).
 */
export const FIREHOSE_HTTP_BUFFER_SIZE_MIB = { min: 1, max: 64 } as const;
export const FIREHOSE_HTTP_BUFFER_INTERVAL_SECONDS = { min: 0, max: 900 } as const;
export const FIREHOSE_HTTP_RETRY_DURATION_SECONDS = { min: 0, max: 7_200, default: 300 } as const;
/**
 * The User-Agent Firehose's HTTP endpoint requests carry (not in the specification; the value
 * receivers of Firehose requests, e.g. Vector's and Loki's Firehose sources, see and test with).
 */
export const FIREHOSE_HTTP_USER_AGENT = 'Amazon Kinesis Data Firehose Agent/1.0';

// --- API Gateway HTTP API ----------------------------------------------------------------------

/** An HTTP API's request payload limit (10 MB); larger requests are 413 before the function. */
export const HTTP_API_MAX_PAYLOAD_BYTES = 10 * 1024 * 1024;

// --- EventBridge -------------------------------------------------------------------------------

/** A rule's ARN; a rule on a custom bus has the bus name in it (`rule/<bus>/<rule>`). */
export const eventRuleArn = (region: string, accountId: string, busName: string, ruleName: string): string =>
  busName === 'default'
    ? `arn:aws:events:${region}:${accountId}:rule/${ruleName}`
    : `arn:aws:events:${region}:${accountId}:rule/${busName}/${ruleName}`;

export const apiDestinationArn = (region: string, accountId: string, name: string): string =>
  `arn:aws:events:${region}:${accountId}:api-destination/${name}`;

/** PutEvents: 1–10 entries per call (API_PutEvents.html, Entries). */
export const EVENTBRIDGE_MAX_PUT_ENTRIES = 10;
/**
 * PutEvents: the entries' total size, counted as "Calculating PutEvents event entry size" counts
 * it (Time 14 bytes, Source, DetailType, Detail and each Resources entry as UTF-8), must not be
 * over 256 KB (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-putevent-size.html).
 */
export const EVENTBRIDGE_MAX_PUT_BYTES = 256 * 1024;
/** What an entry's `Time` counts toward the PutEvents size. */
export const EVENTBRIDGE_TIME_ENTRY_BYTES = 14;
/** An account's bus that always exists: entries without EventBusName go there. */
export const EVENTBRIDGE_DEFAULT_BUS = 'default';

// --- SQS ---------------------------------------------------------------------------------------

/** SQS API reference, https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/<page>. */
const SQS_API = 'https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference';
export const SQS_DOCS = {
  createQueue: `${SQS_API}/API_CreateQueue.html`,
  sendMessage: `${SQS_API}/API_SendMessage.html`,
  sendMessageBatch: `${SQS_API}/API_SendMessageBatch.html`,
  batchEntry: `${SQS_API}/API_SendMessageBatchRequestEntry.html`,
  receiveMessage: `${SQS_API}/API_ReceiveMessage.html`,
  changeMessageVisibility: `${SQS_API}/API_ChangeMessageVisibility.html`,
  listQueues: `${SQS_API}/API_ListQueues.html`,
  purgeQueue: `${SQS_API}/API_PurgeQueue.html`,
  messageAttributeValue: `${SQS_API}/API_MessageAttributeValue.html`,
  /** Message attributes: components, data types, the MD5 of message attributes. */
  messageMetadata:
    'https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-message-metadata.html',
  /** The JSON protocol's error response: `__type`, `message`, the `x-amzn-query-error` header. */
  jsonResponses:
    'https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-json-api-responses.html',
} as const;

/** `http://127.0.0.1:<port>/<account>/<name>`: a local queue's URL (SQS: `https://sqs.<region>.amazonaws.com/<account>/<name>`). */
export const queueUrl = (endpoint: string, accountId: string, queueName: string): string =>
  `${endpoint}/${accountId}/${queueName}`;

export const queueArn = (region: string, accountId: string, queueName: string): string =>
  `arn:aws:sqs:${region}:${accountId}:${queueName}`;

/** QueueName: 1–80 characters, alphanumerics, hyphens and underscores (CreateQueue, https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_CreateQueue.html). */
export const SQS_MAX_QUEUE_NAME_LENGTH = 80;
/**
 * A message, body and message attributes together (names, types and values all count): at most
 * 1 MiB, 1,048,576 bytes (SendMessage, MessageBody: https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SendMessage.html; https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-message-metadata.html).
 * A queue's MaximumMessageSize is 1,024–1,048,576 bytes, 1,048,576 by default (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_CreateQueue.html).
 */
export const SQS_MAX_MESSAGE_BYTES = 1_048_576;
export const SQS_MIN_MAXIMUM_MESSAGE_SIZE = 1_024;
/** SendMessageBatch: the sum of the batch's messages is at most 1 MiB, like one message (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SendMessageBatch.html). */
export const SQS_MAX_BATCH_BYTES = 1_048_576;
/** SendMessageBatch, DeleteMessageBatch, ChangeMessageVisibilityBatch: at most 10 entries (TooManyEntriesInBatchRequest, https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SendMessageBatch.html). */
export const SQS_MAX_BATCH_ENTRIES = 10;
/** A batch entry's Id: at most 80 characters, alphanumerics, hyphens and underscores (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SendMessageBatchRequestEntry.html). */
export const SQS_MAX_BATCH_ENTRY_ID_LENGTH = 80;
/** At most 10 message attributes per message; names and data types at most 256 characters (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-message-metadata.html). */
export const SQS_MAX_MESSAGE_ATTRIBUTES = 10;
export const SQS_MAX_ATTRIBUTE_NAME_LENGTH = 256;
export const SQS_MAX_ATTRIBUTE_TYPE_LENGTH = 256;
/** A Number attribute: up to 38 digits of precision, between 10^-128 and 10^+126 (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-message-metadata.html, "Message attribute data types"). */
export const SQS_NUMBER_MAX_DIGITS = 38;
export const SQS_NUMBER_MIN_EXPONENT = -128;
export const SQS_NUMBER_MAX_EXPONENT = 126;
/** ReceiveMessage: MaxNumberOfMessages 1–10 (default 1), WaitTimeSeconds 0–20 (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_ReceiveMessage.html; ReceiveMessageWaitTimeSeconds, API_CreateQueue.html). */
export const SQS_MAX_RECEIVE_MESSAGES = 10;
export const SQS_MAX_WAIT_TIME_SECONDS = 20;
/**
 * VisibilityTimeout 0–43,200 seconds (12 hours), 30 by default (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_CreateQueue.html); a message's
 * visibility cannot be extended past 12 hours (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_ChangeMessageVisibility.html).
 */
export const SQS_MAX_VISIBILITY_TIMEOUT_SECONDS = 43_200;
export const SQS_DEFAULT_VISIBILITY_TIMEOUT_SECONDS = 30;
/** MessageRetentionPeriod 60–1,209,600 seconds (14 days), 345,600 (4 days) by default (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_CreateQueue.html). */
export const SQS_MIN_RETENTION_SECONDS = 60;
export const SQS_MAX_RETENTION_SECONDS = 1_209_600;
export const SQS_DEFAULT_RETENTION_SECONDS = 345_600;
/** DelaySeconds 0–900 (15 minutes), per queue (API_CreateQueue.html) or per message (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SendMessage.html). */
export const SQS_MAX_DELAY_SECONDS = 900;
/** ListQueues: MaxResults 1–1,000; at most 1,000 URLs per response (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_ListQueues.html). */
export const SQS_MAX_LIST_QUEUES_RESULTS = 1_000;
/** One PurgeQueue per queue every 60 seconds, else PurgeQueueInProgress (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_PurgeQueue.html). */
export const SQS_PURGE_INTERVAL_MS = 60_000;
