import {
  CreateStreamCommand,
  DescribeStreamSummaryCommand,
  type KinesisClient,
  ListShardsCommand,
  PutRecordsCommand,
  SplitShardCommand,
} from '@aws-sdk/client-kinesis';
import type { Context, KinesisStreamEvent, KinesisStreamRecord } from 'aws-lambda';
import {
  DEFAULT_STREAM_SETTINGS,
  KinesisEventSource,
  type KinesisEventSourceOptions,
  type KinesisHandler,
  type OnFailureRecord,
} from '../../infra/local/kinesis-esm';
import type { StreamEventSettings } from '../../infra/local/pipeline/serverless-config';
import { type LocalServers, startLocalServers } from '../../infra/local/runtime/local-servers';
import { createKinesisClient } from '../../shared/aws/kinesis-client';

// The local event source against a real kinesalite, read and written with the real SDK.

let servers: LocalServers;
let kinesis: KinesisClient;
const runners: KinesisEventSource[] = [];

beforeAll(async () => {
  servers = await startLocalServers();
  kinesis = createKinesisClient({ AWS_ENDPOINT_URL_KINESIS: servers.endpoints.kinesis, AWS_REGION: 'us-east-1' });
}, 30_000);

afterEach(async () => {
  await Promise.all(runners.splice(0).map((runner) => runner.stop()));
});

afterAll(async () => {
  kinesis?.destroy();
  await servers?.stop();
});

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

const waitForActive = async (streamName: string): Promise<string> => {
  for (;;) {
    const { StreamDescriptionSummary: summary } = await kinesis.send(
      new DescribeStreamSummaryCommand({ StreamName: streamName }),
    );
    if (summary?.StreamStatus === 'ACTIVE' && summary.StreamARN) return summary.StreamARN;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
};

let streams = 0;
const createStream = async (shardCount = 1): Promise<{ name: string; arn: string }> => {
  streams += 1;
  const name = `event-source-${process.pid}-${streams}`;
  await kinesis.send(new CreateStreamCommand({ StreamName: name, ShardCount: shardCount }));
  return { name, arn: await waitForActive(name) };
};

interface Put {
  sequenceNumber: string;
  shardId: string;
  partitionKey: string;
  body: string;
}

const put = async (
  streamName: string,
  bodies: string[],
  partitionKey: (index: number) => string = () => 'pk',
): Promise<Put[]> => {
  const written: Put[] = [];
  for (let start = 0; start < bodies.length; start += 500) {
    const chunk = bodies
      .slice(start, start + 500)
      .map((body, offset) => ({ body, partitionKey: partitionKey(start + offset) }));
    const response = await kinesis.send(
      new PutRecordsCommand({
        StreamName: streamName,
        Records: chunk.map(({ body, partitionKey: key }) => ({ Data: Buffer.from(body), PartitionKey: key })),
      }),
    );
    expect(response.FailedRecordCount ?? 0).toBe(0);
    (response.Records ?? []).forEach((result, index) => {
      const entry = chunk[index];
      if (!entry || !result.SequenceNumber || !result.ShardId)
        throw new Error('PutRecords returned no sequence number');
      written.push({ sequenceNumber: result.SequenceNumber, shardId: result.ShardId, ...entry });
    });
  }
  return written;
};

const bodiesOf = (count: number, prefix = 'r') =>
  Array.from({ length: count }, (_, index) => JSON.stringify({ id: `${prefix}${index}` }));

const settingsWith = (overrides: Partial<StreamEventSettings> = {}): StreamEventSettings => ({
  ...DEFAULT_STREAM_SETTINGS,
  functionResponseType: 'ReportBatchItemFailures',
  ...overrides,
});

interface Call {
  shardId: string;
  sequenceNumbers: string[];
  records: KinesisStreamRecord[];
  context: Context;
  remainingMs: number;
}

/** A handler that records its calls, then answers with `behaviour` (return value, or throw). */
const recorder = (behaviour: (event: KinesisStreamEvent, call: number) => unknown = () => undefined) => {
  const calls: Call[] = [];
  const handler = async (event: KinesisStreamEvent, context: Context) => {
    const sequenceNumbers = event.Records.map((record) => record.kinesis.sequenceNumber);
    const shardId = (event.Records[0]?.eventID ?? '').split(':')[0] ?? '';
    calls.push({
      shardId,
      sequenceNumbers,
      records: event.Records,
      context,
      remainingMs: context.getRemainingTimeInMillis(),
    });
    return behaviour(event, calls.length);
  };
  return { calls, handler };
};

const eventSource = (
  streamName: string,
  handler: KinesisHandler,
  settings: StreamEventSettings,
  extra: Partial<KinesisEventSourceOptions> = {},
): KinesisEventSource => {
  const runner = new KinesisEventSource({
    kinesis,
    streamName,
    region: 'us-east-1',
    functionName: 'usage-pipeline-test-kinesisConsumer',
    timeoutSeconds: 30,
    handler,
    settings,
    retryDelayMs: 1,
    maxRetryDelayMs: 5,
    pollIntervalMs: 20,
    ...extra,
  });
  runners.push(runner);
  return runner;
};

const seqs = (puts: Put[], ...indexes: number[]) => indexes.map((index) => puts[index]?.sequenceNumber);
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, index) => from + index);
const containsSequence = (event: KinesisStreamEvent, sequenceNumber: string | undefined) =>
  event.Records.some((record) => record.kinesis.sequenceNumber === sequenceNumber);

describe('KinesisEventSource against kinesalite', () => {
  it('delivers every record once, in order per shard, as a Lambda Kinesis event with a Lambda context', async () => {
    const stream = await createStream(2);
    const before = Date.now();
    const puts = await put(stream.name, bodiesOf(200), (index) => `client-${index % 10}`);
    const after = Date.now();
    const inFlight = new Map<string, number>();
    let maxInFlightPerShard = 0;
    const { calls, handler } = recorder();
    const runner = eventSource(
      stream.name,
      async (event, context) => {
        const shardId = (event.Records[0]?.eventID ?? '').split(':')[0] ?? '';
        inFlight.set(shardId, (inFlight.get(shardId) ?? 0) + 1);
        maxInFlightPerShard = Math.max(maxInFlightPerShard, inFlight.get(shardId) ?? 0);
        await new Promise((resolve) => setImmediate(resolve));
        inFlight.set(shardId, (inFlight.get(shardId) ?? 1) - 1);
        return handler(event, context);
      },
      settingsWith({ batchSize: 25 }),
    );
    await runner.start();
    await runner.drain();

    const shards = [...new Set(puts.map((p) => p.shardId))];
    expect(shards).toHaveLength(2);
    for (const shardId of shards) {
      const delivered = calls.filter((call) => call.shardId === shardId).flatMap((call) => call.sequenceNumbers);
      expect(delivered).toEqual(puts.filter((p) => p.shardId === shardId).map((p) => p.sequenceNumber));
    }
    expect(maxInFlightPerShard).toBe(1);
    for (const call of calls) {
      expect(call.records.length).toBeGreaterThan(0);
      expect(call.records.length).toBeLessThanOrEqual(25);
      expect(call.records.every((record) => record.eventID.startsWith(`${call.shardId}:`))).toBe(true);
      expect(call.context).toMatchObject({
        functionName: 'usage-pipeline-test-kinesisConsumer',
        functionVersion: '$LATEST',
        invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:usage-pipeline-test-kinesisConsumer',
      });
      expect(call.context.awsRequestId).toMatch(UUID);
      expect(call.remainingMs).toBeGreaterThan(0);
      expect(call.remainingMs).toBeLessThanOrEqual(30_000);
    }
    expect(new Set(calls.map((call) => call.context.awsRequestId)).size).toBe(calls.length);

    const first = puts[0] as Put;
    const delivered = calls
      .flatMap((call) => call.records)
      .find((record) => record.kinesis.sequenceNumber === first.sequenceNumber);
    expect(delivered).toEqual({
      kinesis: {
        kinesisSchemaVersion: '1.0',
        partitionKey: 'client-0',
        sequenceNumber: first.sequenceNumber,
        data: Buffer.from(first.body).toString('base64'),
        approximateArrivalTimestamp: expect.any(Number),
      },
      eventSource: 'aws:kinesis',
      eventVersion: '1.0',
      eventID: `${first.shardId}:${first.sequenceNumber}`,
      eventName: 'aws:kinesis:record',
      invokeIdentityArn: 'arn:aws:iam::000000000000:role/usage-pipeline-test-kinesisConsumer-role',
      awsRegion: 'us-east-1',
      eventSourceARN: stream.arn,
    });
    const arrival = (delivered as KinesisStreamRecord).kinesis.approximateArrivalTimestamp;
    expect(arrival).toBeGreaterThanOrEqual(Math.floor(before / 1000) - 1);
    expect(arrival).toBeLessThanOrEqual(after / 1000 + 1);

    expect(runner.stats()).toEqual({
      invocations: calls.length,
      recordsIn: 200,
      redelivered: 0,
      succeeded: 200,
      failedInvocations: 0,
      bisections: 0,
      discarded: 0,
      onFailureRecords: 0,
    });
  });

  it('on a partial failure, checkpoints at the lowest failed sequence number and redelivers from there', async () => {
    const stream = await createStream();
    const puts = await put(stream.name, bodiesOf(10));
    const { calls, handler } = recorder((_event, call) =>
      call === 1
        ? {
            batchItemFailures: [
              { itemIdentifier: puts[6]?.sequenceNumber },
              { itemIdentifier: puts[3]?.sequenceNumber },
            ],
          }
        : {},
    );
    const runner = eventSource(stream.name, handler, settingsWith({ batchSize: 10 }));
    await runner.start();
    await runner.drain();

    expect(calls.map((call) => call.sequenceNumbers)).toEqual([seqs(puts, ...range(0, 9)), seqs(puts, ...range(3, 9))]);
    expect(runner.stats()).toMatchObject({
      invocations: 2,
      recordsIn: 10,
      redelivered: 7,
      succeeded: 10,
      failedInvocations: 1,
      discarded: 0,
    });
  });

  it.each([
    ['an empty itemIdentifier', () => ''],
    ['a sequence number that is not in the batch', () => '49590338271490256608559692538361571095921575989136588898'],
  ])('fails the whole batch for %s', async (_label, identifier) => {
    const stream = await createStream();
    const puts = await put(stream.name, bodiesOf(5));
    const { calls, handler } = recorder((_event, call) =>
      call === 1 ? { batchItemFailures: [{ itemIdentifier: identifier() }] } : undefined,
    );
    const runner = eventSource(stream.name, handler, settingsWith({ batchSize: 5 }));
    await runner.start();
    await runner.drain();

    expect(calls.map((call) => call.sequenceNumbers)).toEqual([seqs(puts, ...range(0, 4)), seqs(puts, ...range(0, 4))]);
    expect(runner.stats()).toMatchObject({ recordsIn: 5, redelivered: 5, succeeded: 5, failedInvocations: 1 });
  });

  it('without ReportBatchItemFailures, ignores a returned failure list: only a throw fails', async () => {
    const stream = await createStream();
    const puts = await put(stream.name, bodiesOf(4));
    const { calls, handler } = recorder(() => ({ batchItemFailures: [{ itemIdentifier: puts[0]?.sequenceNumber }] }));
    const runner = eventSource(stream.name, handler, { ...DEFAULT_STREAM_SETTINGS, batchSize: 10 });
    await runner.start();
    await runner.drain();

    expect(calls.map((call) => call.sequenceNumbers)).toEqual([seqs(puts, 0, 1, 2, 3)]);
    expect(runner.stats()).toMatchObject({ invocations: 1, redelivered: 0, succeeded: 4 });
  });

  it('bisects a batch on a function error until the bad record is isolated, then discards it and goes on', async () => {
    const stream = await createStream();
    const puts = await put(stream.name, bodiesOf(8));
    const poison = puts[5]?.sequenceNumber;
    const { calls, handler } = recorder((event) => {
      if (containsSequence(event, poison)) throw new Error('poison record');
      return undefined;
    });
    const failures: OnFailureRecord[] = [];
    const runner = eventSource(
      stream.name,
      handler,
      settingsWith({ batchSize: 8, bisectBatchOnFunctionError: true, maximumRetryAttempts: 1 }),
      { onFailure: async (record) => void failures.push(record) },
    );
    await runner.start();
    await runner.drain();

    // [0-7] fails → [0-3] ok, [4-7] fails → [4,5] fails → [4] ok, [5] fails, retried once, discarded → [6,7] ok.
    expect(calls.map((call) => call.sequenceNumbers)).toEqual([
      seqs(puts, ...range(0, 7)),
      seqs(puts, 0, 1, 2, 3),
      seqs(puts, 4, 5, 6, 7),
      seqs(puts, 4, 5),
      seqs(puts, 4),
      seqs(puts, 5),
      seqs(puts, 5),
      seqs(puts, 6, 7),
    ]);
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatchObject({
      requestContext: { condition: 'RetryAttemptsExhausted', approximateInvokeCount: 5 },
      responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
      KinesisBatchInfo: { startSequenceNumber: poison, endSequenceNumber: poison, batchSize: 1 },
    });
    expect(runner.stats()).toMatchObject({
      bisections: 3,
      discarded: 1,
      onFailureRecords: 1,
      succeeded: 7,
      recordsIn: 8,
    });

    const later = await put(stream.name, bodiesOf(2, 'later'));
    await runner.drain();
    expect(calls.at(-1)?.sequenceNumbers).toEqual(seqs(later, 0, 1));
  });

  it('after maximumRetryAttempts, sends the AWS on-failure record for the batch and goes on with the shard', async () => {
    const stream = await createStream();
    const puts = await put(stream.name, bodiesOf(5));
    const { calls, handler } = recorder((event) => {
      if (containsSequence(event, puts[2]?.sequenceNumber)) throw new Error('downstream unavailable');
      return undefined;
    });
    const failures: OnFailureRecord[] = [];
    const runner = eventSource(stream.name, handler, settingsWith({ batchSize: 5, maximumRetryAttempts: 2 }), {
      onFailure: async (record) => void failures.push(record),
    });
    await runner.start();
    await runner.drain();

    expect(calls.map((call) => call.sequenceNumbers)).toEqual([1, 2, 3].map(() => seqs(puts, ...range(0, 4))));
    const arrivals = (calls[0] as Call).records.map((record) =>
      new Date(record.kinesis.approximateArrivalTimestamp * 1000).toISOString(),
    );
    expect(failures).toEqual([
      {
        requestContext: {
          requestId: calls[2]?.context.awsRequestId,
          functionArn: 'arn:aws:lambda:us-east-1:000000000000:function:usage-pipeline-test-kinesisConsumer',
          condition: 'RetryAttemptsExhausted',
          approximateInvokeCount: 3,
        },
        responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
        version: '1.0',
        timestamp: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/),
        KinesisBatchInfo: {
          shardId: puts[0]?.shardId,
          startSequenceNumber: puts[0]?.sequenceNumber,
          endSequenceNumber: puts[4]?.sequenceNumber,
          approximateArrivalOfFirstRecord: arrivals[0],
          approximateArrivalOfLastRecord: arrivals[4],
          batchSize: 5,
          streamArn: stream.arn,
        },
      },
    ]);

    const later = await put(stream.name, bodiesOf(3, 'later'));
    await runner.drain();
    expect(calls.slice(3).flatMap((call) => call.sequenceNumbers)).toEqual(seqs(later, 0, 1, 2));
    expect(runner.stats()).toMatchObject({
      invocations: calls.length,
      discarded: 5,
      onFailureRecords: 1,
      succeeded: 3,
      failedInvocations: 3,
    });
  });

  it('after repeated partial failures, discards only the records from the lowest failed one on', async () => {
    const stream = await createStream();
    const puts = await put(stream.name, bodiesOf(5));
    const { calls, handler } = recorder(() => ({ batchItemFailures: [{ itemIdentifier: puts[2]?.sequenceNumber }] }));
    const failures: OnFailureRecord[] = [];
    const runner = eventSource(stream.name, handler, settingsWith({ batchSize: 5, maximumRetryAttempts: 1 }), {
      onFailure: async (record) => void failures.push(record),
    });
    await runner.start();
    await runner.drain();

    expect(calls.map((call) => call.sequenceNumbers)).toEqual([seqs(puts, ...range(0, 4)), seqs(puts, 2, 3, 4)]);
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatchObject({
      requestContext: { condition: 'RetryAttemptsExhausted', approximateInvokeCount: 2 },
      responseContext: { statusCode: 200, executedVersion: '$LATEST' },
      KinesisBatchInfo: {
        startSequenceNumber: puts[2]?.sequenceNumber,
        endSequenceNumber: puts[4]?.sequenceNumber,
        batchSize: 3,
      },
    });
    expect(failures[0]?.responseContext?.functionError).toBeUndefined();
    expect(runner.stats()).toMatchObject({ succeeded: 2, discarded: 3 });
  });

  it('discards records older than maximumRecordAgeInSeconds with RecordAgeExceeded, even while retrying forever', async () => {
    const stream = await createStream();
    const puts = await put(stream.name, bodiesOf(3));
    let clockOffsetMs = 0;
    const { calls, handler } = recorder(() => {
      clockOffsetMs += 40_000; // each invocation "takes" 40 s of the controllable clock
      throw new Error('always failing');
    });
    const failures: OnFailureRecord[] = [];
    const runner = eventSource(stream.name, handler, settingsWith({ batchSize: 10, maximumRecordAgeInSeconds: 60 }), {
      now: () => Date.now() + clockOffsetMs,
      onFailure: async (record) => void failures.push(record),
    });
    await runner.start();
    await runner.drain();

    // Ages at the checks: ~0 s (invoke), ~40 s (retry), ~80 s (> 60 s: discarded).
    expect(calls).toHaveLength(2);
    expect(failures).toEqual([
      expect.objectContaining({
        requestContext: expect.objectContaining({ condition: 'RecordAgeExceeded', approximateInvokeCount: 2 }),
        responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
        KinesisBatchInfo: expect.objectContaining({
          startSequenceNumber: puts[0]?.sequenceNumber,
          endSequenceNumber: puts[2]?.sequenceNumber,
          batchSize: 3,
        }),
      }),
    ]);
    expect(runner.stats()).toMatchObject({ discarded: 3, onFailureRecords: 1, succeeded: 0 });
  });

  it('discards records that are already too old without invoking the function', async () => {
    const stream = await createStream();
    const puts = await put(stream.name, bodiesOf(4));
    const { calls, handler } = recorder();
    const failures: OnFailureRecord[] = [];
    const runner = eventSource(stream.name, handler, settingsWith({ batchSize: 10, maximumRecordAgeInSeconds: 60 }), {
      now: () => Date.now() + 3_600_000,
      onFailure: async (record) => void failures.push(record),
    });
    await runner.start();
    await runner.drain();

    expect(calls).toHaveLength(0);
    expect(failures).toHaveLength(1);
    expect(failures[0]?.requestContext).toMatchObject({
      condition: 'RecordAgeExceeded',
      approximateInvokeCount: 0,
      requestId: expect.stringMatching(UUID),
    });
    expect(failures[0]?.responseContext).toBeUndefined();
    expect(failures[0]?.KinesisBatchInfo).toMatchObject({
      startSequenceNumber: puts[0]?.sequenceNumber,
      endSequenceNumber: puts[3]?.sequenceNumber,
      batchSize: 4,
    });
  });

  it('treats an invocation that runs past the function timeout as a function error and retries it', async () => {
    const stream = await createStream();
    const puts = await put(stream.name, bodiesOf(2));
    const { calls, handler } = recorder((_event, call) => (call === 1 ? new Promise(() => {}) : undefined));
    const runner = eventSource(stream.name, handler, settingsWith({ batchSize: 10 }), { timeoutSeconds: 0.2 });
    await runner.start();
    await runner.drain();

    expect(calls.map((call) => call.sequenceNumbers)).toEqual([seqs(puts, 0, 1), seqs(puts, 0, 1)]);
    expect(runner.stats()).toMatchObject({ invocations: 2, failedInvocations: 1, succeeded: 2 });
  });

  it('supports callback-style handlers like the Node.js runtime', async () => {
    const stream = await createStream();
    const puts = await put(stream.name, bodiesOf(3));
    const seen: string[] = [];
    const runner = eventSource(
      stream.name,
      (event, _context, callback) => {
        seen.push(...event.Records.map((record) => record.kinesis.sequenceNumber));
        setImmediate(() => callback(null, { batchItemFailures: [] }));
      },
      settingsWith(),
    );
    await runner.start();
    await runner.drain();
    expect(seen).toEqual(seqs(puts, 0, 1, 2));
  });

  it('drain() resolves each time the shards are caught up, and stop() ends polling', async () => {
    const stream = await createStream(2);
    const { calls, handler } = recorder();
    const runner = eventSource(stream.name, handler, settingsWith({ batchSize: 100 }));
    await runner.start();
    await runner.drain();
    expect(calls).toHaveLength(0);

    const first = await put(stream.name, bodiesOf(30), (index) => `k${index}`);
    await runner.drain();
    expect(calls.flatMap((call) => call.sequenceNumbers).sort()).toEqual(first.map((p) => p.sequenceNumber).sort());

    const second = await put(stream.name, bodiesOf(30, 'second'), (index) => `k${index}`);
    await runner.drain();
    expect(runner.stats().recordsIn).toBe(first.length + second.length);

    await runner.stop();
    await runner.stop();
    const invocations = runner.stats().invocations;
    await put(stream.name, bodiesOf(5, 'after-stop'));
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(runner.stats().invocations).toBe(invocations);
    await expect(runner.drain()).rejects.toThrow(/stopped/);
  });

  it('waits up to batchWindow to fill a batch', async () => {
    const stream = await createStream();
    const early = await put(stream.name, bodiesOf(3, 'early'));
    const { calls, handler } = recorder();
    const runner = eventSource(stream.name, handler, settingsWith({ batchSize: 10, batchWindow: 1 }), {
      flushOnDrain: false,
    });
    await runner.start();
    const late = await put(stream.name, bodiesOf(3, 'late'));
    await runner.drain();
    expect(calls.map((call) => call.sequenceNumbers)).toEqual([[...early, ...late].map((p) => p.sequenceNumber)]);
  });

  it('while drain() waits, invokes a caught-up partial batch without waiting out the window (flushOnDrain)', async () => {
    const stream = await createStream();
    const puts = await put(stream.name, bodiesOf(3));
    const { calls, handler } = recorder();
    // A 300 s window would outlast the test timeout if drain() waited for it.
    const runner = eventSource(stream.name, handler, settingsWith({ batchSize: 10, batchWindow: 300 }));
    await runner.start();
    await runner.drain();
    expect(calls.map((call) => call.sequenceNumbers)).toEqual([seqs(puts, 0, 1, 2)]);
  });

  it('keeps every invocation payload within 6 MB', async () => {
    const stream = await createStream();
    const big = 'x'.repeat(900 * 1024);
    const puts: Put[] = [];
    for (let index = 0; index < 8; index++) puts.push(...(await put(stream.name, [`${index}${big}`])));
    const sizes: number[] = [];
    const { calls, handler } = recorder((event) => {
      sizes.push(Buffer.byteLength(JSON.stringify(event)));
    });
    const runner = eventSource(stream.name, handler, settingsWith({ batchSize: 100 }));
    await runner.start();
    await runner.drain();

    expect(calls.length).toBeGreaterThan(1);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(6 * 1024 * 1024);
    expect(calls.flatMap((call) => call.sequenceNumbers)).toEqual(puts.map((p) => p.sequenceNumber));
  });

  it('start() rejects for a stream that does not exist', async () => {
    const { handler } = recorder();
    const runner = eventSource(`missing-${process.pid}`, handler, settingsWith());
    await expect(runner.start()).rejects.toThrow(/not found|does not exist/i);
    await expect(runner.drain()).rejects.toThrow(/stopped/);
  });

  it('with LATEST, delivers only records put after start', async () => {
    const stream = await createStream();
    await put(stream.name, bodiesOf(3, 'old'));
    const { calls, handler } = recorder();
    const runner = eventSource(stream.name, handler, settingsWith({ startingPosition: 'LATEST' }));
    await runner.start();
    const fresh = await put(stream.name, bodiesOf(2, 'new'));
    await runner.drain();
    expect(calls.flatMap((call) => call.sequenceNumbers)).toEqual(seqs(fresh, 0, 1));
  });

  it('follows a shard split: drain() waits for the children, read after their parent is finished', async () => {
    const stream = await createStream();
    const { calls, handler } = recorder();
    // kinesalite closes a split parent only on the read after the first one whose iterator is
    // older than the split, and an iterator is up to 1 s ahead after records: wait that out, and
    // poll slowly so that the parent's first read after the split (empty, still open) is likely
    // the one drain() sees. drain() must still find the children (ListShards).
    const runner = eventSource(stream.name, handler, settingsWith({ batchSize: 100 }), { pollIntervalMs: 300 });
    await runner.start();
    const before = await put(stream.name, bodiesOf(5, 'parent'), (index) => `k${index}`);
    await runner.drain();
    expect(calls.flatMap((call) => call.sequenceNumbers)).toEqual(before.map((p) => p.sequenceNumber));
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    await kinesis.send(
      new SplitShardCommand({
        StreamName: stream.name,
        ShardToSplit: before[0]?.shardId,
        NewStartingHashKey: (2n ** 127n).toString(),
      }),
    );
    await waitForActive(stream.name);
    const after = await put(stream.name, bodiesOf(20, 'child'), (index) => `k${index}`);
    await runner.drain();

    const { Shards: shards = [] } = await kinesis.send(new ListShardsCommand({ StreamName: stream.name }));
    expect(shards).toHaveLength(3);
    const delivered = calls.flatMap((call) => call.sequenceNumbers);
    expect(delivered.slice(0, 5)).toEqual(before.map((p) => p.sequenceNumber));
    expect([...delivered.slice(5)].sort()).toEqual(after.map((p) => p.sequenceNumber).sort());
    for (const childShard of new Set(after.map((p) => p.shardId))) {
      const childDelivered = calls
        .filter((call) => call.shardId === childShard)
        .flatMap((call) => call.sequenceNumbers);
      expect(childDelivered).toEqual(after.filter((p) => p.shardId === childShard).map((p) => p.sequenceNumber));
    }
  });
});
