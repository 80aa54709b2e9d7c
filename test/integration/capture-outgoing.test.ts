import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http, { createServer, type Server } from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateStreamCommand,
  DescribeStreamCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type KinesisClient,
} from '@aws-sdk/client-kinesis';
import { createKinesisClient } from '../../shared/aws/kinesis-client';
import { type ApiCallRecord, captureOutgoing, type OutgoingCapture } from '../../shared/capture';
import { RecordingMetrics } from '../../shared/metrics';
import { recordingLogger } from '../helpers/capture-events';
import { sharedStack } from '../helpers/shared-stack';

// Outgoing capture against a real local HTTP server; records go to kinesalite through the real SDK,
// whose own requests (plain http to a localhost endpoint) must not be captured.
let server: Server;
let base: string;
let kinesis: KinesisClient;
const streamName = `capture-outgoing-${Date.now()}`;
let capture: OutgoingCapture | undefined;

const readStream = async (): Promise<ApiCallRecord[]> => {
  const description = await kinesis.send(new DescribeStreamCommand({ StreamName: streamName }));
  const records: ApiCallRecord[] = [];
  for (const shard of description.StreamDescription?.Shards ?? []) {
    const iterator = await kinesis.send(
      new GetShardIteratorCommand({
        StreamName: streamName,
        ShardId: shard.ShardId,
        ShardIteratorType: 'TRIM_HORIZON',
      }),
    );
    const got = await kinesis.send(new GetRecordsCommand({ ShardIterator: iterator.ShardIterator }));
    for (const record of got.Records ?? [])
      records.push(JSON.parse(Buffer.from(record.Data as Uint8Array).toString('utf8')) as ApiCallRecord);
  }
  return records;
};

const start = (extra: Parameters<typeof captureOutgoing>[0] = {}) => {
  capture = captureOutgoing({
    kinesisClient: kinesis,
    streamName,
    defaultClientId: 'it-outgoing',
    logger: recordingLogger().logger,
    env: {},
    metrics: new RecordingMetrics(),
    flushTimeoutMs: 5_000,
    ...extra,
  });
  return capture;
};

let seen = 0;
const newRecords = async (): Promise<ApiCallRecord[]> => {
  const all = await readStream();
  const fresh = all.slice(seen);
  seen = all.length;
  return fresh;
};

beforeAll(async () => {
  const { endpoints } = sharedStack();
  kinesis = createKinesisClient({
    ...process.env,
    AWS_ENDPOINT_URL_KINESIS: endpoints.kinesis,
    AWS_REGION: process.env.AWS_REGION ?? 'us-east-1',
  });
  await kinesis.send(new CreateStreamCommand({ StreamName: streamName, ShardCount: 1 }));
  for (let i = 0; i < 50; i++) {
    const status = (await kinesis.send(new DescribeStreamCommand({ StreamName: streamName }))).StreamDescription
      ?.StreamStatus;
    if (status === 'ACTIVE') break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const status = req.url?.startsWith('/missing') ? 404 : 200;
      res.writeHead(status, { 'content-type': 'application/json', 'x-server': 'local' });
      res.end(JSON.stringify({ path: req.url, method: req.method, got: Buffer.concat(chunks).toString('utf8') }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterEach(() => {
  capture?.stop();
  capture = undefined;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  kinesis.destroy();
});

describe('captureOutgoing', () => {
  it('records a fetch call (direction outgoing, bodies, status); the caller gets the same response', async () => {
    start({
      identifyCompanyOutgoing: () => 'acme',
      identifyUserOutgoing: (call) => (call.url.includes('/orders') ? 'u-1' : undefined),
    });
    const response = await fetch(`${base}/orders?x=1`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer t0ken' },
      body: JSON.stringify({ sku: 's-1' }),
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ path: '/orders?x=1', method: 'POST', got: '{"sku":"s-1"}' });
    expect(await capture?.flush()).toEqual({ sent: 1, notSent: 0 });

    const records = await newRecords();
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({
      kind: 'api-call',
      clientId: 'acme',
      apiCall: {
        direction: 'outgoing',
        weight: 1,
        user_id: 'u-1',
        company_id: 'acme',
        request: {
          uri: `${base}/orders?x=1`,
          verb: 'POST',
          body: { sku: 's-1' },
          transfer_encoding: 'json',
          headers: { authorization: '*****' },
        },
        response: { status: 200, body: { path: '/orders?x=1', method: 'POST' }, headers: { 'x-server': 'local' } },
      },
    });
    expect(records[0]?.apiCall.transaction_id).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('records http.request and http.get (no response listener added: an unread response is still dumped)', async () => {
    start({ logBodyOutgoing: true });
    const body = await new Promise<string>((resolve, reject) => {
      const req = http.request(`${base}/items`, { method: 'PUT', headers: { 'content-type': 'text/plain' } }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          text += chunk;
        });
        res.on('end', () => resolve(text));
      });
      req.on('error', reject);
      req.write('hello ');
      req.end('world');
    });
    expect(JSON.parse(body)).toMatchObject({ got: 'hello world', method: 'PUT' });
    // A request whose response nobody listens to: Node dumps it; the request still completes.
    await new Promise<void>((resolve, reject) => {
      const req = http.get(`${base}/missing`);
      req.on('error', reject);
      req.on('close', () => resolve());
    });
    await capture?.flush();
    const records = await newRecords();
    expect(records.map((record) => [record.apiCall.request.verb, record.apiCall.response.status])).toEqual([
      ['PUT', 200],
      ['GET', 404],
    ]);
    expect(records[0]?.apiCall.request).toMatchObject({ body: 'hello world', transfer_encoding: 'text' });
    expect(records[0]?.apiCall.response.body).toMatchObject({ got: 'hello world' });
  });

  it('skipOutgoing, logBodyOutgoing false, getMetadataOutgoing, getSessionTokenOutgoing, sampling weight', async () => {
    start({
      skipOutgoing: (call) => call.url.includes('/health'),
      logBodyOutgoing: false,
      getMetadataOutgoing: (call) => ({ target: new URL(call.url).pathname }),
      getSessionTokenOutgoing: () => 'session-7',
      sampleRate: 50,
    });
    const random = jest.spyOn(Math, 'random').mockReturnValue(0);
    await (await fetch(`${base}/health`)).text();
    await (await fetch(`${base}/pay`, { method: 'POST', body: 'x' })).text();
    await capture?.flush();
    random.mockRestore();
    const records = await newRecords();
    expect(records).toHaveLength(1);
    expect(records[0]?.apiCall).toMatchObject({ metadata: { target: '/pay' }, session_token: 'session-7', weight: 2 });
    expect(records[0]?.apiCall.request).not.toHaveProperty('body');
    expect(records[0]?.apiCall.response).not.toHaveProperty('body');
  });

  it('never records the AWS SDK’s own calls (the capture’s PutRecords, or any signed SDK request)', async () => {
    start();
    await kinesis.send(new DescribeStreamCommand({ StreamName: streamName }));
    await (await fetch(`${base}/one`)).text();
    expect(await capture?.flush()).toEqual({ sent: 1, notSent: 0 });
    await capture?.flush();
    const records = await newRecords();
    expect(records.map((record) => new URL(record.apiCall.request.uri).pathname)).toEqual(['/one']);
  });

  it('records https.request against a local TLS server', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'capture-tls-'));
    try {
      execFileSync(
        'openssl',
        [
          'req',
          '-x509',
          '-newkey',
          'rsa:2048',
          '-nodes',
          '-keyout',
          join(dir, 'key.pem'),
          '-out',
          join(dir, 'cert.pem'),
          '-days',
          '1',
          '-subj',
          '/CN=localhost',
        ],
        { stdio: 'ignore' },
      );
      const tls = https.createServer(
        { key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) },
        (_req, res) => {
          res.writeHead(202, { 'content-type': 'application/json' });
          res.end('{"accepted":true}');
        },
      );
      await new Promise<void>((resolve) => tls.listen(0, '127.0.0.1', resolve));
      const port = (tls.address() as AddressInfo).port;
      start();
      const status = await new Promise<number | undefined>((resolve, reject) => {
        const req = https.request(
          { host: '127.0.0.1', port, path: '/tls?a=b', method: 'POST', rejectUnauthorized: false },
          (res) => {
            res.resume();
            res.on('end', () => resolve(res.statusCode));
          },
        );
        req.on('error', reject);
        req.end('{"n":1}');
      });
      expect(status).toBe(202);
      await capture?.flush();
      await new Promise((resolve) => tls.close(resolve));
      const records = await newRecords();
      expect(records).toHaveLength(1);
      expect(records[0]?.apiCall).toMatchObject({
        direction: 'outgoing',
        request: { uri: `https://127.0.0.1:${port}/tls?a=b`, verb: 'POST', body: { n: 1 } },
        response: { status: 202, body: { accepted: true } },
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('stop() puts fetch and http back', async () => {
    const originalFetch = globalThis.fetch;
    const originalRequest = http.request;
    start().stop();
    expect(globalThis.fetch).toBe(originalFetch);
    expect(http.request).toBe(originalRequest);
  });
});
