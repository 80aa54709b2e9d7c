import { SqsError } from '../../../infra/local/sqs/errors';
import {
  checkBatchEntries,
  checkBody,
  checkMessageSize,
  checkQueueAttributeNames,
  checkQueueAttributes,
  checkQueueName,
  defaultQueueAttributes,
  optionalInteger,
} from '../../../infra/local/sqs/validation';

// The limits of the SQS API reference: CreateQueue (queue names, attributes), SendMessage (the
// body), SendMessageBatch / SendMessageBatchRequestEntry (entries and Ids), ReceiveMessage.

const errorOf = (run: () => unknown): SqsError => {
  try {
    run();
  } catch (error) {
    if (error instanceof SqsError) return error;
    throw error;
  }
  throw new Error('expected an SqsError');
};

describe('queue names (CreateQueue: up to 80 alphanumerics, hyphens, underscores)', () => {
  it('accepts valid names', () => {
    expect(checkQueueName('usage-pipeline-local-route-loyalty-tickets-dlq')).toBe(
      'usage-pipeline-local-route-loyalty-tickets-dlq',
    );
    expect(checkQueueName('a'.repeat(80))).toHaveLength(80);
  });

  it('refuses the rest', () => {
    expect(errorOf(() => checkQueueName('a'.repeat(81))).message).toBe(
      'Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length',
    );
    expect(errorOf(() => checkQueueName('has.dot')).shape).toBe('InvalidParameterValue');
    expect(errorOf(() => checkQueueName('')).shape).toBe('InvalidParameterValue');
    expect(errorOf(() => checkQueueName(undefined)).shape).toBe('MissingParameter');
    expect(errorOf(() => checkQueueName('orders.fifo')).shape).toBe('UnsupportedOperation');
  });
});

describe('queue attributes (CreateQueue, "Attributes")', () => {
  it('defaults: VisibilityTimeout 30, retention 4 days, 1 MiB messages, no delay, no wait, SSE-SQS', () => {
    expect(defaultQueueAttributes()).toEqual({
      DelaySeconds: '0',
      MaximumMessageSize: '1048576',
      MessageRetentionPeriod: '345600',
      ReceiveMessageWaitTimeSeconds: '0',
      VisibilityTimeout: '30',
      SqsManagedSseEnabled: 'true',
    });
  });

  it.each([
    ['MessageRetentionPeriod', '60', '1209600', ['59', '1209601']],
    ['VisibilityTimeout', '0', '43200', ['-1', '43201']],
    ['DelaySeconds', '0', '900', ['901']],
    ['MaximumMessageSize', '1024', '1048576', ['1023', '1048577']],
    ['ReceiveMessageWaitTimeSeconds', '0', '20', ['21']],
  ])('%s: %s to %s', (name, min, max, outside) => {
    expect(checkQueueAttributes({ [name]: min })).toEqual({ [name]: min });
    expect(checkQueueAttributes({ [name]: max })).toEqual({ [name]: max });
    for (const value of [...outside, '1.5', 'ten', '']) {
      const error = errorOf(() => checkQueueAttributes({ [name]: value }));
      expect(error.shape).toBe('InvalidAttributeValue');
      expect(error.message).toBe(`Invalid value for the parameter ${name}.`);
    }
  });

  it('keeps policies and encryption settings as given, refuses unknown and read-only names and FIFO', () => {
    expect(checkQueueAttributes({ Policy: '{"Version":"2012-10-17"}', SqsManagedSseEnabled: 'false' })).toEqual({
      Policy: '{"Version":"2012-10-17"}',
      SqsManagedSseEnabled: 'false',
    });
    expect(errorOf(() => checkQueueAttributes({ RedrivePolicy: '{not json' })).shape).toBe('InvalidAttributeValue');
    expect(errorOf(() => checkQueueAttributes({ Colour: 'blue' })).message).toBe('Unknown Attribute Colour.');
    expect(errorOf(() => checkQueueAttributes({ QueueArn: 'arn:aws:sqs:us-east-1:000000000000:x' })).shape).toBe(
      'InvalidAttributeName',
    );
    expect(errorOf(() => checkQueueAttributes({ FifoQueue: 'true' })).shape).toBe('UnsupportedOperation');
  });

  it('GetQueueAttributes takes All or known names', () => {
    expect(checkQueueAttributeNames(['ApproximateNumberOfMessages', 'All'])).toBe('All');
    expect(checkQueueAttributeNames(['QueueArn', 'CreatedTimestamp', 'VisibilityTimeout'])).toEqual([
      'QueueArn',
      'CreatedTimestamp',
      'VisibilityTimeout',
    ]);
    expect(checkQueueAttributeNames(undefined)).toEqual([]);
    expect(errorOf(() => checkQueueAttributeNames(['Nope'])).shape).toBe('InvalidAttributeName');
  });
});

describe('message bodies (SendMessage, MessageBody)', () => {
  it('need at least one allowed character', () => {
    expect(checkBody('{"a":1}')).toBe('{"a":1}');
    expect(errorOf(() => checkBody('')).shape).toBe('MissingParameter');
    expect(errorOf(() => checkBody(undefined)).message).toBe('The request must contain the parameter MessageBody.');
    expect(errorOf(() => checkBody('nul \u0000')).shape).toBe('InvalidMessageContents');
  });

  it('with their attributes, are at most the queue’s MaximumMessageSize', () => {
    expect(() => checkMessageSize(1_048_576, 1_048_576)).not.toThrow();
    const error = errorOf(() => checkMessageSize(1_048_577, 1_048_576));
    expect(error.shape).toBe('InvalidParameterValue');
    expect(error.message).toBe(
      'One or more parameters are invalid. Reason: Message must be shorter than 1048576 bytes.',
    );
  });
});

describe('batch entries (SendMessageBatch, DeleteMessageBatch, ChangeMessageVisibilityBatch)', () => {
  const entries = (count: number) => Array.from({ length: count }, (_, i) => ({ Id: `id-${i}`, MessageBody: 'x' }));

  it('are 1 to 10 entries with distinct Ids of up to 80 alphanumerics, hyphens and underscores', () => {
    expect(checkBatchEntries(entries(10), 'SendMessageBatchRequestEntry')).toHaveLength(10);
    expect(checkBatchEntries([{ Id: `A_${'b'.repeat(78)}` }], 'DeleteMessageBatchRequestEntry')).toHaveLength(1);
  });

  it('refuse an empty batch, more than 10, bad or repeated Ids', () => {
    expect(errorOf(() => checkBatchEntries([], 'SendMessageBatchRequestEntry')).message).toBe(
      'There should be at least one SendMessageBatchRequestEntry in the request.',
    );
    expect(errorOf(() => checkBatchEntries(undefined, 'SendMessageBatchRequestEntry')).shape).toBe('EmptyBatchRequest');
    const tooMany = errorOf(() => checkBatchEntries(entries(11), 'SendMessageBatchRequestEntry'));
    expect([tooMany.shape, tooMany.queryCode, tooMany.message]).toEqual([
      'TooManyEntriesInBatchRequest',
      'AWS.SimpleQueueService.TooManyEntriesInBatchRequest',
      'Maximum number of entries per request are 10. You have sent 11.',
    ]);
    expect(errorOf(() => checkBatchEntries([{ Id: 'a.b' }], 'x')).shape).toBe('InvalidBatchEntryId');
    expect(errorOf(() => checkBatchEntries([{ Id: 'a'.repeat(81) }], 'x')).shape).toBe('InvalidBatchEntryId');
    expect(errorOf(() => checkBatchEntries([{ Id: 'a' }, { Id: 'a' }], 'x')).message).toBe('Id a repeated.');
  });
});

describe('integer parameters', () => {
  it('are absent, or integers in range with SQS’s reason', () => {
    expect(optionalInteger({}, 'MaxNumberOfMessages', 1, 10, 'Must be between 1 and 10, if provided.')).toBeUndefined();
    expect(optionalInteger({ MaxNumberOfMessages: 10 }, 'MaxNumberOfMessages', 1, 10, '')).toBe(10);
    const error = errorOf(() =>
      optionalInteger(
        { MaxNumberOfMessages: 11 },
        'MaxNumberOfMessages',
        1,
        10,
        'Must be between 1 and 10, if provided.',
      ),
    );
    expect(error.message).toBe(
      'Value 11 for parameter MaxNumberOfMessages is invalid. Reason: Must be between 1 and 10, if provided.',
    );
    expect(errorOf(() => optionalInteger({ WaitTimeSeconds: 1.5 }, 'WaitTimeSeconds', 0, 20, '')).shape).toBe(
      'InvalidParameterValue',
    );
  });
});
