import { gzipSync } from 'node:zlib';
import {
  FirehoseClient,
  PutRecordBatchCommand,
  ResourceNotFoundException,
  ServiceUnavailableException,
} from '@aws-sdk/client-firehose';
import { mockClient } from 'aws-sdk-client-mock';
import { MAX_BYTES_PER_CALL, MAX_RECORD_BYTES } from '../../../shared/delivery/firehose-sink';
import {
  copySourceOf,
  errorTypeOfKey,
  groupByPartition,
  markerKey,
  nextChunkEnd,
  ObjectFormatError,
  originalKeyOf,
  PartitionWave,
  parseErrorObject,
  parseQuarantineObject,
  parseRedriveArgs,
  putRecordBatchWithRetry,
  resumePoint,
  UsageError,
} from '../../../shared/redrive';

const firehose = mockClient(FirehoseClient);
const client = () => new FirehoseClient({ region: 'us-east-1' });
const errorLine = (data: Buffer | string) =>
  JSON.stringify({
    attemptsMade: 1,
    arrivalTimestamp: 1_700_000_000_000,
    errorCode: 'DynamicPartitioning.ActivePartitionsLimitExceeded',
    errorMessage: 'limit',
    attemptEndingTimestamp: 1_700_000_000_500,
    rawData: Buffer.from(data).toString('base64'),
  });

/** Splits all records into calls the way the re-drive does, one wave per call sequence. */
const chunksOf = (
  sizes: number[],
  partitions: (string | undefined)[] = sizes.map(() => undefined),
  maxPartitions = 500,
) => {
  const wave = new PartitionWave(maxPartitions);
  const chunks: number[][] = [];
  let start = 0;
  while (start < sizes.length) {
    let end = nextChunkEnd(sizes, partitions, start, wave);
    if (end === start) {
      chunks.push([]); // marks a wave boundary
      wave.reset();
      end = nextChunkEnd(sizes, partitions, start, wave);
    }
    chunks.push(Array.from({ length: end - start }, (_, i) => start + i));
    start = end;
  }
  return chunks;
};

describe('nextChunkEnd: PutRecordBatch limits', () => {
  it('puts at most 500 records in a call', () => {
    expect(chunksOf(Array.from({ length: 1_201 }, () => 100)).map((chunk) => chunk.length)).toEqual([500, 500, 201]);
  });

  it('keeps every call within 4 MiB', () => {
    const sizes = Array.from({ length: 10 }, () => 900 * 1024);
    const chunks = chunksOf(sizes);

    expect(chunks.map((chunk) => chunk.length)).toEqual([4, 4, 2]);
    for (const chunk of chunks)
      expect(chunk.reduce((sum, i) => sum + (sizes[i] ?? 0), 0)).toBeLessThanOrEqual(MAX_BYTES_PER_CALL);
  });

  it('fills a call up to exactly 4 MiB', () => {
    const sizes = [MAX_BYTES_PER_CALL / 2, MAX_BYTES_PER_CALL / 2, 1];
    expect(chunksOf(sizes).map((chunk) => chunk.length)).toEqual([2, 1]);
  });
});

describe('PartitionWave', () => {
  it('admits at most maxPartitions distinct values, undefined counting as one', () => {
    const wave = new PartitionWave(2);
    wave.add(undefined);
    expect(wave.admits(undefined)).toBe(true);
    expect(wave.admits('a')).toBe(true);
    wave.add('a');
    expect(wave.admits('a')).toBe(true);
    expect(wave.admits('b')).toBe(false);
    expect(wave.size).toBe(2);
    wave.reset();
    expect(wave.admits('b')).toBe(true);
  });

  it('cuts a call where the next record would open one partition too many', () => {
    const partitions = ['a', 'a', 'b', 'c', 'a', 'd', 'e', 'b'];
    expect(
      chunksOf(
        partitions.map(() => 10),
        partitions,
        2,
      ),
    ).toEqual([[0, 1, 2], [], [3, 4], [], [5, 6], [], [7]]);
  });

  it('rejects a maxPartitions below 1', () => {
    expect(() => new PartitionWave(0)).toThrow(RangeError);
  });
});

describe('groupByPartition', () => {
  it('puts the records of one partition together, in first-seen order, keeping every record once', () => {
    const records = ['a1', 'b1', 'a2', 'c1', 'b2', 'a3'].map((text) => Buffer.from(text));
    const partitionOf = (data: Buffer) => data.toString('utf8').slice(0, 1);

    const grouped = groupByPartition(records, partitionOf).map((record) => record.toString('utf8'));

    expect(grouped).toEqual(['a1', 'a2', 'a3', 'b1', 'b2', 'c1']);
    expect(groupByPartition(records, partitionOf).map(String)).toEqual(grouped);
  });
});

describe('putRecordBatchWithRetry', () => {
  beforeEach(() => firehose.reset());
  const sent = () =>
    firehose
      .commandCalls(PutRecordBatchCommand)
      .map((call) => (call.args[0].input.Records ?? []).map((r) => Buffer.from(r.Data ?? []).toString()));

  it('retries only the entries Firehose reports failed', async () => {
    let call = 0;
    firehose.on(PutRecordBatchCommand).callsFake((input: { Records: { Data: Uint8Array }[] }) => {
      call++;
      return {
        FailedPutCount: 0,
        RequestResponses: input.Records.map(({ Data }) =>
          call === 1 && ['r1', 'r3'].includes(Buffer.from(Data).toString())
            ? { ErrorCode: 'ServiceUnavailableException', ErrorMessage: 'Slow down.' }
            : { RecordId: `id-${call}` },
        ),
      };
    });
    const delays: number[] = [];

    const result = await putRecordBatchWithRetry(
      client(),
      'delivery',
      ['r0', 'r1', 'r2', 'r3'].map((text) => Buffer.from(text)),
      { sleep: async (ms) => void delays.push(ms), random: () => 0.5 },
    );

    expect(result).toEqual({ accepted: [true, true, true, true], attempts: 2 });
    expect(sent()).toEqual([
      ['r0', 'r1', 'r2', 'r3'],
      ['r1', 'r3'],
    ]);
    expect(delays).toEqual([100]);
  });

  it('gives up after 8 attempts with capped, jittered backoff and says what still fails', async () => {
    firehose.on(PutRecordBatchCommand).callsFake((input: { Records: { Data: Uint8Array }[] }) => ({
      FailedPutCount: 1,
      RequestResponses: input.Records.map(({ Data }) =>
        Buffer.from(Data).toString() === 'bad'
          ? { ErrorCode: 'InternalFailure', ErrorMessage: 'boom' }
          : { RecordId: 'x' },
      ),
    }));
    const delays: number[] = [];

    const result = await putRecordBatchWithRetry(client(), 'delivery', [Buffer.from('ok'), Buffer.from('bad')], {
      sleep: async (ms) => void delays.push(ms),
      random: () => 0.999,
      baseDelayMs: 100,
      maxDelayMs: 1_000,
    });

    expect(result).toEqual({ accepted: [true, false], attempts: 8, lastFailure: 'InternalFailure: boom' });
    expect(firehose.commandCalls(PutRecordBatchCommand)).toHaveLength(8);
    expect(delays).toEqual([99, 199, 399, 799, 999, 999, 999]);
  });

  it('retries a whole call after a transient failure but stops on a client error', async () => {
    firehose
      .on(PutRecordBatchCommand)
      .rejectsOnce(new ServiceUnavailableException({ message: 'Slow down.', $metadata: { httpStatusCode: 503 } }))
      .resolves({ FailedPutCount: 0, RequestResponses: [{ RecordId: '1' }] });
    expect(await putRecordBatchWithRetry(client(), 'delivery', [Buffer.from('a')], { sleep: async () => {} })).toEqual({
      accepted: [true],
      attempts: 2,
    });

    firehose.reset();
    firehose
      .on(PutRecordBatchCommand)
      .rejects(
        new ResourceNotFoundException({ message: 'Firehose nope not found.', $metadata: { httpStatusCode: 400 } }),
      );
    expect(await putRecordBatchWithRetry(client(), 'nope', [Buffer.from('a')], { sleep: async () => {} })).toEqual({
      accepted: [false],
      attempts: 1,
      lastFailure: 'ResourceNotFoundException: Firehose nope not found.',
    });
  });
});

describe('parseErrorObject', () => {
  const lines = [errorLine('{"a":1}'), errorLine('{"b":2}'), ''].join('\n');

  it('reads plain NDJSON and gzip (by its magic bytes) alike', () => {
    const expected = ['{"a":1}', '{"b":2}'];
    expect(parseErrorObject(Buffer.from(lines)).map(String)).toEqual(expected);
    expect(parseErrorObject(gzipSync(lines)).map(String)).toEqual(expected);
    expect(
      parseErrorObject(Buffer.concat([gzipSync(`${errorLine('x')}\n`), gzipSync(`${errorLine('y')}\n`)])).map(String),
    ).toEqual(['x', 'y']);
  });

  it('keeps binary rawData byte for byte', () => {
    const bytes = Buffer.from([0, 255, 10, 13, 0x1f, 0x8b]);
    expect(parseErrorObject(Buffer.from(errorLine(bytes)))[0]).toEqual(bytes);
  });

  it('names the line that is not an error record', () => {
    expect(() => parseErrorObject(Buffer.from(`${errorLine('a')}\nnot json\n`))).toThrow(
      new ObjectFormatError('line 2 is not JSON'),
    );
    expect(() => parseErrorObject(Buffer.from('{"errorCode":"x"}\n'))).toThrow(/line 1 is not a Firehose error record/);
    expect(() => parseErrorObject(Buffer.from(errorLine(Buffer.alloc(MAX_RECORD_BYTES + 1))))).toThrow(
      /over Firehose's/,
    );
    expect(() => parseErrorObject(Buffer.from([0x1f, 0x8b, 1, 2, 3]))).toThrow(/not valid gzip/);
  });

  it('finds the error output type in the key', () => {
    expect(errorTypeOfKey('errors/', 'errors/partitioning-failed/year=2026/x.gz')).toBe('partitioning-failed');
    expect(errorTypeOfKey('errors/', 'errors/format-conversion-failed/x')).toBeUndefined();
  });
});

describe('parseQuarantineObject', () => {
  it('returns the origin partition key and the decoded bytes', () => {
    const body = {
      reason: 'MALFORMED_JSON',
      origin: { partitionKey: 'acme', sequenceNumber: '1' },
      dataBase64: 'eyJhIjo=',
    };
    expect(parseQuarantineObject(Buffer.from(JSON.stringify(body)))).toEqual({
      partitionKey: 'acme',
      data: Buffer.from('{"a":'),
    });
  });

  it('refuses what is not a quarantine object', () => {
    expect(() => parseQuarantineObject(Buffer.from('nope'))).toThrow(ObjectFormatError);
    expect(() => parseQuarantineObject(Buffer.from('{"dataBase64":""}'))).toThrow(/origin.partitionKey/);
    expect(() => parseQuarantineObject(Buffer.from('{"origin":{"partitionKey":"a"}}'))).toThrow(/dataBase64/);
  });
});

describe('progress markers and keys', () => {
  it('resumes only for the same key and ETag', () => {
    const marker = { key: 'errors/a', etag: '"e1"', recordsDone: 500 };
    expect(resumePoint(marker, 'errors/a', '"e1"', 1_200)).toBe(500);
    expect(resumePoint(marker, 'errors/a', '"e2"', 1_200)).toBe(0);
    expect(resumePoint(marker, 'errors/b', '"e1"', 1_200)).toBe(0);
    expect(resumePoint({ ...marker, recordsDone: -1 }, 'errors/a', '"e1"', 1_200)).toBe(0);
    expect(resumePoint('garbage', 'errors/a', '"e1"', 1_200)).toBe(0);
  });

  it('maps a marker key back to its object', () => {
    expect(markerKey('errors/x/y.gz')).toBe('redrive-progress/errors/x/y.gz.json');
    expect(originalKeyOf('redrive-progress/errors/x/y.gz.json')).toBe('errors/x/y.gz');
    expect(originalKeyOf('redrive-progress/errors/x/y.gz')).toBeUndefined();
  });

  it('encodes the copy source but keeps = and / literal', () => {
    expect(copySourceOf('lake', 'errors/p/year=2026/a b+ü?.gz')).toBe('lake/errors/p/year=2026/a%20b+%C3%BC%3F.gz');
  });
});

describe('parseRedriveArgs', () => {
  it('parses both modes with their defaults', () => {
    expect(parseRedriveArgs(['errors'])).toEqual({
      mode: 'errors',
      dryRun: false,
      json: false,
      stage: 'dev',
      types: ['partitioning-failed', 'processing-failed'],
      maxPartitions: 500,
    });
    expect(
      parseRedriveArgs([
        'errors',
        '--dry-run',
        '--json',
        '--stage',
        'local',
        '--type',
        'processing-failed',
        '--max-partitions',
        '20',
        '--wave-seconds',
        '1.5',
        '--bucket',
        'B',
        '--delivery-stream',
        'D',
      ]),
    ).toEqual({
      mode: 'errors',
      dryRun: true,
      json: true,
      stage: 'local',
      bucket: 'B',
      types: ['processing-failed'],
      maxPartitions: 20,
      waveSeconds: 1.5,
      deliveryStream: 'D',
    });
    expect(parseRedriveArgs(['quarantine', '--reason', 'MALFORMED_JSON', '--stream', 'S'])).toEqual({
      mode: 'quarantine',
      dryRun: false,
      json: false,
      stage: 'dev',
      reason: 'MALFORMED_JSON',
      stream: 'S',
    });
  });

  it.each([
    [[], 'missing mode: errors or quarantine (--help for usage)'],
    [['redo'], 'unknown mode "redo": errors or quarantine'],
    [['errors', 'extra'], 'unexpected argument "extra"'],
    [['errors', '--nope'], "Unknown option '--nope'"],
    [['errors', '--stage'], "Option '--stage <value>' argument missing"],
    [['errors', '--dry-run=yes'], "Option '--dry-run' does not take an argument"],
    [
      ['errors', '--type', 'format-conversion-failed'],
      'unknown --type "format-conversion-failed": partitioning-failed or processing-failed',
    ],
    [['errors', '--max-partitions', '1.5'], '--max-partitions must be a positive integer, got "1.5"'],
    [['errors', '--max-partitions', '0'], '--max-partitions must be a positive integer, got "0"'],
    [['errors', '--wave-seconds=-1'], '--wave-seconds must be a number of seconds ≥ 0, got "-1"'],
    [['errors', '--wave-seconds', ''], '--wave-seconds must be a number of seconds ≥ 0, got ""'],
    [['errors', '--reason', 'MALFORMED_JSON'], '--reason does not apply to errors'],
    [['quarantine'], 'quarantine needs --reason CODE'],
    [
      ['quarantine', '--reason', 'NOPE'],
      expect.stringMatching(/^unknown reason code "NOPE" \(one of EMPTY_RECORD, MALFORMED_JSON, /),
    ],
    [['quarantine', '--reason', 'EMPTY_RECORD', '--type', 'processing-failed'], '--type does not apply to quarantine'],
    [['quarantine', '--reason', 'EMPTY_RECORD', '--bucket', ' '], '--bucket must not be empty'],
  ])('%j is a usage error', (argv, message) => {
    let caught: unknown;
    try {
      parseRedriveArgs(argv);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(UsageError);
    expect((caught as Error).message).toEqual(message);
    expect((caught as Error).message).not.toContain('\n');
  });
});
