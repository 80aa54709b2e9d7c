/** One record as a producer puts it into the stream. */
export interface ProducerRecord {
  partitionKey: string;
  data: Buffer;
}

export interface SampleWorkload {
  records: ProducerRecord[];
  /** What the pipeline should make of it, for the run's own check. */
  expected: { unique: number; duplicates: number; malformed: number };
}

const CLIENTS = ['acme-corp', 'globex', 'initech', 'umbrella', 'hooli'];
const EVENT_TYPES = ['searching', 'page_view', 'add_to_cart', 'checkout', 'signup'];
const HOUR_MS = 3_600_000;

// Small deterministic PRNG (mulberry32): the same seed gives the same workload.
const prng = (seed: number) => () => {
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
];

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
 * The built-in workload of `npm start`: valid client events across several clients, event
 * types and hours, plus exact re-sends (duplicates) and malformed records of every kind the
 * consumer quarantines. About 4% duplicates and 2% malformed.
 */
export const sampleWorkload = (options: { events?: number; seed?: number; now?: number } = {}): SampleWorkload => {
  const total = options.events ?? 5_000;
  const now = options.now ?? Date.now();
  const random = prng(options.seed ?? 42);
  const pick = <T>(items: T[]): T => items[Math.floor(random() * items.length)] as T;
  const hex = (length: number) =>
    Array.from({ length }, () => Math.floor(random() * 16).toString(16)).join('');
  const uuid = () => `${hex(8)}-${hex(4)}-4${hex(3)}-a${hex(3)}-${hex(12)}`;
  const gen: Generator = { pick, uuid };
  const records: ProducerRecord[] = [];
  const sent: ProducerRecord[] = [];
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
      const clientId = pick(CLIENTS);
      const time = now - Math.floor(random() * 3 * HOUR_MS);
      const record = { partitionKey: clientId, data: Buffer.from(JSON.stringify(envelope(uuid(), clientId, pick(EVENT_TYPES), time))) };
      records.push(record);
      sent.push(record);
    }
  }
  return { records, expected: { unique: sent.length, duplicates, malformed } };
};
