import { KinesisClient, PutRecordsCommand, type PutRecordsCommandInput } from '@aws-sdk/client-kinesis';
import middy from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import {
  type ApiCallCaptureOptions,
  apiCallCapture,
  CAPTURE_DROP_REASONS,
  CAPTURE_RECORDS_DROPPED,
  type CaptureDropReason,
  updateUser,
  updateUsersBatch,
  withApiCallCapture,
} from '../../../shared/capture';
import { CaptureBuffer } from '../../../shared/capture/capture-buffer';
import { resetDefaultCaptureMetrics } from '../../../shared/capture/capture-metrics';
import { resolveTransport } from '../../../shared/capture/options';
import { RecordingMetrics } from '../../../shared/metrics';
import { lambdaContext, recordingLogger, restApiEvent } from '../../helpers/capture-events';

const kinesis = mockClient(KinesisClient);
const client = new KinesisClient({ region: 'eu-west-1' });

const acceptAll = (input: PutRecordsCommandInput) => ({
  FailedRecordCount: 0,
  Records: (input.Records ?? []).map((_, index) => ({
    SequenceNumber: `seq-${index}`,
    ShardId: 'shardId-000000000000',
  })),
});

const v1Result: APIGatewayProxyResult = {
  statusCode: 200,
  headers: { 'content-type': 'application/json' },
  body: '{"ok":true}',
};

let log: ReturnType<typeof recordingLogger>;
let metrics: RecordingMetrics;
const baseOptions = <TEvent>(extra: ApiCallCaptureOptions<TEvent> = {}): ApiCallCaptureOptions<TEvent> => ({
  kinesisClient: client,
  streamName: 'usage-events',
  defaultClientId: 'client-default',
  logger: log.logger,
  env: {},
  metrics,
  ...extra,
});

/** What one invocation that dropped `count` records for `reason` leaves in the recorder. */
const droppedFor = (reason: CaptureDropReason, count = 1) => ({
  [CAPTURE_RECORDS_DROPPED]: count,
  [`${CAPTURE_RECORDS_DROPPED}{Reason=${reason}}`]: count,
});

const invoke = (options: ApiCallCaptureOptions<APIGatewayProxyEvent>, event: APIGatewayProxyEvent = restApiEvent()) =>
  withApiCallCapture<APIGatewayProxyEvent, APIGatewayProxyResult>(async () => v1Result, options)(
    event,
    lambdaContext(),
  );

const NOW = new Date('2026-03-14T15:08:00.000Z');

beforeEach(() => {
  kinesis.reset();
  kinesis.on(PutRecordsCommand).callsFake(acceptAll);
  log = recordingLogger();
  metrics = new RecordingMetrics();
  jest.useFakeTimers({ now: NOW, doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] });
});
afterEach(() => jest.useRealTimers());

describe('CaptureRecordsDropped: what is not a drop', () => {
  it('a captured call, a skipped call and a non-HTTP event count nothing and flush nothing', async () => {
    expect(await invoke(baseOptions())).toBe(v1Result);
    expect(await invoke(baseOptions({ skip: () => true }))).toBe(v1Result);
    await withApiCallCapture(async (_event: unknown) => 'ok', baseOptions())({ Records: [] }, lambdaContext());

    expect(kinesis.commandCalls(PutRecordsCommand)).toHaveLength(1);
    expect(Object.fromEntries(metrics.counts)).toEqual({});
    expect(metrics.flushes).toBe(0);
  });

  it('a profile call rejected for invalid input counts nothing', async () => {
    await expect(updateUser({ user_id: '' }, baseOptions())).rejects.toThrow('user_id');
    expect(Object.fromEntries(metrics.counts)).toEqual({});
  });
});

describe('CaptureRecordsDropped: each drop path, by Reason, flushed once at the end of the invocation', () => {
  interface DropCase {
    what: string;
    reason: CaptureDropReason;
    options: () => ApiCallCaptureOptions<APIGatewayProxyEvent>;
    event?: () => APIGatewayProxyEvent;
  }
  const unreadableEvent = (): APIGatewayProxyEvent => {
    const event = restApiEvent();
    Object.defineProperty(event, 'httpMethod', {
      enumerable: true,
      get: () => {
        throw new Error('unreadable');
      },
    });
    return event;
  };
  const cases: DropCase[] = [
    {
      what: 'no company id and no default client id',
      reason: 'NoClientId',
      options: () => baseOptions({ defaultClientId: false }),
    },
    {
      what: 'maskEvent throws',
      reason: 'MaskEventFailed',
      options: () =>
        baseOptions({
          maskEvent: () => {
            throw new Error('mask bug');
          },
        }),
    },
    {
      what: 'maskEvent returns something other than an event',
      reason: 'MaskEventInvalid',
      options: () => baseOptions({ maskEvent: () => 42 as unknown as undefined }),
    },
    {
      what: 'the record cannot be serialized (a BigInt left by maskEvent)',
      reason: 'Unserializable',
      options: () =>
        baseOptions({
          maskEvent: (apiCall) => {
            apiCall.request.body = { big: BigInt(1) };
          },
        }),
    },
    {
      what: 'the record is over the Kinesis record limit',
      reason: 'RecordTooLarge',
      options: () => baseOptions({ maxBodyBytes: 2 * 1024 * 1024 }),
      event: () =>
        restApiEvent({ body: 'x'.repeat(1_100_000), headers: { 'content-type': 'text/plain' }, multiValueHeaders: {} }),
    },
    { what: 'no stream configured', reason: 'NoStream', options: () => baseOptions({ streamName: undefined }) },
    {
      what: 'the options spent the whole budget before sending began',
      reason: 'NoBudget',
      options: () =>
        baseOptions({
          flushTimeoutMs: 100,
          getMetadata: () => {
            // The clock moves past the deadline without the budget's timer firing.
            jest.setSystemTime(Date.now() + 500);
            return { plan: 'pro' };
          },
        }),
    },
    {
      what: 'the request cannot be read',
      reason: 'RequestUnreadable',
      options: () => baseOptions(),
      event: unreadableEvent,
    },
  ];

  it.each(cases)('$what: $reason', async ({ reason, options, event }) => {
    expect(await invoke(options(), event?.())).toBe(v1Result);

    expect(kinesis.commandCalls(PutRecordsCommand)).toHaveLength(0);
    expect(Object.fromEntries(metrics.counts)).toEqual(droppedFor(reason));
    expect(metrics.flushes).toBe(1);
  });

  it('the options take longer than the budget: OptionsTimeout', async () => {
    const invocation = invoke(baseOptions({ flushTimeoutMs: 100, getMetadata: () => new Promise(() => undefined) }));
    await jest.advanceTimersByTimeAsync(100);
    expect(await invocation).toBe(v1Result);
    expect(Object.fromEntries(metrics.counts)).toEqual(droppedFor('OptionsTimeout'));
    expect(metrics.flushes).toBe(1);
  });

  it('PutRecords does not finish within the budget: SendTimeout', async () => {
    kinesis.on(PutRecordsCommand).callsFake(() => new Promise(() => undefined));
    const invocation = invoke(baseOptions({ flushTimeoutMs: 150 }));
    await jest.advanceTimersByTimeAsync(150);
    expect(await invocation).toBe(v1Result);
    expect(Object.fromEntries(metrics.counts)).toEqual(droppedFor('SendTimeout'));
    expect(metrics.flushes).toBe(1);
  });

  it('Kinesis refuses the record on every attempt: SendFailed', async () => {
    kinesis.on(PutRecordsCommand).resolves({
      FailedRecordCount: 1,
      Records: [{ ErrorCode: 'ProvisionedThroughputExceededException', ErrorMessage: 'Rate exceeded' }],
    });
    jest.useRealTimers();
    expect(await invoke(baseOptions({ flushTimeoutMs: 5_000 }))).toBe(v1Result);
    expect(kinesis.commandCalls(PutRecordsCommand).length).toBeGreaterThan(1);
    expect(Object.fromEntries(metrics.counts)).toEqual(droppedFor('SendFailed'));
    expect(metrics.flushes).toBe(1);
  });

  it('the stream is unreachable: SendFailed', async () => {
    kinesis.on(PutRecordsCommand).rejects(Object.assign(new Error('connect ECONNREFUSED'), { name: 'ECONNREFUSED' }));
    jest.useRealTimers();
    expect(await invoke(baseOptions({ flushTimeoutMs: 5_000 }))).toBe(v1Result);
    expect(Object.fromEntries(metrics.counts)).toEqual(droppedFor('SendFailed'));
  });

  it('anything unexpected while building the record: CaptureError; the handler error still passes through', async () => {
    const failure = new Error('handler bug');
    const handler = withApiCallCapture(
      async () => {
        throw failure;
      },
      baseOptions({
        // Its getter throws when the handler error is merged into the metadata.
        getMetadata: () => ({
          get boom(): string {
            throw new Error('getter bug');
          },
        }),
      }),
    );
    await expect(handler(restApiEvent(), lambdaContext())).rejects.toBe(failure);
    expect(Object.fromEntries(metrics.counts)).toEqual(droppedFor('CaptureError'));
    expect(metrics.flushes).toBe(1);
  });

  it('every Reason named here is one of CAPTURE_DROP_REASONS', () => {
    const tested = [
      ...cases.map(({ reason }) => reason),
      'OptionsTimeout',
      'SendTimeout',
      'SendFailed',
      'CaptureError',
    ];
    expect(new Set(tested)).toEqual(new Set(Object.values(CAPTURE_DROP_REASONS)));
  });
});

describe('CaptureRecordsDropped: the middy middleware and the profile calls', () => {
  it('middy: counted and flushed after a handler that returns and after one that throws', async () => {
    const options = baseOptions<APIGatewayProxyEvent>({ defaultClientId: false });
    const ok = middy<APIGatewayProxyEvent, APIGatewayProxyResult>()
      .use(apiCallCapture(options))
      .handler(async () => v1Result);
    const failure = new RangeError('bad');
    const failing = middy<APIGatewayProxyEvent, APIGatewayProxyResult>()
      .use(apiCallCapture(options))
      .handler(async () => {
        throw failure;
      });

    expect(await ok(restApiEvent(), lambdaContext())).toBe(v1Result);
    expect(metrics.flushes).toBe(1);
    await expect(failing(restApiEvent(), lambdaContext())).rejects.toBe(failure);

    expect(Object.fromEntries(metrics.counts)).toEqual(droppedFor('NoClientId', 2));
    expect(metrics.flushes).toBe(2);
  });

  it('middy: a request that cannot be read is counted and flushed even though nothing was captured', async () => {
    const event = restApiEvent();
    Object.defineProperty(event, 'httpMethod', {
      get: () => {
        throw new Error('unreadable');
      },
    });
    const handler = middy<APIGatewayProxyEvent, APIGatewayProxyResult>()
      .use(apiCallCapture(baseOptions()))
      .handler(async () => v1Result);
    expect(await handler(event, lambdaContext())).toBe(v1Result);
    expect(Object.fromEntries(metrics.counts)).toEqual(droppedFor('RequestUnreadable'));
    expect(metrics.flushes).toBe(1);
  });

  it('profiles: records Kinesis refuses, counted by reason and flushed when the call ends', async () => {
    kinesis.on(PutRecordsCommand).callsFake((input: PutRecordsCommandInput) => ({
      FailedRecordCount: 1,
      Records: (input.Records ?? []).map((entry) =>
        entry.PartitionKey === 'c2'
          ? { ErrorCode: 'InternalFailure', ErrorMessage: 'boom' }
          : { SequenceNumber: '1', ShardId: 's' },
      ),
    }));
    jest.useRealTimers();

    expect(
      await updateUsersBatch(
        [
          { user_id: 'a', company_id: 'c1' },
          { user_id: 'b', company_id: 'c2' },
        ],
        baseOptions(),
      ),
    ).toEqual({
      sent: 1,
      notSent: 1,
    });
    expect(Object.fromEntries(metrics.counts)).toEqual(droppedFor('SendFailed'));
    expect(metrics.flushes).toBe(1);

    expect(await updateUser({ user_id: 'u' }, baseOptions({ streamName: undefined }))).toEqual({ sent: 0, notSent: 1 });
    expect(metrics.counts.get(`${CAPTURE_RECORDS_DROPPED}{Reason=NoStream}`)).toBe(1);
    expect(metrics.counts.get(CAPTURE_RECORDS_DROPPED)).toBe(2);
    expect(metrics.flushes).toBe(2);
  });

  it('a batch partly refused counts only the refused records', async () => {
    const buffer = new CaptureBuffer(resolveTransport(baseOptions(), 1_000));
    kinesis.on(PutRecordsCommand).callsFake((input: PutRecordsCommandInput) => ({
      FailedRecordCount: 2,
      Records: (input.Records ?? []).map((entry) =>
        entry.PartitionKey === 'c1'
          ? { SequenceNumber: '1', ShardId: 's' }
          : { ErrorCode: 'InternalFailure', ErrorMessage: 'boom' },
      ),
    }));
    jest.useRealTimers();
    for (const clientId of ['c1', 'c2', 'c3']) {
      buffer.add({
        kind: 'company-profile',
        id: clientId,
        clientId,
        time: NOW.toISOString(),
        profile: { company_id: clientId },
      });
    }
    expect(await buffer.flush()).toEqual({ sent: 1, notSent: 2 });
    expect(Object.fromEntries(metrics.counts)).toEqual(droppedFor('SendFailed', 2));
  });
});

describe('CaptureRecordsDropped: never breaks the handler', () => {
  it('metrics that throw change nothing for the handler, and are reported once', async () => {
    const broken = {
      count: () => {
        throw new Error('metrics down');
      },
      flush: () => {
        throw new Error('metrics down');
      },
    };
    const options = baseOptions<APIGatewayProxyEvent>({ defaultClientId: false, metrics: broken });
    const handler = withApiCallCapture<APIGatewayProxyEvent, APIGatewayProxyResult>(async () => v1Result, options);
    expect(await handler(restApiEvent(), lambdaContext())).toBe(v1Result);
    expect(await handler(restApiEvent(), lambdaContext())).toBe(v1Result);
    expect(log.lines.filter((line) => line.message.startsWith('Capture: metrics'))).toEqual([
      { level: 'warn', message: 'Capture: metrics count failed; ignored', attributes: { error: 'metrics down' } },
    ]);
  });
});

describe('CaptureRecordsDropped without a metrics option: Powertools EMF on stdout', () => {
  let stdout: jest.SpyInstance;
  const emfLines = () =>
    stdout.mock.calls
      .map(([chunk]) => String(chunk))
      .filter((line) => line.includes('"_aws"'))
      .map(
        (line) =>
          JSON.parse(line) as Record<string, unknown> & {
            _aws: { CloudWatchMetrics: { Namespace: string; Dimensions: string[][] }[] };
          },
      );

  beforeEach(() => {
    resetDefaultCaptureMetrics();
    stdout = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
  });
  afterEach(() => {
    stdout.mockRestore();
    resetDefaultCaptureMetrics();
  });

  it('one line by Reason and one total, namespace UsagePipeline, function apiCallCapture; nothing on a clean invocation', async () => {
    const options = {
      ...baseOptions<APIGatewayProxyEvent>(),
      metrics: undefined,
      env: { POWERTOOLS_SERVICE_NAME: 'my-api' },
    };
    await invoke(options);
    expect(emfLines()).toEqual([]);

    expect(await invoke({ ...options, streamName: undefined })).toBe(v1Result);

    const lines = emfLines();
    expect(lines).toHaveLength(2);
    for (const line of lines) {
      expect(line._aws.CloudWatchMetrics[0]?.Namespace).toBe('UsagePipeline');
      expect(line).toMatchObject({ service: 'my-api', function: 'apiCallCapture', CaptureRecordsDropped: 1 });
    }
    expect(lines.map((line) => line.Reason)).toEqual(['NoStream', undefined]);
    expect(lines[0]?._aws.CloudWatchMetrics[0]?.Dimensions[0]).toEqual(
      expect.arrayContaining(['service', 'function', 'Reason']),
    );
  });
});
