import type { ALBEvent, APIGatewayProxyEvent, APIGatewayProxyEventV2WithJWTAuthorizer, Context } from 'aws-lambda';

/** Invocation events as API Gateway and the ALB deliver them to a user's Lambda API (for shared/capture). */

/** A REST API (v1 proxy) POST through a Cognito user pool authorizer, multi-value headers and query. */
export const restApiEvent = (overrides: Partial<APIGatewayProxyEvent> = {}): APIGatewayProxyEvent => ({
  resource: '/widgets/{id}',
  path: '/widgets/w-1',
  httpMethod: 'POST',
  headers: {
    Accept: 'application/json',
    Authorization: 'Bearer eyJraWQiOiJrMSJ9.eyJzdWIiOiJ1c2VyLTEyMzQ1In0.c2ln',
    'Content-Type': 'application/json',
    Host: 'abc123.execute-api.eu-west-1.amazonaws.com',
    'User-Agent': 'curl/8.5.0',
    'X-Forwarded-For': '203.0.113.42, 198.51.100.7',
    'X-Forwarded-Proto': 'https',
    'X-Custom': 'b',
  },
  multiValueHeaders: {
    Accept: ['application/json'],
    Authorization: ['Bearer eyJraWQiOiJrMSJ9.eyJzdWIiOiJ1c2VyLTEyMzQ1In0.c2ln'],
    'Content-Type': ['application/json'],
    Host: ['abc123.execute-api.eu-west-1.amazonaws.com'],
    'User-Agent': ['curl/8.5.0'],
    'X-Forwarded-For': ['203.0.113.42, 198.51.100.7'],
    'X-Forwarded-Proto': ['https'],
    'X-Custom': ['a', 'b'],
  },
  queryStringParameters: { color: 'blue', q: 'a b&c' },
  multiValueQueryStringParameters: { color: ['red', 'blue'], q: ['a b&c'] },
  pathParameters: { id: 'w-1' },
  stageVariables: null,
  requestContext: {
    accountId: '123456789012',
    apiId: 'abc123',
    authorizer: {
      claims: {
        sub: 'user-12345',
        'cognito:username': 'ada',
        email: 'ada@acme.example',
        token_use: 'id',
      },
    },
    domainName: 'abc123.execute-api.eu-west-1.amazonaws.com',
    domainPrefix: 'abc123',
    extendedRequestId: 'Xyz1AbCdIAMF1Qw=',
    httpMethod: 'POST',
    identity: {
      accessKey: null,
      accountId: null,
      apiKey: null,
      apiKeyId: null,
      caller: null,
      clientCert: null,
      cognitoAuthenticationProvider: null,
      cognitoAuthenticationType: null,
      cognitoIdentityId: null,
      cognitoIdentityPoolId: null,
      principalOrgId: null,
      sourceIp: '203.0.113.42',
      user: null,
      userAgent: 'curl/8.5.0',
      userArn: null,
    },
    path: '/prod/widgets/w-1',
    protocol: 'HTTP/1.1',
    requestId: 'c6af9ac6-7b61-11e6-9a41-93e8deadbeef',
    requestTime: '14/Mar/2026:15:08:00 +0000',
    requestTimeEpoch: 1_773_500_880_000,
    resourceId: 'abc1de',
    resourcePath: '/widgets/{id}',
    stage: 'prod',
  },
  body: '{"name":"sprocket","size":3}',
  isBase64Encoded: false,
  ...overrides,
});

/** An HTTP API (payload 2.0) GET through a JWT authorizer, with cookies and a raw query string. */
export const httpApiV2Event = (
  overrides: Partial<APIGatewayProxyEventV2WithJWTAuthorizer> = {},
): APIGatewayProxyEventV2WithJWTAuthorizer => ({
  version: '2.0',
  routeKey: 'GET /orders',
  rawPath: '/orders',
  rawQueryString: 'status=open&status=paid&page=2',
  cookies: ['session=abc123', 'theme=dark'],
  headers: {
    accept: 'application/json',
    authorization: 'Bearer eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ1c2VyLXYyIn0.c2ln',
    'content-length': '0',
    host: 'api.acme.example',
    'user-agent': 'acme-web/4.2.0',
    'x-forwarded-for': '198.51.100.10',
    'x-forwarded-port': '443',
    'x-forwarded-proto': 'https',
    'x-api-version': '2026-01-01',
  },
  queryStringParameters: { status: 'open,paid', page: '2' },
  requestContext: {
    accountId: '123456789012',
    apiId: 'a1b2c3d4e5',
    authorizer: {
      principalId: '',
      integrationLatency: 0,
      jwt: {
        claims: { sub: 'user-v2', iss: 'https://issuer.acme.example', 'custom:clientId': 'client-acme' },
        scopes: ['orders:read'],
      },
    },
    domainName: 'api.acme.example',
    domainPrefix: 'api',
    http: {
      method: 'GET',
      path: '/orders',
      protocol: 'HTTP/1.1',
      sourceIp: '198.51.100.10',
      userAgent: 'acme-web/4.2.0',
    },
    requestId: 'JKJaXmPLvHcESHA=',
    routeKey: 'GET /orders',
    stage: '$default',
    time: '14/Mar/2026:15:08:00 +0000',
    timeEpoch: 1_773_500_880_000,
  },
  isBase64Encoded: false,
  ...overrides,
});

/** An ALB target-group event (multi-value headers off), the body base64-encoded as the ALB does for POSTs. */
export const albEvent = (overrides: Partial<ALBEvent> = {}): ALBEvent => ({
  requestContext: {
    elb: {
      targetGroupArn: 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/lambda-tg/6d0ecf831eec9f09',
    },
  },
  httpMethod: 'PUT',
  path: '/items/42',
  queryStringParameters: { q: 'caf%C3%A9', tag: 'x' },
  headers: {
    accept: '*/*',
    'content-type': 'text/plain; charset=utf-8',
    host: 'lambda-alb-123578498.eu-west-1.elb.amazonaws.com',
    'user-agent': 'curl/8.5.0',
    'x-amzn-trace-id': 'Root=1-5c536348-3d683b8b04734faae651f476',
    'x-forwarded-for': '192.0.2.77, 10.0.0.1',
    'x-forwarded-port': '80',
    'x-forwarded-proto': 'http',
    'x-api-key': 'key-secret-1',
  },
  body: Buffer.from('hello café', 'utf8').toString('base64'),
  isBase64Encoded: true,
  ...overrides,
});

/** The same ALB with multi-value headers on: only the multiValue* fields are present. */
export const albMultiValueEvent = (): ALBEvent => ({
  requestContext: {
    elb: {
      targetGroupArn: 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/lambda-tg/6d0ecf831eec9f09',
    },
  },
  httpMethod: 'GET',
  path: '/items',
  multiValueQueryStringParameters: { id: ['1', '2'], q: ['a%20b'] },
  multiValueHeaders: {
    accept: ['*/*'],
    host: ['lambda-alb-123578498.eu-west-1.elb.amazonaws.com'],
    'x-forwarded-for': ['192.0.2.78'],
    'x-forwarded-proto': ['https'],
    cookie: ['a=1', 'b=2'],
  },
  body: '',
  isBase64Encoded: false,
});

export const lambdaContext = (overrides: Partial<Context> = {}): Context => ({
  callbackWaitsForEmptyEventLoop: true,
  functionName: 'orders-api',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:orders-api',
  memoryLimitInMB: '512',
  awsRequestId: 'c0ffee00-0000-4000-8000-000000000001',
  logGroupName: '/aws/lambda/orders-api',
  logStreamName: '2026/03/14/[$LATEST]0123456789abcdef',
  getRemainingTimeInMillis: () => 10_000,
  done: () => undefined,
  fail: () => undefined,
  succeed: () => undefined,
  ...overrides,
});

export interface RecordedLog {
  level: 'debug' | 'info' | 'warn' | 'error';
  message: string;
  attributes?: Record<string, unknown>;
}

/** A logger that keeps what it is told, for assertions. */
export const recordingLogger = () => {
  const lines: RecordedLog[] = [];
  const at =
    (level: RecordedLog['level']) =>
    (message: string, ...attributes: Record<string, unknown>[]) => {
      lines.push({ level, message, ...(attributes[0] !== undefined && { attributes: attributes[0] }) });
    };
  return { lines, logger: { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') } };
};
