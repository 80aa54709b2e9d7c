import { detectEventKind, snapshotRequest, snapshotResponse } from '../../../shared/capture/api-call-event';
import { albEvent, albMultiValueEvent, httpApiV2Event, restApiEvent } from '../../helpers/capture-events';

const opts = { logBody: true, maxBodyBytes: 64 * 1024 };

describe('detectEventKind', () => {
  it('tells REST (v1), HTTP API (v2) and ALB events apart, and declines others', () => {
    expect(detectEventKind(restApiEvent())).toBe('apigw-v1');
    expect(detectEventKind(httpApiV2Event())).toBe('apigw-v2');
    expect(detectEventKind(albEvent())).toBe('alb');
    expect(detectEventKind(albMultiValueEvent())).toBe('alb');
    expect(detectEventKind({ Records: [] })).toBeUndefined();
    expect(detectEventKind(undefined)).toBeUndefined();
    expect(detectEventKind('x')).toBeUndefined();
  });
});

describe('snapshotRequest', () => {
  it('REST v1: URL with the stage path and re-encoded multi-value query, multi-value headers, source ip, JSON body', () => {
    expect(snapshotRequest(restApiEvent(), opts)).toEqual({
      kind: 'apigw-v1',
      receivedAt: 1773500880000,
      uri: 'https://abc123.execute-api.eu-west-1.amazonaws.com/prod/widgets/w-1?color=red&color=blue&q=a%20b%26c',
      verb: 'POST',
      headers: expect.objectContaining({
        'content-type': 'application/json',
        'x-custom': ['a', 'b'],
        authorization: 'Bearer eyJraWQiOiJrMSJ9.eyJzdWIiOiJ1c2VyLTEyMzQ1In0.c2ln',
      }),
      ip_address: '203.0.113.42',
      body: { body: { name: 'sprocket', size: 3 }, transfer_encoding: 'json' },
    });
  });

  it('REST v1 without multi-value fields, headers or body', () => {
    const snapshot = snapshotRequest(
      restApiEvent({
        headers: {},
        multiValueHeaders: {},
        multiValueQueryStringParameters: null,
        queryStringParameters: null,
        body: null,
      }),
      opts,
    );
    expect(snapshot).toMatchObject({
      uri: 'https://abc123.execute-api.eu-west-1.amazonaws.com/prod/widgets/w-1',
      headers: {},
      body: {},
    });
  });

  it('HTTP API v2: raw path and query, cookies as a cookie header, source ip', () => {
    const snapshot = snapshotRequest(httpApiV2Event(), opts);
    expect(snapshot).toMatchObject({
      kind: 'apigw-v2',
      uri: 'https://api.acme.example/orders?status=open&status=paid&page=2',
      verb: 'GET',
      ip_address: '198.51.100.10',
      body: {},
    });
    expect(snapshot?.headers.cookie).toBe('session=abc123; theme=dark');
  });

  it('ALB: query as received, ip from x-forwarded-for, base64 text body decoded', () => {
    expect(snapshotRequest(albEvent(), opts)).toMatchObject({
      kind: 'alb',
      uri: 'http://lambda-alb-123578498.eu-west-1.elb.amazonaws.com/items/42?q=caf%C3%A9&tag=x',
      verb: 'PUT',
      ip_address: '192.0.2.77',
      body: { body: 'hello café', transfer_encoding: 'text' },
    });
  });

  it('ALB with multi-value headers and query', () => {
    const snapshot = snapshotRequest(albMultiValueEvent(), opts);
    expect(snapshot).toMatchObject({
      uri: 'https://lambda-alb-123578498.eu-west-1.elb.amazonaws.com/items?id=1&id=2&q=a%20b',
      ip_address: '192.0.2.78',
      body: {},
    });
    expect(snapshot?.headers.cookie).toEqual(['a=1', 'b=2']);
  });

  it('leaves bodies out when logBody is false', () => {
    expect(snapshotRequest(restApiEvent(), { ...opts, logBody: false })?.body).toEqual({});
  });
});

describe('snapshotResponse', () => {
  it('structured results: headers and multiValueHeaders merged, v2 cookies as set-cookie, base64 bodies', () => {
    expect(
      snapshotResponse(
        'apigw-v1',
        {
          statusCode: 201,
          headers: { 'Content-Type': 'application/json' },
          multiValueHeaders: { 'Set-Cookie': ['a=1', 'b=2'] },
          body: '{"id":"w-1"}',
        },
        opts,
      ),
    ).toEqual({
      status: 201,
      headers: { 'content-type': 'application/json', 'set-cookie': ['a=1', 'b=2'] },
      body: { body: { id: 'w-1' }, transfer_encoding: 'json' },
    });
    const pdf = Buffer.from('%PDF-1.7\n\xff\xfe', 'latin1').toString('base64');
    expect(
      snapshotResponse(
        'apigw-v2',
        {
          statusCode: 200,
          cookies: ['s=1; HttpOnly'],
          headers: { 'content-type': 'application/pdf' },
          body: pdf,
          isBase64Encoded: true,
        },
        opts,
      ),
    ).toEqual({
      status: 200,
      headers: { 'content-type': 'application/pdf', 'set-cookie': ['s=1; HttpOnly'] },
      body: { body: pdf, transfer_encoding: 'base64' },
    });
  });

  it('HTTP API v2: a plain string or object is a 200 application/json response', () => {
    expect(snapshotResponse('apigw-v2', 'hello', opts)).toEqual({
      status: 200,
      headers: { 'content-type': 'application/json' },
      body: { body: 'hello', transfer_encoding: 'text' },
    });
    expect(snapshotResponse('apigw-v2', { orders: [] }, opts)).toEqual({
      status: 200,
      headers: { 'content-type': 'application/json' },
      body: { body: { orders: [] }, transfer_encoding: 'json' },
    });
    expect(snapshotResponse('apigw-v2', undefined, opts)).toMatchObject({ status: 200, body: {} });
  });

  it('v1 and ALB: anything but a proxy result is the 502 the client gets', () => {
    expect(snapshotResponse('apigw-v1', 'hello', opts)).toEqual({ status: 502, headers: {}, body: {} });
    expect(snapshotResponse('alb', undefined, opts)).toEqual({ status: 502, headers: {}, body: {} });
    expect(snapshotResponse('alb', { statusCode: 42 }, opts).status).toBe(502);
    expect(snapshotResponse('alb', { statusCode: '404', statusDescription: '404 Not Found' }, opts).status).toBe(404);
  });
});
