import type { AwsService } from './client-config';

/**
 * What one SDK call needs from IAM: the action(s) AWS authorizes it as and the resource ARN each
 * applies to, from the command's name and input (the IAM coverage check, test/helpers/iam-coverage.ts,
 * compares these with the functions' roles). Actions and resources follow the Service Authorization
 * Reference (https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_actions-resources-contextkeys.html);
 * a resource that cannot be told from the input is `*`.
 */
export interface CallPermission {
  action: string;
  resource: string;
  /** Condition keys the request carries (e.g. `s3:prefix` of a ListObjectsV2). */
  context?: Record<string, string>;
}

export interface CallTarget {
  region: string;
  /** The account of resources named without an ARN (a stream name, a table name). */
  accountId: string;
}

/** The service prefix IAM actions carry. */
export const IAM_SERVICE_PREFIX: Readonly<Record<AwsService, string>> = {
  kinesis: 'kinesis',
  firehose: 'firehose',
  dynamodb: 'dynamodb',
  s3: 's3',
  eventbridge: 'events',
  sqs: 'sqs',
};

type Input = Readonly<Record<string, unknown>>;

const text = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);
const isArn = (value: string): boolean => value.startsWith('arn:');

// --- S3 -----------------------------------------------------------------------------------------
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/using-with-s3-policy-actions.html

/** Operations whose IAM action is not `s3:<Operation>`. */
const S3_ACTIONS: Readonly<Record<string, string>> = {
  HeadObject: 's3:GetObject',
  ListObjects: 's3:ListBucket',
  ListObjectsV2: 's3:ListBucket',
  HeadBucket: 's3:ListBucket',
  CreateMultipartUpload: 's3:PutObject',
  UploadPart: 's3:PutObject',
  CompleteMultipartUpload: 's3:PutObject',
  ListParts: 's3:ListMultipartUploadParts',
  ListMultipartUploads: 's3:ListBucketMultipartUploads',
  ListBuckets: 's3:ListAllMyBuckets',
  DeleteObjects: 's3:DeleteObject',
  CopyObject: 's3:PutObject',
};

const s3Permissions = (operation: string, input: Input): CallPermission[] => {
  const bucket = text(input.Bucket);
  const key = text(input.Key);
  const action = S3_ACTIONS[operation] ?? `s3:${operation}`;
  if (bucket === undefined) return [{ action, resource: '*' }];
  const bucketArn = `arn:aws:s3:::${bucket}`;
  if (operation === 'DeleteObjects') {
    const objects = ((input.Delete as { Objects?: { Key?: string }[] } | undefined)?.Objects ?? []).flatMap((object) =>
      text(object.Key) ? [`${bucketArn}/${object.Key}`] : [],
    );
    return objects.map((resource) => ({ action, resource }));
  }
  if (key === undefined) {
    const prefix = typeof input.Prefix === 'string' ? input.Prefix : undefined;
    return [{ action, resource: bucketArn, ...(prefix !== undefined && { context: { 's3:prefix': prefix } }) }];
  }
  const resource = `${bucketArn}/${key}`;
  // A versioned read is its own action: https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html
  const versioned = text(input.VersionId) !== undefined && action === 's3:GetObject';
  const permissions: CallPermission[] = [{ action: versioned ? 's3:GetObjectVersion' : action, resource }];
  const source = text(input.CopySource);
  if (operation === 'CopyObject' && source !== undefined) {
    // CopySource is `bucket/key`, URL-encoded: https://docs.aws.amazon.com/AmazonS3/latest/API/API_CopyObject.html
    const decoded = decodeURIComponent(source.replace(/^\//, '').split('?')[0] ?? '');
    permissions.push({ action: 's3:GetObject', resource: `arn:aws:s3:::${decoded}` });
  }
  return permissions;
};

// --- DynamoDB -----------------------------------------------------------------------------------

const tableArn = (table: string, target: CallTarget): string =>
  isArn(table) ? table : `arn:aws:dynamodb:${target.region}:${target.accountId}:table/${table}`;

/** TransactWriteItems / TransactGetItems are authorized as each item's own action. */
const TRANSACT_ITEM_ACTIONS: Readonly<Record<string, string>> = {
  Put: 'dynamodb:PutItem',
  Update: 'dynamodb:UpdateItem',
  Delete: 'dynamodb:DeleteItem',
  ConditionCheck: 'dynamodb:ConditionCheckItem',
  Get: 'dynamodb:GetItem',
};

const dynamoDbPermissions = (operation: string, input: Input, target: CallTarget): CallPermission[] => {
  const action = `dynamodb:${operation}`;
  if (input.RequestItems !== null && typeof input.RequestItems === 'object') {
    return Object.keys(input.RequestItems).map((table) => ({ action, resource: tableArn(table, target) }));
  }
  if (Array.isArray(input.TransactItems)) {
    return (input.TransactItems as Record<string, { TableName?: string }>[]).flatMap((item) =>
      Object.entries(item).map(([kind, body]) => ({
        action: TRANSACT_ITEM_ACTIONS[kind] ?? `dynamodb:${kind}`,
        resource: body?.TableName ? tableArn(body.TableName, target) : '*',
      })),
    );
  }
  const table = text(input.TableName);
  if (table === undefined) return [{ action, resource: '*' }];
  const index = text(input.IndexName);
  return [{ action, resource: `${tableArn(table, target)}${index ? `/index/${index}` : ''}` }];
};

// --- The others ---------------------------------------------------------------------------------

/** `https://sqs.<region>.amazonaws.com/<account>/<name>` (or a local `http://127.0.0.1:<port>/<account>/<name>`). */
const queueArnOf = (queueUrl: string, target: CallTarget): string => {
  const [, account, name] = new URL(queueUrl).pathname.split('/');
  return `arn:aws:sqs:${target.region}:${account || target.accountId}:${name ?? ''}`;
};

const sqsPermissions = (operation: string, input: Input, target: CallTarget): CallPermission[] => {
  // Batch calls are authorized as their single-message action:
  // https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-api-permissions-reference.html
  const action = `sqs:${operation.replace(/Batch$/, '')}`;
  const url = text(input.QueueUrl);
  if (url !== undefined) return [{ action, resource: queueArnOf(url, target) }];
  const name = text(input.QueueName);
  if (name === undefined) return [{ action, resource: '*' }];
  const account = text(input.QueueOwnerAWSAccountId) ?? target.accountId;
  return [{ action, resource: `arn:aws:sqs:${target.region}:${account}:${name}` }];
};

const busArn = (bus: string, target: CallTarget): string =>
  isArn(bus) ? bus : `arn:aws:events:${target.region}:${target.accountId}:event-bus/${bus}`;

const eventBridgePermissions = (operation: string, input: Input, target: CallTarget): CallPermission[] => {
  const action = `events:${operation}`;
  if (operation === 'PutEvents') {
    // An entry without EventBusName goes to the account's default bus (API_PutEventsRequestEntry.html).
    const buses = new Set(
      ((input.Entries as { EventBusName?: string }[] | undefined) ?? []).map(
        (entry) => entry.EventBusName || 'default',
      ),
    );
    return [...buses].map((bus) => ({ action, resource: busArn(bus, target) }));
  }
  const bus = text(input.EventBusName);
  return [{ action, resource: bus ? busArn(bus, target) : '*' }];
};

const streamPermissions = (operation: string, input: Input, target: CallTarget): CallPermission[] => {
  const action = `kinesis:${operation}`;
  const arn = text(input.StreamARN);
  const name = text(input.StreamName);
  const resource = arn ?? (name ? `arn:aws:kinesis:${target.region}:${target.accountId}:stream/${name}` : '*');
  return [{ action, resource }];
};

const deliveryStreamPermissions = (operation: string, input: Input, target: CallTarget): CallPermission[] => {
  const name = text(input.DeliveryStreamName);
  return [
    {
      action: `firehose:${operation}`,
      resource: name ? `arn:aws:firehose:${target.region}:${target.accountId}:deliverystream/${name}` : '*',
    },
  ];
};

/** The permissions `operation` (the command's name without `Command`) of `service` needs with `input`. */
export const callPermissions = (
  service: AwsService,
  operation: string,
  input: Input,
  target: CallTarget,
): CallPermission[] => {
  switch (service) {
    case 's3':
      return s3Permissions(operation, input);
    case 'dynamodb':
      return dynamoDbPermissions(operation, input, target);
    case 'sqs':
      return sqsPermissions(operation, input, target);
    case 'eventbridge':
      return eventBridgePermissions(operation, input, target);
    case 'kinesis':
      return streamPermissions(operation, input, target);
    case 'firehose':
      return deliveryStreamPermissions(operation, input, target);
  }
};
