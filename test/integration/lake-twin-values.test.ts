import { gunzipSync } from 'node:zlib';
import { LocalPipeline } from '../../infra/local/pipeline/local-pipeline';
import type { PipelineDefinition } from '../../infra/local/pipeline/serverless-config';
import { eventBridgeEnvelope } from '../helpers/factories';
import { sharedStack } from '../helpers/shared-stack';

// Twin raw values in a layout that opts into client_id: values that differ only in characters an
// object key cannot carry as they are must still land in different partitions.
//
// - A partition key the processor returns is put into the prefix as it is
//   (https://docs.aws.amazon.com/firehose/latest/dev/dynamic-partitioning-partitioning-keys.html),
//   so `acme/corp` would add a key level, and `/`, a space or `日本語` fall outside the S3 "safe
//   characters" (https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-keys.html, "Object
//   key naming guidelines"): the transformer encodes those as a safe stem + `--` + 12 hex of their
//   SHA-256 (shared/lake-layout.ts encodePartitionValue), and keeps safe values as they are.
// - A whitespace-only identifier names nothing: it is quarantined at the consumer, never
//   partitioned (whitespace clientId: MISSING_CLIENT_ID from the EventBridge adapter; whitespace
//   event type: INVALID_IDENTIFIER).

const PREFIX =
  'events/client_id=!{partitionKeyFromLambda:client_id}/event_type=!{partitionKeyFromLambda:event_type}/dt=!{partitionKeyFromLambda:dt}/';
const KEY = /^events\/client_id=([^/]+)\/event_type=([^/]+)\/dt=(\d{4}-\d{2}-\d{2})\/[^/]+\.gz$/;
/** What the S3 guidelines call safe (minus `!*'()`, which encodePartitionValue replaces too). */
const SAFE_SEGMENT = /^[A-Za-z0-9_.-]+$/;

/** The partition value a raw value should get: exactly itself, or `<stem>--` + 12 hex. */
type Segment = { kept: string } | { stem: string };

interface Case {
  id: string;
  clientId: string;
  eventType: string;
  client: Segment;
  type: Segment;
}

const CASES: Case[] = [
  {
    id: 'tw-slash',
    clientId: 'acme/corp',
    eventType: 'check_out',
    client: { stem: 'acme_corp' },
    type: { kept: 'check_out' },
  },
  {
    id: 'tw-backslash',
    clientId: 'acme\\corp',
    eventType: 'check_out',
    client: { stem: 'acme_corp' },
    type: { kept: 'check_out' },
  },
  {
    id: 'tw-underscore',
    clientId: 'acme_corp',
    eventType: 'check_out',
    client: { kept: 'acme_corp' },
    type: { kept: 'check_out' },
  },
  {
    id: 'tw-space-type',
    clientId: 'acme_corp',
    eventType: 'check out',
    client: { kept: 'acme_corp' },
    type: { stem: 'check_out' },
  },
  {
    id: 'tw-kanji-client',
    clientId: '日本語',
    eventType: 'check_out',
    client: { stem: '___' },
    type: { kept: 'check_out' },
  },
  {
    id: 'tw-underscores-client',
    clientId: '___',
    eventType: 'check_out',
    client: { kept: '___' },
    type: { kept: 'check_out' },
  },
  {
    id: 'tw-kanji-type',
    clientId: 'acme_corp',
    eventType: '日本語',
    client: { kept: 'acme_corp' },
    type: { stem: '___' },
  },
  {
    id: 'tw-underscores-type',
    clientId: 'acme_corp',
    eventType: '___',
    client: { kept: 'acme_corp' },
    type: { kept: '___' },
  },
];

/** Each pair must differ in this key's segment (and so in its object-key prefix). */
const TWINS: [string, string, 'client' | 'type'][] = [
  ['tw-slash', 'tw-underscore', 'client'],
  ['tw-backslash', 'tw-underscore', 'client'],
  // Both encoded, same readable stem: only the hash tells them apart.
  ['tw-slash', 'tw-backslash', 'client'],
  ['tw-space-type', 'tw-underscore', 'type'],
  ['tw-kanji-client', 'tw-underscores-client', 'client'],
  ['tw-kanji-type', 'tw-underscores-type', 'type'],
];

const BLANK_CLIENT = { id: 'tw-blank-client', clientId: '   ', eventType: 'check_out' };
const BLANK_TYPE = { id: 'tw-blank-type', clientId: 'acme_corp', eventType: ' \t ' };

const recentTime = () => new Date(Date.now() - 60_000).toISOString();
const envelope = ({ id, clientId, eventType }: { id: string; clientId: string; eventType: string }) =>
  eventBridgeEnvelope({ id, resources: [clientId], time: recentTime(), detail: { eventType, n: id } });
const record = (payload: unknown) => ({ partitionKey: 'it-twins', data: Buffer.from(JSON.stringify(payload)) });

interface LakeEvent {
  id: string;
  time: string;
  clientId?: string;
  detail: { clientId: string; eventType: string };
}
interface Found {
  key: string;
  event: LakeEvent;
  client: string;
  type: string;
  dt: string;
}

let pipeline: LocalPipeline;

const readLake = async (): Promise<Found[]> => {
  const found: Found[] = [];
  for (const key of await pipeline.listKeys('events/')) {
    const [, client = '', type = '', dt = ''] = KEY.exec(key) ?? [];
    for (const line of gunzipSync(await pipeline.getObject(key))
      .toString('utf8')
      .split('\n')
      .filter(Boolean)) {
      found.push({ key, event: JSON.parse(line) as LakeEvent, client, type, dt });
    }
  }
  return found;
};

const quarantinedRaw = async (reason: string): Promise<string[]> =>
  Promise.all(
    (await pipeline.listKeys(`quarantine/${reason}/`)).map(async (key) => {
      const body = JSON.parse((await pipeline.getObject(key)).toString('utf8')) as {
        reason: string;
        dataBase64: string;
      };
      expect(body.reason).toBe(reason);
      return Buffer.from(body.dataBase64, 'base64').toString('utf8');
    }),
  );

const dirOf = (key: string) => key.slice(0, key.lastIndexOf('/') + 1);

const expectSegment = (actual: string, expected: Segment) => {
  if ('kept' in expected) expect(actual).toBe(expected.kept);
  else expect(actual).toMatch(new RegExp(`^${expected.stem}--[0-9a-f]{12}$`));
};

beforeAll(async () => {
  const { endpoints, definition } = sharedStack();
  const twinLayout: PipelineDefinition = structuredClone(definition);
  twinLayout.firehose.prefix = PREFIX;
  twinLayout.transformer.environment.LAKE_PREFIX = PREFIX;
  twinLayout.transformer.environment.LAKE_EVENT_TYPES = 'check out,check_out,日本語,___';
  pipeline = await LocalPipeline.start({ endpoints, definition: twinLayout, suffix: '-twin-values' });
});

afterAll(async () => {
  await pipeline?.stop();
});

describe('a layout with client_id and event_type', () => {
  it('twin raw values land in different partitions', async () => {
    // Prepare
    const blankClient = envelope(BLANK_CLIENT);
    const blankType = envelope(BLANK_TYPE);

    // Act
    await pipeline.put([...CASES.map((c) => record(envelope(c))), record(blankClient), record(blankType)]);
    await pipeline.drain();

    // Assess: every twin once, under the partition its raw values call for.
    const lake = await readLake();
    expect(lake.map(({ event }) => event.id).sort()).toEqual(CASES.map(({ id }) => id).sort());
    const byId = new Map(lake.map((found) => [found.event.id, found]));
    for (const c of CASES) {
      const found = byId.get(c.id);
      expect(found?.key).toMatch(KEY);
      if (found === undefined) continue;
      expectSegment(found.client, c.client);
      expectSegment(found.type, c.type);
      expect(found.client).toMatch(SAFE_SEGMENT);
      expect(found.type).toMatch(SAFE_SEGMENT);
      expect(found.dt).toBe(found.event.time.slice(0, 10));
      // The data keeps the real values; clientId moved from resources[0] into detail.
      expect(found.event.detail.clientId).toBe(c.clientId);
      expect(found.event.detail.eventType).toBe(c.eventType);
      expect(found.event).not.toHaveProperty('clientId');
    }
    for (const [a, b, segment] of TWINS) {
      const [first, second] = [byId.get(a), byId.get(b)];
      if (first === undefined || second === undefined) throw new Error(`${a} or ${b} is not in the lake`);
      expect(`${b}: ${segment} ${second[segment]}`).not.toBe(`${b}: ${segment} ${first[segment]}`);
      expect(dirOf(second.key)).not.toBe(dirOf(first.key));
    }

    // Whitespace-only identifiers: quarantined with their reason and raw bytes, never partitioned.
    expect(await quarantinedRaw('MISSING_CLIENT_ID')).toEqual([JSON.stringify(blankClient)]);
    expect(await quarantinedRaw('INVALID_IDENTIFIER')).toEqual([JSON.stringify(blankType)]);
    const check = await pipeline.verifyLake();
    const summary = await pipeline.summary(check);
    expect(summary).toMatchObject({
      in: CASES.length + 2,
      delivered: CASES.length,
      quarantined: 2,
      quarantineReasons: { MISSING_CLIENT_ID: 1, INVALID_IDENTIFIER: 1 },
      errors: {},
      discarded: 0,
    });
    expect(check).toMatchObject({ events: CASES.length, misplacedEvents: [], duplicateEvents: [], errors: {} });
  });
});
