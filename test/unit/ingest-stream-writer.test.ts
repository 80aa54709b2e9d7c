import { KinesisClient, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { mockClient } from 'aws-sdk-client-mock';
import { KinesisStreamWriter, MAX_RECORD_BYTES } from '../../shared/ingest/stream-writer';

const kinesis = mockClient(KinesisClient);
const writer = () =>
  new KinesisStreamWriter(new KinesisClient({ region: 'us-east-1' }), {
    streamName: 'events',
    sleep: async () => {},
    maxAttempts: 3,
  });
const record = (id: number) => ({ partitionKey: 'acme', data: Buffer.from([id]) });

describe('KinesisStreamWriter', () => {
  beforeEach(() => kinesis.reset());

  it('retries only the entries Kinesis reports failed and returns per-record outcomes', async () => {
    let first = true;
    kinesis.on(PutRecordsCommand).callsFake((input: { Records: { Data: Uint8Array }[] }) => {
      const records = input.Records.map(({ Data }) =>
        first && Data[0] === 1
          ? { ErrorCode: 'ProvisionedThroughputExceededException', ErrorMessage: 'Rate exceeded' }
          : { SequenceNumber: `seq-${Data[0]}`, ShardId: 'shardId-000000000000' },
      );
      first = false;
      return { FailedRecordCount: records.filter((r) => 'ErrorCode' in r).length, Records: records };
    });

    const outcomes = await writer().write([record(0), record(1), record(2)]);

    expect(outcomes.map((o) => (o.ok ? o.sequenceNumber : o.errorCode))).toEqual(['seq-0', 'seq-1', 'seq-2']);
    const sent = kinesis
      .commandCalls(PutRecordsCommand)
      .map((c) => c.args[0].input.Records?.map((r) => (r.Data as Uint8Array)[0]));
    expect(sent).toEqual([[0, 1, 2], [1]]);
  });

  it('fails an oversized record without sending it, and reports what still fails', async () => {
    kinesis.on(PutRecordsCommand).resolves({
      FailedRecordCount: 1,
      Records: [{ ErrorCode: 'InternalFailure', ErrorMessage: 'boom' }],
    });

    const outcomes = await writer().write([{ partitionKey: 'a', data: Buffer.alloc(MAX_RECORD_BYTES) }, record(1)]);

    expect(outcomes).toEqual([
      { ok: false, errorCode: 'RecordTooLarge', errorMessage: expect.any(String) },
      { ok: false, errorCode: 'InternalFailure', errorMessage: 'boom' },
    ]);
    expect(kinesis.commandCalls(PutRecordsCommand)).toHaveLength(3);
  });

  it('splits at 500 records per call', async () => {
    kinesis.on(PutRecordsCommand).callsFake((input: { Records: unknown[] }) => ({
      FailedRecordCount: 0,
      Records: input.Records.map(() => ({ SequenceNumber: '1', ShardId: 's' })),
    }));

    await writer().write(Array.from({ length: 1_001 }, (_, i) => record(i % 256)));

    expect(kinesis.commandCalls(PutRecordsCommand).map((c) => c.args[0].input.Records?.length)).toEqual([500, 500, 1]);
  });
});
