import type { RssResult } from './consumer-rss-bench';
import type { E2eFigures } from './e2e-bench';
import { BARE_DEDUP_CONCURRENCY, BARE_DEDUP_ITEMS_PER_CALL, BARE_POLL_MS, BARE_WRITE_CONCURRENCY } from './e2e-bench';
import type { LayoutBoundResult } from './partition-bound-bench';
import type { CpuSnapshot } from './process-cpu';
import { indent, int, ms, table } from './report';
import type { S3DropRssResult } from './s3-drop-rss-bench';

const seconds = (value: number): string => `${(value / 1000).toFixed(1)} s`;
const perSecond = (records: number, wallMs: number): string => int(Math.round(records / (wallMs / 1000)));
const mb = (bytes: number): string => `${(bytes / (1024 * 1024)).toFixed(1)} MB`;

const CPU_ORDER = ['bench process', 'kinesalite', 'dynalite', 's3rver'];

const cpuTable = (bare: CpuSnapshot, bareDedup: CpuSnapshot, pipeline: CpuSnapshot): string => {
  const sides = [bare, bareDedup, pipeline];
  const names = [...new Set([...CPU_ORDER, ...sides.flatMap((side) => Object.keys(side))])].filter((name) =>
    sides.some((side) => side[name] !== undefined),
  );
  const cell = (value: number | undefined): string => (value === undefined ? '—' : seconds(value));
  const total = (snapshot: CpuSnapshot): number => Object.values(snapshot).reduce((sum, value) => sum + value, 0);
  return table(
    ['CPU (user+system)', 'bare', 'bare + dedup write', 'pipeline'],
    [
      ...names.map((name) => [name, ...sides.map((side) => cell(side[name]))]),
      ['total', ...sides.map((side) => seconds(total(side)))],
    ],
  );
};

/** The detail block of the end-to-end measurement (4), and of the extra-shards run (4x) when there is one. */
export const printE2eDetails = (label: string, e2e: E2eFigures, extra?: E2eFigures): void => {
  const { bare, bareDedup, pipeline } = e2e;
  const { stages } = pipeline;
  console.log(
    `\n${label}. End to end on the local stack: ${int(e2e.events)} unique, valid raw EventBridge envelopes, mean ` +
      `${e2e.meanRecordBytes.toFixed(0)} B (6 clients × 12 event types, event times over the last 3 days: ${e2e.partitions} lake ` +
      `partitions), partition key = clientId, ${e2e.shardCount} shard${e2e.shardCount === 1 ? '' : 's'} on both sides ` +
      `(serverless.yml); one set of kinesalite, dynalite and s3rver child processes for both; ${int(e2e.warmupEvents)}-event ` +
      'warm-up of each side first, then bare, then pipeline, one run each.',
  );
  console.log(indent(runTable(e2e)));
  console.log(
    indent(
      `bare: the same ${int(e2e.events)} records, PutRecords of ≤ 500 in order (as LocalPipeline.put) while one reader per shard ` +
        `reads them back (GetShardIterator TRIM_HORIZON, GetRecords Limit 10,000, ${BARE_POLL_MS} ms wait when caught up),\n` +
        `then written to S3 as ${int(bare.objects)} gzip objects of consecutive records joined by "\\n" (as many objects as the ` +
        `pipeline's partitions), ${BARE_WRITE_CONCURRENCY} PutObject in flight (the local Firehose's default); ${mb(bare.storedBytes)} stored.`,
    ),
  );
  console.log(
    indent(
      "bare + dedup write (the target's baseline): the same, plus, between the read and the S3 write, the one DynamoDB write per " +
        `event that deduplication cannot skip: (clientId, eventId) parsed from each record read back, put with the store's ` +
        `attributes into a dynalite table of serverless.yml's key schema, BatchWriteItem of ${BARE_DEDUP_ITEMS_PER_CALL} items, ` +
        `${BARE_DEDUP_CONCURRENCY} calls in flight (as DynamoDbIdempotencyStore.recordDelivered); ${int(bareDedup.dedupItems ?? 0)} items ` +
        `written in ${seconds((bareDedup.dedupMs ?? bareDedup.readMs) - bareDedup.readMs)}. No read (BatchGetItem) and no Firehose: ` +
        'what the pipeline does beyond this is its overhead.',
    ),
  );
  console.log(
    indent(
      `pipeline: LocalPipeline.put, then drain() (event source caught up, local Firehose flushed to S3): ${int(pipeline.delivered)} ` +
        `delivered, ${pipeline.duplicates} duplicates, ${pipeline.quarantined} quarantined, ${pipeline.discarded} discarded, ` +
        `${pipeline.retriedRecords} retried; ${int(pipeline.objects)} objects under events/.`,
    ),
  );
  const n = Math.max(1, stages.invocations);
  const other = stages.invokeMs - stages.readMs - stages.deliverMs - stages.writeMs;
  console.log(
    indent(
      `consumer: ${stages.invocations} invocations (${int(Math.round(e2e.events / n))} records on average), ` +
        `${seconds(stages.invokeMs)} in processBatch in all, ${ms(stages.invokeMs / n)} per invocation: idempotency read ` +
        `(BatchGetItem) ${ms(stages.readMs / n)}, Firehose PutRecordBatch ${ms(stages.deliverMs / n)}, idempotency write ` +
        `(BatchWriteItem) ${ms(stages.writeMs / n)}, the rest (decode, validate, Powertools) ${ms(other / n)}.`,
    ),
  );
  console.log(indent(cpuTable(bare.cpu, bareDedup.cpu, pipeline.cpu)));
  console.log(
    indent(
      `lake (read back after the run, warm-up included): ${int(e2e.lake.events)} events of ${int(e2e.lake.expected)} in ` +
        `${int(e2e.lake.objects)} objects, ${e2e.lake.duplicates} duplicated, ${e2e.lake.misplaced} in a wrong partition.`,
    ),
  );
  console.log(
    indent(
      `local Firehose (its whole life, warm-up included): peak ${int(e2e.firehose.peakActivePartitions)} active data partitions ` +
        `(buffers open at once), ${int(e2e.firehose.partitioningFailed)} records partitioning-failed, ` +
        `${int(e2e.firehose.delivered)} records delivered in ${int(e2e.firehose.objectsWritten)} objects.`,
    ),
  );
  if (extra) {
    console.log(
      indent(
        `\nExtra, not the target: the same benchmark with ${extra.shardCount} shards on both sides (serverless.yml has 1; ` +
          'the 6 clientId keys hash 3 + 3 onto 2 shards, so both shards get work; 4 shards would give one shard half the ' +
          'records and another none), in a child process with a stack of its own:',
      ),
    );
    console.log(indent(runTable(extra)));
    const m = Math.max(1, extra.pipeline.stages.invocations);
    console.log(
      indent(
        `consumer: ${extra.pipeline.stages.invocations} invocations, ${ms(extra.pipeline.stages.invokeMs / m)} each ` +
          `(read ${ms(extra.pipeline.stages.readMs / m)}, Firehose ${ms(extra.pipeline.stages.deliverMs / m)}, write ` +
          `${ms(extra.pipeline.stages.writeMs / m)}), two at a time; lake ${extra.lakeExact ? 'exact' : 'NOT exact'} ` +
          `(${int(extra.lake.events)} events, ${extra.lake.duplicates} duplicated, ${extra.lake.misplaced} misplaced); ` +
          `peak ${int(extra.firehose.peakActivePartitions)} active Firehose partitions.`,
      ),
    );
    console.log(indent(cpuTable(extra.bare.cpu, extra.bareDedup.cpu, extra.pipeline.cpu)));
  }
};

const runTable = (e2e: E2eFigures): string =>
  table(
    ['side', 'wall', 'records/s', 'last put done', 'last read / invocation done', 'dedup write done', 'in S3 (end)'],
    [
      [
        'bare round trip (put, read back, write to S3)',
        seconds(e2e.bare.wallMs),
        perSecond(e2e.events, e2e.bare.wallMs),
        seconds(e2e.bare.putMs),
        seconds(e2e.bare.readMs),
        '—',
        seconds(e2e.bare.wallMs),
      ],
      [
        'bare + dedup write (put, read back, BatchWriteItem, write to S3)',
        seconds(e2e.bareDedup.wallMs),
        perSecond(e2e.events, e2e.bareDedup.wallMs),
        seconds(e2e.bareDedup.putMs),
        seconds(e2e.bareDedup.readMs),
        e2e.bareDedup.dedupMs === undefined ? '—' : seconds(e2e.bareDedup.dedupMs),
        seconds(e2e.bareDedup.wallMs),
      ],
      [
        'pipeline (LocalPipeline put → drain)',
        seconds(e2e.pipeline.wallMs),
        perSecond(e2e.events, e2e.pipeline.wallMs),
        seconds(e2e.pipeline.putMs),
        seconds(e2e.pipeline.lastInvocationMs),
        '',
        seconds(e2e.pipeline.wallMs),
      ],
      ['ratio pipeline / bare + dedup write (target)', `${e2e.dedupRatio.toFixed(2)}×`, '', '', '', '', ''],
      ['ratio pipeline / bare (info)', `${e2e.ratio.toFixed(2)}×`, '', '', '', '', ''],
    ],
  );

/** The detail block of the consumer RSS measurement (5). */
export const printRssDetails = (label: string, runs: readonly RssResult[]): void => {
  const first = runs[0];
  if (!first) return;
  console.log(
    `\n${label}. Consumer memory: a child process loads functions/kinesis-consumer/handler.ts (real SDK clients, ` +
      'AWS_ENDPOINT_URL_* pointing at the local stack of 4: its dynalite table, its local Firehose, its s3rver bucket; ' +
      `serverless.yml's environment) and invokes it once with ONE KinesisStreamEvent of ${int(first.records)} records ` +
      `(unique valid EventBridge envelopes, mean ${first.meanDataBytes.toFixed(0)} B; the event is ${mb(first.eventBytes)} as JSON). ` +
      'Peak = process.resourceUsage().maxRSS after the invocation (the whole life of the process); the child is forked by a ' +
      "small launcher process, since Linux starts a child's maxRSS at its parent's peak (forked straight from this " +
      "process it would report this process's RSS); VmHWM (/proc/self/status) is the same peak, read independently.",
  );
  const MB = 1024 * 1024;
  console.log(
    indent(
      table(
        [
          'child',
          'RSS at start',
          'handler loaded',
          'event built (before invoke)',
          'peak (maxRSS)',
          'VmHWM',
          'invocation',
          'outcome',
        ],
        runs.map((run) => [
          run.command,
          `${(run.rssAtStartBytes / MB).toFixed(1)} MB`,
          `${(run.rssAfterLoadBytes / MB).toFixed(1)} MB`,
          `${run.rssBeforeInvokeMB.toFixed(1)} MB`,
          `${run.maxRssMB.toFixed(1)} MB`,
          run.vmHwmKiB === undefined ? '—' : `${(run.vmHwmKiB / 1024).toFixed(1)} MB`,
          seconds(run.durationMs),
          `${int(run.outcomes.delivered ?? 0)} delivered, ${run.batchItemFailures} batchItemFailures`,
        ]),
      ),
    ),
  );
  console.log(
    indent(
      'The first line is the figure: tsx as a require hook only, as close as tsx gets to the bundled CommonJS file the Lambda\n' +
        'runs. The second starts the same child with `--import tsx`, whose ESM loader runs in a worker thread of its own (a second\n' +
        'V8 isolate, ~15–25 MB here) that no Lambda has. Lambda would not send this event as one invocation: it is over the 6 MB\n' +
        'invocation payload limit, so the event source mapping would cap a batch of these records at about 5,000.',
    ),
  );
};

/** The detail block of the partition rows (7, 7b). */
export const printLayoutDetails = (
  label: string,
  layout: LayoutBoundResult,
  e2e: E2eFigures,
  extra?: E2eFigures,
): void => {
  console.log(
    `\n${label}. Lake layout: loadLakeLayout(transformer environment of serverless.yml, stage local), prefix ${layout.prefix} ` +
      `(${layout.eventTypes} listed event types, quota ${int(layout.quota)}); partitionBound: ` +
      `${layout.bound === undefined ? 'unbounded' : int(layout.bound)} = ${layout.formula}.`,
  );
  if (layout.warning) console.log(indent(`warning: ${layout.warning}`));
  console.log(
    indent(
      `${label}b: the local Firehose of the end-to-end run (4) had at most ${int(e2e.firehose.peakActivePartitions)} data ` +
        `partitions buffered at once (its whole life, warm-up included${
          extra === undefined ? '' : `; ${int(extra.firehose.peakActivePartitions)} in the extra-shards run`
        }). The workload's events fall into ${int(e2e.partitions)} partition${e2e.partitions === 1 ? '' : 's'} of this layout ` +
        "(event times over the last 3 days, the workload's types listed), so the measured peak is below the worst " +
        'case, which assumes every listed type with events as late as the window allows.',
    ),
  );
};

/** The detail block of the S3 drop memory rows (8, 8b, 8c). */
export const printDropDetails = (label: string, drop: S3DropRssResult): void => {
  console.log(
    `\n${label}. S3 drop memory: ${drop.command} (the helper test/integration/s3-drop.test.ts runs), the real s3Drop handler ` +
      `in a fresh process; one warm-up object, then two NDJSON files (~4 KB per meter), one after the other, written to a stream ` +
      `no consumer reads; RSS sampled every 10 ms, growth relative to the RSS after the warm-up (${drop.baselineMb.toFixed(1)} MB).`,
  );
  console.log(
    indent(
      table(
        ['file', 'size', 'records', 'sent / rejected / refused', 'time', 'RSS growth (peak)', 'at peak'],
        [drop.small, drop.large].map((file) => [
          file.name,
          mb(file.bytes),
          int(file.records),
          `${int(file.sent)} / ${int(file.rejected)} / ${int(file.refused)}${file.reportKey ? ' (report)' : ''}`,
          `${file.seconds.toFixed(1)} s`,
          `+${file.rssGrowthMb.toFixed(1)} MB`,
          Object.entries(file.atPeakMb)
            .map(([name, value]) => `${name} ${value.toFixed(1)} MB`)
            .join(', '),
        ]),
      ),
    ),
  );
  console.log(
    indent(
      "Eight times the file, not eight times the memory: the large file's peak growth must stay under half its size and within " +
        `20 % of the size difference of the small one's (targets ${drop.growthTargetMb.toFixed(1)} MB and ${drop.differenceTargetMb.toFixed(1)} MB).\n` +
        'The young generation is pinned small (--max-semi-space-size=1): by default V8 grows it the longer a process allocates ' +
        '(about +20 MB whatever the input), which would blur the comparison of two file sizes.',
    ),
  );
};
