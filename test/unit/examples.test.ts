import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gunzipSync } from 'node:zlib';
import { Logger } from '@aws-lambda-powertools/logger';
import { dayOfMetersFile, EXAMPLES_DIR, type ExampleFile, exampleFiles, fileBytes } from '../../scripts/make-examples';
import { InvalidRecordError } from '../../shared/errors';
import { assertTimeInWindow, type TimeWindow } from '../../shared/event-time';
import { HttpIngest, type PutEventsResponse } from '../../shared/ingest/http-ingest';
import { loadHttpIngestConfig } from '../../shared/ingest/http-ingest-config';
import { splitJsonRecords } from '../../shared/ingest/json-records';
import { adapt } from '../../shared/sources';
import { httpApiEvent } from '../helpers/http-api-events';

// examples/ holds the files the README's commands use; scripts/make-examples.ts writes them.
// These tests hold the committed files to the script, and every record to the real adapters,
// the S3 drop's splitter and the HTTP API.

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

const committedText = (name: string): string => {
  const bytes = readFileSync(join(EXAMPLES_DIR, name));
  return (name.endsWith('.gz') ? gunzipSync(bytes) : bytes).toString('utf8');
};

const committedDay = dayOfMetersFile(committedText('meters.ndjson.gz'));
const { files, expected } = exampleFiles(committedDay);
const fileNamed = (name: string): ExampleFile => {
  const file = files.find((candidate) => candidate.name === name);
  if (!file) throw new Error(`make-examples writes no ${name}`);
  return file;
};
const defaultWindow: TimeWindow = loadHttpIngestConfig({ STREAM_NAME: 'events' }).timeWindow;

/** What the S3 drop and the consumer make of each record of a file, arriving at `arrival`: reason codes counted. */
const outcomes = async (file: ExampleFile, arrival: number, window: TimeWindow) => {
  const rejected: Record<string, number> = {};
  const sources: Record<string, number> = {};
  let records = 0;
  for await (const record of splitJsonRecords(Readable.from([Buffer.from(file.text, 'utf8')]))) {
    records++;
    try {
      const { source, event } = adapt(JSON.parse(record.data?.toString('utf8') ?? ''), undefined, {
        receivedAt: new Date(arrival).toISOString(),
      });
      assertTimeInWindow(event.time, arrival, window);
      sources[source] = (sources[source] ?? 0) + 1;
    } catch (error) {
      if (!(error instanceof InvalidRecordError)) throw error;
      rejected[error.reason] = (rejected[error.reason] ?? 0) + 1;
    }
  }
  return { records, rejected, sources };
};

describe('examples/', () => {
  it('holds exactly what scripts/make-examples.ts writes for the day its event times are on', () => {
    for (const file of files)
      expect({ name: file.name, text: committedText(file.name) }).toEqual({ name: file.name, text: file.text });
  });

  it('is written the same way all day, and the time-less files never change', () => {
    const later = exampleFiles(new Date(committedDay.getTime() + 23 * HOUR)).files;
    const nextWeek = exampleFiles(new Date(committedDay.getTime() + 7 * DAY)).files;

    expect(later.map(fileBytes)).toEqual(files.map(fileBytes));
    const changed = nextWeek.filter((file, index) => file.text !== files[index]?.text).map((file) => file.name);
    // Only the files whose shapes need a time of their own move with the day.
    expect(changed.sort()).toEqual([
      'backfill.ndjson',
      'meters.json',
      'meters.ndjson.gz',
      'mixed.ndjson',
      'vendor-export.json',
    ]);
  });

  it.each([
    ['at the start of the day', 0],
    ['at its end', DAY - 1],
  ])('has --input and --drop records the pipeline takes when they arrive %s', async (_, offset) => {
    const arrival = committedDay.getTime() + offset;

    const mixed = await outcomes(fileNamed('mixed.ndjson'), arrival, defaultWindow);
    const drop = await outcomes(fileNamed('meters.ndjson.gz'), arrival, defaultWindow);
    const vendor = await outcomes(fileNamed('vendor-export.json'), arrival, defaultWindow);
    const backfill = await outcomes(fileNamed('backfill.ndjson'), arrival, {
      ...defaultWindow,
      maxEventAgeSeconds: 3_024_000,
    });

    expect(mixed.records).toBe(expected.mixed.records);
    expect(mixed.rejected).toEqual(expected.mixed.quarantined);
    // Every source adapter has a record in the mixed file.
    expect(Object.keys(mixed.sources).sort()).toEqual([
      'api-call',
      'client-event',
      'company-profile',
      'eventbridge',
      'product-action',
      'usage-meter',
      'user-profile',
    ]);
    expect(drop).toMatchObject({ records: expected.meters.records, rejected: {} });
    expect(vendor).toMatchObject({ records: expected.vendorExport.records, rejected: expected.vendorExport.rejected });
    expect(backfill).toMatchObject({ records: expected.backfill.records, rejected: {} });
  });

  it('has a backfill the default 7-day window does not take whole', async () => {
    const { rejected } = await outcomes(fileNamed('backfill.ndjson'), committedDay.getTime(), defaultWindow);

    // Arriving at the start of the day, the meters 0.5 to 6.5 days old are in the window, the rest out.
    expect(rejected).toEqual({ EVENT_TIME_OUT_OF_RANGE: expected.backfill.days - 7 });
  });

  it.each([
    ['POST /events', 'events.json', (body: { entries: unknown[] }) => body.entries.length],
    ['POST /actions', 'actions.json', (body: unknown[]) => body.length],
    ['POST /meters', 'meters.json', (body: unknown[]) => body.length],
  ] as const)('has a %s body the HTTP API accepts entry by entry (%s)', async (routeKey, name, count) => {
    const written: unknown[] = [];
    const api = new HttpIngest(loadHttpIngestConfig({ STREAM_NAME: 'events' }), {
      // Only the stream is stood in for: what reaches it is recorded.
      writer: {
        write: async (records) => {
          written.push(...records);
          return records.map(() => ({ ok: true, sequenceNumber: '1', shardId: 'shardId-000000000000' }));
        },
      },
      logger: new Logger({ logLevel: 'SILENT' }),
      now: () => new Date(committedDay.getTime() + 12 * HOUR),
    });
    const text = committedText(name);

    const result = await api.handle(httpApiEvent({ routeKey, body: text, clientId: 'acme-corp' }));

    const entries = count(JSON.parse(text));
    expect(result.statusCode).toBe(200);
    expect(JSON.parse(result.body ?? '') as PutEventsResponse).toMatchObject({ FailedEntryCount: 0 });
    expect(written).toHaveLength(entries);
  });
});
