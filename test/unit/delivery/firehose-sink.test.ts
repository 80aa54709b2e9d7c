import { FirehoseClient, PutRecordBatchCommand, ServiceUnavailableException } from '@aws-sdk/client-firehose';
import { mockClient } from 'aws-sdk-client-mock';
import { chunkForPutRecordBatch, FirehoseSink, MAX_BYTES_PER_CALL } from '../../../shared/delivery/firehose-sink';

const firehose = mockClient(FirehoseClient);
const records = (count: number, size = 10) => Array.from({ length: count }, (_, i) => Buffer.alloc(size, i % 256));

const sinkWith = (overrides: Partial<ConstructorParameters<typeof FirehoseSink>[1]> = {}) => {
  const delays: number[] = [];
  const sink = new FirehoseSink(new FirehoseClient({ region: 'us-east-1' }), {
    deliveryStreamName: 'delivery',
    maxAttempts: 4,
    baseDelayMs: 100,
    maxDelayMs: 250,
    sleep: async (ms) => {
      delays.push(ms);
    },
    random: () => 0.999,
    ...overrides,
  });
  return { sink, delays };
};

const sentData = (callIndex: number): number[] =>
  (firehose.commandCalls(PutRecordBatchCommand)[callIndex]?.args[0].input.Records ?? []).map(
    (record) => (record.Data as Buffer)[0] ?? -1,
  );

describe('chunkForPutRecordBatch', () => {
  it('splits at 500 records per call', () => {
    const sizes = Array.from({ length: 1_201 }, () => 100);
    const chunks = chunkForPutRecordBatch(
      sizes,
      sizes.map((_, i) => i),
    );

    expect(chunks.map((chunk) => chunk.length)).toEqual([500, 500, 201]);
  });

  it('splits before a call would exceed 4 MiB', () => {
    const size = 1_000 * 1024;
    const sizes = [size, size, size, size, size, 10];
    const chunks = chunkForPutRecordBatch(sizes, [0, 1, 2, 3, 4, 5]);

    expect(chunks).toEqual([
      [0, 1, 2, 3],
      [4, 5],
    ]);
    for (const chunk of chunks) {
      expect(chunk.reduce((sum, index) => sum + (sizes[index] ?? 0), 0)).toBeLessThanOrEqual(MAX_BYTES_PER_CALL);
    }
  });
});

describe('FirehoseSink', () => {
  beforeEach(() => firehose.reset());

  it('delivers a batch in one PutRecordBatch call when it fits', async () => {
    firehose.on(PutRecordBatchCommand).callsFake((input) => ({
      FailedPutCount: 0,
      RequestResponses: input.Records.map((_: unknown, i: number) => ({ RecordId: `r${i}` })),
    }));
    const { sink } = sinkWith();

    const outcomes = await sink.deliver(records(3));

    expect(outcomes).toEqual([{ ok: true }, { ok: true }, { ok: true }]);
    expect(firehose.commandCalls(PutRecordBatchCommand)).toHaveLength(1);
    expect(firehose.commandCalls(PutRecordBatchCommand)[0]?.args[0].input.DeliveryStreamName).toBe('delivery');
  });

  it('retries only the entries Firehose reports failed, with capped exponential backoff', async () => {
    // Prepare: record 1 fails twice, record 3 once.
    const failuresLeft = new Map([
      [1, 2],
      [3, 1],
    ]);
    firehose.on(PutRecordBatchCommand).callsFake((input: { Records: { Data: Buffer }[] }) => {
      const responses = input.Records.map(({ Data }) => {
        const id = Data[0] ?? -1;
        const left = failuresLeft.get(id) ?? 0;
        if (left > 0) {
          failuresLeft.set(id, left - 1);
          return { ErrorCode: 'ServiceUnavailableException', ErrorMessage: 'Slow down.' };
        }
        return { RecordId: `r${id}` };
      });
      return { FailedPutCount: responses.filter((r) => 'ErrorCode' in r).length, RequestResponses: responses };
    });
    const { sink, delays } = sinkWith();

    // Act
    const outcomes = await sink.deliver(records(4));

    // Assess
    expect(outcomes.every((outcome) => outcome.ok)).toBe(true);
    expect([sentData(0), sentData(1), sentData(2)]).toEqual([[0, 1, 2, 3], [1, 3], [1]]);
    expect(delays).toEqual([99, 199]);
  });

  it('caps the backoff delay at maxDelayMs', async () => {
    firehose.on(PutRecordBatchCommand).resolves({
      FailedPutCount: 1,
      RequestResponses: [{ ErrorCode: 'InternalFailure', ErrorMessage: 'boom' }],
    });
    const { sink, delays } = sinkWith({ maxAttempts: 6 });

    await sink.deliver(records(1));

    expect(delays).toEqual([99, 199, 249, 249, 249]);
  });

  it('reports what still fails after the last attempt, with Firehose’s error', async () => {
    firehose.on(PutRecordBatchCommand).callsFake((input: { Records: unknown[] }) => ({
      FailedPutCount: 1,
      RequestResponses: input.Records.map((_, i) =>
        i === 0 ? { ErrorCode: 'InternalFailure', ErrorMessage: 'boom' } : { RecordId: 'ok' },
      ),
    }));
    const { sink } = sinkWith({ maxAttempts: 3 });

    const outcomes = await sink.deliver(records(2));

    expect(outcomes).toEqual([{ ok: false, errorCode: 'InternalFailure', errorMessage: 'boom' }, { ok: true }]);
    expect(firehose.commandCalls(PutRecordBatchCommand)).toHaveLength(3);
  });

  it('treats a call that throws as a failure of all its entries and retries them', async () => {
    firehose
      .on(PutRecordBatchCommand)
      .rejectsOnce(new ServiceUnavailableException({ message: 'down', $metadata: {} }))
      .resolves({ FailedPutCount: 0, RequestResponses: [{ RecordId: 'a' }, { RecordId: 'b' }] });
    const { sink } = sinkWith();

    const outcomes = await sink.deliver(records(2));

    expect(outcomes).toEqual([{ ok: true }, { ok: true }]);
    expect(firehose.commandCalls(PutRecordBatchCommand)).toHaveLength(2);
  });

  it('splits a large batch into calls within the PutRecordBatch limits', async () => {
    firehose.on(PutRecordBatchCommand).callsFake((input: { Records: unknown[] }) => ({
      FailedPutCount: 0,
      RequestResponses: input.Records.map(() => ({ RecordId: 'ok' })),
    }));
    const { sink } = sinkWith();

    const outcomes = await sink.deliver(records(1_100));

    expect(outcomes.filter((outcome) => outcome.ok)).toHaveLength(1_100);
    const sizes = firehose.commandCalls(PutRecordBatchCommand).map((call) => call.args[0].input.Records?.length);
    expect(sizes.sort()).toEqual([100, 500, 500]);
  });
});
