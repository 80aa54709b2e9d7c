import { gunzipSync } from 'node:zlib';
import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import type {
  LakeCheck,
  LocalPipeline,
  LocalPipelineOptions,
  RunSummary,
} from '../../infra/local/pipeline/local-pipeline';
import type { PipelineDefinition } from '../../infra/local/pipeline/serverless-config';
import { createKinesisClient } from '../../shared/aws/kinesis-client';
import { createS3Client } from '../../shared/aws/s3-client';
import { redriveQuarantine } from '../../shared/redrive';
import { eventBridgeEnvelope } from '../helpers/factories';
import { sharedStack } from '../helpers/shared-stack';

// A backfill that the 7-day window quarantined, re-driven once the window is widened to 35 days.
//
// - The consumer and the transformer read MAX_EVENT_AGE_SECONDS once, in the Init phase, when the
//   function's static code runs (https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtime-environment.html):
//   widening the window takes a new execution environment. Here that is a second LocalPipeline in
//   a fresh module registry (jest.isolateModulesAsync), on the same servers.
// - The re-drive puts each record back with its original bytes and partition key; Kinesis stamps
//   a new ApproximateArrivalTimestamp ("the approximate time that the record was inserted into the
//   stream", https://docs.aws.amazon.com/kinesis/latest/APIReference/API_Record.html), and the
//   window is judged against that arrival, so the wide pipeline accepts events 10–20 days old.
// - Both functions' windows are widened, as serverless.yml does (custom.lake.maxEventAgeSeconds).
//   Locally only the consumer's is really pinned: LocalPipeline merges the two environments into
//   one process.env, the consumer's last, so the transformer runs with the consumer's value.

const DAY_MS = 86_400_000;
const WIDE_WINDOW_SECONDS = '3024000'; // 35 days
const REASON = 'EVENT_TIME_OUT_OF_RANGE';
const CLIENT = 'it-quarantine-redrive';

const envelope = (id: string, ageMs: number) =>
  eventBridgeEnvelope({
    id,
    resources: [CLIENT],
    time: new Date(Date.now() - ageMs).toISOString(),
    detail: { eventType: id.length % 2 === 0 ? 'searching' : 'page_view', n: id },
  });
const record = (payload: unknown) => ({ partitionKey: CLIENT, data: Buffer.from(JSON.stringify(payload)) });

/** 40 events 10 to 20 days old (outside the default 7 days, inside 35), 10 from the last minutes. */
const OLD = Array.from({ length: 40 }, (_, i) =>
  envelope(`qr-old-${i}`, 10 * DAY_MS + Math.round((i / 39) * 10 * DAY_MS) - i * 60_000),
);
const FRESH = Array.from({ length: 10 }, (_, i) => envelope(`qr-fresh-${i}`, (i + 1) * 60_000));
const ids = (events: readonly { id: string }[]) => events.map(({ id }) => id).sort();

/**
 * Starts a LocalPipeline in a module registry of its own, so its handlers cold-start with this
 * definition (LocalPipeline allows one pipeline per registry), runs `body`, and stops it.
 */
const withColdPipeline = async <T>(
  options: LocalPipelineOptions,
  body: (pipeline: LocalPipeline) => Promise<T>,
): Promise<T> => {
  let outcome: { value: T } | undefined;
  await jest.isolateModulesAsync(async () => {
    const { LocalPipeline: Fresh } = await import('../../infra/local/pipeline/local-pipeline');
    const pipeline = await Fresh.start(options);
    try {
      outcome = { value: await body(pipeline) };
    } finally {
      await pipeline.stop();
    }
  });
  if (outcome === undefined) throw new Error('the pipeline body did not run');
  return outcome.value;
};

interface Observed {
  bucket: string;
  summary: RunSummary;
  lake: LakeCheck;
  lakeIds: string[];
}

const observe = async (pipeline: LocalPipeline): Promise<Observed> => {
  const lake = await pipeline.verifyLake();
  const lakeIds: string[] = [];
  for (const key of await pipeline.listKeys('events/')) {
    for (const line of gunzipSync(await pipeline.getObject(key))
      .toString('utf8')
      .split('\n')
      .filter(Boolean)) {
      lakeIds.push((JSON.parse(line) as { id: string }).id);
    }
  }
  return { bucket: pipeline.names.bucket, summary: await pipeline.summary(lake), lake, lakeIds: lakeIds.sort() };
};

const listKeys = async (s3: S3Client, bucket: string, prefix: string): Promise<string[]> => {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
    for (const object of page.Contents ?? []) if (object.Key) keys.push(object.Key);
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return keys.sort();
};

/** The event ids inside quarantine objects (their raw record bytes, `dataBase64`). */
const quarantinedIds = async (pipeline: LocalPipeline, prefix: string): Promise<string[]> => {
  const found: string[] = [];
  for (const key of await pipeline.listKeys(prefix)) {
    const body = JSON.parse((await pipeline.getObject(key)).toString('utf8')) as { reason: string; dataBase64: string };
    expect(body.reason).toBe(REASON);
    found.push((JSON.parse(Buffer.from(body.dataBase64, 'base64').toString('utf8')) as { id: string }).id);
  }
  return found.sort();
};

describe('EVENT_TIME_OUT_OF_RANGE quarantine', () => {
  it('a quarantine re-drive after widening the window', async () => {
    const { endpoints, definition } = sharedStack();
    const savedMaxAge = process.env.MAX_EVENT_AGE_SECONDS;

    // Prepare: the narrow pipeline (serverless.yml's default 7-day window) takes the backfill.
    expect(definition.consumer.environment.MAX_EVENT_AGE_SECONDS).toBe('604800');
    expect(definition.transformer.environment.MAX_EVENT_AGE_SECONDS).toBe('604800');
    const narrow = await withColdPipeline({ endpoints, definition, suffix: '-qr-narrow' }, async (pipeline) => {
      await pipeline.put([...OLD, ...FRESH].map(record));
      await pipeline.drain();
      return {
        ...(await observe(pipeline)),
        quarantined: await quarantinedIds(pipeline, `quarantine/${REASON}/`),
        quarantineKeys: (await pipeline.listKeys(`quarantine/${REASON}/`)).sort(),
      };
    });

    // Assess (the narrow run): old events quarantined with their reason and raw bytes, fresh ones delivered.
    expect(narrow.summary).toMatchObject({
      in: 50,
      delivered: 10,
      duplicates: 0,
      quarantined: 40,
      quarantineReasons: { [REASON]: 40 },
      errors: {},
      discarded: 0,
    });
    expect(narrow.quarantined).toEqual(ids(OLD));
    expect(narrow.quarantineKeys).toHaveLength(40);
    expect(narrow.lakeIds).toEqual(ids(FRESH));
    expect(narrow.lake).toMatchObject({ misplacedEvents: [], duplicateEvents: [] });

    // Prepare: a wide (35-day) definition, as `MAX_EVENT_AGE_SECONDS=3024000` gives serverless.yml.
    const wideDefinition: PipelineDefinition = structuredClone(definition);
    wideDefinition.consumer.environment.MAX_EVENT_AGE_SECONDS = WIDE_WINDOW_SECONDS;
    wideDefinition.transformer.environment.MAX_EVENT_AGE_SECONDS = WIDE_WINDOW_SECONDS;
    process.env.MAX_EVENT_AGE_SECONDS = WIDE_WINDOW_SECONDS;
    try {
      // Act: the wide pipeline cold-starts; the narrow bucket's quarantine is re-driven into its stream, twice.
      const wide = await withColdPipeline(
        { endpoints, definition: wideDefinition, suffix: '-qr-wide' },
        async (pipeline) => {
          const s3 = createS3Client(pipeline.env);
          const kinesis = createKinesisClient(pipeline.env);
          const redrive = () =>
            redriveQuarantine(
              { s3, kinesis },
              { bucket: narrow.bucket, streamName: pipeline.names.stream, reason: REASON },
            );
          try {
            const first = await redrive();
            await pipeline.drain();
            const observed = await observe(pipeline);
            const left = await listKeys(s3, narrow.bucket, `quarantine/${REASON}/`);
            const moved = await listKeys(s3, narrow.bucket, `redriven/quarantine/${REASON}/`);
            const second = await redrive();
            return { ...observed, first, second, left, moved };
          } finally {
            kinesis.destroy();
            s3.destroy();
          }
        },
      );

      // Assess: the re-drive counts the 40 records; the wide lake holds each of them once, in place.
      expect(wide.first).toMatchObject({
        found: 40,
        objects: 40,
        records: 40,
        byType: { [REASON]: 40 },
        skipped: [],
        interrupted: false,
      });
      expect(wide.lakeIds).toEqual(ids(OLD));
      expect(wide.lake).toMatchObject({ events: 40, misplacedEvents: [], duplicateEvents: [], errors: {} });
      expect(wide.summary).toMatchObject({
        in: 40,
        delivered: 40,
        quarantined: 0,
        duplicates: 0,
        errors: {},
        discarded: 0,
      });
      // The narrow bucket's quarantine moved to redriven/, key for key; a second re-drive finds nothing.
      expect(wide.left).toEqual([]);
      expect(wide.moved).toEqual(narrow.quarantineKeys.map((key) => `redriven/${key}`));
      expect(wide.second).toMatchObject({ found: 0, objects: 0, records: 0 });
    } finally {
      if (savedMaxAge === undefined) delete process.env.MAX_EVENT_AGE_SECONDS;
      else process.env.MAX_EVENT_AGE_SECONDS = savedMaxAge;
    }
  });
});
