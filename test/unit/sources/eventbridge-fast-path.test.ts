import { eventBridgeSchema, parseValid } from '../../../shared/sources/eventbridge';
import { eventBridgeEnvelope } from '../../helpers/factories';

// parseValid is a hand-written fast path for the zod schema: it may decline a payload (zod then
// decides), but whatever it accepts zod must accept too, with the same values.
const VALUES: unknown[] = [
  undefined,
  null,
  '',
  ' ',
  'x',
  'x'.repeat(256),
  'x'.repeat(257),
  0,
  1.5,
  true,
  [],
  ['a'],
  ['a', 2],
  {},
  { a: 1 },
  Object.create(null),
  new Date(0),
  JSON.parse('{"__proto__": {"polluted": true}, "k": 1}'),
  { constructor: 'x' },
];
const FIELDS = [
  'version',
  'id',
  'detail-type',
  'source',
  'account',
  'time',
  'region',
  'resources',
  'clientId',
  'detail',
];

const mutations = (): Record<string, unknown>[] => {
  const base = eventBridgeEnvelope() as unknown as Record<string, unknown>;
  const out: Record<string, unknown>[] = [base];
  for (const field of FIELDS) {
    for (const value of VALUES) {
      const copy: Record<string, unknown> = { ...base };
      if (value === undefined) delete copy[field];
      else copy[field] = value;
      out.push(copy);
    }
  }
  return out;
};

const all = mutations();
const accepted = all.filter((payload) => parseValid(payload) !== undefined);

describe('EventBridge fast path', () => {
  it.each(accepted.map((payload, index) => [index, payload]))(
    'returns what the zod schema returns for accepted payload %i',
    (_i, payload) => {
      const slow = eventBridgeSchema.safeParse(payload);

      expect(slow.success).toBe(true);
      const data = slow.data as NonNullable<typeof slow.data>;
      expect(parseValid(payload as Record<string, unknown>)).toEqual({
        id: data.id,
        'detail-type': data['detail-type'],
        source: data.source,
        time: data.time,
        resources: data.resources,
        clientId: data.clientId,
        detail: data.detail,
      });
    },
  );

  it('declines every payload the zod schema rejects, so zod writes the error', () => {
    const rejected = all.filter((payload) => !eventBridgeSchema.safeParse(payload).success);

    expect(rejected.length).toBeGreaterThan(50);
    expect(rejected.filter((payload) => parseValid(payload) !== undefined)).toEqual([]);
  });

  it('takes the fast path for an ordinary valid envelope', () => {
    expect(accepted.length).toBeGreaterThan(10);
    expect(parseValid(eventBridgeEnvelope() as unknown as Record<string, unknown>)).toBeDefined();
  });
});
