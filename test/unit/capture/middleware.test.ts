import { createHash } from 'node:crypto';
import { KinesisClient, PutRecordsCommand, type PutRecordsCommandInput } from '@aws-sdk/client-kinesis';
import middy from '@middy/core';
import type {
  APIGatewayProxyEvent,
  APIGatewayProxyEventV2WithJWTAuthorizer,
  APIGatewayProxyResult,
  Context,
} from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import {
  type ApiCallCaptureOptions,
  type ApiCallRecord,
  apiCallCapture,
  withApiCallCapture,
} from '../../../shared/capture';
import { RecordingMetrics } from '../../../shared/metrics';
import { albEvent, httpApiV2Event, lambdaContext, recordingLogger, restApiEvent } from '../../helpers/capture-events';

const kinesis = mockClient(KinesisClient);
const client = new KinesisClient({ region: 'eu-west-1' });

const acceptAll = (input: PutRecordsCommandInput) => ({
  FailedRecordCount: 0,
  Records: (input.Records ?? []).map((_, index) => ({
    SequenceNumber: `seq-${index}`,
    ShardId: 'shardId-000000000000',
  })),
});

/** Every record put on the stream, decoded, with its partition key. */
const sent = (): { partitionKey: string | undefined; record: ApiCallRecord }[] =>
  kinesis.commandCalls(PutRecordsCommand).flatMap((call) =>
    (call.args[0].input.Records ?? []).map((entry) => ({
      partitionKey: entry.PartitionKey,
      record: JSON.parse(Buffer.from(entry.Data as Uint8Array).toString('utf8')) as ApiCallRecord,
    })),
  );
const onlyRecord = (): ApiCallRecord => {
  const records = sent();
  expect(records).toHaveLength(1);
  return (records[0] as { record: ApiCallRecord }).record;
};

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

let log: ReturnType<typeof recordingLogger>;
const baseOptions = <TEvent>(extra: ApiCallCaptureOptions<TEvent> = {}): ApiCallCaptureOptions<TEvent> => ({
  kinesisClient: client,
  streamName: 'usage-events',
  defaultClientId: 'client-default',
  logger: log.logger,
  env: {},
  // Drops are counted here, not printed as EMF lines (test/unit/capture/capture-metrics.test.ts checks them).
  metrics: new RecordingMetrics(),
  ...extra,
});

const NOW = new Date('2026-03-14T15:08:00.000Z');

beforeEach(() => {
  kinesis.reset();
  kinesis.on(PutRecordsCommand).callsFake(acceptAll);
  log = recordingLogger();
  jest.useFakeTimers({ now: NOW, doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] });
});
afterEach(() => jest.useRealTimers());

const v1Result: APIGatewayProxyResult = {
  statusCode: 201,
  headers: { 'Content-Type': 'application/json' },
  multiValueHeaders: { 'Set-Cookie': ['sid=s3cr3t; HttpOnly', 'theme=dark'] },
  body: '{"id":"w-1","name":"sprocket"}',
};

describe('apiCallCapture (middy), REST API v1', () => {
  it('puts one API-call record on the stream before returning, the response untouched', async () => {
    const handler = middy<APIGatewayProxyEvent, APIGatewayProxyResult>()
      .use(apiCallCapture(baseOptions()))
      .handler(async () => {
        jest.setSystemTime(NOW.getTime() + 42);
        return v1Result;
      });

    const response = await handler(restApiEvent(), lambdaContext());

    expect(response).toBe(v1Result);
    expect(response).toEqual({
      statusCode: 201,
      headers: { 'Content-Type': 'application/json' },
      multiValueHeaders: { 'Set-Cookie': ['sid=s3cr3t; HttpOnly', 'theme=dark'] },
      body: '{"id":"w-1","name":"sprocket"}',
    });
    const [{ partitionKey, record }] = sent() as [{ partitionKey: string; record: ApiCallRecord }];
    expect(partitionKey).toBe('client-default');
    expect(kinesis.commandCalls(PutRecordsCommand)[0]?.args[0].input.StreamName).toBe('usage-events');
    expect(record).toEqual({
      kind: 'api-call',
      id: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/),
      clientId: 'client-default',
      apiCall: {
        request: {
          time: '2026-03-14T15:08:00.000Z',
          uri: 'https://abc123.execute-api.eu-west-1.amazonaws.com/prod/widgets/w-1?color=red&color=blue&q=a%20b%26c',
          verb: 'POST',
          headers: {
            accept: 'application/json',
            authorization: '*****',
            'content-type': 'application/json',
            host: 'abc123.execute-api.eu-west-1.amazonaws.com',
            'user-agent': 'curl/8.5.0',
            'x-forwarded-for': '203.0.113.42, 198.51.100.7',
            'x-forwarded-proto': 'https',
            'x-custom': ['a', 'b'],
          },
          ip_address: '203.0.113.42',
          body: { name: 'sprocket', size: 3 },
          transfer_encoding: 'json',
        },
        response: {
          time: '2026-03-14T15:08:00.042Z',
          status: 201,
          headers: { 'content-type': 'application/json', 'set-cookie': '*****' },
          body: { id: 'w-1', name: 'sprocket' },
          transfer_encoding: 'json',
        },
        duration_ms: 42,
        user_id: 'user-12345',
        session_token: sha256('eyJraWQiOiJrMSJ9.eyJzdWIiOiJ1c2VyLTEyMzQ1In0.c2ln'),
        request_id: 'c0ffee00-0000-4000-8000-000000000001',
        api_version: '$LATEST',
        metadata: { function_name: 'orders-api' },
        direction: 'incoming',
        weight: 1,
        transaction_id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      },
    });
  });

  it('uses the Cognito identity id when there is no authorizer claim', async () => {
    const event = restApiEvent();
    event.requestContext.authorizer = null;
    event.requestContext.identity.cognitoIdentityId = 'eu-west-1:7d1f0c2e-identity';
    await middy()
      .use(apiCallCapture(baseOptions()))
      .handler(async () => v1Result)(event, lambdaContext());
    expect(onlyRecord().apiCall.user_id).toBe('eu-west-1:7d1f0c2e-identity');
  });

  it('a thrown error passes through as is and the call is captured as a 500 with the error name', async () => {
    const failure = new TypeError('cannot read properties of undefined');
    const handler = middy()
      .use(apiCallCapture(baseOptions()))
      .handler(async () => {
        throw failure;
      });

    await expect(handler(restApiEvent(), lambdaContext())).rejects.toBe(failure);

    const { apiCall } = onlyRecord();
    expect(apiCall.response).toEqual({ time: '2026-03-14T15:08:00.000Z', status: 500, headers: {} });
    expect(apiCall.metadata).toEqual({ function_name: 'orders-api', handler_error: 'TypeError' });
  });

  it('captures the response an error-handling middleware makes of the error', async () => {
    const handler = middy()
      .use(apiCallCapture(baseOptions()))
      .use({
        onError: (request) => {
          request.response = {
            statusCode: 422,
            body: '{"message":"bad widget"}',
            headers: { 'content-type': 'application/json' },
          };
        },
      })
      .handler(async () => {
        throw new RangeError('bad widget');
      });

    const response = await handler(restApiEvent(), lambdaContext());

    expect(response).toMatchObject({ statusCode: 422 });
    const { apiCall } = onlyRecord();
    expect(apiCall.response).toMatchObject({ status: 422, body: { message: 'bad widget' }, transfer_encoding: 'json' });
    expect(apiCall.metadata).toEqual({ function_name: 'orders-api', handler_error: 'RangeError' });
  });

  it('snapshots the request before later middlewares (a body parser) change the event', async () => {
    const handler = middy<APIGatewayProxyEvent>()
      .use(apiCallCapture(baseOptions()))
      .use({
        before: (request) => {
          (request.event as { body: unknown }).body = JSON.parse(request.event.body ?? 'null');
        },
      })
      .handler(async () => v1Result);
    await handler(restApiEvent(), lambdaContext());
    expect(onlyRecord().apiCall.request).toMatchObject({
      body: { name: 'sprocket', size: 3 },
      transfer_encoding: 'json',
    });
  });
});

describe('withApiCallCapture, HTTP API v2 and ALB', () => {
  it('v2: a plain object result is returned as is and captured as the 200 JSON API Gateway sends', async () => {
    const result = { orders: [{ id: 'o-1' }] };
    const handler = withApiCallCapture<APIGatewayProxyEventV2WithJWTAuthorizer, typeof result>(
      async () => result,
      baseOptions(),
    );

    expect(await handler(httpApiV2Event(), lambdaContext())).toBe(result);

    const { apiCall } = onlyRecord();
    expect(apiCall.request).toMatchObject({
      uri: 'https://api.acme.example/orders?status=open&status=paid&page=2',
      verb: 'GET',
      ip_address: '198.51.100.10',
      headers: expect.objectContaining({ cookie: '*****', authorization: '*****', 'x-api-version': '2026-01-01' }),
    });
    expect(apiCall.request.body).toBeUndefined();
    expect(apiCall.response).toMatchObject({
      status: 200,
      body: { orders: [{ id: 'o-1' }] },
      transfer_encoding: 'json',
    });
    expect(apiCall.user_id).toBe('user-v2');
    expect(apiCall.session_token).toBe(sha256('eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ1c2VyLXYyIn0.c2ln'));
  });

  it('v2: a plain string result, response cookies masked', async () => {
    await withApiCallCapture(async () => 'pong', baseOptions())(httpApiV2Event(), lambdaContext());
    expect(onlyRecord().apiCall.response).toMatchObject({ status: 200, body: 'pong', transfer_encoding: 'text' });

    kinesis.resetHistory();
    await withApiCallCapture(async () => ({ statusCode: 204, cookies: ['sid=1'] }), baseOptions())(
      httpApiV2Event(),
      lambdaContext(),
    );
    expect(onlyRecord().apiCall.response).toEqual({
      time: expect.any(String),
      status: 204,
      headers: { 'set-cookie': '*****' },
    });
  });

  it('ALB: base64 body decoded, ip from x-forwarded-for, session from x-api-key; binary response kept as base64', async () => {
    const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x00, 0xff]).toString('base64');
    const result = {
      statusCode: 200,
      statusDescription: '200 OK',
      headers: { 'content-type': 'image/png' },
      body: png,
      isBase64Encoded: true,
    };
    const handler = withApiCallCapture(async () => result, baseOptions());

    expect(await handler(albEvent(), lambdaContext())).toBe(result);

    const { apiCall } = onlyRecord();
    expect(apiCall.request).toMatchObject({
      verb: 'PUT',
      ip_address: '192.0.2.77',
      body: 'hello café',
      transfer_encoding: 'text',
      headers: expect.objectContaining({ 'x-api-key': '*****' }),
    });
    expect(apiCall.response).toMatchObject({ status: 200, body: png, transfer_encoding: 'base64' });
    expect(apiCall.session_token).toBe(sha256('key-secret-1'));
    expect(apiCall.user_id).toBeUndefined();
  });

  it('rethrows the very error (a non-Error too) after capturing it', async () => {
    const thrown = { code: 'NOPE' };
    const handler = withApiCallCapture(async () => {
      throw thrown;
    }, baseOptions());
    await expect(handler(albEvent(), lambdaContext())).rejects.toBe(thrown);
    expect(onlyRecord().apiCall).toMatchObject({ response: { status: 500 }, metadata: { handler_error: 'object' } });
  });

  it('leaves non-HTTP events alone: nothing captured', async () => {
    const result = { batchItemFailures: [] };
    const handler = withApiCallCapture(async (_event: unknown) => result, baseOptions());
    expect(await handler({ Records: [] }, lambdaContext())).toBe(result);
    expect(sent()).toHaveLength(0);
  });
});

describe('options', () => {
  it('identifyUser, identifyCompany (the clientId), getSessionToken, getApiVersion, getMetadata', async () => {
    const seen: unknown[] = [];
    const handler = withApiCallCapture<APIGatewayProxyEventV2WithJWTAuthorizer, string>(async () => 'ok', {
      ...baseOptions(),
      identifyUser: (event, context) => {
        seen.push(context.awsRequestId);
        return `u:${event.requestContext.authorizer.jwt.claims.sub}`;
      },
      identifyCompany: async (event) => String(event.requestContext.authorizer.jwt.claims['custom:clientId']),
      getSessionToken: (event) => event.requestContext.requestId,
      getApiVersion: (event) => event.headers['x-api-version'],
      getMetadata: () => ({ plan: 'pro', seats: 40 }),
    });

    await handler(httpApiV2Event(), lambdaContext());

    const [{ partitionKey, record }] = sent() as [{ partitionKey: string; record: ApiCallRecord }];
    expect(seen).toEqual(['c0ffee00-0000-4000-8000-000000000001']);
    expect(partitionKey).toBe('client-acme');
    expect(record.clientId).toBe('client-acme');
    expect(record.apiCall).toMatchObject({
      user_id: 'u:user-v2',
      company_id: 'client-acme',
      session_token: 'JKJaXmPLvHcESHA=',
      api_version: '2026-01-01',
      metadata: { plan: 'pro', seats: 40 },
    });
  });

  it('skip: nothing sent when it says so; it sees the result', async () => {
    const skip = jest.fn(
      (event: APIGatewayProxyEvent, _context: Context, result: unknown) =>
        event.path === '/health' || result === 'skip-me',
    );
    await withApiCallCapture(async () => v1Result, baseOptions({ skip }))(
      restApiEvent({ path: '/health' }),
      lambdaContext(),
    );
    await withApiCallCapture(async () => 'skip-me', baseOptions({ skip }))(restApiEvent(), lambdaContext());
    expect(sent()).toHaveLength(0);
    expect(skip).toHaveBeenLastCalledWith(expect.anything(), expect.anything(), 'skip-me');
    await withApiCallCapture(async () => v1Result, baseOptions({ skip }))(restApiEvent(), lambdaContext());
    expect(sent()).toHaveLength(1);
  });

  it('maskEvent runs last, on the default-masked event, and what it returns is what is sent', async () => {
    let received: unknown;
    const handler = withApiCallCapture<APIGatewayProxyEvent, APIGatewayProxyResult>(async () => v1Result, {
      ...baseOptions(),
      getMetadata: () => ({ email: 'ada@acme.example' }),
      maskEvent: (apiCall) => {
        received = structuredClone(apiCall);
        const { email: _email, ...metadata } = apiCall.metadata ?? {};
        return {
          ...apiCall,
          company_id: 'client-masked',
          metadata,
          request: { ...apiCall.request, body: { name: '[redacted]' } },
        };
      },
    });

    await handler(restApiEvent(), lambdaContext());

    expect(received).toMatchObject({
      request: { headers: { authorization: '*****' }, body: { name: 'sprocket', size: 3 } },
      user_id: 'user-12345',
      metadata: { email: 'ada@acme.example' },
    });
    const record = onlyRecord();
    expect(record.clientId).toBe('client-masked');
    expect(record.apiCall.metadata).toEqual({});
    expect(record.apiCall.request.body).toEqual({ name: '[redacted]' });
  });

  it('maskEvent may edit in place and return nothing', async () => {
    await withApiCallCapture(async () => v1Result, {
      ...baseOptions(),
      maskEvent: (apiCall) => {
        delete apiCall.response.body;
      },
    })(restApiEvent(), lambdaContext());
    expect(onlyRecord().apiCall.response.body).toBeUndefined();
  });

  it('logBody false drops both bodies; maskHeaders replaces the default list', async () => {
    await withApiCallCapture(async () => v1Result, baseOptions({ logBody: false, maskHeaders: ['X-Custom'] }))(
      restApiEvent(),
      lambdaContext(),
    );
    const { apiCall } = onlyRecord();
    expect(apiCall.request).not.toHaveProperty('body');
    expect(apiCall.request).not.toHaveProperty('transfer_encoding');
    expect(apiCall.response).not.toHaveProperty('body');
    expect(apiCall.request.headers).toMatchObject({
      'x-custom': '*****',
      authorization: expect.stringMatching(/^Bearer /),
    });
  });

  it('caps bodies at maxBodyBytes with a flag', async () => {
    const big = JSON.stringify({ text: 'x'.repeat(100) });
    await withApiCallCapture(async () => v1Result, baseOptions({ maxBodyBytes: 16 }))(
      restApiEvent({ body: big }),
      lambdaContext(),
    );
    expect(onlyRecord().apiCall.request).toMatchObject({
      body: big.slice(0, 16),
      transfer_encoding: 'text',
      body_truncated: true,
      body_size: big.length,
    });
  });

  it('debug: says what it did', async () => {
    await withApiCallCapture(async () => v1Result, baseOptions({ debug: true }))(restApiEvent(), lambdaContext());
    await withApiCallCapture(async () => v1Result, baseOptions({ debug: true, skip: () => true }))(
      restApiEvent(),
      lambdaContext(),
    );
    expect(log.lines.map((line) => line.message)).toEqual([
      'Capture: API call captured',
      'Capture: events sent',
      'Capture: call skipped',
    ]);
    log.lines.length = 0;
    await withApiCallCapture(async () => v1Result, baseOptions())(restApiEvent(), lambdaContext());
    expect(log.lines).toEqual([]);
  });

  it('options that throw are logged and ignored; the call is still captured', async () => {
    const boom = () => {
      throw new Error('option bug');
    };
    const handler = withApiCallCapture(async () => v1Result, {
      ...baseOptions(),
      identifyUser: boom,
      identifyCompany: async () => Promise.reject(new Error('lookup failed')),
      getSessionToken: boom,
      getApiVersion: boom,
      getMetadata: boom,
      skip: boom,
    });

    expect(await handler(restApiEvent(), lambdaContext())).toBe(v1Result);

    const { apiCall, clientId } = onlyRecord();
    expect(clientId).toBe('client-default');
    for (const field of ['user_id', 'company_id', 'session_token', 'api_version', 'metadata'])
      expect(apiCall).not.toHaveProperty(field);
    expect(log.lines.filter((line) => line.level === 'warn').map((line) => line.message)).toEqual([
      'Capture: option skip threw; ignored',
      'Capture: option identifyUser threw; ignored',
      'Capture: option identifyCompany threw; ignored',
      'Capture: option getSessionToken threw; ignored',
      'Capture: option getApiVersion threw; ignored',
      'Capture: option getMetadata threw; ignored',
    ]);
  });

  it('maskEvent throwing drops the call rather than send it unmasked', async () => {
    const handler = withApiCallCapture(async () => v1Result, {
      ...baseOptions(),
      maskEvent: () => {
        throw new Error('mask bug');
      },
    });
    expect(await handler(restApiEvent(), lambdaContext())).toBe(v1Result);
    expect(sent()).toHaveLength(0);
    expect(log.lines).toContainEqual(
      expect.objectContaining({ level: 'warn', message: 'Capture: option maskEvent threw; call dropped' }),
    );
  });

  it('values the consumer would refuse are left out (over-long ids, non-object or huge metadata)', async () => {
    await withApiCallCapture(async () => v1Result, {
      ...baseOptions(),
      identifyUser: () => 'u'.repeat(300),
      getMetadata: () => ({ blob: 'x'.repeat(70 * 1024) }),
    })(restApiEvent(), lambdaContext());
    const { apiCall } = onlyRecord();
    expect(apiCall).not.toHaveProperty('user_id');
    expect(apiCall).not.toHaveProperty('metadata');
  });

  it('no company id and no default client id: dropped with a warning', async () => {
    await withApiCallCapture(async () => v1Result, baseOptions({ defaultClientId: false }))(
      restApiEvent(),
      lambdaContext(),
    );
    expect(sent()).toHaveLength(0);
    expect(log.lines).toContainEqual(
      expect.objectContaining({ level: 'warn', message: expect.stringContaining('no clientId') }),
    );
  });

  it('reads the stream name and default client id from the environment', async () => {
    const env = { CAPTURE_STREAM_NAME: 'env-stream', CAPTURE_DEFAULT_CLIENT_ID: 'env-client' };
    await withApiCallCapture(async () => v1Result, { kinesisClient: client, logger: log.logger, env })(
      restApiEvent(),
      lambdaContext(),
    );
    expect(kinesis.commandCalls(PutRecordsCommand)[0]?.args[0].input.StreamName).toBe('env-stream');
    expect(onlyRecord().clientId).toBe('env-client');
  });
});

describe('never breaks the handler', () => {
  it('stream unavailable: the response passes through and the loss is logged with a count', async () => {
    kinesis.on(PutRecordsCommand).rejects(Object.assign(new Error('connect ECONNREFUSED'), { name: 'ECONNREFUSED' }));
    jest.useRealTimers();
    const handler = withApiCallCapture(async () => v1Result, baseOptions({ flushTimeoutMs: 5_000 }));

    expect(await handler(restApiEvent(), lambdaContext())).toBe(v1Result);

    expect(log.lines).toContainEqual({
      level: 'warn',
      message: 'Capture: events not sent',
      attributes: expect.objectContaining({ notSent: 1, sent: 0, errorCodes: { ECONNREFUSED: 1 } }),
    });
  });

  it('no stream configured: logged with a count', async () => {
    await withApiCallCapture(async () => v1Result, baseOptions({ streamName: undefined }))(
      restApiEvent(),
      lambdaContext(),
    );
    expect(kinesis.commandCalls(PutRecordsCommand)).toHaveLength(0);
    expect(log.lines).toContainEqual(expect.objectContaining({ level: 'error', attributes: { notSent: 1 } }));
  });

  it('slow stream: the invocation returns once the budget is spent, the call aborted and the loss logged', async () => {
    kinesis.on(PutRecordsCommand).callsFake(() => new Promise(() => undefined));
    const handler = withApiCallCapture(async () => v1Result, baseOptions({ flushTimeoutMs: 150 }));
    let settled = false;
    const invocation = handler(restApiEvent(), lambdaContext()).then((response) => {
      settled = true;
      return response;
    });

    await jest.advanceTimersByTimeAsync(149);
    expect(settled).toBe(false);
    await jest.advanceTimersByTimeAsync(1);
    expect(settled).toBe(true);
    expect(await invocation).toBe(v1Result);

    const options = (kinesis.send.firstCall.args as unknown[])[1] as { abortSignal?: AbortSignal } | undefined;
    expect(options?.abortSignal?.aborted).toBe(true);
    expect(log.lines).toContainEqual({
      level: 'warn',
      message: 'Capture: events not sent within the time budget',
      attributes: expect.objectContaining({ notSent: 1, flushTimeoutMs: 150 }),
    });
  });

  it('slow options count against the same budget', async () => {
    const handler = withApiCallCapture(async () => v1Result, {
      ...baseOptions({ flushTimeoutMs: 100 }),
      getMetadata: () => new Promise(() => undefined),
    });
    const invocation = handler(restApiEvent(), lambdaContext());
    await jest.advanceTimersByTimeAsync(100);
    expect(await invocation).toBe(v1Result);
    expect(sent()).toHaveLength(0);
    expect(log.lines).toContainEqual(
      expect.objectContaining({ level: 'warn', message: expect.stringContaining('longer than the time budget') }),
    );
  });

  it('an event over the Kinesis record limit is dropped and logged', async () => {
    const body = 'x'.repeat(1_100_000);
    const handler = withApiCallCapture(async () => v1Result, baseOptions({ maxBodyBytes: 2 * 1024 * 1024 }));

    expect(
      await handler(
        restApiEvent({ body, headers: { 'content-type': 'text/plain' }, multiValueHeaders: {} }),
        lambdaContext(),
      ),
    ).toBe(v1Result);

    expect(kinesis.commandCalls(PutRecordsCommand)).toHaveLength(0);
    expect(log.lines).toContainEqual({
      level: 'error',
      message: 'Capture: event dropped, over the Kinesis record limit',
      attributes: expect.objectContaining({ kind: 'api-call', dropped: 1 }),
    });
  });

  it('a logger that throws changes nothing', async () => {
    const throwing = () => {
      throw new Error('logger down');
    };
    kinesis.on(PutRecordsCommand).rejects(new Error('down'));
    jest.useRealTimers();
    const handler = withApiCallCapture(async () => v1Result, {
      ...baseOptions({ debug: true }),
      logger: { debug: throwing, info: throwing, warn: throwing, error: throwing },
    });
    expect(await handler(restApiEvent(), lambdaContext())).toBe(v1Result);
  });

  it('creating the middleware with no options and no environment does not throw', () => {
    expect(() => apiCallCapture()).not.toThrow();
    expect(() => withApiCallCapture(async () => 1)).not.toThrow();
  });
});
