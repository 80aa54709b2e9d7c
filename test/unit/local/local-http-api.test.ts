import type { APIGatewayProxyEventV2WithJWTAuthorizer, APIGatewayProxyResultV2 } from 'aws-lambda';
import { createLocalJWKSet, type JSONWebKeySet } from 'jose';
import { type HttpApiInvokeOptions, type HttpApiRequest, invokeHttpApi } from '../../../infra/local/http-api';
import {
  DEV_JWT_AUDIENCE,
  type DevTokenOptions,
  devJwks,
  generateDevKeyPair,
  mintDevToken,
} from '../../../infra/local/http-api/dev-jwt';

const ISSUER = 'http://127.0.0.1:3000';
const keys = generateDevKeyPair();
const routes = [
  { method: 'POST', path: '/events', authorizer: 'clientJwt' },
  { method: 'GET', path: '/health' },
];
let jwks: JSONWebKeySet;
/** A token of the API's issuer; beforeAll mints the default request's. */
const token = (options: Partial<DevTokenOptions> = {}, pair = keys) =>
  mintDevToken(pair, { clientId: 'acme-corp', issuer: ISSUER, ...options });
let defaultToken: string;

beforeAll(async () => {
  jwks = await devJwks(keys.publicKey);
  defaultToken = await token();
});

const api = (result: APIGatewayProxyResultV2 | Error = { statusCode: 200, body: '{}' }) => {
  const events: APIGatewayProxyEventV2WithJWTAuthorizer[] = [];
  const options: HttpApiInvokeOptions = {
    handler: async (event) => {
      events.push(event);
      if (result instanceof Error) throw result;
      return result;
    },
    routes,
    authorizer: { issuer: ISSUER, audience: [DEV_JWT_AUDIENCE], keys: createLocalJWKSet(jwks) },
    jwks,
    functionName: 'ingestApi',
    timeoutSeconds: 10,
    maxPayloadBytes: 1_000,
  };
  return { options, events };
};

const request = (overrides: Partial<HttpApiRequest> = {}): HttpApiRequest => ({
  method: 'POST',
  url: '/events',
  headers: {
    authorization: `Bearer ${defaultToken}`,
    'content-type': 'application/json',
  },
  body: Buffer.from('{"entries":[]}'),
  ...overrides,
});

const bodyOf = (response: { body: Buffer }) => JSON.parse(response.body.toString()) as unknown;

describe('local HTTP API', () => {
  it('builds the payload 2.0 event the JWT authorizer would pass to the function', async () => {
    // Prepare
    const { options, events } = api();

    // Act
    await invokeHttpApi(
      options,
      request({
        url: '/events?a=1&a=2&b=x',
        headers: {
          Authorization: `Bearer ${await token({ scopes: ['events/write'] })}`,
          'Content-Type': 'application/json',
          'X-Multi': ['one', 'two'],
          cookie: 'session=abc; theme=dark',
        },
        domainName: '127.0.0.1:3000',
      }),
    );

    // Assess
    const [event] = events;
    expect(event).toMatchObject({
      version: '2.0',
      routeKey: 'POST /events',
      rawPath: '/events',
      rawQueryString: 'a=1&a=2&b=x',
      queryStringParameters: { a: '1,2', b: 'x' },
      cookies: ['session=abc', 'theme=dark'],
      headers: { 'content-type': 'application/json', 'x-multi': 'one,two' },
      body: '{"entries":[]}',
      isBase64Encoded: false,
      requestContext: {
        routeKey: 'POST /events',
        stage: '$default',
        domainName: '127.0.0.1:3000',
        http: { method: 'POST', path: '/events', protocol: 'HTTP/1.1' },
        authorizer: { jwt: { scopes: ['events/write'] } },
      },
    });
    const claims = event?.requestContext.authorizer.jwt.claims ?? {};
    expect(claims['custom:clientId']).toBe('acme-corp');
    // API Gateway passes every claim as a string.
    expect(typeof claims.exp).toBe('string');
    expect(event?.headers.cookie).toBeUndefined();
  });

  it('base64-encodes bodies that are not text, as API Gateway does', async () => {
    const { options, events } = api();

    await invokeHttpApi(
      options,
      request({
        headers: { ...request().headers, 'content-type': 'application/x-ndjson' },
        body: Buffer.from('{}\n{}'),
      }),
    );

    expect(events[0]).toMatchObject({ isBase64Encoded: true, body: Buffer.from('{}\n{}').toString('base64') });
  });

  it.each([
    ['no Authorization header', async () => ({}), 'Bearer'],
    [
      'a token signed with another key',
      async () => ({ authorization: `Bearer ${await token({}, generateDevKeyPair())}` }),
      'error_description="signature is invalid"',
    ],
    [
      'an expired token, without the Bearer prefix',
      async () => ({ authorization: await token({ ttlSeconds: -1 }) }),
      'error_description="the token has expired"',
    ],
    [
      'a token for another audience',
      async () => ({ authorization: `Bearer ${await token({ audience: 'x' })}` }),
      'error_description="the token does not have a valid audience"',
    ],
    [
      'a token of another issuer',
      async () => ({ authorization: `Bearer ${await token({ issuer: 'http://127.0.0.1:1' })}` }),
      'error_description="the token has an invalid issuer"',
    ],
  ])('answers 401 without calling the function for %s', async (_name, headers, challenge) => {
    const { options, events } = api();

    const response = await invokeHttpApi(options, request({ headers: await headers() }));

    expect(response.statusCode).toBe(401);
    expect(bodyOf(response)).toEqual({ message: 'Unauthorized' });
    expect(response.headers['www-authenticate']).toContain(challenge);
    expect(events).toHaveLength(0);
  });

  it('answers 404 for a route serverless.yml does not define, and 413 past the payload limit', async () => {
    const { options, events } = api();

    const missing = await invokeHttpApi(options, request({ url: '/nowhere' }));
    const wrongMethod = await invokeHttpApi(options, request({ method: 'GET' }));
    const large = await invokeHttpApi(options, request({ body: Buffer.alloc(1_001) }));

    expect([missing.statusCode, wrongMethod.statusCode, large.statusCode]).toEqual([404, 404, 413]);
    expect(events).toHaveLength(0);
  });

  it('serves the issuer JWKS on GET /.well-known/jwks.json, before the routes and without a token', async () => {
    const { options, events } = api();
    const get = { method: 'GET', url: '/.well-known/jwks.json', headers: {}, body: Buffer.alloc(0) };

    const served = await invokeHttpApi(options, get);
    const posted = await invokeHttpApi(options, { ...get, method: 'POST' });
    const withoutIssuer = await invokeHttpApi({ ...options, jwks: undefined }, get);

    expect([served.statusCode, served.headers['content-type'], bodyOf(served)]).toEqual([
      200,
      'application/json',
      jwks,
    ]);
    expect([posted.statusCode, withoutIssuer.statusCode]).toEqual([404, 404]);
    expect(events).toHaveLength(0);
  });

  it('calls a route without an authorizer with no claims', async () => {
    const { options, events } = api();

    const response = await invokeHttpApi(
      options,
      request({ method: 'GET', url: '/health', headers: {}, body: Buffer.alloc(0) }),
    );

    expect(response.statusCode).toBe(200);
    expect(events[0]?.requestContext.authorizer.jwt.claims).toEqual({});
    expect(events[0]?.body).toBeUndefined();
  });

  it('maps the function result like payload format 2.0', async () => {
    const structured = await invokeHttpApi(
      api({
        statusCode: 202,
        headers: { 'X-Id': '1' },
        body: Buffer.from('hi').toString('base64'),
        isBase64Encoded: true,
        cookies: ['a=1'],
      }).options,
      request(),
    );
    const plain = await invokeHttpApi(api('{"ok":true}').options, request());
    const failed = await invokeHttpApi(api(new Error('boom')).options, request());

    expect([
      structured.statusCode,
      structured.body.toString(),
      structured.headers['x-id'],
      structured.headers['set-cookie'],
    ]).toEqual([202, 'hi', '1', ['a=1']]);
    expect([plain.statusCode, plain.headers['content-type'], bodyOf(plain)]).toEqual([
      200,
      'application/json',
      { ok: true },
    ]);
    expect([failed.statusCode, bodyOf(failed)]).toEqual([500, { message: 'Internal Server Error' }]);
  });
});
