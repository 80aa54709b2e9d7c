import { parseClientEventEntry, toClientEventRecord } from '../../../shared/sources/client-event';
import type { ProducerRecord } from '../pipeline/local-pipeline';

export interface SampleWorkload {
  records: ProducerRecord[];
  /** What the pipeline should make of it, for the run's own check. */
  expected: { unique: number; duplicates: number; malformed: number };
}

const CLIENTS = ['acme-corp', 'globex', 'initech', 'umbrella', 'hooli'];
const EVENT_TYPES = ['searching', 'page_view', 'add_to_cart', 'checkout', 'signup'];
const HOUR_MS = 3_600_000;
const ACTION_NAMES = ['Signed Up', 'Purchased Subscription', 'Invited Teammate', 'Exported Report'];
const METER_NAMES = ['api_requests', 'storage_gb_hours', 'compute_seconds'];
const REGIONS = ['us-east-1', 'eu-west-1', 'ap-southeast-2'];
const TIERS = ['free', 'pro', 'enterprise'];
// One client event in 30 is a loyalty purchase: routes.yml's shipped route sends each to the local
// receiver (rate-limited to 10/s, so a few dozen per 5,000 events).
const CLIENT_EVENT_TYPES = [
  ...Array.from({ length: 29 }, (_, i) => ['searching', 'page_view', 'add_to_cart'][i % 3] as string),
  'loyaltypurchase',
];

// Small deterministic PRNG (mulberry32): the same seed gives the same workload.
export const prng = (seed: number) => () => {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
};

interface Generator {
  pick: <T>(items: T[]) => T;
  uuid: () => string;
}

const MALFORMED: ((now: number, gen: Generator) => { partitionKey: string; text: string })[] = [
  () => ({ partitionKey: 'broken', text: '{"version":"0","id":"truncated' }),
  () => ({ partitionKey: 'unknown', text: JSON.stringify({ hello: 'world', note: 'matches no source' }) }),
  (now, { uuid }) => ({
    partitionKey: 'no-client',
    text: JSON.stringify({ ...envelope(uuid(), 'x', 'searching', now), resources: [] }),
  }),
  (now, { pick, uuid }) => ({
    partitionKey: 'stale',
    text: JSON.stringify(envelope(uuid(), pick(CLIENTS), 'searching', now - 30 * 24 * HOUR_MS)),
  }),
  (now, { pick, uuid }) => ({
    partitionKey: 'bad-time',
    text: JSON.stringify({ ...envelope(uuid(), pick(CLIENTS), 'searching', now), time: 'last tuesday' }),
  }),
  (now, { pick, uuid }) => ({
    partitionKey: 'bad-transaction',
    text: JSON.stringify({
      ...productAction(uuid(), pick(CLIENTS), pick(ACTION_NAMES), now),
      transaction_id: 'txn-42',
    }),
  }),
  (now, { pick }) => ({
    partitionKey: 'bad-meter-value',
    text: JSON.stringify({ ...usageMeter(pick(CLIENTS), pick(METER_NAMES), now, 1, pick), meterValue: '3' }),
  }),
];

function productAction(transactionId: string, companyId: string, actionName: string, timeMillis: number) {
  return {
    action_name: actionName,
    company_id: companyId,
    user_id: `user-${timeMillis % 997}`,
    transaction_id: transactionId,
    request: {
      time: new Date(timeMillis).toISOString(),
      uri: `https://app.${companyId}.example/${actionName.toLowerCase().replace(/ /g, '-')}`,
      ip_address: `203.0.113.${timeMillis % 254}`,
      user_agent_string: 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/124.0 Safari/537.36',
    },
    metadata:
      actionName === 'Purchased Subscription'
        ? { amount: Math.round(timeMillis % 20_000) / 100, currency: 'USD', time_seconds: timeMillis % 60 }
        : { time_seconds: timeMillis % 60 },
  };
}

function usageMeter(
  customerId: string,
  meterApiName: string,
  timeMillis: number,
  meterValue: number,
  pick: Generator['pick'],
  uniqueId?: string,
) {
  return {
    customerId,
    meterApiName,
    meterValue,
    meterTimeInMillis: timeMillis,
    ...(uniqueId === undefined ? {} : { uniqueId }),
    dimensions: { region: pick(REGIONS), tier: pick(TIERS) },
  };
}

/** The same object with its keys (and its dimensions' keys) in reverse order: the same usage, other bytes. */
const reversedKeys = (value: Record<string, unknown>): Record<string, unknown> =>
  Object.fromEntries(
    Object.entries(value)
      .reverse()
      .map(([key, inner]) =>
        inner !== null && typeof inner === 'object' && !Array.isArray(inner)
          ? [key, reversedKeys(inner as Record<string, unknown>)]
          : [key, inner],
      ),
  );

function envelope(id: string, clientId: string, eventType: string, timeMillis: number) {
  return {
    version: '0',
    id,
    'detail-type': eventType === 'checkout' ? 'Processed Payment Transaction' : 'Client Event',
    source: 'com.example.client-events',
    account: '123456789012',
    time: new Date(timeMillis).toISOString().replace('.000Z', 'Z'),
    region: 'us-east-1',
    resources: [clientId],
    detail: {
      eventType,
      schemaVersion: '1',
      data:
        eventType === 'checkout'
          ? { transactionId: id, amount: Math.round(timeMillis % 10_000) / 100, currency: 'USD' }
          : { page: `/products/${timeMillis % 97}`, sessionId: `s-${timeMillis % 1_009}` },
    },
  };
}

/**
 * The built-in workload of `npm start`: valid events across several clients, event types,
 * hours and sources (of the valid records about 60% EventBridge envelopes, 15% product
 * actions, 15% usage meters, 10% client-event records as the HTTP API writes them), plus
 * exact re-sends (duplicates), re-sent product actions (same transaction_id), identical
 * usage meters without uniqueId (same hash id, keys in another order) and malformed records
 * of every kind the consumer quarantines. About 5% duplicates and 2% malformed.
 */
export const sampleWorkload = (options: { events?: number; seed?: number; now?: number } = {}): SampleWorkload => {
  const total = options.events ?? 5_000;
  const now = options.now ?? Date.now();
  const random = prng(options.seed ?? 42);
  const pick = <T>(items: T[]): T => items[Math.floor(random() * items.length)] as T;
  const hex = (length: number) => Array.from({ length }, () => Math.floor(random() * 16).toString(16)).join('');
  const uuid = () => `${hex(8)}-${hex(4)}-4${hex(3)}-a${hex(3)}-${hex(12)}`;
  const gen: Generator = { pick, uuid };
  const records: ProducerRecord[] = [];
  const sent: ProducerRecord[] = [];
  const actions: ReturnType<typeof productAction>[] = [];
  const meters: ReturnType<typeof usageMeter>[] = [];
  const push = (partitionKey: string, payload: unknown) => {
    const record = { partitionKey, data: Buffer.from(JSON.stringify(payload)) };
    records.push(record);
    return record;
  };
  let duplicates = 0;
  let malformed = 0;

  for (let i = 0; i < total; i++) {
    const roll = random();
    if (roll < 0.02) {
      const { partitionKey, text } = pick(MALFORMED)(now, gen);
      records.push({ partitionKey, data: Buffer.from(text) });
      malformed++;
    } else if (roll < 0.06 && sent.length > 0) {
      records.push(pick(sent));
      duplicates++;
    } else {
      const source = random();
      const clientId = pick(CLIENTS);
      const time = now - Math.floor(random() * 3 * HOUR_MS);
      if (source < 0.15) {
        // Product action; one in ten is a backend retrying an action it already sent.
        const previous = random() < 0.1 ? actions[Math.floor(random() * actions.length)] : undefined;
        if (previous !== undefined) {
          push(previous.company_id, reversedKeys(previous));
          duplicates++;
        } else {
          const action = productAction(uuid(), clientId, pick(ACTION_NAMES), time);
          actions.push(action);
          sent.push(push(clientId, action));
        }
      } else if (source < 0.3) {
        // Usage meter, half with a uniqueId; one in ten repeats a meter without one (same hash id).
        const previous = random() < 0.1 ? meters[Math.floor(random() * meters.length)] : undefined;
        if (previous !== undefined) {
          push(previous.customerId, reversedKeys(previous));
          duplicates++;
        } else {
          const value = Math.floor(random() * 500) + 1;
          const meter = usageMeter(clientId, pick(METER_NAMES), time, value, pick, random() < 0.5 ? uuid() : undefined);
          if (meter.uniqueId === undefined) meters.push(meter);
          sent.push(push(clientId, meter));
        }
      } else if (source < 0.4) {
        // A client-event entry as the HTTP API writes it; some entries carry their own time.
        const eventType = pick(CLIENT_EVENT_TYPES);
        const data = { searchTerm: pick(['games', 'shoes', 'laptops']), page: `/products/${time % 97}` };
        const entryText = JSON.stringify({
          eventType,
          schemaVersion: 1,
          data,
          ...(random() < 0.3 ? { time: new Date(time - 5_000).toISOString() } : {}),
        });
        const record = toClientEventRecord(parseClientEventEntry(entryText), clientId, uuid(), new Date(time));
        sent.push(push(clientId, record));
      } else {
        sent.push(push(clientId, envelope(uuid(), clientId, pick(EVENT_TYPES), time)));
      }
    }
  }
  return { records, expected: { unique: sent.length, duplicates, malformed } };
};
