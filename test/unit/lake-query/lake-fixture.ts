import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { errorRecordLine, PROCESSING_FAILED_STATUS } from '../../../infra/local/firehose/error-records';
import { createRandom, LakeWriter, sampleProducerRecord } from '../../../infra/local/query/lake-writer';
import type { ReasonCode } from '../../../shared/errors';
import { type LakeLayout, loadLakeLayout } from '../../../shared/lake-layout';
import { quarantineBody, quarantineKey } from '../../../shared/quarantine/quarantine';

/** A lake on disk written through the real transformer, plus quarantine and error objects in their real formats. */
export interface Fixture {
  dir: string;
  layout: LakeLayout;
  /** What went into the lake, as the transformer wrote it (one parsed line each). */
  events: LakeLine[];
}

export interface LakeLine {
  id: string;
  source: string;
  time: string;
  idScope: string;
  detail: Record<string, unknown> & { clientId: string };
}

export const layoutOf = (prefix?: string): LakeLayout =>
  loadLakeLayout({
    LAKE_EVENT_TYPES: 'api_call,page_view,searching,api_requests,storage_gb_hours',
    ...(prefix !== undefined && { LAKE_PREFIX: prefix }),
  });

/** `count` sample records over the last `days` days (event times in the lateness window). */
export const writeFixture = (
  count: number,
  options: { prefix?: string; days?: number; seed?: number } = {},
): Fixture => {
  const dir = mkdtempSync(join(tmpdir(), 'lake-fixture-'));
  const layout = layoutOf(options.prefix);
  const writer = new LakeWriter(dir, { ...layout, environment: 'test' }, 7);
  const random = createRandom(options.seed ?? 7);
  const now = Date.now();
  const span = (options.days ?? 3) * 86_400_000;
  for (let index = 0; index < count; index++) {
    const time = new Date(now - Math.floor(random() * span) - 60_000);
    writer.add(sampleProducerRecord(index, time, random), now);
  }
  writer.flush();
  return { dir, layout, events: readBack(dir) };
};

/** Every line of the lake's objects: the writer keeps no copy of what it wrote. */
export const readBack = (dir: string): LakeLine[] =>
  readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.gz'))
    .flatMap((entry) =>
      gunzipSync(readFileSync(join(entry.parentPath, entry.name)))
        .toString('utf8')
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as LakeLine),
    );

/** Quarantine objects as the consumer writes them (key and body), one per reason listed. */
export const writeQuarantine = (dir: string, reasons: readonly ReasonCode[]): void => {
  reasons.forEach((reason, index) => {
    const entry = {
      reason,
      message: `test ${reason}`,
      origin: {
        shardId: 'shardId-000000000000',
        partitionKey: 'pk',
        sequenceNumber: String(1000 + index),
        approximateArrivalTimestamp: new Date().toISOString(),
      },
      data: Buffer.from(`{"bad":${index}}`),
    };
    const file = join(dir, quarantineKey('quarantine/', entry));
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, quarantineBody(entry, new Date().toISOString()));
  });
};

/** One GZIP error object of `records` lines, as the local Firehose writes a processing-failed output. */
export const writeErrorObject = (dir: string, type: string, records: number): void => {
  const now = Date.now();
  const lines = Array.from({ length: records }, (_, index) =>
    errorRecordLine({
      attemptsMade: 1,
      arrivalTimestamp: now,
      failure: PROCESSING_FAILED_STATUS,
      attemptEndingTimestamp: now,
      rawData: Buffer.from(`{"n":${index}}`),
      lambdaArn: 'arn:aws:lambda:us-east-1:000000000000:function:transformer',
    }),
  );
  const file = join(dir, `errors/${type}/year=2026/month=01/day=02/hour=03/delivery-1-${type}-${records}.gz`);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, gzipSync(Buffer.concat(lines)));
};
