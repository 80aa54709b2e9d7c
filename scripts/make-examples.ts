/**
 * Writes the files the README's commands use (examples/):
 *
 *   examples/events.json          → curl POST /events   ({"entries":[{"entry":"<escaped JSON>"}]})
 *   examples/actions.json         → curl POST /actions  (product actions, a JSON array)
 *   examples/meters.json          → curl POST /meters   (usage meters, a JSON array)
 *   examples/meters.ndjson.gz     → npm start -- --drop (a metering vendor's gzip NDJSON)
 *   examples/vendor-export.json   → npm start -- --drop (a vendor export: a JSON array, one record rejected)
 *   examples/mixed.ndjson         → npm start -- --input (every supported shape, one re-sent, one bad)
 *   examples/backfill.ndjson      → MAX_EVENT_AGE_SECONDS=3024000 npm start -- --input (34 days of meters)
 *
 * Run: npx tsx scripts/make-examples.ts [--out DIR] [--day YYYY-MM-DD]
 *
 * Event times. The consumer quarantines an event more than MAX_EVENT_AGE_SECONDS (7 days) older
 * than its arrival in the stream, and a file sent with `npm start -- --input/--drop` or curl
 * arrives now. So every record whose shape allows it has no time of its own (product actions
 * without request.time, client-event entries without time: their time is their arrival) and
 * those files never change; meters, envelopes, profiles and API calls must carry a time, which
 * is written relative to the start of the UTC day (`--day`, default today). Running the script
 * again moves them to the current day; two runs on the same day write the same bytes.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';

export const EXAMPLES_DIR = join(__dirname, '..', 'examples');

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** One example file: its name under examples/ and its text (gzipped on disk when `gzip`). */
export interface ExampleFile {
  name: string;
  text: string;
  gzip: boolean;
}

/** Records sent by `--input` or `--drop`, with what the pipeline makes of them (for the tests). */
export interface ExampleExpectations {
  /** mixed.ndjson: lines, the one re-sent, the one quarantined (and why). */
  mixed: { records: number; duplicates: number; quarantined: Record<string, number> };
  /** vendor-export.json: records, and the one the S3 drop rejects. */
  vendorExport: { records: number; rejected: Record<string, number> };
  meters: { records: number };
  backfill: { records: number; days: number };
}

type Json = Record<string, unknown>;

const ndjson = (records: readonly unknown[]): string => records.map((record) => `${JSON.stringify(record)}\n`).join('');
const pretty = (value: unknown): string => `${JSON.stringify(value, null, 2)}\n`;

/** The start of `day`'s UTC day, in epoch milliseconds. */
export const dayStart = (day: Date): number => Date.UTC(day.getUTCFullYear(), day.getUTCMonth(), day.getUTCDate());

/** Client-event entries as an application sends them to POST /events: no time, so their time is the API's receipt. */
const clientEntries = [
  { eventType: 'searching', schemaVersion: '1', data: { query: 'usage report', results: 12 } },
  { eventType: 'page_view', schemaVersion: '1', data: { path: '/dashboard', referrer: null } },
  // The AWS client-event sample's event, with its extra key; routes.yml sends it to the ticketing route.
  {
    eventType: 'loyaltypurchase',
    schemaVersion: '1',
    data: { amount: 42, currency: 'EUR' },
    ticket: { priority: 'low' },
  },
];

/** Product actions without request.time (their time is their arrival); the second has no company_id (the API fills it in) and no transaction_id (a derived id). */
const actions: Json[] = [
  {
    action_name: 'add_to_cart',
    company_id: 'acme-corp',
    user_id: 'u-1042',
    transaction_id: 'a4b7c2d8-5e6f-4a1b-9c3d-7e8f9a0b1c2d',
    session_token: 'sess-6f1c2d9e',
    request: { uri: 'https://shop.example.com/cart', ip_address: '203.0.113.24', user_agent_string: 'Mozilla/5.0' },
    metadata: { sku: 'WIDGET-1', quantity: 2 },
  },
  { action_name: 'checkout', user_id: 'u-1042', metadata: { amount: 49.9, currency: 'EUR' } },
];

const isoAt = (millis: number): string => new Date(millis).toISOString();

/** Every example file for the UTC day of `day`; pure, so a test can compare it with what is committed. */
export const exampleFiles = (day: Date): { files: ExampleFile[]; expected: ExampleExpectations } => {
  const start = dayStart(day);
  const date = isoAt(start).slice(0, 10);
  // Times in the hours before the day starts: in the past whenever on that day the file is used.
  const before = (minutes: number): number => start - minutes * MINUTE;

  const meter = (customerId: string, meterApiName: string, meterValue: number, minutes: number, extra: Json = {}) => ({
    customerId,
    meterApiName,
    meterValue,
    meterTimeInMillis: before(minutes),
    ...extra,
  });

  const droppedMeters = [
    meter('acme-corp', 'api_requests', 1250, 60, {
      uniqueId: `acme-corp-api_requests-${date}`,
      dimensions: { region: 'eu-west-1' },
    }),
    meter('acme-corp', 'storage_gb_hours', 36.5, 60, { uniqueId: `acme-corp-storage_gb_hours-${date}` }),
    meter('globex', 'api_requests', 310, 60, {
      uniqueId: `globex-api_requests-${date}`,
      dimensions: { region: 'us-east-1' },
    }),
    meter('globex', 'storage_gb_hours', 12, 60, { uniqueId: `globex-storage_gb_hours-${date}` }),
    meter('initech', 'api_requests', 88, 60, { uniqueId: `initech-api_requests-${date}` }),
    meter('initech', 'compute_seconds', 5400, 60, { uniqueId: `initech-compute_seconds-${date}` }),
  ];

  const vendorExport = [
    meter('acme-corp', 'compute_seconds', 3600, 120, { dimensions: { instance: 'm7g.large' } }),
    meter('acme-corp', 'compute_seconds', 1800, 60, { dimensions: { instance: 'm7g.large' } }),
    meter('globex', 'compute_seconds', 7200, 120, { dimensions: { instance: 'c7g.xlarge' } }),
    // A vendor bug the S3 drop reports (INVALID_METER_VALUE: a string, not a number) instead of sending it.
    meter('globex', 'compute_seconds', 3, 60, { meterValue: '3' }),
    meter('initech', 'compute_seconds', 900, 30),
  ];

  // POST /meters for the token's client: customerId may be left out (the API fills it in).
  const apiMeters = [
    meter('acme-corp', 'api_requests', 17, 10, { uniqueId: `acme-corp-api_requests-${date}-http` }),
    { meterApiName: 'storage_gb_hours', meterValue: 2.5, meterTimeInMillis: before(10) },
  ];

  const envelope = (id: string, clientId: string, minutes: number, path: string) => ({
    version: '0',
    id,
    'detail-type': 'Page Viewed',
    source: 'com.example.storefront',
    account: '123456789012',
    time: isoAt(before(minutes)),
    region: 'us-east-1',
    resources: [clientId],
    detail: { eventType: 'page_view', path },
  });
  const firstEnvelope = envelope('0c5e8a1f-2b3d-4c6e-8f9a-1b2c3d4e5f60', 'acme-corp', 50, '/pricing');
  const mixed: unknown[] = [
    firstEnvelope,
    envelope('1d6f9b2a-3c4e-4d7f-9a0b-2c3d4e5f6a71', 'globex', 45, '/docs'),
    // A client event as the HTTP API writes it to the stream.
    {
      kind: 'client-event',
      id: '2e7a0c3b-4d5f-4e8a-8b1c-3d4e5f6a7b82',
      clientId: 'globex',
      receivedAt: isoAt(before(40)),
      entry: { eventType: 'searching', schemaVersion: '1', data: { query: 'pricing', results: 3 } },
    },
    ...actions.map((action) => ({ company_id: 'acme-corp', ...action })),
    meter('acme-corp', 'api_requests', 40, 35),
    meter('initech', 'storage_gb_hours', 8.25, 35, { uniqueId: `initech-storage_gb_hours-${date}-mixed` }),
    // An API call and two profiles as the capture library (shared/capture) writes them.
    {
      kind: 'api-call',
      id: '3f8b1d4c-5e6a-4f9b-9c2d-4e5f6a7b8c93',
      clientId: 'acme-corp',
      apiCall: {
        request: {
          time: isoAt(before(30)),
          uri: 'https://api.example.com/widgets?color=blue',
          verb: 'GET',
          headers: { accept: 'application/json' },
          ip_address: '203.0.113.24',
        },
        response: {
          time: isoAt(before(30) + 12),
          status: 200,
          headers: { 'content-type': 'application/json' },
          body: [{ id: 'w-4' }],
          transfer_encoding: 'json',
        },
        duration_ms: 12,
        user_id: 'u-1042',
        company_id: 'acme-corp',
        direction: 'incoming',
        weight: 1,
        transaction_id: '4a9c2e5d-6f7b-4a0c-8d3e-5f6a7b8c9da4',
      },
    },
    {
      kind: 'user-profile',
      id: '5b0d3f6e-7a8c-4b1d-9e4f-6a7b8c9d0eb5',
      clientId: 'acme-corp',
      time: isoAt(before(25)),
      profile: { user_id: 'u-1042', company_id: 'acme-corp', metadata: { plan: 'pro' } },
    },
    {
      kind: 'company-profile',
      id: '6c1e4a7f-8b9d-4c2e-8f5a-7b8c9d0e1fc6',
      clientId: 'globex',
      time: isoAt(before(25)),
      profile: { company_id: 'globex', company_domain: 'globex.example.com', metadata: { seats: 40 } },
    },
    // Re-sent by its producer: one copy reaches the lake.
    firstEnvelope,
    // Quarantined (INVALID_METER_VALUE): a numeric string is not a meter value.
    meter('globex', 'api_requests', 0, 20, { meterValue: '3' }),
  ];

  // One meter a day at noon UTC, 1 to 34 days back: within a 35-day window (MAX_EVENT_AGE_SECONDS=3024000).
  const backfillDays = 34;
  const backfill = Array.from({ length: backfillDays }, (_, index) => {
    const time = start - (index + 1) * DAY + 12 * HOUR;
    return {
      customerId: 'acme-corp',
      meterApiName: 'storage_gb_hours',
      meterValue: 24 * (10 + index),
      meterTimeInMillis: time,
      uniqueId: `acme-corp-storage_gb_hours-${isoAt(time).slice(0, 10)}`,
    };
  });

  return {
    files: [
      {
        name: 'events.json',
        text: pretty({ entries: clientEntries.map((entry) => ({ entry: JSON.stringify(entry) })) }),
        gzip: false,
      },
      { name: 'actions.json', text: pretty(actions), gzip: false },
      { name: 'meters.json', text: pretty(apiMeters), gzip: false },
      { name: 'meters.ndjson.gz', text: ndjson(droppedMeters), gzip: true },
      { name: 'vendor-export.json', text: pretty(vendorExport), gzip: false },
      { name: 'mixed.ndjson', text: ndjson(mixed), gzip: false },
      { name: 'backfill.ndjson', text: ndjson(backfill), gzip: false },
    ],
    expected: {
      mixed: { records: mixed.length, duplicates: 1, quarantined: { INVALID_METER_VALUE: 1 } },
      vendorExport: { records: vendorExport.length, rejected: { INVALID_METER_VALUE: 1 } },
      meters: { records: droppedMeters.length },
      backfill: { records: backfill.length, days: backfillDays },
    },
  };
};

/** The day the committed files were written for: the drop file's first meter is an hour before it started. */
export const dayOfMetersFile = (metersNdjson: string): Date => {
  const first = JSON.parse(metersNdjson.split('\n')[0] ?? '') as { meterTimeInMillis: number };
  return new Date(first.meterTimeInMillis + HOUR);
};

/** The bytes on disk: gzip for `.gz` names (no name, mtime 0 in the header, so a rewrite of the same text is the same file). */
export const fileBytes = (file: ExampleFile): Buffer =>
  file.gzip ? gzipSync(Buffer.from(file.text, 'utf8')) : Buffer.from(file.text, 'utf8');

const USAGE = 'Usage: npx tsx scripts/make-examples.ts [--out DIR] [--day YYYY-MM-DD]';

export const main = (argv: string[]): number => {
  const { values } = parseArgs({
    args: argv,
    options: {
      out: { type: 'string' },
      day: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const day = values.day === undefined ? new Date() : new Date(`${values.day}T00:00:00Z`);
  if (Number.isNaN(day.getTime())) {
    process.stderr.write(`--day must be a date (YYYY-MM-DD), got ${values.day}\n${USAGE}\n`);
    return 2;
  }
  const out = values.out === undefined ? EXAMPLES_DIR : resolve(values.out);
  mkdirSync(out, { recursive: true });
  const { files } = exampleFiles(day);
  for (const file of files) writeFileSync(join(out, file.name), fileBytes(file));
  process.stdout.write(`Wrote ${files.length} files to ${out} (event times before ${isoAt(dayStart(day))})\n`);
  return 0;
};

if (require.main === module) {
  try {
    process.exitCode = main(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`make-examples: ${error instanceof Error ? error.message : String(error)}\n${USAGE}\n`);
    process.exitCode = 2;
  }
}
