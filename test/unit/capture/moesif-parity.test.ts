import { createHash } from 'node:crypto';
import { KinesisClient, PutRecordsCommand, type PutRecordsCommandInput } from '@aws-sdk/client-kinesis';
import { mockClient } from 'aws-sdk-client-mock';
import v1Sample from '../../../events/capture-parity-v1.json';
import v2Sample from '../../../events/capture-parity-v2.json';
import {
  type ApiCallCaptureOptions,
  type ApiCallRecord,
  DEFAULT_CLIENT_ID,
  updateCompany,
  updateUser,
  withApiCallCapture,
} from '../../../shared/capture';
import { clientIp } from '../../../shared/capture/api-call-event';
import { sampled, weightFor } from '../../../shared/capture/sampling';
import { RecordingMetrics } from '../../../shared/metrics';
import { apiCallAdapter } from '../../../shared/sources/api-call';
import { companyProfileAdapter, userProfileAdapter } from '../../../shared/sources/profile';
import { lambdaContext, recordingLogger } from '../../helpers/capture-events';

const kinesis = mockClient(KinesisClient);
const client = new KinesisClient({ region: 'eu-west-1' });
const acceptAll = (input: PutRecordsCommandInput) => ({
  FailedRecordCount: 0,
  Records: (input.Records ?? []).map(() => ({ SequenceNumber: '1', ShardId: 'shardId-000000000000' })),
});
const sent = <T = ApiCallRecord>(): T[] =>
  kinesis
    .commandCalls(PutRecordsCommand)
    .flatMap((call) =>
      (call.args[0].input.Records ?? []).map(
        (entry) => JSON.parse(Buffer.from(entry.Data as Uint8Array).toString('utf8')) as T,
      ),
    );
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const clone = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

let metrics: RecordingMetrics;
const options = <E>(extra: ApiCallCaptureOptions<E> = {}): ApiCallCaptureOptions<E> => ({
  kinesisClient: client,
  streamName: 'usage-events',
  logger: recordingLogger().logger,
  env: {},
  metrics,
  ...extra,
});
const NOW = Date.parse('2026-03-14T15:08:00.000Z');
const ok = async () => ({ statusCode: 200, body: '{"ok":true}', headers: { 'content-type': 'application/json' } });
const capture = async (event: unknown, extra: ApiCallCaptureOptions<unknown> = {}) => {
  await withApiCallCapture(ok, options(extra))(event, lambdaContext({ functionVersion: '7' }));
  return sent();
};

beforeEach(() => {
  kinesis.reset();
  kinesis.on(PutRecordsCommand).callsFake(acceptAll);
  metrics = new RecordingMetrics();
  jest.useFakeTimers({ now: NOW, doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] });
});
afterEach(() => {
  jest.useRealTimers();
  jest.restoreAllMocks();
});

describe('Moesif defaults, REST API v1 sample', () => {
  it('user = authorizer.principalId, session = hashed identity.apiKey, version = functionVersion, metadata = {trace_id, function_name}', async () => {
    const [record] = await capture(clone(v1Sample));
    expect(record?.apiCall).toMatchObject({
      user_id: 'user-principal-9',
      session_token: sha256('k-live-0001'),
      api_version: '7',
      metadata: { trace_id: '1-65f3a2b0-0123456789abcdef01234567', function_name: 'orders-api' },
      direction: 'incoming',
      weight: 1,
      transaction_id: expect.stringMatching(/^[0-9a-f-]{36}$/),
    });
  });

  it('request.time is API Gateway requestTimeEpoch, so the time before the function ran is in duration_ms', async () => {
    const [record] = await capture(clone(v1Sample));
    expect(record?.apiCall.request.time).toBe('2026-03-14T15:07:59.750Z');
    expect(record?.apiCall.duration_ms).toBe(250);
  });

  it('ip = first valid X-Forwarded-For address ("unknown" skipped), else identity.sourceIp', async () => {
    const [record] = await capture(clone(v1Sample));
    expect(record?.apiCall.request.ip_address).toBe('198.51.100.23');
    const noForward = clone(v1Sample) as Record<string, unknown> & typeof v1Sample;
    delete (noForward.headers as Record<string, unknown>)['X-Forwarded-For'];
    delete (noForward.multiValueHeaders as Record<string, unknown>)['X-Forwarded-For'];
    kinesis.resetHistory();
    const [fallback] = await capture(noForward);
    expect(fallback?.apiCall.request.ip_address).toBe('192.0.2.200');
  });

  it('trace id from _X_AMZN_TRACE_ID first', async () => {
    const [record] = await capture(clone(v1Sample), {
      env: { _X_AMZN_TRACE_ID: 'Root=1-aaaaaaaa-bbbbbbbbbbbbbbbbbbbbbbbb;Parent=53995c3f42cd8ad8;Sampled=1' },
    });
    expect(record?.apiCall.metadata).toEqual({
      trace_id: '1-aaaaaaaa-bbbbbbbbbbbbbbbbbbbbbbbb',
      function_name: 'orders-api',
    });
  });

  it('no principalId: the Cognito identity', async () => {
    const event = clone(v1Sample) as unknown as { requestContext: { authorizer: Record<string, unknown> } };
    event.requestContext.authorizer = {};
    const [record] = await capture(event);
    expect(record?.apiCall.user_id).toBe('eu-west-1:cognito-identity-9');
  });
});

describe('Moesif defaults, HTTP API v2 sample', () => {
  it('user from the Lambda authorizer context before the JWT sub; timeEpoch; bracketed IPv6 X-Forwarded-For', async () => {
    const [record] = await capture(clone(v2Sample));
    expect(record?.apiCall).toMatchObject({
      user_id: 'user-lambda-ctx-3',
      api_version: '7',
      metadata: { trace_id: '1-65f3a2b0-fedcba9876543210fedcba98', function_name: 'orders-api' },
      request: { time: '2026-03-14T15:07:59.600Z', ip_address: '2001:db8::5', verb: 'POST' },
      duration_ms: 400,
    });
    expect(record?.apiCall).not.toHaveProperty('session_token');
  });

  it('then the JWT sub; sourceIp without X-Forwarded-For', async () => {
    const event = clone(v2Sample) as unknown as {
      requestContext: { authorizer: Record<string, unknown> };
      headers: Record<string, string>;
    };
    delete event.requestContext.authorizer.lambda;
    delete event.headers['x-forwarded-for'];
    const [record] = await capture(event);
    expect(record?.apiCall.user_id).toBe('user-jwt-sub-3');
    expect(record?.apiCall.request.ip_address).toBe('192.0.2.201');
  });

  it.each([
    ['ahead of the function clock (skew)', NOW + 5_000],
    ['more than 5 minutes old (a replayed or sample event)', NOW - 5 * 60 * 1000 - 1],
  ])('a time epoch %s is not used', async (_what, epoch) => {
    const event = clone(v2Sample);
    event.requestContext.timeEpoch = epoch;
    const [record] = await capture(event);
    expect(record?.apiCall.request.time).toBe('2026-03-14T15:08:00.000Z');
  });

  it('the caller’s X-Moesif-Transaction-Id is kept as transaction_id', async () => {
    const event = clone(v2Sample) as typeof v2Sample & { headers: Record<string, string> };
    event.headers['x-moesif-transaction-id'] = 'tx-from-client-1';
    const [record] = await capture(event);
    expect(record?.apiCall.transaction_id).toBe('tx-from-client-1');
  });
});

describe('clientIp', () => {
  it.each([
    [{ 'x-forwarded-for': '203.0.113.1:8080, 10.0.0.1' }, undefined, '203.0.113.1'],
    [{ 'x-forwarded-for': ['garbage', '198.51.100.2'] }, 'x', '198.51.100.2'],
    [{ 'x-forwarded-for': '999.1.1.1' }, '192.0.2.9', '192.0.2.9'],
    [{}, undefined, undefined],
  ] as const)('%j / %s → %s', (headers, source, expected) => {
    expect(clientIp(headers as Record<string, string | string[]>, source)).toBe(expected);
  });
});

describe('sampling', () => {
  it('weight = round(100 / rate)', () => {
    expect([100, 50, 33, 30, 10, 1, 0.5].map(weightFor)).toEqual([1, 2, 3, 3, 10, 100, 200]);
    expect(sampled(0, () => 0)).toBe(false);
    expect(sampled(100, () => 0.999)).toBe(true);
    expect(sampled(25, () => 0.24)).toBe(true);
    expect(sampled(25, () => 0.25)).toBe(false);
  });

  it('global number: kept calls carry the weight; dropped ones are not sent (and not counted as drops)', async () => {
    const random = jest.spyOn(Math, 'random').mockReturnValueOnce(0.1).mockReturnValueOnce(0.9);
    await capture(clone(v1Sample), { sampleRate: 25 });
    await capture(clone(v1Sample), { sampleRate: 25 });
    expect(random).toHaveBeenCalledTimes(2);
    const records = sent();
    expect(records).toHaveLength(1);
    expect(records[0]?.apiCall.weight).toBe(4);
    expect(metrics.counts.size).toBe(0);
  });

  it('per user (map) wins over per company (function) over global; a function global', async () => {
    jest.spyOn(Math, 'random').mockReturnValue(0);
    await capture(clone(v1Sample), {
      identifyCompany: () => 'acme',
      sampleRate: () => 50,
      sampleRateByCompany: (company) => (company === 'acme' ? 20 : undefined),
      sampleRateByUser: { 'user-principal-9': 10 },
    });
    await capture(clone(v1Sample), {
      identifyCompany: () => 'acme',
      sampleRate: () => 50,
      sampleRateByCompany: (c) => (c === 'acme' ? 20 : undefined),
    });
    await capture(clone(v1Sample), {
      identifyCompany: () => 'other',
      sampleRate: () => 50,
      sampleRateByCompany: { acme: 20 },
    });
    expect(sent().map((record) => record.apiCall.weight)).toEqual([10, 5, 2]);
  });

  it('rate 0 captures nothing', async () => {
    expect(await capture(clone(v1Sample), { sampleRate: 0 })).toHaveLength(0);
  });
});

describe('calls without a company', () => {
  it('are kept under the default client id (`unidentified`), or the configured one', async () => {
    expect(DEFAULT_CLIENT_ID).toBe('unidentified');
    const [record] = await capture(clone(v1Sample));
    expect(record?.clientId).toBe('unidentified');
    kinesis.resetHistory();
    const [configured] = await capture(clone(v1Sample), { env: { CAPTURE_DEFAULT_CLIENT_ID: 'anon' } });
    expect(configured?.clientId).toBe('anon');
  });

  it('are dropped (NoClientId) only when the default is disabled', async () => {
    expect(await capture(clone(v1Sample), { defaultClientId: false })).toHaveLength(0);
    expect(metrics.counts.size).toBeGreaterThan(0);
    expect(await capture(clone(v1Sample), { env: { CAPTURE_DEFAULT_CLIENT_ID: 'false' } })).toHaveLength(0);
  });
});

describe('the consumer keeps direction, weight and transaction_id', () => {
  it('api-call adapter', async () => {
    jest.spyOn(Math, 'random').mockReturnValue(0);
    const [record] = await capture(clone(v2Sample), { sampleRate: 50 });
    jest.useRealTimers();
    const canonical = apiCallAdapter.toCanonical(record as unknown as Record<string, unknown>);
    expect(canonical.detail).toMatchObject({
      direction: 'incoming',
      weight: 2,
      transaction_id: record?.apiCall.transaction_id,
    });
  });
});

describe('profiles keep every field the middleware sends', () => {
  const campaign = {
    utm_source: 'newsletter',
    utm_medium: 'email',
    utm_campaign: 'spring',
    utm_term: 'meter',
    utm_content: 'cta-2',
    referrer: 'https://news.example/x',
    referring_domain: 'news.example',
    gclid: 'gclid-1',
  };
  const transport = () => ({
    kinesisClient: client,
    streamName: 'usage-events',
    logger: recordingLogger().logger,
    env: {},
    metrics,
  });

  it('updateUser: snake_case and camelCase input give the same record, through the consumer too', async () => {
    const snake = {
      user_id: 'u-1',
      company_id: 'acme',
      ip_address: '203.0.113.5',
      session_token: 'sess-1',
      user_agent_string: 'Mozilla/5.0',
      modified_time: '2026-03-14T15:00:00.000Z',
      metadata: { email: 'ada@acme.example' },
      campaign,
    };
    const camel = {
      userId: 'u-1',
      companyId: 'acme',
      ipAddress: '203.0.113.5',
      sessionToken: 'sess-1',
      userAgentString: 'Mozilla/5.0',
      modifiedTime: new Date('2026-03-14T15:00:00.000Z'),
      metadata: { email: 'ada@acme.example' },
      campaign: {
        utmSource: 'newsletter',
        utmMedium: 'email',
        utmCampaign: 'spring',
        utmTerm: 'meter',
        utmContent: 'cta-2',
        referrer: 'https://news.example/x',
        referringDomain: 'news.example',
        gclid: 'gclid-1',
      },
    };
    await updateUser(snake, transport());
    await updateUser(camel as never, transport());
    const [a, b] = sent<{ profile: unknown; time: string }>();
    expect(a?.profile).toEqual(snake);
    expect(b?.profile).toEqual(snake);
    jest.useRealTimers();
    const detail = userProfileAdapter.toCanonical({ ...(a as object), time: new Date().toISOString() } as Record<
      string,
      unknown
    >).detail;
    expect(detail).toEqual({ eventType: 'user_profile', ...snake });
  });

  it('updateCompany keeps company_domain and the rest', async () => {
    const company = {
      company_id: 'acme',
      company_domain: 'acme.example',
      ip_address: '203.0.113.6',
      session_token: 'sess-2',
      user_agent_string: 'curl/8',
      modified_time: '2026-03-14T15:00:00.000Z',
      metadata: { seats: 40 },
      campaign,
    };
    await updateCompany({ companyId: 'acme', companyDomain: 'acme.example', ...company } as never, transport());
    const [record] = sent<{ profile: unknown }>();
    expect(record?.profile).toEqual(company);
    jest.useRealTimers();
    const detail = companyProfileAdapter.toCanonical({
      ...(record as object),
      time: new Date().toISOString(),
    } as Record<string, unknown>).detail;
    expect(detail).toEqual({ eventType: 'company_profile', ...company });
  });
});
