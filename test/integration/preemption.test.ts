import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { loadOrCreateDevKeyPair, mintDevToken } from '../../infra/local/http-api/dev-jwt';
import { LocalPipeline } from '../../infra/local/pipeline/local-pipeline';
import { meterIdentityId } from '../../shared/sources/usage-meter';
import { sharedStack } from '../helpers/shared-stack';

// No producer can hide another producer's record: a caller holding a client's token pre-empts
// nothing. The idempotency key is (clientId, idScope, id), idScope = the source adapter plus the
// ingest channel (the HTTP API marks what it writes), and ids the pipeline derives (a meter's
// content hash) are in a namespace no caller may write.

const CLIENT = 'it-preempt';
let pipeline: LocalPipeline;
let url: string;
let dir: string;
let token: string;

interface LakeEvent {
  id: string;
  idScope: string;
  source: string;
  detail: { clientId: string; meterValue?: number; metadata?: { by?: string } };
}
interface PutEventsResponse {
  FailedEntryCount: number;
  Entries: ({ EventId: string } | { ErrorCode: string; ErrorMessage: string })[];
}

const post = async (path: string, body: unknown): Promise<PutEventsResponse> => {
  const response = await fetch(`${url}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  expect(response.status).toBe(200);
  return (await response.json()) as PutEventsResponse;
};

const lake = async (): Promise<LakeEvent[]> => {
  const events: LakeEvent[] = [];
  for (const key of await pipeline.listKeys('events/')) {
    for (const line of gunzipSync(await pipeline.getObject(key))
      .toString('utf8')
      .split('\n')) {
      if (line !== '') events.push(JSON.parse(line) as LakeEvent);
    }
  }
  return events.filter((event) => event.detail.clientId === CLIENT);
};

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'preempt-it-'));
  const keyPath = join(dir, 'dev-jwt-key.pem');
  const { endpoints, definition } = sharedStack();
  pipeline = await LocalPipeline.start({ endpoints, definition, suffix: '-preempt' });
  url = await pipeline.startHttpApi({ keyPath });
  token = await mintDevToken(loadOrCreateDevKeyPair(keyPath), { clientId: CLIENT });
});

afterAll(async () => {
  await pipeline?.stop();
  rmSync(dir, { recursive: true, force: true });
});

it('delivers the real meter, action and hash-id meter that a token holder tried to pre-empt', async () => {
  // Prepare: the ids the caller will try to take first.
  const now = Date.now() - 60_000;
  const meterId = 'T-meter-1';
  const actionId = '7d0c1e2f-3a4b-4c5d-8e6f-708192a3b4c5';
  const futureMeter = { customerId: CLIENT, meterApiName: 'api_requests', meterValue: 5, meterTimeInMillis: now };
  const futureHashId = meterIdentityId({ ...futureMeter, dimensions: {} });

  // Act 1: the caller, through the HTTP API.
  const meters = await post('/meters', [
    { meterApiName: 'api_requests', meterValue: 1, meterTimeInMillis: now, uniqueId: meterId },
  ]);
  const actions = await post('/actions', [
    {
      action_name: 'checkout',
      transaction_id: actionId,
      request: { time: new Date(now).toISOString() },
      metadata: { by: 'caller' },
    },
  ]);
  const forged = await post('/meters', [
    { meterApiName: 'api_requests', meterValue: 1, meterTimeInMillis: now, uniqueId: futureHashId },
  ]);
  await pipeline.drain();

  // Act 2: the real records — a vendor's dropped file, a backend's action and a meter without uniqueId.
  const file = join(dir, 'vendor-meters.ndjson');
  writeFileSync(
    file,
    `${JSON.stringify({ customerId: CLIENT, meterApiName: 'api_requests', meterValue: 7, meterTimeInMillis: now, uniqueId: meterId })}\n`,
  );
  const drop = await pipeline.drop(file);
  await pipeline.put([
    {
      partitionKey: CLIENT,
      data: Buffer.from(
        JSON.stringify({
          action_name: 'checkout',
          company_id: CLIENT,
          transaction_id: actionId,
          request: { time: new Date(now).toISOString() },
          metadata: { by: 'backend' },
        }),
      ),
    },
    { partitionKey: CLIENT, data: Buffer.from(JSON.stringify(futureMeter)) },
  ]);
  // The caller re-sending its own meter is still a duplicate of itself.
  const resent = await post('/meters', [
    { meterApiName: 'api_requests', meterValue: 1, meterTimeInMillis: now, uniqueId: meterId },
  ]);
  await pipeline.drain();

  // Assess: the caller could write its own records, but not the derived-id one.
  expect(meters.FailedEntryCount).toBe(0);
  expect(actions.FailedEntryCount).toBe(0);
  expect(forged.Entries).toEqual([{ ErrorCode: 'ReservedId', ErrorMessage: expect.stringContaining('derived:') }]);
  expect(drop.result).toMatchObject({ records: 1, sent: 1, rejected: 0 });
  expect(resent.FailedEntryCount).toBe(0);
  const events = await lake();
  const found = events
    .map((event) => [event.idScope, event.id, event.detail.meterValue ?? event.detail.metadata?.by])
    .sort();
  expect(found).toEqual(
    [
      ['http-api/product-action', actionId, 'caller'],
      ['http-api/usage-meter', meterId, 1],
      ['product-action', actionId, 'backend'],
      ['usage-meter', futureHashId, 5],
      ['usage-meter', meterId, 7],
    ].sort(),
  );
  expect(futureHashId).toMatch(/^derived:meter:[0-9a-f]{32}$/);
  const check = await pipeline.verifyLake();
  expect(check.duplicateEvents).toEqual([]);
  const summary = await pipeline.summary(check);
  expect(summary.duplicates).toBe(1);
  expect(summary.in).toBe(summary.delivered + summary.duplicates + summary.quarantined);
});
