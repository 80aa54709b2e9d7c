import {
  DEFAULT_LAKE_PREFIX,
  encodePartitionValue,
  evaluateLayoutPrefix,
  eventTypePartition,
  layoutKeysOf,
  loadLakeLayout,
  OTHER_EVENT_TYPE,
  partitionBound,
  prefixRoot,
} from '../../shared/lake-layout';
import { testLayout } from '../helpers/factories';

const SAFE = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;

describe('encodePartitionValue', () => {
  it('keeps a safe value as it is', () => {
    expect(encodePartitionValue('acme-corp')).toBe('acme-corp');
    expect(encodePartitionValue('api_requests.v2')).toBe('api_requests.v2');
  });

  it.each([
    ['acme/corp', 'acme_corp'],
    ['check out', 'check_out'],
    ['日本語', '   '],
    ['a..b', 'a__b'],
    ['x--y', 'x__y'],
    [`${'x'.repeat(65)}`, `${'x'.repeat(64)}`],
  ])('never lets %p and %p share a partition', (a, b) => {
    const encodedA = encodePartitionValue(a);
    const encodedB = encodePartitionValue(b);

    expect(encodedA).not.toBe(encodedB);
  });

  it('marks every changed value with -- and 12 hex of its hash, which no kept value contains', () => {
    // A kept value never contains "--", so an encoded value can never equal a raw one.
    const changed = [
      'acme/corp',
      'check out',
      '日本語',
      '   ',
      '.hidden',
      '../../etc/passwd',
      'clientId=evil',
      'x--y',
      'y'.repeat(65),
    ];
    for (const raw of changed) {
      const value = encodePartitionValue(raw);
      expect(value).toMatch(/--[0-9a-f]{12}$/);
      expect(value).toMatch(SAFE);
      expect(value).not.toContain('..');
      expect(value).not.toContain('/');
      expect(value.length).toBeLessThanOrEqual(64);
    }
    expect(encodePartitionValue('acme_corp--0123456789ab')).not.toBe('acme_corp--0123456789ab');
  });

  it('is stable: the same raw value always gives the same partition', () => {
    expect(encodePartitionValue('check out')).toBe(encodePartitionValue('check out'));
  });
});

describe('event types', () => {
  it('gives listed types their own partition and every other type _other', () => {
    const layout = testLayout();

    expect(eventTypePartition(layout, 'searching')).toBe('searching');
    expect(eventTypePartition(layout, 'check out')).toMatch(/^check_out--[0-9a-f]{12}$/);
    expect(eventTypePartition(layout, 'check_out')).toBe('check_out');
    expect(eventTypePartition(layout, 'anything else')).toBe(OTHER_EVENT_TYPE);
  });

  it('bounds the event_type values whatever producers send: the list plus _other', () => {
    const layout = testLayout();
    const values = new Set(Array.from({ length: 10_000 }, (_, i) => eventTypePartition(layout, `type-${i}`)));
    for (const type of layout.eventTypes) values.add(eventTypePartition(layout, type));

    expect(values.size).toBe(layout.eventTypes.size + 1);
  });

  it('refuses _other in the list', () => {
    expect(() => loadLakeLayout({ LAKE_EVENT_TYPES: `a,${OTHER_EVENT_TYPE}` })).toThrow(/LAKE_EVENT_TYPES/);
  });
});

describe('layout prefix', () => {
  it('reads the keys of the prefix in order', () => {
    expect(layoutKeysOf(DEFAULT_LAKE_PREFIX)).toEqual(['event_type', 'dt']);
  });

  it.each([
    [
      'an unknown key',
      'events/region=!{partitionKeyFromLambda:region}/dt=!{partitionKeyFromLambda:dt}/',
      /unknown partition key "region"/,
    ],
    ['no event day', 'events/event_type=!{partitionKeyFromLambda:event_type}/', /must partition by event day/],
    ['a key twice', 'events/dt=!{partitionKeyFromLambda:dt}/dt=!{partitionKeyFromLambda:dt}/', /twice/],
  ])('fails at cold start on %s, naming LAKE_PREFIX', (_case, prefix, message) => {
    expect(() => loadLakeLayout({ LAKE_PREFIX: prefix })).toThrow(
      expect.objectContaining({ variable: 'LAKE_PREFIX', message: expect.stringMatching(message) }),
    );
  });

  it('evaluates to the object key prefix Firehose writes, and knows its fixed root', () => {
    expect(evaluateLayoutPrefix(DEFAULT_LAKE_PREFIX, { event_type: 'searching', dt: '2026-03-14' })).toBe(
      'events/event_type=searching/dt=2026-03-14/',
    );
    expect(prefixRoot(DEFAULT_LAKE_PREFIX)).toBe('events/');
    expect(prefixRoot('errors/!{firehose:error-output-type}/year=!{timestamp:yyyy}/')).toBe('errors/');
  });
});

describe('partitionBound', () => {
  it('is (listed types + 1) × (ceil(window / 1 day) + 1) for the default layout, within the quota of 500', () => {
    // 11 listed types as in serverless.yml; 7 days + 15 min + 1 day of stream lag + 120 s of buffering.
    const layout = loadLakeLayout({ LAKE_EVENT_TYPES: 'a,b,c,d,e,f,g,h,i,j,k' });

    const bound = partitionBound(layout);

    expect(bound).toMatchObject({ bound: 120, timeBuckets: 10, typeValues: 12 });
    expect(bound.warning).toBeUndefined();
    expect(bound.formula).toContain('= 120');
  });

  it('stays within 500 for a 35-day backfill window', () => {
    const layout = loadLakeLayout({ LAKE_EVENT_TYPES: 'a,b,c,d,e,f,g,h,i,j,k', MAX_EVENT_AGE_SECONDS: '3024000' });

    const bound = partitionBound(layout);

    expect(bound.bound).toBe(456);
    expect(bound.warning).toBeUndefined();
  });

  it('warns, naming the bound, when an hourly layout can pass the quota', () => {
    const layout = loadLakeLayout({
      LAKE_PREFIX: `${DEFAULT_LAKE_PREFIX}hour=!{partitionKeyFromLambda:hour}/`,
      LAKE_EVENT_TYPES: 'a,b,c',
    });

    const bound = partitionBound(layout);

    expect(bound.bound).toBe(4 * (Math.ceil((604_800 + 900 + 86_400 + 120) / 3_600) + 1));
    expect(bound.warning).toContain(`up to ${bound.bound} active Firehose partitions`);
  });

  it('has no bound with client_id, and says how many clients the quota allows', () => {
    const layout = loadLakeLayout({
      LAKE_PREFIX: `events/client_id=!{partitionKeyFromLambda:client_id}/${DEFAULT_LAKE_PREFIX.slice('events/'.length)}`,
      LAKE_EVENT_TYPES: 'a',
    });

    const bound = partitionBound(layout);

    expect(bound.bound).toBeUndefined();
    expect(bound.formula).toMatch(/^clients × 2 /);
    expect(bound.warning).toContain('clients × 20');
    expect(bound.warning).toContain('past 25 clients');
  });
});
