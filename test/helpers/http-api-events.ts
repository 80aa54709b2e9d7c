import type { APIGatewayProxyEventV2WithJWTAuthorizer } from 'aws-lambda';

export interface HttpEventOptions {
  /** `POST /events` by default. */
  routeKey?: string;
  body?: string | Buffer;
  contentType?: string | null;
  /** The `custom:clientId` claim; null leaves it out. */
  clientId?: string | null;
  isBase64Encoded?: boolean;
  headers?: Record<string, string>;
  /** Leave out requestContext.authorizer entirely (a route without the authorizer). */
  noAuthorizer?: boolean;
}

/** An API Gateway HTTP API (payload 2.0) event for the ingest handler, as the JWT authorizer passes it. */
export const httpApiEvent = (options: HttpEventOptions = {}): APIGatewayProxyEventV2WithJWTAuthorizer => {
  const routeKey = options.routeKey ?? 'POST /events';
  const [method = 'POST', path = '/'] = routeKey.split(' ');
  const body =
    options.body === undefined
      ? undefined
      : Buffer.isBuffer(options.body)
        ? options.body.toString('base64')
        : options.body;
  const contentType = options.contentType === undefined ? 'application/json' : options.contentType;
  const clientId = options.clientId === undefined ? 'acme-corp' : options.clientId;
  const event: APIGatewayProxyEventV2WithJWTAuthorizer = {
    version: '2.0',
    routeKey,
    rawPath: path,
    rawQueryString: '',
    headers: {
      host: 'api.example.com',
      ...(contentType !== null && { 'content-type': contentType }),
      ...options.headers,
    },
    requestContext: {
      accountId: '123456789012',
      apiId: 'api',
      authorizer: {
        principalId: '',
        integrationLatency: 0,
        jwt: {
          claims: {
            sub: 'user-1',
            iss: 'https://issuer.example.com',
            ...(clientId !== null && { 'custom:clientId': clientId }),
          },
          scopes: [],
        },
      },
      domainName: 'api.example.com',
      domainPrefix: 'api',
      http: { method, path, protocol: 'HTTP/1.1', sourceIp: '203.0.113.1', userAgent: 'test' },
      requestId: 'req-1',
      routeKey,
      stage: '$default',
      time: '15/Jan/2026:10:30:00 +0000',
      timeEpoch: 1_768_473_000_000,
    },
    ...(body !== undefined && { body }),
    isBase64Encoded: options.isBase64Encoded ?? Buffer.isBuffer(options.body),
  };
  if (options.noAuthorizer) delete (event.requestContext as { authorizer?: unknown }).authorizer;
  return event;
};

/** `{"entries":[{"entry":"<escaped JSON>"}, …]}` */
export const eventsBody = (...entries: unknown[]): string =>
  JSON.stringify({
    entries: entries.map((entry) => ({ entry: typeof entry === 'string' ? entry : JSON.stringify(entry) })),
  });
