import { gunzipSync } from 'node:zlib';
import type { Context } from 'aws-lambda';
import { loadHandlerModule } from '../../infra/local/lambda/handler-module';
import { LocalPipeline } from '../../infra/local/pipeline/local-pipeline';
import { loadSampleEvent } from '../helpers/events';
import { sharedStack } from '../helpers/shared-stack';

// API-call capture end to end: the example API (functions/example-api) wrapped with the
// middleware puts api-call records on the pipeline's kinesalite stream; the real consumer,
// the local Firehose and the transformer write them into the lake as eventType=api_call.
type Invoke = (event: unknown, context: Context) => Promise<{ statusCode: number; body: string }>;
type UpdateUser = (profile: Record<string, unknown>, options?: Record<string, unknown>) => Promise<unknown>;

let pipeline: LocalPipeline;
let handler: Invoke;
let updateUser: UpdateUser;

interface LakeEvent {
  id: string;
  source: string;
  'detail-type': string;
  time: string;
  detail: Record<string, unknown> & {
    clientId: string;
    eventType: string;
    request?: Record<string, unknown> & { headers: Record<string, unknown> };
    response?: Record<string, unknown> & { headers: Record<string, unknown> };
  };
}

const lakeEvents = async (prefix: string): Promise<{ key: string; event: LakeEvent }[]> => {
  const found: { key: string; event: LakeEvent }[] = [];
  for (const key of await pipeline.listKeys(prefix)) {
    const text = gunzipSync(await pipeline.getObject(key)).toString('utf8');
    for (const line of text.split('\n').filter(Boolean)) found.push({ key, event: JSON.parse(line) as LakeEvent });
  }
  return found;
};

/** The one api_call event of `clientId` whose request id is `requestId`, with its S3 key. */
const apiCallOf = async (clientId: string, requestId: string) => {
  const events = (await lakeEvents('events/event_type=api_call/')).filter(
    ({ event }) => event.detail.clientId === clientId && event.detail.request_id === requestId,
  );
  expect(events).toHaveLength(1);
  return events[0] as { key: string; event: LakeEvent };
};

// api_call and user_profile are listed event types (serverless.yml custom.lake.eventTypes); the
// client is in the data (detail.clientId), not in the key, in the default layout.
const partitionPattern = (eventType: string) =>
  new RegExp(`^events/event_type=${eventType}/dt=\\d{4}-\\d{2}-\\d{2}/[^/]+\\.gz$`);

let invocation = 0;
const context = (): Context => {
  invocation += 1;
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: 'usage-pipeline-local-exampleApi',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:usage-pipeline-local-exampleApi',
    memoryLimitInMB: '256',
    awsRequestId: `it-capture-${invocation}-${Date.now()}`,
    logGroupName: '/aws/lambda/usage-pipeline-local-exampleApi',
    logStreamName: 'it',
    getRemainingTimeInMillis: () => 10_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
};

beforeAll(async () => {
  const { endpoints, definition } = sharedStack();
  pipeline = await LocalPipeline.start({ endpoints, definition, suffix: '-capture' });
  // Configure the capture the way serverless.yml does, before the handler module loads.
  process.env.CAPTURE_STREAM_NAME = pipeline.names.stream;
  process.env.CAPTURE_DEFAULT_CLIENT_ID = 'it-capture-anonymous';
  process.env.AWS_ENDPOINT_URL_KINESIS = pipeline.env.AWS_ENDPOINT_URL_KINESIS;
  jest.isolateModules(() => {
    // As the local stack loads a handler: its AWS calls are recorded as exampleApi's (IAM coverage).
    handler = loadHandlerModule<Invoke>('functions/example-api/handler', 'handler').handler;
    updateUser = (require('../../shared/capture') as { updateUser: UpdateUser }).updateUser;
  });
});

afterAll(async () => {
  await pipeline?.stop();
});

describe('API-call capture into the lake', () => {
  it('captures HTTP API (v2), REST (v1) and ALB calls as api_call events under their company', async () => {
    // Prepare
    const v2 = loadSampleEvent('example-api-v2');
    const v1 = loadSampleEvent('example-api-v1');
    const alb = loadSampleEvent('example-api-alb');
    const [c2, c1, cAlb] = [context(), context(), context()];

    // Act
    const r2 = await handler(v2, c2);
    const r1 = await handler(v1, c1);
    const rAlb = await handler(alb, cAlb);
    await pipeline.drain();

    // Assess: the handler's own responses, untouched.
    expect(r2.statusCode).toBe(201);
    expect(JSON.parse(r2.body)).toMatchObject({ name: 'sprocket', color: 'blue' });
    expect(r1.statusCode).toBe(200);
    expect(JSON.parse(r1.body).widgets).toHaveLength(2);
    expect(rAlb.statusCode).toBe(201);

    // v2: company from the JWT claim, user = sub, JSON bodies kept as JSON, authorization masked.
    const { key: k2, event: e2 } = await apiCallOf('acme-corp', c2.awsRequestId);
    expect(k2).toMatch(partitionPattern('api_call'));
    expect(e2).toMatchObject({ source: 'api.calls', 'detail-type': 'ApiCall' });
    expect(e2.detail).toMatchObject({
      clientId: 'acme-corp',
      eventType: 'api_call',
      company_id: 'acme-corp',
      user_id: '5c1e7a0e-8f5b-4c8a-9f0e-2b7d4e1a6c3f',
      request_id: c2.awsRequestId,
      request: {
        verb: 'POST',
        uri: 'https://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com/widgets?color=blue',
        ip_address: '203.0.113.24',
        body: { name: 'sprocket', color: 'blue' },
        transfer_encoding: 'json',
      },
      response: { status: 201, body: JSON.parse(r2.body), transfer_encoding: 'json' },
    });
    expect(e2.detail.request?.headers.authorization).toBe('*****');
    expect(e2.detail.request?.headers['user-agent']).toBe('acme-web/4.2.0');
    expect(e2.detail.response?.headers['content-type']).toBe('application/json');
    expect(typeof e2.detail.duration_ms).toBe('number');
    expect(Date.parse(e2.time)).toBe(Date.parse(String(e2.detail.request?.time)));
    expect(JSON.stringify(e2)).not.toContain('eyJraWQi');

    // v1: company and user from headers, names lower-cased, stage in the path, query re-encoded.
    const { key: k1, event: e1 } = await apiCallOf('globex', c1.awsRequestId);
    expect(k1).toMatch(partitionPattern('api_call'));
    expect(e1.detail).toMatchObject({
      company_id: 'globex',
      user_id: 'hank.scorpio',
      request: {
        verb: 'GET',
        uri: 'https://b2c3d4e5f6.execute-api.us-east-1.amazonaws.com/prod/widgets?limit=2',
        ip_address: '198.51.100.7',
      },
      response: { status: 200, body: JSON.parse(r1.body) },
    });
    expect(e1.detail.request?.headers.authorization).toBe('*****');
    expect(e1.detail.request?.headers['x-company-id']).toBe('globex');
    expect(e1.detail.request).not.toHaveProperty('body');

    // ALB: base64 request body decoded (declared JSON), client ip from x-forwarded-for.
    const { event: eAlb } = await apiCallOf('initech', cAlb.awsRequestId);
    expect(eAlb.detail).toMatchObject({
      company_id: 'initech',
      user_id: 'peter.gibbons',
      request: {
        verb: 'POST',
        uri: 'https://example-api-123456789.us-east-1.elb.amazonaws.com/widgets',
        ip_address: '192.0.2.55',
        body: { name: 'stapler', color: 'red' },
        transfer_encoding: 'json',
      },
      response: { status: 201 },
    });
    expect(eAlb.detail.request?.headers.authorization).toBe('*****');
  });

  it('captures a call whose handler throws as a 500 and still throws to the caller', async () => {
    // Prepare
    const event = loadSampleEvent('example-api-v2');
    event.headers['x-simulate-failure'] = 'true';
    const ctx = context();

    // Act
    await expect(handler(event, ctx)).rejects.toThrow('Widget service failed (simulated)');
    await pipeline.drain();

    // Assess
    const { event: failed } = await apiCallOf('acme-corp', ctx.awsRequestId);
    expect(failed.detail).toMatchObject({ request: { verb: 'POST' }, response: { status: 500 } });
    expect(failed.detail.response).not.toHaveProperty('body');
  });

  it('attributes a call without a company to the default client id', async () => {
    // Prepare
    const event = loadSampleEvent('example-api-alb');
    delete event.headers?.['x-company-id'];
    const ctx = context();

    // Act
    const response = await handler(event, ctx);
    await pipeline.drain();

    // Assess
    expect(response.statusCode).toBe(201);
    const { event: anonymous } = await apiCallOf('it-capture-anonymous', ctx.awsRequestId);
    expect(anonymous.detail.clientId).toBe('it-capture-anonymous');
    expect(anonymous.detail).not.toHaveProperty('company_id');
  });

  it('puts a user profile from updateUser into the lake as a user_profile event', async () => {
    // Act
    await updateUser({
      user_id: 'hank.scorpio',
      company_id: 'globex',
      metadata: { email: 'hank@globex.example', plan: 'enterprise' },
    });
    await pipeline.drain();

    // Assess
    const profiles = (await lakeEvents('events/event_type=user_profile/')).filter(
      ({ event }) => event.detail.clientId === 'globex',
    );
    expect(profiles).toHaveLength(1);
    const { key, event } = profiles[0] as { key: string; event: LakeEvent };
    expect(key).toMatch(partitionPattern('user_profile'));
    expect(event).toMatchObject({
      source: 'profiles',
      'detail-type': 'UserProfile',
      detail: {
        clientId: 'globex',
        eventType: 'user_profile',
        user_id: 'hank.scorpio',
        company_id: 'globex',
        metadata: { email: 'hank@globex.example', plan: 'enterprise' },
      },
    });
  });

  it('quarantines nothing', async () => {
    expect(await pipeline.listKeys('quarantine/')).toEqual([]);
  });
});
