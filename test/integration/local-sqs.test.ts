import { createHash } from 'node:crypto';
import {
  BatchEntryIdsNotDistinct,
  ChangeMessageVisibilityCommand,
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  DeleteMessageCommand,
  DeleteQueueCommand,
  EmptyBatchRequest,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  InvalidAttributeValue,
  ListQueuesCommand,
  type MessageAttributeValue,
  PurgeQueueCommand,
  PurgeQueueInProgress,
  QueueDoesNotExist,
  QueueNameExists,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  SetQueueAttributesCommand,
  type SQSClient,
  SQSServiceException,
  TooManyEntriesInBatchRequest,
} from '@aws-sdk/client-sqs';
import { LocalSqs, md5OfMessageAttributes } from '../../infra/local/sqs';
import { parseMessageAttributes } from '../../infra/local/sqs/message-attributes';
import { createSqsClient } from '../../shared/aws/sqs-client';

// The local SQS on a real port, driven by the real @aws-sdk/client-sqs (AWS JSON 1.0; the SDK
// checks MD5OfMessageBody on every send and receive) built by the project's client factory.

const REGION = 'eu-west-1';
let sqs: LocalSqs;
let client: SQSClient;
let queueCount = 0;

const clientFor = (endpoint: string): SQSClient =>
  // Long polls hold a request for up to 20 s: more than the client's default request timeout (5 s).
  createSqsClient(
    { AWS_ENDPOINT_URL_SQS: endpoint, AWS_REGION: REGION, AWS_MAX_ATTEMPTS: '1' },
    { requestTimeoutMs: 30_000 },
  );

beforeAll(async () => {
  sqs = new LocalSqs({ region: REGION });
  client = clientFor((await sqs.start()).endpoint);
});

afterAll(async () => {
  client?.destroy();
  await sqs?.stop();
});

const newQueue = async (attributes: Record<string, string> = {}): Promise<string> => {
  const { QueueUrl } = await client.send(
    new CreateQueueCommand({ QueueName: `it-queue-${++queueCount}`, Attributes: attributes }),
  );
  if (!QueueUrl) throw new Error('no QueueUrl');
  return QueueUrl;
};

const counts = async (queueUrl: string) => {
  const { Attributes = {} } = await client.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  return {
    visible: Number(Attributes.ApproximateNumberOfMessages),
    inFlight: Number(Attributes.ApproximateNumberOfMessagesNotVisible),
  };
};

const rejection = async (promise: Promise<unknown>): Promise<SQSServiceException> => {
  try {
    await promise;
  } catch (error) {
    if (error instanceof SQSServiceException) return error;
    throw error;
  }
  throw new Error('expected the call to fail');
};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('queues', () => {
  it('CreateQueue is idempotent by name and attributes; URLs and ARNs are the local account’s', async () => {
    const { QueueUrl } = await client.send(
      new CreateQueueCommand({
        QueueName: 'it-orders',
        Attributes: { VisibilityTimeout: '45', MessageRetentionPeriod: '600' },
      }),
    );
    expect(QueueUrl).toBe(`${sqs.endpoint}/000000000000/it-orders`);
    expect(QueueUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/000000000000\/it-orders$/);
    const again = await client.send(
      new CreateQueueCommand({ QueueName: 'it-orders', Attributes: { VisibilityTimeout: '45' } }),
    );
    expect(again.QueueUrl).toBe(QueueUrl);
    const different = await rejection(
      client.send(new CreateQueueCommand({ QueueName: 'it-orders', Attributes: { VisibilityTimeout: '46' } })),
    );
    expect(different).toBeInstanceOf(QueueNameExists);
    expect((await client.send(new GetQueueUrlCommand({ QueueName: 'it-orders' }))).QueueUrl).toBe(QueueUrl);

    const { Attributes = {} } = await client.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['All'] }));
    expect(Attributes).toMatchObject({
      QueueArn: `arn:aws:sqs:${REGION}:000000000000:it-orders`,
      VisibilityTimeout: '45',
      MessageRetentionPeriod: '600',
      ApproximateNumberOfMessages: '0',
      ApproximateNumberOfMessagesNotVisible: '0',
    });
    expect(Math.abs(Number(Attributes.CreatedTimestamp) - Date.now() / 1000)).toBeLessThan(60);
    expect(sqs.queueArn('it-orders')).toBe(Attributes.QueueArn);
  });

  it('ListQueues lists by prefix, paged with MaxResults', async () => {
    for (const name of ['it-list-a', 'it-list-b', 'it-list-c'])
      await client.send(new CreateQueueCommand({ QueueName: name }));
    expect((await client.send(new ListQueuesCommand({ QueueNamePrefix: 'it-list-' }))).QueueUrls).toEqual(
      ['it-list-a', 'it-list-b', 'it-list-c'].map((name) => sqs.queueUrl(name)),
    );
    const first = await client.send(new ListQueuesCommand({ QueueNamePrefix: 'it-list-', MaxResults: 2 }));
    expect(first.QueueUrls).toHaveLength(2);
    const second = await client.send(
      new ListQueuesCommand({ QueueNamePrefix: 'it-list-', MaxResults: 2, NextToken: first.NextToken }),
    );
    expect(second).toMatchObject({ QueueUrls: [sqs.queueUrl('it-list-c')] });
    expect(second.NextToken).toBeUndefined();
  });

  it('an unknown queue is QueueDoesNotExist, as the SDK surfaces it', async () => {
    const error = await rejection(client.send(new GetQueueUrlCommand({ QueueName: 'it-no-such-queue' })));
    expect(error).toBeInstanceOf(QueueDoesNotExist);
    expect(error.name).toBe('QueueDoesNotExist');
    expect(error.message).toBe('The specified queue does not exist.');
    expect(error.$metadata.httpStatusCode).toBe(400);
    // The legacy code, from the x-amzn-query-error header (what code written for the query protocol compares).
    expect((error as QueueDoesNotExist & { Code?: string }).Code).toBe('AWS.SimpleQueueService.NonExistentQueue');
    const send = await rejection(
      client.send(new SendMessageCommand({ QueueUrl: sqs.queueUrl('it-no-such-queue'), MessageBody: 'x' })),
    );
    expect(send).toBeInstanceOf(QueueDoesNotExist);
  });
});

describe('messages', () => {
  it('send, receive, delete', async () => {
    const queueUrl = await newQueue();
    const sent = await client.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'Héllo!😀' }));
    expect(sent.MD5OfMessageBody).toBe(createHash('md5').update('Héllo!😀', 'utf8').digest('hex'));
    expect(sent.MD5OfMessageAttributes).toBeUndefined();
    expect(await counts(queueUrl)).toEqual({ visible: 1, inFlight: 0 });

    const { Messages = [] } = await client.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, MessageSystemAttributeNames: ['All'] }),
    );
    expect(Messages).toHaveLength(1);
    const [message] = Messages;
    expect(message).toMatchObject({ MessageId: sent.MessageId, Body: 'Héllo!😀', MD5OfBody: sent.MD5OfMessageBody });
    expect(message?.Attributes).toMatchObject({ ApproximateReceiveCount: '1', SenderId: '000000000000' });
    expect(Number(message?.Attributes?.SentTimestamp)).toBeLessThanOrEqual(
      Number(message?.Attributes?.ApproximateFirstReceiveTimestamp),
    );
    expect(await counts(queueUrl)).toEqual({ visible: 0, inFlight: 1 });

    await client.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: message?.ReceiptHandle }));
    expect(await counts(queueUrl)).toEqual({ visible: 0, inFlight: 0 });
    const invalid = await rejection(
      client.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: 'not-a-receipt-handle' })),
    );
    expect([invalid.name, invalid.$metadata.httpStatusCode]).toEqual(['ReceiptHandleIsInvalid', 404]);
  });

  it('a received message is invisible until its visibility timeout ends, then comes back with a higher ApproximateReceiveCount', async () => {
    const queueUrl = await newQueue({ VisibilityTimeout: '1' });
    const { MessageId } = await client.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'retry me' }));
    const receive = () =>
      client.send(
        new ReceiveMessageCommand({ QueueUrl: queueUrl, MessageSystemAttributeNames: ['ApproximateReceiveCount'] }),
      );
    const first = (await receive()).Messages?.[0];
    expect(first).toMatchObject({ MessageId, Attributes: { ApproximateReceiveCount: '1' } });
    expect((await receive()).Messages).toBeUndefined();
    expect(await counts(queueUrl)).toEqual({ visible: 0, inFlight: 1 });
    await sleep(1_100);
    expect(await counts(queueUrl)).toEqual({ visible: 1, inFlight: 0 });
    const second = (await receive()).Messages?.[0];
    expect(second).toMatchObject({ MessageId, Attributes: { ApproximateReceiveCount: '2' } });
    expect(second?.ReceiptHandle).not.toBe(first?.ReceiptHandle);
    // The first receive's handle is stale: the delete succeeds and deletes nothing (DeleteMessage).
    await client.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: first?.ReceiptHandle }));
    expect(await counts(queueUrl)).toEqual({ visible: 0, inFlight: 1 });
    await client.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: second?.ReceiptHandle }));
    expect(await counts(queueUrl)).toEqual({ visible: 0, inFlight: 0 });
  });

  it('VisibilityTimeout 0 leaves a message visible; ChangeMessageVisibility 0 gives one back', async () => {
    const queueUrl = await newQueue();
    const { MessageId } = await client.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'peek' }));
    for (const count of ['1', '2']) {
      const { Messages = [] } = await client.send(
        new ReceiveMessageCommand({
          QueueUrl: queueUrl,
          VisibilityTimeout: 0,
          MessageSystemAttributeNames: ['ApproximateReceiveCount'],
        }),
      );
      expect(Messages.map((m) => [m.MessageId, m.Attributes?.ApproximateReceiveCount])).toEqual([[MessageId, count]]);
    }
    expect(await counts(queueUrl)).toEqual({ visible: 1, inFlight: 0 });

    const hidden = (await client.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, VisibilityTimeout: 600 })))
      .Messages?.[0];
    expect(await counts(queueUrl)).toEqual({ visible: 0, inFlight: 1 });
    await client.send(
      new ChangeMessageVisibilityCommand({
        QueueUrl: queueUrl,
        ReceiptHandle: hidden?.ReceiptHandle,
        VisibilityTimeout: 0,
      }),
    );
    expect(await counts(queueUrl)).toEqual({ visible: 1, inFlight: 0 });
    const notInFlight = await rejection(
      client.send(
        new ChangeMessageVisibilityCommand({
          QueueUrl: queueUrl,
          ReceiptHandle: hidden?.ReceiptHandle,
          VisibilityTimeout: 10,
        }),
      ),
    );
    expect(notInFlight.name).toBe('MessageNotInflight');
  });

  it('message attributes round-trip with the digests SQS computes', async () => {
    const queueUrl = await newQueue();
    const attributes: Record<string, MessageAttributeValue> = {
      RULE_ARN: { DataType: 'String', StringValue: 'arn:aws:events:eu-west-1:000000000000:rule/x' },
      RETRY_ATTEMPTS: { DataType: 'Number', StringValue: '185' },
      'payload.gz': { DataType: 'Binary.gzip', BinaryValue: new Uint8Array([0x1f, 0x8b, 0, 255]) },
      'payload.kind': { DataType: 'String.custom', StringValue: 'zé 中' },
    };
    const wire = Object.fromEntries(
      Object.entries(attributes).map(([name, value]) => [
        name,
        { ...value, BinaryValue: value.BinaryValue && Buffer.from(value.BinaryValue).toString('base64') },
      ]),
    );
    const expected = md5OfMessageAttributes(parseMessageAttributes(wire));
    const sent = await client.send(
      new SendMessageCommand({
        QueueUrl: queueUrl,
        MessageBody: '{"ok":true}',
        MessageAttributes: attributes,
        MessageSystemAttributes: {
          AWSTraceHeader: { DataType: 'String', StringValue: 'Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1' },
        },
      }),
    );
    expect(sent.MD5OfMessageAttributes).toBe(expected);
    expect(sent.MD5OfMessageSystemAttributes).toMatch(/^[0-9a-f]{32}$/);

    const all = (
      await client.send(
        new ReceiveMessageCommand({
          QueueUrl: queueUrl,
          VisibilityTimeout: 0,
          MessageAttributeNames: ['All'],
          MessageSystemAttributeNames: ['AWSTraceHeader'],
        }),
      )
    ).Messages?.[0];
    expect(all?.MessageAttributes).toEqual(attributes);
    expect(all?.MD5OfMessageAttributes).toBe(expected);
    expect(all?.Attributes).toEqual({ AWSTraceHeader: 'Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1' });

    const some = (
      await client.send(
        new ReceiveMessageCommand({
          QueueUrl: queueUrl,
          VisibilityTimeout: 0,
          MessageAttributeNames: ['payload.*', 'RETRY_ATTEMPTS'],
        }),
      )
    ).Messages?.[0];
    expect(Object.keys(some?.MessageAttributes ?? {}).sort()).toEqual(['RETRY_ATTEMPTS', 'payload.gz', 'payload.kind']);
    // The digest of what was returned.
    const { RULE_ARN: _rule, ...returned } = wire;
    expect(some?.MD5OfMessageAttributes).toBe(md5OfMessageAttributes(parseMessageAttributes(returned)));

    const none = (await client.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, VisibilityTimeout: 0 })))
      .Messages?.[0];
    expect(none?.MessageAttributes).toBeUndefined();
    expect(none?.MD5OfMessageAttributes).toBeUndefined();
  });

  it('a message is at most MaximumMessageSize bytes, body and attributes together (1 MiB by default)', async () => {
    const queueUrl = await newQueue();
    await expect(
      client.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'x'.repeat(1_048_576) })),
    ).resolves.toMatchObject({ MessageId: expect.any(String) });
    const tooLarge = await rejection(
      client.send(
        new SendMessageCommand({
          QueueUrl: queueUrl,
          MessageBody: 'x'.repeat(1_048_576 - 10),
          MessageAttributes: { a: { DataType: 'String', StringValue: '12345' } },
        }),
      ),
    );
    expect([tooLarge.name, tooLarge.message]).toEqual([
      'InvalidParameterValue',
      'One or more parameters are invalid. Reason: Message must be shorter than 1048576 bytes.',
    ]);
    const small = await newQueue({ MaximumMessageSize: '1024' });
    expect(
      (await rejection(client.send(new SendMessageCommand({ QueueUrl: small, MessageBody: 'x'.repeat(1_025) })))).name,
    ).toBe('InvalidParameterValue');
    const eleven = Object.fromEntries(
      Array.from({ length: 11 }, (_, i) => [`a${i}`, { DataType: 'String', StringValue: 'v' }]),
    );
    expect(
      (
        await rejection(
          client.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'x', MessageAttributes: eleven })),
        )
      ).message,
    ).toBe('Number of message attributes [11] exceeds the allowed maximum [10].');
  });

  it('messages older than MessageRetentionPeriod are gone', async () => {
    let clock = Date.parse('2026-03-14T15:00:00Z');
    const timed = new LocalSqs({ region: REGION, now: () => clock });
    const timedClient = clientFor((await timed.start()).endpoint);
    try {
      const { QueueUrl } = await timedClient.send(
        new CreateQueueCommand({ QueueName: 'it-retention', Attributes: { MessageRetentionPeriod: '60' } }),
      );
      await timedClient.send(new SendMessageCommand({ QueueUrl, MessageBody: 'short-lived' }));
      clock += 59_000;
      expect(
        (await timedClient.send(new ReceiveMessageCommand({ QueueUrl, VisibilityTimeout: 0 }))).Messages,
      ).toHaveLength(1);
      clock += 1_000;
      expect((await timedClient.send(new ReceiveMessageCommand({ QueueUrl }))).Messages).toBeUndefined();
      const { Attributes } = await timedClient.send(
        new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['ApproximateNumberOfMessages'] }),
      );
      expect(Attributes).toEqual({ ApproximateNumberOfMessages: '0' });
    } finally {
      timedClient.destroy();
      await timed.stop();
    }
  });

  it('a standard queue keeps MessageGroupId and refuses MessageDeduplicationId; SetQueueAttributes and DeleteQueue', async () => {
    const queueUrl = await newQueue();
    await client.send(
      new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'tenant', MessageGroupId: 'client-acme' }),
    );
    const received = (
      await client.send(
        new ReceiveMessageCommand({
          QueueUrl: queueUrl,
          VisibilityTimeout: 0,
          MessageSystemAttributeNames: ['MessageGroupId'],
        }),
      )
    ).Messages?.[0];
    expect(received?.Attributes).toEqual({ MessageGroupId: 'client-acme' });
    const dedup = await rejection(
      client.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'x', MessageDeduplicationId: 'd1' })),
    );
    expect(dedup.name).toBe('InvalidParameterValue');

    await client.send(new SetQueueAttributesCommand({ QueueUrl: queueUrl, Attributes: { VisibilityTimeout: '5' } }));
    const { Attributes } = await client.send(
      new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['VisibilityTimeout'] }),
    );
    expect(Attributes).toEqual({ VisibilityTimeout: '5' });
    const invalid = await rejection(
      client.send(new SetQueueAttributesCommand({ QueueUrl: queueUrl, Attributes: { VisibilityTimeout: '43201' } })),
    );
    expect(invalid).toBeInstanceOf(InvalidAttributeValue);
    await client.send(new DeleteQueueCommand({ QueueUrl: queueUrl }));
    expect(await rejection(client.send(new ReceiveMessageCommand({ QueueUrl: queueUrl })))).toBeInstanceOf(
      QueueDoesNotExist,
    );
  });

  it('PurgeQueue deletes everything, once per 60 seconds', async () => {
    const queueUrl = await newQueue();
    await client.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'a' }));
    await client.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'b' }));
    await client.send(new ReceiveMessageCommand({ QueueUrl: queueUrl }));
    await client.send(new PurgeQueueCommand({ QueueUrl: queueUrl }));
    expect(await counts(queueUrl)).toEqual({ visible: 0, inFlight: 0 });
    expect(await rejection(client.send(new PurgeQueueCommand({ QueueUrl: queueUrl })))).toBeInstanceOf(
      PurgeQueueInProgress,
    );
  });
});

describe('batches and receive limits', () => {
  it('SendMessageBatch takes 1–10 entries with distinct Ids; each entry succeeds or fails on its own', async () => {
    const queueUrl = await newQueue();
    const entries = (count: number) =>
      Array.from({ length: count }, (_, i) => ({ Id: `m${i}`, MessageBody: `body ${i}` }));
    const ten = await client.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: entries(10) }));
    expect(ten.Successful?.map((entry) => entry.Id)).toEqual(entries(10).map((entry) => entry.Id));
    expect(ten.Failed).toEqual([]);

    expect(
      await rejection(client.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: entries(11) }))),
    ).toBeInstanceOf(TooManyEntriesInBatchRequest);
    expect(
      await rejection(client.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: [] }))),
    ).toBeInstanceOf(EmptyBatchRequest);
    expect(
      await rejection(
        client.send(
          new SendMessageBatchCommand({
            QueueUrl: queueUrl,
            Entries: [
              { Id: 'same', MessageBody: 'a' },
              { Id: 'same', MessageBody: 'b' },
            ],
          }),
        ),
      ),
    ).toBeInstanceOf(BatchEntryIdsNotDistinct);
    const tooLong = await rejection(
      client.send(
        new SendMessageBatchCommand({
          QueueUrl: queueUrl,
          Entries: [
            { Id: 'a', MessageBody: 'x'.repeat(600_000) },
            { Id: 'b', MessageBody: 'x'.repeat(600_000) },
          ],
        }),
      ),
    );
    expect(tooLong.name).toBe('BatchRequestTooLong');

    const mixed = await client.send(
      new SendMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: [
          { Id: 'good', MessageBody: 'fine' },
          {
            Id: 'bad',
            MessageBody: 'fine',
            MessageAttributes: { 'AWS.reserved': { DataType: 'String', StringValue: 'v' } },
          },
        ],
      }),
    );
    expect(mixed.Successful?.map((entry) => entry.Id)).toEqual(['good']);
    expect(mixed.Failed).toEqual([
      {
        Id: 'bad',
        SenderFault: true,
        Code: 'InvalidParameterValue',
        Message: expect.stringContaining("'AWS.reserved' is invalid"),
      },
    ]);
  });

  it('ReceiveMessage returns 1–10 messages; DeleteMessageBatch reports each entry', async () => {
    const queueUrl = await newQueue();
    await client.send(
      new SendMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: Array.from({ length: 10 }, (_, i) => ({ Id: `m${i}`, MessageBody: `${i}` })),
      }),
    );
    await client.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: '10' }));
    expect(
      (await client.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, VisibilityTimeout: 0 }))).Messages,
    ).toHaveLength(1);
    const { Messages = [] } = await client.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10 }),
    );
    expect(Messages).toHaveLength(10);
    for (const max of [0, 11]) {
      const error = await rejection(
        client.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: max })),
      );
      expect([error.name, error.message]).toEqual([
        'InvalidParameterValue',
        `Value ${max} for parameter MaxNumberOfMessages is invalid. Reason: Must be between 1 and 10, if provided.`,
      ]);
    }
    expect(
      (await rejection(client.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, WaitTimeSeconds: 21 })))).name,
    ).toBe('InvalidParameterValue');
    expect(
      (await rejection(client.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, VisibilityTimeout: 43_201 })))).name,
    ).toBe('InvalidParameterValue');

    const deleted = await client.send(
      new DeleteMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: [
          ...Messages.slice(0, 3).map((m, i) => ({ Id: `d${i}`, ReceiptHandle: m.ReceiptHandle })),
          { Id: 'junk', ReceiptHandle: 'junk' },
        ],
      }),
    );
    expect(deleted.Successful?.map((entry) => entry.Id)).toEqual(['d0', 'd1', 'd2']);
    expect(deleted.Failed).toEqual([
      {
        Id: 'junk',
        SenderFault: true,
        Code: 'ReceiptHandleIsInvalid',
        Message: 'The input receipt handle "junk" is not a valid receipt handle.',
      },
    ]);
    expect(await counts(queueUrl)).toEqual({ visible: 1, inFlight: 7 });
  });
});

describe('long polling', () => {
  it('returns as soon as a message arrives', async () => {
    const queueUrl = await newQueue();
    const started = Date.now();
    const polling = client.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, WaitTimeSeconds: 10 }));
    await sleep(300);
    await client.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'arrived' }));
    const { Messages = [] } = await polling;
    const elapsed = Date.now() - started;
    expect(Messages.map((m) => m.Body)).toEqual(['arrived']);
    expect(elapsed).toBeGreaterThanOrEqual(250);
    expect(elapsed).toBeLessThan(3_000);
  });

  it('a poll whose client has gone away receives nothing', async () => {
    const queueUrl = await newQueue();
    const impatient = createSqsClient(
      { AWS_ENDPOINT_URL_SQS: sqs.endpoint, AWS_REGION: REGION, AWS_MAX_ATTEMPTS: '1' },
      { requestTimeoutMs: 300 },
    );
    try {
      await expect(
        impatient.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, WaitTimeSeconds: 5 })),
      ).rejects.toThrow();
    } finally {
      impatient.destroy();
    }
    // Once the server has seen the connection close (a message sent in that instant could still go to the poll, as on SQS).
    await sleep(200);
    await client.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'for someone still listening' }));
    await sleep(100);
    expect(await counts(queueUrl)).toEqual({ visible: 1, inFlight: 0 });
  });

  it('returns when a hidden message becomes visible again, or with nothing when the wait is over', async () => {
    const queueUrl = await newQueue({ ReceiveMessageWaitTimeSeconds: '1' });
    let started = Date.now();
    expect((await client.send(new ReceiveMessageCommand({ QueueUrl: queueUrl }))).Messages).toBeUndefined();
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);

    await client.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'back' }));
    await client.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, VisibilityTimeout: 1 }));
    started = Date.now();
    const { Messages = [] } = await client.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, WaitTimeSeconds: 5 }));
    expect(Messages.map((m) => m.Body)).toEqual(['back']);
    expect(Date.now() - started).toBeLessThan(2_500);
  });
});
