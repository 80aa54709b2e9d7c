import { gzipSync } from 'node:zlib';
import { Logger } from '@aws-lambda-powertools/logger';
import { KinesisClient, PutRecordsCommand, type PutRecordsCommandInput } from '@aws-sdk/client-kinesis';
import { mockClient } from 'aws-sdk-client-mock';
import { HttpIngest, type IngestResult, type PutEventsResponse } from '../../../shared/ingest/http-ingest';
import { type HttpIngestConfig, loadHttpIngestConfig } from '../../../shared/ingest/http-ingest-config';
import { KinesisStreamWriter } from '../../../shared/ingest/stream-writer';
import { adapt } from '../../../shared/sources';
import { meterIdentityId } from '../../../shared/sources/usage-meter';
import { eventsBody, type HttpEventOptions, httpApiEvent } from '../../helpers/http-api-events';

const kinesis = mockClient(KinesisClient);
const NOW = new Date('2026-03-14T15:09:26.000Z');
const minutesAgo = (minutes: number) => new Date(NOW.getTime() - minutes * 60_000);

/** Kinesis accepts every record except those whose data contains `refuse`. */
const kinesisAccepts = (refuse?: string) =>
  kinesis.on(PutRecordsCommand).callsFake((input: PutRecordsCommandInput) => {
    const records = (input.Records ?? []).map((record, index) =>
      refuse !== undefined &&
      Buffer.from(record.Data as Uint8Array)
        .toString('utf8')
        .includes(refuse)
        ? {
            ErrorCode: 'ProvisionedThroughputExceededException',
            ErrorMessage: 'Rate exceeded for shard shardId-000000000000 in stream events under account 123456789012.',
          }
        : { SequenceNumber: `4966${index}`, ShardId: 'shardId-000000000000' },
    );
    return { FailedRecordCount: records.filter((record) => 'ErrorCode' in record).length, Records: records };
  });

/** What went on the stream, call by call: partition key and parsed data. */
const sent = () =>
  kinesis.commandCalls(PutRecordsCommand).map((call) =>
    (call.args[0].input.Records ?? []).map((record) => ({
      partitionKey: record.PartitionKey,
      data: JSON.parse(Buffer.from(record.Data as Uint8Array).toString('utf8')) as Record<string, unknown>,
    })),
  );

const ingest = (env: Record<string, string> = {}) => {
  const config: HttpIngestConfig = loadHttpIngestConfig({ STREAM_NAME: 'events', ...env });
  let ids = 0;
  return new HttpIngest(config, {
    writer: new KinesisStreamWriter(new KinesisClient({ region: 'us-east-1' }), {
      streamName: config.streamName,
      maxAttempts: 3,
      sleep: async () => {},
    }),
    logger: new Logger({ logLevel: 'SILENT' }),
    now: () => NOW,
    newId: () => `00000000-0000-4000-8000-${String(++ids).padStart(12, '0')}`,
  });
};

const call = async (options: HttpEventOptions, env?: Record<string, string>) => {
  const result: IngestResult = await ingest(env).handle(httpApiEvent(options));
  return {
    ...result,
    json: JSON.parse(result.body ?? 'null') as PutEventsResponse & { message?: string; code?: string },
  };
};

const action = (overrides: Record<string, unknown> = {}) => ({
  action_name: 'checkout',
  transaction_id: '9F1C2D9E-0A51-4B7A-9D0E-1B2C3D4E5F01',
  user_id: 'u-1',
  request: { time: minutesAgo(1).toISOString(), uri: '/cart/checkout' },
  metadata: { amount: 12.5, currency: 'EUR' },
  ...overrides,
});

const meter = (overrides: Record<string, unknown> = {}) => ({
  meterApiName: 'api_calls',
  meterValue: 3,
  meterTimeInMillis: minutesAgo(2).getTime(),
  dimensions: { region: 'eu' },
  ...overrides,
});

beforeEach(() => {
  kinesis.reset();
  kinesisAccepts();
});

describe('POST /events', () => {
  it('puts one client-event record per entry, keyed by the claim, and answers with new event ids', async () => {
    // Prepare
    const body = eventsBody(
      { eventType: 'searching', schemaVersion: 1, data: { searchTerm: 'games' } },
      { eventType: 'page_view' },
    );

    // Act
    const result = await call({ body });

    // Assess
    expect(result.statusCode).toBe(200);
    expect(result.headers).toEqual({ 'content-type': 'application/json' });
    expect(result.json).toEqual({
      FailedEntryCount: 0,
      Entries: [
        { EventId: '00000000-0000-4000-8000-000000000001' },
        { EventId: '00000000-0000-4000-8000-000000000002' },
      ],
    });
    const [records] = sent();
    expect(records).toEqual([
      {
        partitionKey: 'acme-corp',
        data: {
          kind: 'client-event',
          id: '00000000-0000-4000-8000-000000000001',
          clientId: 'acme-corp',
          receivedAt: NOW.toISOString(),
          entry: { eventType: 'searching', schemaVersion: 1, data: { searchTerm: 'games' } },
          ingest: 'http-api',
        },
      },
      expect.objectContaining({ partitionKey: 'acme-corp' }),
    ]);
    // The consumer claims what the API wrote, with the id the caller got, in the API's own id scope.
    expect(adapt(records?.[0]?.data)).toMatchObject({
      source: 'client-event',
      channel: 'http-api',
      event: { id: '00000000-0000-4000-8000-000000000001' },
    });
  });

  it('fails bad entries one by one, in order, and writes the rest', async () => {
    // Prepare
    const body = JSON.stringify({
      entries: [
        { entry: JSON.stringify({ eventType: 'searching' }) },
        { entry: '{"eventType": "searching"' },
        { entry: JSON.stringify({ evntType: 'typo' }) },
        { entry: { eventType: 'not-escaped' } },
        'just a string',
        { entry: JSON.stringify({ eventType: 'late', time: minutesAgo(8 * 24 * 60).toISOString() }) },
        { entry: JSON.stringify({ eventType: 'zoneless', time: '2026-03-14T15:00:00' }) },
      ],
    });

    // Act
    const result = await call({ body });

    // Assess
    expect(result.statusCode).toBe(200);
    expect(result.json.FailedEntryCount).toBe(6);
    expect(result.json.Entries.map((entry) => ('EventId' in entry ? 'ok' : entry.ErrorCode))).toEqual([
      'ok',
      'MalformedJson',
      'SchemaViolation',
      'SchemaViolation',
      'SchemaViolation',
      'EventTimeOutOfRange',
      'InvalidEventTime',
    ]);
    expect(result.json.Entries[3]).toMatchObject({ ErrorMessage: expect.stringContaining('entry is an object') });
    expect(sent()).toEqual([
      [expect.objectContaining({ data: expect.objectContaining({ entry: { eventType: 'searching' } }) })],
    ]);
  });

  it('refuses more than 10 entries, and an empty list, as a whole', async () => {
    const eleven = eventsBody(...Array.from({ length: 11 }, () => ({ eventType: 'searching' })));

    const tooMany = await call({ body: eleven });
    const none = await call({ body: '{"entries":[]}' });

    expect([tooMany.statusCode, tooMany.json.code]).toEqual([400, 'TooManyEntries']);
    expect(tooMany.json.message).toBe('The request has 11 entries; the limit is 10');
    expect([none.statusCode, none.json.code]).toEqual([400, 'NoEntries']);
    expect(kinesis.commandCalls(PutRecordsCommand)).toHaveLength(0);
  });

  it('takes the entry limit from the environment', async () => {
    const result = await call(
      { body: eventsBody({ eventType: 'a' }, { eventType: 'b' }, { eventType: 'c' }) },
      { MAX_EVENT_ENTRIES: '2' },
    );

    expect([result.statusCode, result.json.code]).toEqual([400, 'TooManyEntries']);
  });
});

describe('POST /actions', () => {
  it('accepts one object or an array; the event id is the transaction_id; company_id is filled in', async () => {
    // Act
    const one = await call({ routeKey: 'POST /actions', body: JSON.stringify(action()) });
    const many = await call({
      routeKey: 'POST /actions',
      body: JSON.stringify([
        action({ company_id: 'acme-corp', transaction_id: '9f1c2d9e-0a51-4b7a-9d0e-1b2c3d4e5f02' }),
      ]),
    });

    // Assess
    expect(one.json).toEqual({ FailedEntryCount: 0, Entries: [{ EventId: '9f1c2d9e-0a51-4b7a-9d0e-1b2c3d4e5f01' }] });
    expect(many.json).toEqual({ FailedEntryCount: 0, Entries: [{ EventId: '9f1c2d9e-0a51-4b7a-9d0e-1b2c3d4e5f02' }] });
    const [first] = sent();
    expect(first?.[0]).toEqual({
      partitionKey: 'acme-corp',
      data: { ...action(), company_id: 'acme-corp', ingest: 'http-api' },
    });
    expect(adapt(first?.[0]?.data)).toMatchObject({
      source: 'product-action',
      channel: 'http-api',
      event: { clientId: 'acme-corp' },
    });
  });

  it('rejects, entry by entry, identifiers that are whitespace-only or not valid UTF-8 (InvalidIdentifier), never writing them', async () => {
    // Prepare: a lone surrogate escape decodes to a string no UTF-8 encoder can write.
    const body = `[${JSON.stringify(action({ action_name: '   ' }))},${JSON.stringify(action({ transaction_id: '9f1c2d9e-0a51-4b7a-9d0e-1b2c3d4e5f09' })).replace('"checkout"', '"check\\ud800out"')},${JSON.stringify(action())}]`;

    // Act
    const { statusCode, json } = await call({ routeKey: 'POST /actions', body });

    // Assess
    expect(statusCode).toBe(200);
    expect(json.FailedEntryCount).toBe(2);
    expect(json.Entries.slice(0, 2).map((entry) => ('ErrorCode' in entry ? entry.ErrorCode : 'ok'))).toEqual([
      'InvalidIdentifier',
      'InvalidIdentifier',
    ]);
    expect(json.Entries[2]).toEqual({ EventId: '9f1c2d9e-0a51-4b7a-9d0e-1b2c3d4e5f01' });
    expect(sent().flat()).toHaveLength(1);
  });

  it('refuses an action written as another client (ClientMismatch) and still writes the others', async () => {
    // Prepare
    const body = JSON.stringify([
      action({ company_id: 'globex' }),
      action({ transaction_id: '9f1c2d9e-0a51-4b7a-9d0e-1b2c3d4e5f03' }),
      action({ transaction_id: 'not-a-uuid' }),
      42,
    ]);

    // Act
    const result = await call({ routeKey: 'POST /actions', body });

    // Assess
    expect(result.statusCode).toBe(200);
    expect(result.json).toEqual({
      FailedEntryCount: 3,
      Entries: [
        { ErrorCode: 'ClientMismatch', ErrorMessage: 'company_id must be your client id (acme-corp) or absent' },
        { EventId: '9f1c2d9e-0a51-4b7a-9d0e-1b2c3d4e5f03' },
        { ErrorCode: 'InvalidTransactionId', ErrorMessage: expect.stringContaining('UUID') },
        { ErrorCode: 'SchemaViolation', ErrorMessage: 'A product action must be a JSON object, not a number' },
      ],
    });
    expect(
      sent()
        .flat()
        .map((record) => record.data.company_id),
    ).toEqual(['acme-corp']);
  });

  it('refuses more than 500 actions as a whole', async () => {
    const result = await call({
      routeKey: 'POST /actions',
      body: JSON.stringify(Array.from({ length: 501 }, () => action())),
    });

    expect([result.statusCode, result.json.code]).toEqual([400, 'TooManyEntries']);
  });
});

describe('POST /meters', () => {
  it('accepts NDJSON; the event id is uniqueId or the meter hash; customerId must be the caller', async () => {
    // Prepare
    const lines = [
      JSON.stringify(meter({ uniqueId: 'm-1' })),
      '',
      JSON.stringify(meter()),
      '{"meterApiName": ',
      JSON.stringify(meter({ customerId: 'globex' })),
      JSON.stringify(meter({ meterValue: '3' })),
    ];

    // Act
    const result = await call({
      routeKey: 'POST /meters',
      contentType: 'application/x-ndjson',
      body: Buffer.from(lines.join('\n')),
    });

    // Assess
    expect(result.statusCode).toBe(200);
    expect(result.json.Entries).toEqual([
      { EventId: 'm-1' },
      { EventId: meterIdentityId({ ...meter(), customerId: 'acme-corp' } as never) },
      { ErrorCode: 'MalformedJson', ErrorMessage: expect.stringContaining('Line 3 is not valid JSON') },
      { ErrorCode: 'ClientMismatch', ErrorMessage: 'customerId must be your client id (acme-corp) or absent' },
      { ErrorCode: 'InvalidMeterValue', ErrorMessage: expect.any(String) },
    ]);
    expect(result.json.FailedEntryCount).toBe(3);
    expect(
      sent()
        .flat()
        .map((record) => [record.partitionKey, record.data.customerId]),
    ).toEqual([
      ['acme-corp', 'acme-corp'],
      ['acme-corp', 'acme-corp'],
    ]);
  });

  it('accepts one meter or a JSON array', async () => {
    const one = await call({
      routeKey: 'POST /meters',
      body: JSON.stringify(meter({ customerId: 'acme-corp', uniqueId: 'u1' })),
    });
    const many = await call({
      routeKey: 'POST /meters',
      body: JSON.stringify([meter({ uniqueId: 'u2' }), meter({ uniqueId: 'u3' })]),
    });

    expect(one.json.Entries).toEqual([{ EventId: 'u1' }]);
    expect(many.json.Entries).toEqual([{ EventId: 'u2' }, { EventId: 'u3' }]);
  });
});

describe('partial acceptance', () => {
  it('retries only the refused entry and reports it failed after the last attempt', async () => {
    // Prepare
    kinesis.reset();
    kinesisAccepts('refuse-me');
    const body = eventsBody({ eventType: 'a' }, { eventType: 'refuse-me' }, { eventType: 'c' });

    // Act
    const result = await call({ body });

    // Assess
    expect(result.statusCode).toBe(200);
    expect(result.json).toEqual({
      FailedEntryCount: 1,
      Entries: [
        { EventId: '00000000-0000-4000-8000-000000000001' },
        { ErrorCode: 'ThrottlingException', ErrorMessage: 'The stream is busy; retry this entry' },
        { EventId: '00000000-0000-4000-8000-000000000003' },
      ],
    });
    // The account id and stream name in Kinesis' message stay in the logs.
    expect(result.body).not.toContain('123456789012');
    expect(sent().map((records) => records.length)).toEqual([3, 1, 1]);
  });

  it('answers 503 with Retry-After when the stream takes none of the entries', async () => {
    kinesis.reset();
    kinesis
      .on(PutRecordsCommand)
      .rejects(Object.assign(new Error('Stream events not found'), { name: 'ResourceNotFoundException' }));

    const result = await call(
      { body: eventsBody({ eventType: 'a' }, { eventType: 'b' }) },
      { RETRY_AFTER_SECONDS: '2' },
    );

    expect(result.statusCode).toBe(503);
    expect(result.headers).toMatchObject({ 'retry-after': '2' });
    expect(result.json.FailedEntryCount).toBe(2);
    expect(result.json.Entries).toEqual([
      { ErrorCode: 'InternalFailure', ErrorMessage: 'The entry could not be written; retry it' },
      { ErrorCode: 'InternalFailure', ErrorMessage: 'The entry could not be written; retry it' },
    ]);
  });

  it('answers 200, not 503, when every entry was invalid', async () => {
    const result = await call({ body: eventsBody('{oops', { nope: 1 }) });

    expect(result.statusCode).toBe(200);
    expect(result.json.FailedEntryCount).toBe(2);
    expect(kinesis.commandCalls(PutRecordsCommand)).toHaveLength(0);
  });
});

describe('the caller', () => {
  it.each([
    ['no clientId claim', { clientId: null }],
    ['a blank clientId claim', { clientId: '  ' }],
    ['no authorizer context at all', { noAuthorizer: true }],
    ['a clientId longer than a partition key', { clientId: 'x'.repeat(257) }],
  ])('is refused with 403 for %s', async (_name, options) => {
    const result = await call({ body: eventsBody({ eventType: 'a' }), ...options });

    expect(result.statusCode).toBe(403);
    expect(result.json.code).toBe('Forbidden');
    expect(kinesis.commandCalls(PutRecordsCommand)).toHaveLength(0);
  });

  it('cannot choose its clientId through the body of a client event', async () => {
    const result = await call({ body: eventsBody({ eventType: 'a', clientId: 'globex' }) });

    expect(result.json.Entries[0]).toMatchObject({ ErrorCode: 'SchemaViolation' });
  });

  it("keeps an entry's keys beyond eventType, schemaVersion, data and time (the AWS sample's ticket)", async () => {
    const entry = {
      eventType: 'loyaltypurchase',
      schemaVersion: 1,
      data: { points: 120 },
      ticket: { subject: 'Call me back' },
    };

    const result = await call({ body: eventsBody(entry) });

    expect(result.json.FailedEntryCount).toBe(0);
    const [records] = sent();
    expect(records?.[0]?.data).toMatchObject({ entry });
    expect(adapt(records?.[0]?.data).event.detail).toEqual(entry);
  });

  it('serves POST /event as an alias of POST /events', async () => {
    const result = await call({ routeKey: 'POST /event', body: eventsBody({ eventType: 'searching' }) });

    expect(result.statusCode).toBe(200);
    expect(result.json).toEqual({
      FailedEntryCount: 0,
      Entries: [{ EventId: '00000000-0000-4000-8000-000000000001' }],
    });
    expect(adapt(sent()[0]?.[0]?.data)).toMatchObject({ source: 'client-event', event: { clientId: 'acme-corp' } });
  });

  it('reads the clientId from the claim CLIENT_ID_CLAIM names', async () => {
    const event = httpApiEvent({ body: eventsBody({ eventType: 'searching' }), clientId: null });
    event.requestContext.authorizer.jwt.claims.client_id = 'globex';

    const configured = await ingest({ CLIENT_ID_CLAIM: 'client_id' }).handle(event);
    const byDefault = await ingest().handle(event);

    expect(configured.statusCode).toBe(200);
    expect(sent()[0]?.[0]?.partitionKey).toBe('globex');
    expect(byDefault.statusCode).toBe(403);
    expect(JSON.parse(byDefault.body ?? '{}')).toMatchObject({ message: 'The token has no custom:clientId claim' });
  });

  it('refuses a CLIENT_ID_CLAIM that cannot be a claim name at cold start', () => {
    expect(() => ingest({ CLIENT_ID_CLAIM: 'custom: clientId' })).toThrow(/CLIENT_ID_CLAIM/);
  });
});

describe('POST /actions without transaction_id or request.time', () => {
  it('answers the derived id the consumer will use, and times the action at its arrival', async () => {
    const { transaction_id: _id, request: _request, ...bare } = action();

    const first = await call({ routeKey: 'POST /actions', body: JSON.stringify([bare, { ...bare }]) });

    expect(first.json.FailedEntryCount).toBe(0);
    const [one, two] = first.json.Entries as { EventId: string }[];
    expect(one?.EventId).toMatch(/^derived:action:[0-9a-f]{32}$/);
    expect(two?.EventId).toBe(one?.EventId);
    const written = sent()[0]?.[0]?.data;
    const consumerView = adapt(written, undefined, { receivedAt: '2026-03-14T15:09:27.000Z' });
    expect(consumerView.event).toMatchObject({ id: one?.EventId, time: '2026-03-14T15:09:27.000Z' });
  });

  it('accepts a zone-less request.time as UTC', async () => {
    const result = await call({
      routeKey: 'POST /actions',
      body: JSON.stringify(action({ request: { time: '2026-03-14T15:08:00' } })),
    });

    expect(result.json.FailedEntryCount).toBe(0);
  });
});

describe('routing, content types and limits', () => {
  it('routes by method and path when the route key is $default', async () => {
    const event = httpApiEvent({ routeKey: 'POST /meters', body: JSON.stringify(meter({ uniqueId: 'x' })) });
    event.routeKey = '$default';

    const result = await ingest().handle(event);

    expect(result.statusCode).toBe(200);
  });

  it.each([
    ['GET /events', 405, 'MethodNotAllowed'],
    ['POST /nowhere', 404, 'NotFound'],
  ])('%s is %i', async (routeKey, status, code) => {
    const result = await call({ routeKey, body: '{}' });

    expect([result.statusCode, result.json.code]).toEqual([status, code]);
  });

  it('names the allowed method on a 405', async () => {
    const result = await call({ routeKey: 'PUT /actions', body: '{}' });

    expect(result.headers).toMatchObject({ allow: 'POST' });
  });

  it.each([
    ['no content type', 'POST /events', null],
    ['text/plain', 'POST /events', 'text/plain'],
    ['form data (curl -d without -H)', 'POST /actions', 'application/x-www-form-urlencoded'],
    ['a charset other than UTF-8', 'POST /events', 'application/json; charset=iso-8859-1'],
    ['NDJSON on /events', 'POST /events', 'application/x-ndjson'],
  ])('refuses %s with 415', async (_name, routeKey, contentType) => {
    const result = await call({ routeKey, contentType, body: eventsBody({ eventType: 'a' }) });

    expect([result.statusCode, result.json.code]).toEqual([415, 'UnsupportedMediaType']);
  });

  it('accepts application/json with a UTF-8 charset, in any case', async () => {
    const result = await call({
      contentType: 'Application/JSON; charset="UTF-8"',
      body: eventsBody({ eventType: 'a' }),
    });

    expect(result.statusCode).toBe(200);
  });

  it('decodes base64 bodies and gzip content encoding', async () => {
    const text = eventsBody({ eventType: 'a' });

    const base64 = await call({ body: Buffer.from(text) });
    const gzip = await call({ body: gzipSync(text), headers: { 'content-encoding': 'gzip' } });
    const brotli = await call({ body: Buffer.from(text), headers: { 'content-encoding': 'br' } });

    expect([base64.statusCode, gzip.statusCode, brotli.statusCode]).toEqual([200, 200, 415]);
  });

  it('refuses a body over the limit with 413, before or after decoding', async () => {
    const env = { MAX_BODY_BYTES: '2048' };
    const big = eventsBody({ eventType: 'a', data: { pad: 'x'.repeat(3_000) } });

    const plain = await call({ body: big }, env);
    const base64 = await call({ body: Buffer.from(big) }, env);
    const bomb = await call(
      { body: gzipSync(Buffer.alloc(1_000_000, 32)), headers: { 'content-encoding': 'gzip' } },
      env,
    );

    expect([plain.statusCode, base64.statusCode, bomb.statusCode]).toEqual([413, 413, 413]);
    expect(plain.json).toEqual({
      code: 'PayloadTooLarge',
      message: 'Request body is larger than 2048 bytes; split it into smaller requests',
    });
  });

  const gzipped = { 'content-encoding': 'gzip' };
  it.each<[string, string, string | Buffer, string, Record<string, string>]>([
    ['malformed JSON', 'POST /events', '{"entries": [', 'MalformedJson', {}],
    ['no entries array', 'POST /events', '{"entrys": []}', 'InvalidRequest', {}],
    ['entries not an array', 'POST /events', '{"entries": {}}', 'InvalidRequest', {}],
    // The client id comes from the token: a body's own is refused like any unknown key, not ignored.
    [
      'a top-level clientId for /events',
      'POST /events',
      '{"clientId": "someone-else", "entries": [{"entry": "{\\"eventType\\": \\"x\\"}"}]}',
      'InvalidRequest',
      {},
    ],
    ['nesting past the limit', 'POST /events', `${'['.repeat(40)}${']'.repeat(40)}`, 'JsonTooDeep', {}],
    ['an array for /events', 'POST /events', '[]', 'InvalidRequest', {}],
    ['a string for /actions', 'POST /actions', '"checkout"', 'InvalidRequest', {}],
    ['an empty array for /meters', 'POST /meters', '[]', 'NoEntries', {}],
    ['an empty body', 'POST /events', '', 'EmptyBody', {}],
    ['invalid UTF-8', 'POST /events', Buffer.from([0x7b, 0xff, 0x7d]), 'MalformedBody', {}],
    ['bad gzip', 'POST /events', Buffer.from('not gzip'), 'MalformedBody', gzipped],
  ])('refuses %s with 400', async (_name, routeKey, body, code, headers) => {
    const result = await call({ routeKey, body, headers });

    expect([result.statusCode, result.json.code]).toEqual([400, code]);
    expect(kinesis.commandCalls(PutRecordsCommand)).toHaveLength(0);
  });

  it('never answers bad input with a 5xx', async () => {
    // Prepare: hostile bodies on every route and content type.
    const bodies = [
      '',
      'null',
      '0',
      '"x"',
      '[]',
      '[null]',
      '{}',
      '{"entries":null}',
      '{"entries":[null,1,"x",[],{}]}',
      '\u0000',
      '{"__proto__":{"a":1}}',
      '[{"__proto__":{}}]',
      '{"entries":[{"entry":"{\\"__proto__\\":{}}"}]}',
      'x'.repeat(5_000),
    ];
    const routes: [string, string][] = [
      ['POST /events', 'application/json'],
      ['POST /actions', 'application/json'],
      ['POST /meters', 'application/json'],
      ['POST /meters', 'application/x-ndjson'],
    ];

    // Act
    const statuses = await Promise.all(
      routes.flatMap(([routeKey, contentType]) =>
        bodies.map(async (body) => (await call({ routeKey, contentType, body })).statusCode ?? 0),
      ),
    );

    // Assess
    expect(statuses.every((status) => status >= 200 && status < 500)).toBe(true);
  });
});
