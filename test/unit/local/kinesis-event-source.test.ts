import type { KinesisStreamRecord } from 'aws-lambda';
import { batchCount } from '../../../infra/local/kinesis-esm/batcher';
import { checkpointAfter } from '../../../infra/local/kinesis-esm/checkpoint';
import { buildOnFailureRecord } from '../../../infra/local/kinesis-esm/on-failure';
import { recordJsonBytes, toLambdaRecord } from '../../../infra/local/kinesis-esm/records';
import {
  bisect,
  countExpired,
  decideAfterFailure,
  type RetryPolicy,
  retryDelay,
} from '../../../infra/local/kinesis-esm/retry-policy';
import {
  DEFAULT_STREAM_SETTINGS,
  LAMBDA_MAX_PAYLOAD_BYTES as MAX_PAYLOAD_BYTES,
} from '../../../infra/local/runtime/aws';
import { createLambdaContext } from '../../../infra/local/runtime/lambda-context';

const SHARD_ID = 'shardId-000000000001';
const STREAM_ARN = 'arn:aws:kinesis:eu-west-1:123456789012:stream/usage-events';
const FUNCTION_ARN = 'arn:aws:lambda:eu-west-1:123456789012:function:consumer';
const ARRIVAL_MS = Date.parse('2026-03-14T15:09:26.250Z');
const SOURCE = {
  shardId: SHARD_ID,
  streamArn: STREAM_ARN,
  region: 'eu-west-1',
  invokeIdentityArn: 'arn:aws:iam::123456789012:role/consumer-role',
};

/** Records with increasing sequence numbers (the last digits count up) arriving a second apart. */
const records = (count: number, options: { arrivalMs?: number; partitionKey?: string } = {}): KinesisStreamRecord[] =>
  Array.from({ length: count }, (_, index) =>
    toLambdaRecord(
      {
        SequenceNumber: `4959033827149025660855969253836157109592157598913658${String(8800 + index)}`,
        Data: Buffer.from(JSON.stringify({ index })),
        PartitionKey: options.partitionKey ?? `client-${index % 3}`,
        ApproximateArrivalTimestamp: new Date((options.arrivalMs ?? ARRIVAL_MS) + index * 1000),
      },
      SOURCE,
    ),
  );

const seq = (batch: KinesisStreamRecord[], index: number): string => {
  const record = batch[index];
  if (!record) throw new Error(`no record ${index}`);
  return record.kinesis.sequenceNumber;
};

describe('toLambdaRecord', () => {
  it('builds the record Lambda delivers for a Kinesis event source', () => {
    const [record] = records(1);
    expect(record).toEqual({
      kinesis: {
        kinesisSchemaVersion: '1.0',
        partitionKey: 'client-0',
        sequenceNumber: '49590338271490256608559692538361571095921575989136588800',
        data: Buffer.from('{"index":0}').toString('base64'),
        approximateArrivalTimestamp: ARRIVAL_MS / 1000,
      },
      eventSource: 'aws:kinesis',
      eventVersion: '1.0',
      eventID: `${SHARD_ID}:49590338271490256608559692538361571095921575989136588800`,
      eventName: 'aws:kinesis:record',
      invokeIdentityArn: SOURCE.invokeIdentityArn,
      awsRegion: 'eu-west-1',
      eventSourceARN: STREAM_ARN,
    });
  });
});

describe('recordJsonBytes / batchCount', () => {
  it('equals the serialised size of a record, including keys that need escaping', () => {
    const plain = records(3);
    const escaped = records(2, { partitionKey: 'clé "quoted" \\ é\n' });
    for (const record of [...plain, ...escaped]) {
      expect(recordJsonBytes(record)).toBe(Buffer.byteLength(JSON.stringify(record)));
    }
  });

  it('stops at batchSize', () => {
    expect(batchCount([100, 100, 100, 100], 3)).toBe(3);
    expect(batchCount([100, 100], 3)).toBe(2);
    expect(batchCount([], 3)).toBe(0);
  });

  it('keeps the whole event within the payload limit, but always takes one record', () => {
    const batch = records(4);
    const sizes = batch.map(recordJsonBytes);
    const exact = Buffer.byteLength(JSON.stringify({ Records: batch.slice(0, 3) }));
    expect(batchCount(sizes, 10, exact)).toBe(3);
    expect(batchCount(sizes, 10, exact - 1)).toBe(2);
    expect(batchCount([MAX_PAYLOAD_BYTES + 10, 5], 10)).toBe(1);
  });
});

describe('checkpointAfter', () => {
  const batch = records(5);

  it('treats a null, empty or list-less response as success', () => {
    for (const response of [undefined, null, {}, { batchItemFailures: [] }, { batchItemFailures: null }, 'ok']) {
      expect(checkpointAfter(response, batch, true)).toEqual({ kind: 'success' });
    }
  });

  it('checkpoints at the lowest failed sequence number, whatever the order of the failures', () => {
    const response = { batchItemFailures: [{ itemIdentifier: seq(batch, 3) }, { itemIdentifier: seq(batch, 1) }] };
    expect(checkpointAfter(response, batch, true)).toEqual({
      kind: 'partialFailure',
      failedIndex: 1,
      sequenceNumber: seq(batch, 1),
    });
  });

  it('compares sequence numbers as positions in the batch, not as strings of different lengths', () => {
    const short = [{ kinesis: { sequenceNumber: '9' } }, { kinesis: { sequenceNumber: '10' } }];
    expect(
      checkpointAfter({ batchItemFailures: [{ itemIdentifier: '10' }, { itemIdentifier: '9' }] }, short, true),
    ).toMatchObject({
      kind: 'partialFailure',
      failedIndex: 0,
    });
  });

  it.each([
    ['an empty itemIdentifier', { batchItemFailures: [{ itemIdentifier: '' }] }],
    ['a null itemIdentifier', { batchItemFailures: [{ itemIdentifier: null }] }],
    ['a bad key name', { batchItemFailures: [{ sequenceNumber: '1' }] }],
    ['an itemIdentifier not in the batch', { batchItemFailures: [{ itemIdentifier: '123' }] }],
    ['a non-string itemIdentifier', { batchItemFailures: [{ itemIdentifier: 42 }] }],
    ['a batchItemFailures that is not a list', { batchItemFailures: { itemIdentifier: '1' } }],
  ])('fails the whole batch for %s', (_label, response) => {
    expect(checkpointAfter(response, batch, true)).toMatchObject({ kind: 'batchFailure', reason: expect.any(String) });
  });

  it('fails the whole batch when one of several identifiers is invalid', () => {
    const response = { batchItemFailures: [{ itemIdentifier: seq(batch, 2) }, { itemIdentifier: '' }] };
    expect(checkpointAfter(response, batch, true).kind).toBe('batchFailure');
  });

  it('ignores the return value without ReportBatchItemFailures', () => {
    const response = { batchItemFailures: [{ itemIdentifier: seq(batch, 0) }] };
    expect(checkpointAfter(response, batch, false)).toEqual({ kind: 'success' });
  });
});

describe('bisect', () => {
  it('splits a batch in two, the first half taking the odd record', () => {
    expect(bisect([1, 2, 3, 4, 5])).toEqual([
      [1, 2, 3],
      [4, 5],
    ]);
    expect(bisect([1, 2])).toEqual([[1], [2]]);
  });
});

describe('countExpired', () => {
  const batch = records(4); // arrivals at +0 s, +1 s, +2 s, +3 s

  it('counts the leading records older than the maximum age', () => {
    expect(countExpired(batch, ARRIVAL_MS + 61_500, 60)).toBe(2);
    expect(countExpired(batch, ARRIVAL_MS + 60_000, 60)).toBe(0);
    expect(countExpired(batch, ARRIVAL_MS + 3_600_000, 60)).toBe(4);
  });

  it('never expires records with an infinite maximum age (-1)', () => {
    expect(countExpired(batch, ARRIVAL_MS + 30 * 86_400_000, -1)).toBe(0);
  });
});

describe('decideAfterFailure', () => {
  const policy: RetryPolicy = {
    bisectBatchOnFunctionError: true,
    maximumRetryAttempts: 2,
    retryDelayMs: 100,
    maxRetryDelayMs: 250,
  };

  it('bisects a function error without consuming a retry', () => {
    expect(decideAfterFailure({ kind: 'functionError', size: 2, retries: 2 }, policy)).toEqual({ action: 'bisect' });
  });

  it('retries a single record that cannot be split, counting the retry', () => {
    expect(decideAfterFailure({ kind: 'functionError', size: 1, retries: 0 }, policy)).toEqual({
      action: 'retry',
      retries: 1,
      delayMs: 100,
    });
  });

  it('does not bisect a partial failure or an invalid response', () => {
    expect(decideAfterFailure({ kind: 'partialFailure', size: 4, retries: 1 }, policy)).toEqual({
      action: 'retry',
      retries: 2,
      delayMs: 200,
    });
    expect(decideAfterFailure({ kind: 'batchFailure', size: 4, retries: 0 }, policy).action).toBe('retry');
  });

  it('does not bisect when bisectBatchOnFunctionError is off', () => {
    expect(
      decideAfterFailure(
        { kind: 'functionError', size: 8, retries: 0 },
        { ...policy, bisectBatchOnFunctionError: false },
      ).action,
    ).toBe('retry');
  });

  it('discards once the retries exceed maximumRetryAttempts', () => {
    expect(decideAfterFailure({ kind: 'partialFailure', size: 3, retries: 2 }, policy)).toEqual({
      action: 'discard',
      retries: 3,
    });
    expect(
      decideAfterFailure({ kind: 'functionError', size: 1, retries: 0 }, { ...policy, maximumRetryAttempts: 0 }),
    ).toEqual({
      action: 'discard',
      retries: 1,
    });
  });

  it('retries forever with maximumRetryAttempts -1, with capped backoff', () => {
    expect(
      decideAfterFailure({ kind: 'batchFailure', size: 3, retries: 10_000 }, { ...policy, maximumRetryAttempts: -1 }),
    ).toEqual({
      action: 'retry',
      retries: 10_001,
      delayMs: 250,
    });
    expect([1, 2, 3, 4].map((retry) => retryDelay(retry, 100, 1_000))).toEqual([100, 200, 400, 800]);
  });
});

describe('buildOnFailureRecord', () => {
  const batch = records(3);
  const base = {
    records: batch,
    shardId: SHARD_ID,
    streamArn: STREAM_ARN,
    functionArn: FUNCTION_ARN,
    requestId: 'c9b8fa9f-5a7f-4a2b-af9c-0c604cde93a5',
    nowMs: Date.parse('2026-03-14T16:00:00.000Z'),
  };

  it('describes records discarded after their retries, with the AWS shape for Kinesis', () => {
    expect(
      buildOnFailureRecord({
        ...base,
        condition: 'RetryAttemptsExhausted',
        approximateInvokeCount: 3,
        lastInvocation: { functionError: true },
      }),
    ).toEqual({
      requestContext: {
        requestId: base.requestId,
        functionArn: FUNCTION_ARN,
        condition: 'RetryAttemptsExhausted',
        approximateInvokeCount: 3,
      },
      responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
      version: '1.0',
      timestamp: '2026-03-14T16:00:00.000Z',
      KinesisBatchInfo: {
        shardId: SHARD_ID,
        startSequenceNumber: seq(batch, 0),
        endSequenceNumber: seq(batch, 2),
        approximateArrivalOfFirstRecord: '2026-03-14T15:09:26.250Z',
        approximateArrivalOfLastRecord: '2026-03-14T15:09:28.250Z',
        batchSize: 3,
        streamArn: STREAM_ARN,
      },
    });
  });

  it('has no functionError after a partial failure response, and no responseContext when never invoked', () => {
    const partial = buildOnFailureRecord({
      ...base,
      condition: 'RetryAttemptsExhausted',
      approximateInvokeCount: 2,
      lastInvocation: { functionError: false },
    });
    expect(partial.responseContext).toEqual({ statusCode: 200, executedVersion: '$LATEST' });

    const expired = buildOnFailureRecord({ ...base, condition: 'RecordAgeExceeded', approximateInvokeCount: 0 });
    expect(expired.responseContext).toBeUndefined();
    expect(expired.requestContext).toMatchObject({ condition: 'RecordAgeExceeded', approximateInvokeCount: 0 });
  });

  it('refuses an empty run of records', () => {
    expect(() =>
      buildOnFailureRecord({ ...base, records: [], condition: 'RecordAgeExceeded', approximateInvokeCount: 0 }),
    ).toThrow();
  });
});

describe('createLambdaContext', () => {
  it('looks like the Node.js runtime context, with a deadline from the timeout', () => {
    const startedAtMs = Date.now();
    const context = createLambdaContext({
      functionName: 'usage-pipeline-local-kinesisConsumer',
      region: 'eu-west-1',
      accountId: '123456789012',
      timeoutSeconds: 30,
      memoryLimitInMB: 1024,
      requestId: '1f0c8a52-5c1e-4a4b-9d67-2f4a1d2b7c11',
      startedAtMs,
    });
    expect(context).toMatchObject({
      functionName: 'usage-pipeline-local-kinesisConsumer',
      functionVersion: '$LATEST',
      invokedFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:usage-pipeline-local-kinesisConsumer',
      memoryLimitInMB: '1024',
      awsRequestId: '1f0c8a52-5c1e-4a4b-9d67-2f4a1d2b7c11',
      logGroupName: '/aws/lambda/usage-pipeline-local-kinesisConsumer',
      callbackWaitsForEmptyEventLoop: true,
    });
    expect(context.logStreamName).toMatch(/^\d{4}\/\d{2}\/\d{2}\/\[\$LATEST\][0-9a-f]{32}$/);
    const remaining = context.getRemainingTimeInMillis();
    expect(remaining).toBeGreaterThan(0);
    expect(remaining).toBeLessThanOrEqual(30_000);
  });
});

describe('DEFAULT_STREAM_SETTINGS', () => {
  it('are the AWS defaults', () => {
    expect(DEFAULT_STREAM_SETTINGS).toEqual({
      batchSize: 100,
      batchWindow: 0,
      startingPosition: 'TRIM_HORIZON',
      parallelizationFactor: 1,
      bisectBatchOnFunctionError: false,
      maximumRetryAttempts: -1,
      maximumRecordAgeInSeconds: -1,
    });
  });
});
