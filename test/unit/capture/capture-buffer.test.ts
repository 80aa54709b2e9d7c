import { KinesisClient, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { mockClient } from 'aws-sdk-client-mock';
import { KinesisStreamWriter } from '../../../shared/ingest/stream-writer';

const kinesis = mockClient(KinesisClient);

describe('KinesisStreamWriter abort signal (used by the capture flush)', () => {
  beforeEach(() => kinesis.reset());

  it('passes the signal to the SDK and makes no further attempt once aborted', async () => {
    const controller = new AbortController();
    kinesis.on(PutRecordsCommand).callsFake(() => {
      controller.abort();
      return { FailedRecordCount: 1, Records: [{ ErrorCode: 'InternalFailure', ErrorMessage: 'boom' }] };
    });
    const writer = new KinesisStreamWriter(new KinesisClient({ region: 'us-east-1' }), {
      streamName: 'events',
      maxAttempts: 5,
      sleep: async () => {},
    });

    const outcomes = await writer.write([{ partitionKey: 'a', data: Buffer.from('x') }], {
      abortSignal: controller.signal,
    });

    expect(outcomes).toEqual([{ ok: false, errorCode: 'InternalFailure', errorMessage: 'boom' }]);
    expect(kinesis.commandCalls(PutRecordsCommand)).toHaveLength(1);
    expect((kinesis.send.firstCall.args as unknown[])[1]).toEqual({ abortSignal: controller.signal });
  });

  it('without a signal calls send exactly as before', async () => {
    kinesis.on(PutRecordsCommand).resolves({ FailedRecordCount: 0, Records: [{ SequenceNumber: '1', ShardId: 's' }] });
    const writer = new KinesisStreamWriter(new KinesisClient({ region: 'us-east-1' }), { streamName: 'events' });
    await writer.write([{ partitionKey: 'a', data: Buffer.from('x') }]);
    expect(kinesis.send.firstCall.args).toHaveLength(1);
  });
});
