// The AWS call log for the IAM coverage check (shared/aws/call-recorder.ts, call-permissions.ts):
// which IAM action and resource each call needs, the middleware only with AWS_CALL_LOG, calls
// attributed to the function the local loader runs. The SDK's transport is replaced by a canned
// HTTP response: what is checked is the middleware above it.
// Actions and resources: https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazons3.html,
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/using-with-s3-policy-actions.html,
// https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-api-permissions-reference.html
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { BatchGetCommand } from '@aws-sdk/lib-dynamodb';
import type { Context } from 'aws-lambda';
import { handlerId, loadHandlerModule } from '../../../infra/local/lambda/handler-module';
import { callHandler, type LambdaHandler } from '../../../infra/local/lambda/invoker';
import { LOCAL_ACCOUNT_ID } from '../../../infra/local/runtime/aws';
import { callPermissions } from '../../../shared/aws/call-permissions';
import {
  CALL_LOG_VARIABLE,
  currentCaller,
  parseCallLog,
  RECORDED_ACCOUNT_ID,
  runAsFunction,
} from '../../../shared/aws/call-recorder';
import { createDynamoDbDocumentClient } from '../../../shared/aws/dynamodb-client';
import { createS3Client } from '../../../shared/aws/s3-client';

const TARGET = { region: 'eu-west-1', accountId: '111122223333' };
const LOCAL = { AWS_REGION: 'us-east-1', AWS_ENDPOINT_URL: 'http://127.0.0.1:1' };

/** A transport answering every request with `status` and `body`. */
const answer = (client: { config: object }, status: number, body: string, headers: Record<string, string> = {}) => {
  Object.assign(client.config, {
    requestHandler: {
      handle: async () => ({ response: { statusCode: status, headers, body: Readable.from([Buffer.from(body)]) } }),
    },
  });
};

let dir: string;
let log: string;
const recorded = () => parseCallLog(readFileSync(log, 'utf8'));

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'call-recorder-'));
  log = join(dir, 'calls.ndjson');
  writeFileSync(log, '');
  process.env[CALL_LOG_VARIABLE] = log;
});
afterEach(() => {
  delete process.env[CALL_LOG_VARIABLE];
  delete process.env.AWS_LAMBDA_FUNCTION_NAME;
  rmSync(dir, { recursive: true, force: true });
});

describe('callPermissions', () => {
  it.each([
    [
      'GetObject',
      { Bucket: 'b', Key: 'ingest/x.json' },
      [{ action: 's3:GetObject', resource: 'arn:aws:s3:::b/ingest/x.json' }],
    ],
    ['HeadObject', { Bucket: 'b', Key: 'k' }, [{ action: 's3:GetObject', resource: 'arn:aws:s3:::b/k' }]],
    [
      'GetObject',
      { Bucket: 'b', Key: 'k', VersionId: 'v1' },
      [{ action: 's3:GetObjectVersion', resource: 'arn:aws:s3:::b/k' }],
    ],
    ['PutObject', { Bucket: 'b', Key: 'a/b c' }, [{ action: 's3:PutObject', resource: 'arn:aws:s3:::b/a/b c' }]],
    ['UploadPart', { Bucket: 'b', Key: 'k' }, [{ action: 's3:PutObject', resource: 'arn:aws:s3:::b/k' }]],
    [
      'ListObjectsV2',
      { Bucket: 'b', Prefix: 'events/' },
      [{ action: 's3:ListBucket', resource: 'arn:aws:s3:::b', context: { 's3:prefix': 'events/' } }],
    ],
    ['HeadBucket', { Bucket: 'b' }, [{ action: 's3:ListBucket', resource: 'arn:aws:s3:::b' }]],
    [
      'DeleteObjects',
      { Bucket: 'b', Delete: { Objects: [{ Key: 'x' }, { Key: 'y' }] } },
      [
        { action: 's3:DeleteObject', resource: 'arn:aws:s3:::b/x' },
        { action: 's3:DeleteObject', resource: 'arn:aws:s3:::b/y' },
      ],
    ],
    [
      'CopyObject',
      { Bucket: 'b', Key: 'to', CopySource: 'src/from%20here' },
      [
        { action: 's3:PutObject', resource: 'arn:aws:s3:::b/to' },
        { action: 's3:GetObject', resource: 'arn:aws:s3:::src/from here' },
      ],
    ],
  ])('s3 %s %j', (operation, input, expected) => {
    expect(callPermissions('s3', operation, input, TARGET)).toEqual(expected);
  });

  it('kinesis: the stream by name or by ARN', () => {
    expect(callPermissions('kinesis', 'PutRecords', { StreamName: 'events', Records: [] }, TARGET)).toEqual([
      { action: 'kinesis:PutRecords', resource: 'arn:aws:kinesis:eu-west-1:111122223333:stream/events' },
    ]);
    const arn = 'arn:aws:kinesis:eu-west-1:444455556666:stream/other';
    expect(callPermissions('kinesis', 'PutRecords', { StreamARN: arn }, TARGET)).toEqual([
      { action: 'kinesis:PutRecords', resource: arn },
    ]);
    expect(callPermissions('kinesis', 'GetRecords', { ShardIterator: 'x' }, TARGET)).toEqual([
      { action: 'kinesis:GetRecords', resource: '*' },
    ]);
  });

  it('firehose, dynamodb: the delivery stream and every table of a batch', () => {
    expect(callPermissions('firehose', 'PutRecordBatch', { DeliveryStreamName: 'd', Records: [] }, TARGET)).toEqual([
      { action: 'firehose:PutRecordBatch', resource: 'arn:aws:firehose:eu-west-1:111122223333:deliverystream/d' },
    ]);
    expect(callPermissions('dynamodb', 'BatchWriteItem', { RequestItems: { t1: [], t2: [] } }, TARGET)).toEqual([
      { action: 'dynamodb:BatchWriteItem', resource: 'arn:aws:dynamodb:eu-west-1:111122223333:table/t1' },
      { action: 'dynamodb:BatchWriteItem', resource: 'arn:aws:dynamodb:eu-west-1:111122223333:table/t2' },
    ]);
    expect(callPermissions('dynamodb', 'Query', { TableName: 't', IndexName: 'byDay' }, TARGET)).toEqual([
      { action: 'dynamodb:Query', resource: 'arn:aws:dynamodb:eu-west-1:111122223333:table/t/index/byDay' },
    ]);
    expect(
      callPermissions('dynamodb', 'TransactWriteItems', { TransactItems: [{ Put: { TableName: 't' } }] }, TARGET),
    ).toEqual([{ action: 'dynamodb:PutItem', resource: 'arn:aws:dynamodb:eu-west-1:111122223333:table/t' }]);
  });

  it('sqs: the queue of the URL (its account), batch calls as the single-message action', () => {
    expect(
      callPermissions('sqs', 'SendMessageBatch', { QueueUrl: 'http://127.0.0.1:4566/000000000000/q1' }, TARGET),
    ).toEqual([{ action: 'sqs:SendMessage', resource: 'arn:aws:sqs:eu-west-1:000000000000:q1' }]);
    expect(callPermissions('sqs', 'GetQueueUrl', { QueueName: 'q2' }, TARGET)).toEqual([
      { action: 'sqs:GetQueueUrl', resource: 'arn:aws:sqs:eu-west-1:111122223333:q2' },
    ]);
  });

  it('eventbridge: PutEvents needs each bus its entries name, the default bus for those that name none', () => {
    const entries = [{ EventBusName: 'routing' }, {}, { EventBusName: 'routing' }];
    expect(callPermissions('eventbridge', 'PutEvents', { Entries: entries }, TARGET)).toEqual([
      { action: 'events:PutEvents', resource: 'arn:aws:events:eu-west-1:111122223333:event-bus/routing' },
      { action: 'events:PutEvents', resource: 'arn:aws:events:eu-west-1:111122223333:event-bus/default' },
    ]);
  });
});

describe('recordCalls', () => {
  it('records the calls made as a function: operation, permissions and how the call ended', async () => {
    const s3 = createS3Client(LOCAL);
    answer(s3, 404, '<?xml version="1.0"?><Error><Code>NoSuchKey</Code><Message>gone</Message></Error>');

    const error = await runAsFunction('functions/s3-drop/handler.handler', () =>
      s3.send(new GetObjectCommand({ Bucket: 'lake', Key: 'ingest/gone.json' })),
    ).catch((caught: unknown) => caught);

    expect((error as Error).name).toBe('NoSuchKey');
    expect(recorded()).toEqual([
      {
        handler: 'functions/s3-drop/handler.handler',
        service: 's3',
        operation: 'GetObject',
        permissions: [{ action: 's3:GetObject', resource: 'arn:aws:s3:::lake/ingest/gone.json' }],
        outcome: 'NoSuchKey',
      },
    ]);
  });

  it('records document-client calls as the DynamoDB operation IAM authorizes, with the local account', async () => {
    const dynamodb = createDynamoDbDocumentClient(LOCAL);
    answer(dynamodb, 200, '{"Responses":{"idempotency":[]}}', { 'content-type': 'application/x-amz-json-1.0' });

    await runAsFunction('functions/kinesis-consumer/handler.handler', () =>
      dynamodb.send(new BatchGetCommand({ RequestItems: { idempotency: { Keys: [{ id: 'a' }] } } })),
    );

    expect(RECORDED_ACCOUNT_ID).toBe(LOCAL_ACCOUNT_ID);
    expect(recorded()).toEqual([
      expect.objectContaining({
        operation: 'BatchGetItem',
        permissions: [
          { action: 'dynamodb:BatchGetItem', resource: 'arn:aws:dynamodb:us-east-1:000000000000:table/idempotency' },
        ],
        outcome: 'ok',
      }),
    ]);
  });

  it('records nothing made outside a function; AWS_LAMBDA_FUNCTION_NAME names one as in Lambda', async () => {
    const s3 = createS3Client(LOCAL);
    answer(s3, 200, '');

    await s3.send(new GetObjectCommand({ Bucket: 'lake', Key: 'harness' }));
    expect(recorded()).toEqual([]);
    process.env.AWS_LAMBDA_FUNCTION_NAME = 'usage-pipeline-test-s3Drop';
    await s3.send(new GetObjectCommand({ Bucket: 'lake', Key: 'lambda' }));

    expect(recorded()).toEqual([
      expect.objectContaining({ functionName: 'usage-pipeline-test-s3Drop', outcome: 'ok' }),
    ]);
  });

  it('adds no middleware without AWS_CALL_LOG', () => {
    const recording = createS3Client(LOCAL).middlewareStack.identify();
    delete process.env[CALL_LOG_VARIABLE];
    const plain = createS3Client(LOCAL).middlewareStack.identify();

    expect(recording.filter((name) => name.startsWith('awsCallRecorder'))).toHaveLength(1);
    expect(plain.filter((name) => name.startsWith('awsCallRecorder'))).toEqual([]);
    expect(plain).toEqual(recording.filter((name) => !name.startsWith('awsCallRecorder')));
  });
});

describe('loadHandlerModule with AWS_CALL_LOG', () => {
  const writeModule = (): string => {
    const path = join(dir, 'handler.js');
    const recorder = JSON.stringify(require.resolve('../../../shared/aws/call-recorder'));
    writeFileSync(
      path,
      [
        `const { currentCaller } = require(${recorder});`,
        'exports.atInit = currentCaller();',
        'exports.handler = async () => new Promise((resolve) => setTimeout(() => resolve(currentCaller()), 1));',
        'exports.callbackHandler = (event, context, callback) => setImmediate(() => callback(null, currentCaller()));',
      ].join('\n'),
    );
    return path;
  };
  const context = {} as Context;

  it('runs the init and each invocation (and what it starts) as the function, keeping the arity', async () => {
    const path = writeModule();
    const promised = loadHandlerModule<LambdaHandler>(path, 'handler');
    const callback = loadHandlerModule<LambdaHandler>(path, 'callbackHandler');

    expect(promised.exports.atInit).toEqual({ handler: handlerId(path, 'handler') });
    expect(handlerId(path, 'handler')).toMatch(/\/handler\.handler$/);
    expect(await callHandler(promised.handler, {}, context)).toEqual({ handler: handlerId(path, 'handler') });
    expect(callback.handler.length).toBe(3);
    expect(await callHandler(callback.handler, {}, context)).toEqual({ handler: handlerId(path, 'callbackHandler') });
    expect(currentCaller()).toBeUndefined();
  });

  it('names a function as serverless.yml does', () => {
    expect(handlerId('functions/s3-drop/handler', 'handler')).toBe('functions/s3-drop/handler.handler');
    expect(handlerId(join(__dirname, '../../../functions/ingest-api/handler.ts'), 'handler')).toBe(
      'functions/ingest-api/handler.handler',
    );
  });

  it('leaves the handler as it is without AWS_CALL_LOG', () => {
    const path = writeModule();
    delete process.env[CALL_LOG_VARIABLE];
    const loaded = loadHandlerModule<LambdaHandler>(path, 'callbackHandler');

    expect(loaded.handler).toBe(loaded.exports.callbackHandler);
  });
});
