import { partitionBound, prefixRoot } from '../../../shared/lake-layout';
import { localBuffering } from '../pipeline/local-overrides';
import type { DropRun, LakeCheck, LocalPipeline, RunSummary, SourceCounts } from '../pipeline/local-pipeline';
import { redriveWaveSeconds } from '../pipeline/serverless-config';
import { problemReason, type ServerProblem } from '../runtime/server-watch';

/**
 * What `npm start` prints: the run's summary (every record in one place, the lake read back,
 * what to do about what is not in it), the layout line before the run, and the endpoints of a
 * stack kept running.
 */

const countsText = (counts: Record<string, number>) => {
  const text = Object.entries(counts)
    .map(([name, count]) => `${name} ${count}`)
    .join(', ');
  return text ? ` (${text})` : '';
};

const dropLines = (drops: readonly DropRun[]) =>
  drops.length === 0
    ? []
    : [
        '  S3 drops',
        ...drops.flatMap(({ key, result }) => [
          `    ${key}: ${result.records} read, ${result.sent} sent, ${result.rejected} rejected${countsText(result.rejectionReasons)}` +
            `${result.refused ? `, ${result.refused} refused${countsText(result.refusalCodes)}` : ''}` +
            `${result.fileError ? `; stopped: ${result.fileError.code}` : ''}`,
          `      ${result.reportKey ? `report ${result.reportKey}` : 'no report: every record accepted'}`,
        ]),
      ];

const sum = (counts: Record<string, number>) => Object.values(counts).reduce((total, count) => total + count, 0);

/** in = delivered + duplicates + quarantined + Σ errors (+ discarded): every record in exactly one place. */
const settled = (summary: RunSummary): number =>
  summary.delivered +
  summary.duplicates +
  summary.quarantined +
  sum(summary.errors) +
  summary.discarded +
  summary.lost +
  summary.notInLake;

/**
 * Every record counted once: in = delivered + duplicates + quarantined + errors + discarded. In a
 * run a server failure stopped, what was put or read and reached no place is `notProcessed`:
 * max(put, in) = the same sum + notProcessed, and nothing counted twice.
 */
export const isReconciled = (summary: RunSummary, notProcessedCount?: number): boolean =>
  notProcessedCount === undefined
    ? summary.in === settled(summary)
    : Math.max(summary.produced, summary.in) === settled(summary) + notProcessedCount;

/** Exit 0 only when every record is accounted for and every delivered event is in the lake, once, where it belongs. */
export const isHealthy = (summary: RunSummary, lake: LakeCheck | undefined): boolean =>
  lake !== undefined &&
  isReconciled(summary) &&
  summary.lost === 0 &&
  summary.notInLake === 0 &&
  summary.unrouted === 0 &&
  // Every matched event delivered: a dead letter is accounted for, but needs someone.
  Object.values(summary.routes).every((route) => route.matched === route.delivered && route.deadLettered === 0) &&
  sum(lake.errors) === 0 &&
  lake.duplicateEvents.length === 0 &&
  lake.misplacedEvents.length === 0 &&
  lake.events === summary.delivered;

const sourceLine = (source: string, counts: SourceCounts) =>
  `    ${source.padEnd(14)} in ${counts.in}, delivered ${counts.delivered}, duplicates ${counts.duplicates}, quarantined ${counts.quarantined}` +
  (sum(counts.errors) > 0 ? `, errors ${sum(counts.errors)}${countsText(counts.errors)}` : '') +
  (counts.notInLake > 0 ? `, not in the lake ${counts.notInLake}` : '');

/** The re-drive's pacing flags when this stack runs with a quota or buffering other than serverless.yml's. */
const redriveFlags = (pipeline: LocalPipeline): string => {
  const quota = pipeline.firehoseStats().maxActivePartitions;
  const buffering = localBuffering(pipeline.definition.firehose, process.env);
  return (
    (quota < pipeline.layout.maxActivePartitions ? ` --max-partitions ${quota}` : '') +
    (buffering !== pipeline.definition.firehose ? ` --wave-seconds ${redriveWaveSeconds(buffering)}` : '')
  );
};

/** Where the records that are not in the lake are, and the command that brings them back. */
const recoveryLines = (
  pipeline: LocalPipeline,
  summary: RunSummary,
  lake: LakeCheck | undefined,
  keepRunning: boolean,
) => {
  const bucket = pipeline.names.bucket;
  const lines: string[] = [];
  const stackNote = keepRunning
    ? 'against this stack'
    : 'against a stack kept up with --keep-running (this one stops when the run ends)';
  if (lake && sum(lake.errors) > 0) {
    lines.push(
      `  ! ${sum(lake.errors)} records are in Firehose error outputs, not in the lake: s3://${bucket}/${lake.errorRoot}<type>/…`,
      `    re-drive them into the delivery stream ${stackNote}: npm run redrive -- errors --stage ${pipeline.definition.stage}${redriveFlags(pipeline)}`,
    );
    if (lake.errors['partitioning-failed']) {
      lines.push(
        `    partitioning-failed: more partitions at once than the quota (${pipeline.firehoseStats().peakActivePartitions} active at the peak); ` +
          'see "Lake layout" in the README for the bound',
      );
    }
  }
  const outOfRange = summary.quarantineReasons.EVENT_TIME_OUT_OF_RANGE ?? 0;
  if (outOfRange > 0) {
    const { window } = pipeline.layout;
    lines.push(
      `  ! ${outOfRange} records are outside the lateness window (MAX_EVENT_AGE_SECONDS=${window.maxEventAgeSeconds}, ` +
        `MAX_FUTURE_SKEW_SECONDS=${window.maxFutureSkewSeconds}; serverless.yml custom.lake): s3://${bucket}/quarantine/EVENT_TIME_OUT_OF_RANGE/`,
      '    to keep them, widen the window (e.g. MAX_EVENT_AGE_SECONDS=3024000 for 35 days; the consumer reads it at cold start,',
      '    so deploy it, or locally run again with it set), then re-drive them into the stream:',
      `    npm run redrive -- quarantine --reason EVENT_TIME_OUT_OF_RANGE --stage ${pipeline.definition.stage}`,
    );
  }
  return lines;
};

/** Where the local Firehose's undelivered records are: still being written, or given up on. */
const firehoseHolding = (pipeline: LocalPipeline): string => {
  const stats = pipeline.firehoseStats();
  const parts = [
    ...(stats.writing + stats.buffered > 0 ? [`${stats.writing + stats.buffered} still in the local Firehose`] : []),
    ...(stats.discardedRecords > 0
      ? [`${stats.discardedRecords} discarded after ${stats.s3Retries} failed S3 write retries`]
      : []),
  ];
  return parts.length > 0 ? parts.join(', ') : 'see the [firehose] lines above';
};

/** A run a server failure ended (the summary's extra lines, --json's extra keys). */
export interface StoppedRun {
  problem: ServerProblem;
  /** Records put (or read) that reached no final place: not read from the stream, or read and not settled. */
  notProcessed: number;
}

/** What was put or read and did not end anywhere: in = delivered + duplicates + quarantined + errors + discarded falls short by this. */
export const notProcessed = (summary: RunSummary): number =>
  Math.max(0, Math.max(summary.produced, summary.in) - settled(summary));

/** `lake` is undefined when the bucket could not be read (s3rver was the server that failed). */
export const printSummary = (
  pipeline: LocalPipeline,
  summary: RunSummary,
  seconds: number,
  lake: LakeCheck | undefined,
  drops: readonly DropRun[],
  keepRunning: boolean,
  stopped?: StoppedRun,
) => {
  const why = stopped && problemReason(stopped.problem);
  const reasons = Object.entries(summary.quarantineReasons)
    .map(([reason, count]) => `${reason} ${count}`)
    .join(', ');
  const reconciled = isReconciled(summary, stopped?.notProcessed);
  const root = lakeRoot(pipeline);
  const events = summary.objects.filter((key) => key.startsWith(root));
  // A few keys of each kind: lake partitions first, then quarantine and errors.
  const shown = [...events.slice(0, 3), ...summary.objects.filter((key) => !key.startsWith(root)).slice(0, 2)];
  const stats = pipeline.firehoseStats();
  const { bound } = partitionBound(pipeline.layout);
  const lines = [
    '',
    why ? `Pipeline run stopped: ${why}` : 'Pipeline run complete',
    `  records in      ${summary.in}${summary.produced === summary.in ? '' : `  (this run put ${summary.produced})`}`,
    `  delivered       ${summary.delivered}  ${lake ? '(in the lake)' : '(handed to Firehose; the lake could not be read)'}`,
    `  duplicates      ${summary.duplicates}`,
    `  quarantined     ${summary.quarantined}${reasons ? `  (${reasons})` : ''}`,
    ...(sum(summary.errors) > 0
      ? [`  errors          ${sum(summary.errors)}${countsText(summary.errors)}  (Firehose error outputs)`]
      : []),
    ...(summary.discarded > 0 ? [`  discarded       ${summary.discarded}  (on-failure destination)`] : []),
    ...(summary.notInLake > 0
      ? [`  not in the lake ${summary.notInLake}  (handed to Firehose, in no object: ${firehoseHolding(pipeline)})`]
      : []),
    ...(summary.lost > 0
      ? [
          `  lost            ${summary.lost}  (discarded, and the on-failure destination failed: their shard and sequence ranges are in the event source's ERROR lines above)`,
        ]
      : []),
    ...Object.entries(summary.bySource)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([source, counts]) => sourceLine(source, counts)),
    ...dropLines(drops),
    ...routeLines(pipeline, summary),
    ...(stopped ? [`  not processed   ${stopped.notProcessed}  (${why})`] : []),
    stopped
      ? `  reconciled      ${reconciled ? 'yes' : 'NO'}: ${summary.produced > summary.in ? 'put' : 'in'} = delivered + duplicates + quarantined + errors + discarded + lost + not in the lake + not processed`
      : `  reconciled      ${reconciled ? 'yes' : 'NO'}: in = delivered + duplicates + quarantined + errors${summary.discarded ? ' + discarded' : ''}${summary.lost ? ' + lost' : ''}${summary.notInLake ? ' + not in the lake' : ''}`,
    lake
      ? `  lake            ${lake.events} events in ${lake.objects} objects; ${lake.duplicateEvents.length} duplicated, ${lake.misplacedEvents.length} in a wrong partition` +
        (lake.errorObjects > 0 ? `; ${sum(lake.errors)} records in ${lake.errorObjects} error objects` : '')
      : `  lake            not read (${why})`,
    `  partitions      ${stats.peakActivePartitions} active at the peak (layout bound ${bound ?? 'none: client_id is a key'}, quota ${stats.maxActivePartitions})`,
    ...(summary.foreignErrors > 0
      ? [`  ! ${summary.foreignErrors} error-output records came from outside this run`]
      : []),
    ...(summary.unrecorded > 0
      ? [
          `  ! ${summary.unrecorded} delivered events are not in the idempotency table (BatchWriteItem failed after Firehose took them): a redelivery of them would not be deduplicated`,
        ]
      : []),
    ...recoveryLines(pipeline, summary, lake, keepRunning),
    ...(lake
      ? [
          `  S3 objects      ${summary.objects.length} (${events.length} under ${root})`,
          ...shown.map((key) => `    ${key}`),
          ...(summary.objects.length > shown.length ? [`    … ${summary.objects.length - shown.length} more`] : []),
        ]
      : ['  S3 objects      not listed']),
    `  time taken      ${seconds.toFixed(1)} s`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  return isHealthy(summary, lake);
};

/** The layout, its bound and the quota in force, printed before the run (with a warning when the bound can pass it). */
export const layoutLines = (pipeline: LocalPipeline): string[] => {
  const bound = partitionBound(pipeline.layout);
  const quota = pipeline.firehoseStats().maxActivePartitions;
  const lines = [
    `Lake layout ${pipeline.layout.prefix}: active Firehose partitions ≤ ${bound.formula}; local quota ${quota}`,
  ];
  if (bound.warning) lines.push(`WARNING: ${bound.warning}`);
  else if (bound.bound !== undefined && bound.bound > quota) {
    lines.push(
      `WARNING: the local quota ${quota} (LOCAL_FIREHOSE_MAX_ACTIVE_PARTITIONS) is below the layout's bound ${bound.bound}: expect partitioning-failed errors`,
    );
  }
  return lines;
};

const lakeRoot = (pipeline: LocalPipeline) => prefixRoot(pipeline.layout.prefix);

/** Per route: matched, delivered, retried, dead-lettered (and what the local receiver got). */
const routeLines = (pipeline: LocalPipeline, summary: RunSummary): string[] => {
  const routes = Object.entries(summary.routes);
  if (routes.length === 0 && summary.unrouted === 0) return [];
  const receiver = pipeline.routing?.receiver;
  return [
    `  routes          ${routes.length} (routes.yml; matched = delivered + dead-lettered)`,
    ...routes.map(([name, counts]) => {
      const received = receiver?.requests(name).length;
      return (
        `    ${name.padEnd(20)} matched ${counts.matched}, delivered ${counts.delivered}, retried ${counts.retried}, dead-lettered ${counts.deadLettered}` +
        (received === undefined || received === 0 ? '' : `  (the local receiver got ${received})`) +
        (counts.deadLettered > 0
          ? `\n      see them: npm run dead-letters -- list ${name}; re-drive: npm run dead-letters -- redrive ${name}`
          : '')
      );
    }),
    ...(summary.unrouted > 0
      ? [
          `  ! ${summary.unrouted} delivered events were not published to the routing bus: kept under s3://${pipeline.names.bucket}/unrouted/`,
        ]
      : []),
  ];
};

export const printEndpoints = (pipeline: LocalPipeline, httpApiUrl: string) => {
  const { names } = pipeline;
  const lines = [
    '',
    'The stack is running on loopback. Point the AWS CLI or your own producer at it:',
    '  export AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER',
    ...Object.entries(pipeline.env)
      .filter(([name]) => name.startsWith('AWS_'))
      .map(([name, value]) => `  export ${name}=${value}`),
    `  stream ${names.stream}, delivery stream ${names.deliveryStream}, bucket ${names.bucket}, table ${names.table}`,
    `  e.g. aws kinesis put-record --stream-name ${names.stream} --partition-key acme-corp \\`,
    '         --cli-binary-format raw-in-base64-out --data file://event.json',
    `       aws s3 ls --recursive s3://${names.bucket}/`,
    `HTTP ingest API (JWT required): ${httpApiUrl}  POST /events, /actions, /meters`,
    `  e.g. curl -H "Authorization: Bearer $(npm run -s token -- --client acme-corp)" \\`,
    `         -H 'content-type: application/json' --data-binary @examples/events.json ${httpApiUrl}/events`,
    `  tokens: issuer ${httpApiUrl}, its keys at ${httpApiUrl}/.well-known/jwks.json`,
    ...(pipeline.routing
      ? [
          `Routes (routes.yml) on the local routing bus ${pipeline.routing.busName}:`,
          `  export AWS_ENDPOINT_URL_EVENTBRIDGE=${pipeline.routing.eventBridgeEndpoint} AWS_ENDPOINT_URL_SQS=${pipeline.routing.sqsEndpoint}`,
          ...(pipeline.routing.receiver
            ? [`  local receiver ${pipeline.routing.receiver.url}/<route name> (routes with localUrl: receiver)`]
            : []),
          '  dead letters: npm run dead-letters -- list',
        ]
      : []),
    `Firehose buffers for up to ${pipeline.definition.firehose.bufferIntervalSeconds} s (serverless.yml) before objects appear.`,
    'Press Ctrl-C to drain, print the final summary and stop.',
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
};
