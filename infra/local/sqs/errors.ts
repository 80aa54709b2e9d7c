/**
 * SQS's errors as the JSON protocol answers them (SQS_DOCS.jsonResponses): the HTTP status, a body
 * `{"__type": "com.amazonaws.sqs#<Shape>", "message": …}` and an `x-amzn-query-error: <Code>;Sender`
 * header. The SDK (`awsQueryCompatible`) reads the code from that header first and maps it to
 * the modelled error whose `awsQueryError` it is (QueueDoesNotExist's code is
 * AWS.SimpleQueueService.NonExistentQueue); the codes and statuses below are the ones the
 * @aws-sdk/client-sqs model gives each shape. InvalidParameterValue and MissingParameter are
 * SQS's common errors (no shape: the SDK raises an SQSServiceException named after the code).
 */
const NAMESPACE = 'com.amazonaws.sqs';

export class SqsError extends Error {
  constructor(
    /** The error shape (`__type` is `com.amazonaws.sqs#<shape>`). */
    readonly shape: string,
    message: string,
    readonly status = 400,
    /** The legacy (query protocol) code, sent in `x-amzn-query-error`. */
    readonly queryCode = shape,
  ) {
    super(message);
  }

  get type(): string {
    return `${NAMESPACE}#${this.shape}`;
  }

  /** Whether the caller is at fault (`Sender`, every error here but InternalError) or SQS (`Receiver`). */
  get fault(): 'Sender' | 'Receiver' {
    return this.status >= 500 ? 'Receiver' : 'Sender';
  }
}

export const invalidParameterValue = (message: string): SqsError => new SqsError('InvalidParameterValue', message);

export const missingParameter = (name: string): SqsError =>
  new SqsError('MissingParameter', `The request must contain the parameter ${name}.`);

/** "Value X for parameter P is invalid. Reason: …", SQS's wording for a value out of its range. */
export const invalidValue = (parameter: string, value: unknown, reason: string): SqsError =>
  invalidParameterValue(
    `Value ${typeof value === 'string' ? value : JSON.stringify(value)} for parameter ${parameter} is invalid. Reason: ${reason}`,
  );

export const queueDoesNotExist = (): SqsError =>
  new SqsError(
    'QueueDoesNotExist',
    'The specified queue does not exist.',
    400,
    'AWS.SimpleQueueService.NonExistentQueue',
  );

export const queueNameExists = (attribute: string): SqsError =>
  new SqsError(
    'QueueNameExists',
    `A queue already exists with the same name and a different value for attribute ${attribute}`,
    400,
    'QueueAlreadyExists',
  );

export const invalidAttributeName = (name: string): SqsError =>
  new SqsError('InvalidAttributeName', `Unknown Attribute ${name}.`);

export const invalidAttributeValue = (name: string): SqsError =>
  new SqsError('InvalidAttributeValue', `Invalid value for the parameter ${name}.`);

export const invalidAddress = (url: string): SqsError =>
  new SqsError('InvalidAddress', `The address ${url} is not valid for this endpoint.`, 404, 'InvalidAddress');

export const invalidMessageContents = (): SqsError =>
  new SqsError('InvalidMessageContents', 'Invalid characters found.');

export const receiptHandleIsInvalid = (handle: string): SqsError =>
  new SqsError(
    'ReceiptHandleIsInvalid',
    `The input receipt handle "${handle}" is not a valid receipt handle.`,
    404,
    'ReceiptHandleIsInvalid',
  );

export const messageNotInflight = (): SqsError =>
  new SqsError(
    'MessageNotInflight',
    'The specified message isn’t in flight.',
    400,
    'AWS.SimpleQueueService.MessageNotInflight',
  );

export const purgeQueueInProgress = (queueName: string): SqsError =>
  new SqsError(
    'PurgeQueueInProgress',
    `Only one PurgeQueue operation on ${queueName} is allowed every 60 seconds.`,
    403,
    'AWS.SimpleQueueService.PurgeQueueInProgress',
  );

export const emptyBatchRequest = (entry: string): SqsError =>
  new SqsError(
    'EmptyBatchRequest',
    `There should be at least one ${entry} in the request.`,
    400,
    'AWS.SimpleQueueService.EmptyBatchRequest',
  );

export const tooManyEntriesInBatchRequest = (max: number, sent: number): SqsError =>
  new SqsError(
    'TooManyEntriesInBatchRequest',
    `Maximum number of entries per request are ${max}. You have sent ${sent}.`,
    400,
    'AWS.SimpleQueueService.TooManyEntriesInBatchRequest',
  );

export const batchEntryIdsNotDistinct = (id: string): SqsError =>
  new SqsError(
    'BatchEntryIdsNotDistinct',
    `Id ${id} repeated.`,
    400,
    'AWS.SimpleQueueService.BatchEntryIdsNotDistinct',
  );

export const invalidBatchEntryId = (): SqsError =>
  new SqsError(
    'InvalidBatchEntryId',
    'A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long.',
    400,
    'AWS.SimpleQueueService.InvalidBatchEntryId',
  );

export const batchRequestTooLong = (max: number, sent: number): SqsError =>
  new SqsError(
    'BatchRequestTooLong',
    `Batch requests cannot be longer than ${max} bytes. You have sent ${sent} bytes.`,
    400,
    'AWS.SimpleQueueService.BatchRequestTooLong',
  );

export const unsupportedOperation = (message: string): SqsError =>
  new SqsError('UnsupportedOperation', message, 400, 'AWS.SimpleQueueService.UnsupportedOperation');
