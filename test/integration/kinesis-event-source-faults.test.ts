import {
  CreateStreamCommand,
  type GetShardIteratorCommandInput,
  type KinesisClient,
  PutRecordsCommand,
  waitUntilStreamExists,
} from '@aws-sdk/client-kinesis';
import type { KinesisStreamEvent } from 'aws-lambda';
import {
  DEFAULT_STREAM_SETTINGS,
  type EventSourceLogger,
  KinesisEventSource,
  type KinesisEventSourceOptions,
} from '../../infra/local/kinesis-esm';
import { createKinesisClient } from '../../shared/aws/kinesis-client';
import { type FaultProxy, type FaultRequest, type InjectedFault, startFaultProxy } from '../helpers/fault-proxy';
import { sharedStack } from '../helpers/shared-stack';

// The local Kinesis event source (a stand-in for Lambda's event source mapping) reading through
// a fault proxy in front of kinesalite: the real SDK gets real AWS error responses from
// GetRecords, and the runner takes its own read-error paths.
//
// GetRecords errors (https://docs.aws.amazon.com/kinesis/latest/APIReference/API_GetRecords.html,
// "Errors"): InternalFailure (500, retryable), ProvisionedThroughputExceededException (400: "The
// request rate for the stream is too high, or the requested data is too large for the available
// throughput. Reduce the frequency or size of your requests."), and ExpiredIteratorException
// (400: "The provided iterator exceeds the maximum age allowed"). A shard iterator expires 5
// minutes after it is returned (API_GetShardIterator.html: "A shard iterator expires 5 minutes
// after it is returned to the requester"); a consumer then gets a new one, here
// AFTER_SEQUENCE_NUMBER of the last record it fetched, so no record is skipped or read twice.
//
// The runner's client makes one attempt per call (AWS_MAX_ATTEMPTS=1): with the SDK's default
// retries, InternalFailure and throttling errors would be retried inside send() and the runner
// would never see the injected faults it is tested on.
//
// The wire protocol: @aws-sdk/client-kinesis here uses AWS JSON 1.1 (AwsJson1_1Protocol; requests
// are `application/x-amz-json-1.1` with X-Amz-Target), which is what the fault proxy answers in.

/** The runner's retries of consecutive GetRecords errors (MAX_CONSECUTIVE_READ_ERRORS); it fails the shard on the next one. */
const READ_RETRIES = 5;

let kinesis: KinesisClient;
let streams = 0;
const runners: KinesisEventSource[] = [];
const proxies: FaultProxy[] = [];
const clients: KinesisClient[] = [];

beforeAll(() => {
  kinesis = createKinesisClient({ AWS_ENDPOINT_URL_KINESIS: sharedStack().endpoints.kinesis, AWS_REGION: 'us-east-1' });
});

afterEach(async () => {
  await Promise.all(runners.splice(0).map((runner) => runner.stop()));
  for (const client of clients.splice(0)) client.destroy();
  await Promise.all(proxies.splice(0).map((proxy) => proxy.close()));
});

afterAll(() => kinesis?.destroy());

interface Put {
  sequenceNumber: string;
  shardId: string;
}

/** A one-shard stream with `count` records, put directly to kinesalite. */
const streamWith = async (count: number): Promise<{ name: string; puts: Put[] }> => {
  streams += 1;
  const name = `event-source-faults-${process.pid}-${streams}`;
  await kinesis.send(new CreateStreamCommand({ StreamName: name, ShardCount: 1 }));
  await waitUntilStreamExists({ client: kinesis, maxWaitTime: 30, minDelay: 0.1, maxDelay: 0.5 }, { StreamName: name });
  const puts: Put[] = [];
  for (let start = 0; start < count; start += 500) {
    const size = Math.min(500, count - start);
    const response = await kinesis.send(
      new PutRecordsCommand({
        StreamName: name,
        Records: Array.from({ length: size }, (_, i) => ({
          Data: Buffer.from(JSON.stringify({ n: start + i })),
          PartitionKey: 'pk',
        })),
      }),
    );
    expect(response.FailedRecordCount ?? 0).toBe(0);
    for (const result of response.Records ?? []) {
      if (!result.SequenceNumber || !result.ShardId) throw new Error('PutRecords returned no sequence number');
      puts.push({ sequenceNumber: result.SequenceNumber, shardId: result.ShardId });
    }
  }
  return { name, puts };
};

interface LogEntry {
  level: keyof EventSourceLogger;
  message: string;
  details: Record<string, unknown> | undefined;
}

/**
 * A runner reading through a fault proxy: `fault` sees the n-th GetRecords (1-based) and may
 * answer it with an error. Records what the handler got, the logs, and the GetShardIterator
 * requests, in one timeline.
 */
const faultyRunner = async (
  streamName: string,
  fault: (getRecordsCall: number, request: FaultRequest) => InjectedFault | undefined,
  extra: Partial<KinesisEventSourceOptions> = {},
) => {
  const counts = { getRecords: 0, getShardIterator: 0 };
  const proxy = await startFaultProxy(sharedStack().endpoints.kinesis, (request) => {
    if (request.target === 'Kinesis_20131202.GetShardIterator') counts.getShardIterator++;
    if (request.target !== 'Kinesis_20131202.GetRecords') return undefined;
    counts.getRecords++;
    return fault(counts.getRecords, request);
  });
  proxies.push(proxy);

  const client = createKinesisClient({
    AWS_ENDPOINT_URL_KINESIS: proxy.url,
    AWS_REGION: 'us-east-1',
    AWS_MAX_ATTEMPTS: '1',
  });
  clients.push(client);
  const iteratorRequests: GetShardIteratorCommandInput[] = [];
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName === 'GetShardIteratorCommand')
        iteratorRequests.push({ ...(args.input as GetShardIteratorCommandInput) });
      return next(args);
    },
    { step: 'initialize', name: 'recordGetShardIterator' },
  );

  const delivered: string[][] = [];
  const logs: LogEntry[] = [];
  /** Handler calls (`call`) and log entries, in the order they happened. */
  const timeline: string[] = [];
  const logTo = (level: keyof EventSourceLogger) => (message: string, details?: Record<string, unknown>) => {
    logs.push({ level, message, details });
    timeline.push(`${level}: ${message}`);
  };
  const runner = new KinesisEventSource({
    kinesis: client,
    streamName,
    region: 'us-east-1',
    functionName: 'usage-pipeline-test-kinesisConsumer',
    timeoutSeconds: 30,
    handler: async (event: KinesisStreamEvent) => {
      delivered.push(event.Records.map((record) => record.kinesis.sequenceNumber));
      timeline.push('call');
    },
    settings: { ...DEFAULT_STREAM_SETTINGS, functionResponseType: 'ReportBatchItemFailures', batchSize: 10 },
    retryDelayMs: 1,
    maxRetryDelayMs: 5,
    pollIntervalMs: 20,
    logger: { debug: logTo('debug'), info: logTo('info'), warn: logTo('warn'), error: logTo('error') },
    ...extra,
  });
  runners.push(runner);
  const logged = (level: keyof EventSourceLogger, message: string | RegExp) =>
    logs.filter(
      (entry) =>
        entry.level === level &&
        (typeof message === 'string' ? entry.message === message : message.test(entry.message)),
    );
  return { runner, proxy, counts, iteratorRequests, delivered, logs, logged, timeline };
};

const sequenceNumbers = (puts: Put[]) => puts.map((p) => p.sequenceNumber);

describe('KinesisEventSource under GetRecords faults (through a fault proxy in front of kinesalite)', () => {
  it('retries failed GetRecords calls (500 InternalFailure, 400 throughput exceeded): every record once, in order', async () => {
    // Arrange: 350 records; batchSize 10 reads 100 per GetRecords (Limit = 10 × batchSize), so
    // the 2nd and 3rd GetRecords — after the first 100 records, before the rest — fail.
    const { name, puts } = await streamWith(350);
    const { runner, proxy, counts, delivered, logged, timeline } = await faultyRunner(name, (call) => {
      if (call === 2) return { status: 500, errorType: 'InternalFailure', message: 'Internal service failure.' };
      if (call === 3) {
        return {
          status: 400,
          errorType: 'ProvisionedThroughputExceededException',
          message: 'Rate exceeded for shard shardId-000000000000 in stream under account 000000000000.',
        };
      }
      return undefined;
    });

    // Act
    await runner.start();
    await runner.drain();

    // Assert: every record handed to the handler exactly once, in sequence order; none lost.
    const flat = delivered.flat();
    expect(flat).toEqual(sequenceNumbers(puts));
    expect(new Set(flat).size).toBe(puts.length);
    expect(delivered.every((batch) => batch.length > 0 && batch.length <= 10)).toBe(true);
    expect(proxy.injected.get('Kinesis_20131202.GetRecords')).toBe(2);
    expect(counts.getRecords).toBeGreaterThanOrEqual(7); // 4 reads with records, 2 faults, ≥ 1 empty read.
    // One warning per injected failure, with the SDK's error; both between deliveries (mid-stream).
    const warnings = logged('warn', 'GetRecords failed; retrying');
    expect(warnings.map((entry) => entry.details)).toEqual([
      { shardId: puts[0]?.shardId, error: 'Internal service failure.' },
      {
        shardId: puts[0]?.shardId,
        error: 'Rate exceeded for shard shardId-000000000000 in stream under account 000000000000.',
      },
    ]);
    const firstWarning = timeline.indexOf('warn: GetRecords failed; retrying');
    expect(timeline.slice(0, firstWarning)).toContain('call');
    expect(timeline.slice(firstWarning)).toContain('call');
    expect(logged('error', /./)).toEqual([]);
    // The summary says the same: all in, all succeeded, nothing redelivered or discarded.
    expect(runner.stats()).toEqual({
      invocations: delivered.length,
      recordsIn: puts.length,
      redelivered: 0,
      succeeded: puts.length,
      failedInvocations: 0,
      bisections: 0,
      discarded: 0,
      onFailureRecords: 0,
    });
  });

  it('on ExpiredIteratorException mid-stream, gets a new iterator after the last fetched record and resumes: none skipped, none repeated', async () => {
    // Arrange: 350 records, 100 per GetRecords; the 3rd GetRecords (the 1st and 2nd fetched
    // records 0–199, the handler has had some of them) is answered as an expired iterator.
    const { name, puts } = await streamWith(350);
    const { runner, proxy, counts, iteratorRequests, delivered, logged, timeline } = await faultyRunner(name, (call) =>
      call === 3
        ? {
            status: 400,
            errorType: 'ExpiredIteratorException',
            message:
              'Iterator expired. The iterator was created at time Tue Jan 01 00:00:00 UTC 2030 while right now it is Tue Jan 01 00:05:01 UTC 2030 which is further in the future than the tolerated delay of 300000 milliseconds.',
          }
        : undefined,
    );

    // Act
    await runner.start();
    await runner.drain();

    // Assert: a new iterator, AFTER_SEQUENCE_NUMBER of the last record fetched before the
    // expired read (record 199), after the one start() got.
    expect(proxy.injected.get('Kinesis_20131202.GetRecords')).toBe(1);
    expect(counts.getShardIterator).toBe(2);
    expect(iteratorRequests).toEqual([
      { StreamName: name, ShardId: puts[0]?.shardId, ShardIteratorType: 'TRIM_HORIZON' },
      {
        StreamName: name,
        ShardId: puts[0]?.shardId,
        ShardIteratorType: 'AFTER_SEQUENCE_NUMBER',
        StartingSequenceNumber: puts[199]?.sequenceNumber,
      },
    ]);
    const renewed = logged('debug', 'Shard iterator expired; getting a new one');
    expect(renewed.map((entry) => entry.details)).toEqual([{ shardId: puts[0]?.shardId }]);
    const renewedAt = timeline.indexOf('debug: Shard iterator expired; getting a new one');
    expect(timeline.slice(0, renewedAt)).toContain('call');
    expect(timeline.slice(renewedAt)).toContain('call');
    // An expired iterator is not a read error: no retry warning, no failure.
    expect(logged('warn', /./)).toEqual([]);
    expect(logged('error', /./)).toEqual([]);
    // Every record exactly once, in order: nothing skipped past the expiry, nothing read twice.
    const flat = delivered.flat();
    expect(flat).toEqual(sequenceNumbers(puts));
    expect(new Set(flat).size).toBe(puts.length);
    expect(runner.stats()).toEqual({
      invocations: delivered.length,
      recordsIn: puts.length,
      redelivered: 0,
      succeeded: puts.length,
      failedInvocations: 0,
      bisections: 0,
      discarded: 0,
      onFailureRecords: 0,
    });
  });

  it('with LATEST, on ExpiredIteratorException before any record was fetched, still delivers the records put since start, and only those', async () => {
    // Arrange: 3 records put before start() (not in LATEST's range). Once the runner has caught
    // up on the empty shard, every GetRecords is answered as an expired iterator until one
    // arrives after 5 more records were put: getting LATEST again then would skip those 5.
    const { name, puts: before } = await streamWith(3);
    const phase = { expiring: false, putDone: false };
    const { runner, proxy, iteratorRequests, delivered, logged } = await faultyRunner(
      name,
      () => {
        if (!phase.expiring) return undefined;
        if (phase.putDone) phase.expiring = false;
        return { status: 400, errorType: 'ExpiredIteratorException', message: 'Iterator expired.' };
      },
      {
        settings: {
          ...DEFAULT_STREAM_SETTINGS,
          functionResponseType: 'ReportBatchItemFailures',
          batchSize: 10,
          startingPosition: 'LATEST',
        },
      },
    );
    await runner.start();
    await runner.drain();
    phase.expiring = true;
    // A GetRecords forwarded before the switch must not see the new records: let it finish.
    await new Promise((resolve) => setTimeout(resolve, 100));
    const response = await kinesis.send(
      new PutRecordsCommand({
        StreamName: name,
        Records: Array.from({ length: 5 }, (_, i) => ({
          Data: Buffer.from(JSON.stringify({ late: i })),
          PartitionKey: 'pk',
        })),
      }),
    );
    phase.putDone = true;
    const after = (response.Records ?? []).map((result) => result.SequenceNumber);

    // Act
    await runner.drain();

    // Assert: where the records ended: the 5 put after start() handed over once each, in order; the 3
    // put before start() never (they precede LATEST).
    expect(after).toHaveLength(5);
    expect(delivered.flat()).toEqual(after);
    expect(delivered.flat().filter((sequenceNumber) => sequenceNumbers(before).includes(sequenceNumber))).toEqual([]);
    expect(runner.stats()).toMatchObject({
      invocations: delivered.length,
      recordsIn: 5,
      redelivered: 0,
      succeeded: 5,
      discarded: 0,
    });
    // The runner resumed after each expiry without skipping what was put since start
    // (nothing fetched yet: it reads from TRIM_HORIZON and skips records older than start()).
    const expiries = proxy.injected.get('Kinesis_20131202.GetRecords') ?? 0;
    expect(expiries).toBeGreaterThanOrEqual(1);
    expect(logged('debug', 'Shard iterator expired; getting a new one')).toHaveLength(expiries);
    expect(iteratorRequests.map((request) => request.ShardIteratorType)).toEqual([
      'LATEST',
      ...Array(expiries).fill('TRIM_HORIZON'),
    ]);
  });

  it('fails the shard after its consecutive GetRecords errors run out: drain() rejects naming the shard, no record delivered twice', async () => {
    // Arrange: 120 records; batchSize 5 reads 50 per GetRecords. The 1st GetRecords succeeds
    // (records 0–49), every later one fails with 500 InternalFailure.
    const { name, puts } = await streamWith(120);
    const shardId = puts[0]?.shardId as string;
    const { runner, proxy, counts, delivered, logged } = await faultyRunner(
      name,
      (call) =>
        call === 1 ? undefined : { status: 500, errorType: 'InternalFailure', message: 'Internal service failure.' },
      { settings: { ...DEFAULT_STREAM_SETTINGS, functionResponseType: 'ReportBatchItemFailures', batchSize: 5 } },
    );

    // Act
    await runner.start();
    const drained = runner.drain();

    // Assert: drain() rejects with the shard's failure.
    await expect(drained).rejects.toThrow(new RegExp(`^Shard ${shardId} failed: Internal service failure\\.$`));
    // 1 good read, then the first error and its READ_RETRIES retries; no read after the shard failed.
    expect(proxy.injected.get('Kinesis_20131202.GetRecords')).toBe(READ_RETRIES + 1);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(counts.getRecords).toBe(READ_RETRIES + 2);
    expect(logged('warn', 'GetRecords failed; retrying')).toHaveLength(READ_RETRIES);
    expect(logged('error', /./).map((entry) => [entry.message, entry.details])).toEqual([
      [`Shard ${shardId} failed: Internal service failure.`, { shardId }],
    ]);
    // Where the records ended: the 50 fetched before the failures were each handed to the
    // handler once, in order; the 70 never fetched were never handed over (still in the stream).
    const flat = delivered.flat();
    expect(flat).toEqual(sequenceNumbers(puts.slice(0, 50)));
    expect(new Set(flat).size).toBe(flat.length);
    expect(runner.stats()).toEqual({
      invocations: delivered.length,
      recordsIn: 50,
      redelivered: 0,
      succeeded: 50,
      failedInvocations: 0,
      bisections: 0,
      discarded: 0,
      onFailureRecords: 0,
    });
    // A failed runner stays failed.
    await expect(runner.drain()).rejects.toThrow(`Shard ${shardId} failed`);
  });
});
