import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { DEFAULT_QUARANTINE_ROOT, prefixRoot } from '../../../shared/lake-layout';
import { routeChecks } from '../../../shared/routes/checks';
import { DEFAULT_ROUTES_FILE, loadRoutesFile } from '../../../shared/routes/routes-file';
import {
  type DropRun,
  type LakeCheck,
  LocalPipeline,
  type ProducerRecord,
  type RunSummary,
} from '../pipeline/local-pipeline';
import { runReportLines } from '../query/run-reports';
import { publishStack, withdrawStack } from '../query/stack-state';
import { problemReason, type ServerProblem, serverLabel, settleWithin } from '../runtime/server-watch';
import { readInputFile } from './input-file';
import { runCli } from './run-cli';
import { sampleWorkload } from './sample-workload';
import {
  checkStartFiles,
  DEFAULT_EVENTS,
  failureLine,
  parseStartArgs,
  type StartOptions,
  USAGE,
} from './start-options';
import { exitCodeFor, type StopSignal, type StopSignals, watchStopSignals } from './stop-signals';
import { isReconciled, layoutLines, notProcessed, printEndpoints, printSummary, type StoppedRun } from './summary';

const progressReporter = (pipeline: LocalPipeline, total: number) => {
  const started = Date.now();
  const render = () => {
    const { put, processed, objects } = pipeline.progress();
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    return `  ${seconds}s  put ${put}/${total}  processed ${processed}/${total}  S3 objects ${objects}`;
  };
  const tty = process.stderr.isTTY;
  const timer = setInterval(
    () => {
      if (tty) process.stderr.write(`\r${render()}`);
      else process.stderr.write(`${render()}\n`);
    },
    tty ? 200 : 2_000,
  );
  return () => {
    clearInterval(timer);
    process.stderr.write(`${tty ? '\r' : ''}${render()}\n`);
  };
};

const copyBucket = async (pipeline: LocalPipeline, keys: string[], dir: string) => {
  const root = resolve(dir);
  for (const key of keys) {
    const target = resolve(root, key);
    if (!target.startsWith(`${root}/`)) throw new Error(`Refusing to write outside ${root}: ${key}`);
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, await pipeline.getObject(key));
  }
};

const report = async (pipeline: LocalPipeline) => {
  // One listing of the bucket for both the lake check and the summary's objects.
  const objects = await pipeline.listKeys();
  const lake = await pipeline.verifyLake(objects);
  return { summary: await pipeline.summary(lake, objects), lake };
};

// A server that fails ends the run, but not at once: what is in flight gets this long to drain, the
// bucket this long to be read back, and stop() this long before the servers are killed.
const DRAIN_TIMEOUT_MS = 30_000;
const REPORT_TIMEOUT_MS = 20_000;
const STOP_TIMEOUT_MS = 10_000;

/** Thrown into the step that was awaited when a server failed. */
class ServerFailure extends Error {
  constructor(readonly problem: ServerProblem) {
    super(`${problem.service} ${problem.detail}`);
  }
}

/**
 * Watches the servers for the whole run: on the first problem, says which server and what, stops
 * the intake, and makes the step being awaited (and every later one) reject with ServerFailure.
 */
const watchForFailure = (pipeline: LocalPipeline) => {
  let problem: ServerProblem | undefined;
  let fail: (found: ServerProblem) => void = () => undefined;
  const failed = new Promise<ServerProblem>((resolve) => {
    fail = resolve;
  });
  const failure = failed.then((found) => Promise.reject(new ServerFailure(found)));
  failure.catch(() => undefined); // only a step awaits it
  const watch = pipeline.watchServers((found) => {
    if (problem) return;
    problem = found;
    process.stderr.write(`\n${serverLabel(found)} ${found.detail}: stopping the run\n`);
    pipeline.stopIntake().catch(() => undefined);
    fail(found);
  });
  return {
    failed,
    get problem() {
      return problem;
    },
    /** `work`, unless a server fails first. */
    step: <T>(work: Promise<T>): Promise<T> => Promise.race([work, failure]),
    stop: () => watch?.stop(),
  };
};

/** The roots of the Firehose error outputs and of the quarantine, as the stack's configuration has them. */
const sideRoots = (pipeline: LocalPipeline) => ({
  errorRoot: prefixRoot(pipeline.definition.firehose.errorOutputPrefix),
  quarantineRoot: pipeline.definition.consumer.environment.QUARANTINE_PREFIX ?? DEFAULT_QUARANTINE_ROOT,
});

/** Where this stack's lake is, for `npm run query` from another process while it runs (--keep-running). */
const publishRunningStack = (pipeline: LocalPipeline, summary: RunSummary) =>
  publishStack({
    pid: process.pid,
    startedAt: new Date().toISOString(),
    service: pipeline.definition.service,
    stage: pipeline.definition.stage,
    bucket: pipeline.names.bucket,
    prefix: pipeline.layout.prefix,
    ...sideRoots(pipeline),
    env: pipeline.env,
    ...(pipeline.routing && {
      routing: { sqsEndpoint: pipeline.routing.sqsEndpoint, routes: Object.keys(summary.routes) },
    }),
  });

/** The top lines of the usage and health reports (`npm run query`), after the summary; never fails the run. */
const reportLines = async (pipeline: LocalPipeline, summary: RunSummary, options: StartOptions): Promise<string[]> => {
  try {
    return await runReportLines({
      bucket: pipeline,
      bucketName: pipeline.names.bucket,
      prefix: pipeline.layout.prefix,
      ...sideRoots(pipeline),
      deadLetters: Object.fromEntries(
        Object.entries(summary.routes).map(([name, route]) => [name, route.deadLettered]),
      ),
      // The stack stops with this run: the full reports read a copy (DIR: npm start -- --out DIR).
      queryCommand: `npm run query -- --lake ${options.out ?? 'DIR'}`,
    });
  } catch (error) {
    return [
      `  reports         not available: ${(error instanceof Error ? error.message : String(error)).replace(/\s*\n\s*/g, ' ')}`,
    ];
  }
};

/** The summary's JSON line (--json), stopped set when a server failure stopped the run. */
const jsonSummary = (
  pipeline: LocalPipeline,
  summary: RunSummary,
  lake: LakeCheck | undefined,
  drops: readonly DropRun[],
  seconds: number,
  stopped?: StoppedRun,
) =>
  JSON.stringify({
    in: summary.in,
    delivered: summary.delivered,
    duplicates: summary.duplicates,
    quarantined: summary.quarantined,
    quarantineReasons: summary.quarantineReasons,
    errors: summary.errors,
    bySource: summary.bySource,
    discarded: summary.discarded,
    lost: summary.lost,
    notInLake: summary.notInLake,
    unrecorded: summary.unrecorded,
    routes: summary.routes,
    unrouted: summary.unrouted,
    reconciled: isReconciled(summary, stopped?.notProcessed),
    objects: summary.objects,
    lake: lake
      ? {
          events: lake.events,
          duplicated: lake.duplicateEvents.length,
          misplaced: lake.misplacedEvents.length,
          errors: lake.errors,
          peakActivePartitions: pipeline.firehoseStats().peakActivePartitions,
        }
      : null,
    ...(drops.length > 0 && { drops: drops.map(({ result }) => result) }),
    ...(stopped && {
      notProcessed: stopped.notProcessed,
      serverFailure: {
        service: stopped.problem.service,
        kind: stopped.problem.kind,
        detail: stopped.problem.detail,
      },
    }),
    seconds,
  });

export const main = async (argv: string[]): Promise<number> => {
  // Node 20 is supported here; the SDK's notice about its future Node 22 floor is noise.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const command = parseStartArgs(argv);
  if (command.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const options = command;
  const started = Date.now();
  // Bad files fail here, one line each, before anything starts; so does an invalid routes file,
  // naming the route and the field.
  await checkStartFiles(options);
  const routes = loadRoutesFile(resolve(options.routes ?? DEFAULT_ROUTES_FILE), 'local', routeChecks);
  // --drop alone skips the built-in workload; with --input or --events it runs first.
  const workload = options.drop.length === 0 || options.input !== undefined || options.events !== undefined;
  const records: ProducerRecord[] = options.input
    ? await readInputFile(options.input)
    : workload
      ? sampleWorkload({ events: options.events ?? DEFAULT_EVENTS }).records
      : [];
  const origin = options.input
    ? `${options.input} (${records.length} records)`
    : `built-in sample workload (${records.length} records)`;

  // From here on SIGINT and SIGTERM stop the run: the first gracefully, another at once.
  let pipeline: LocalPipeline | undefined;
  let failure: ReturnType<typeof watchForFailure> | undefined;
  const stop = watchStopSignals({
    onStop: (signal) => {
      const problem = failure?.problem;
      process.stderr.write(
        !pipeline
          ? `\n${signal}: stopping before anything is sent (Ctrl-C again to stop at once)…\n`
          : problem
            ? `\n${signal}: already stopping (${problemReason(problem)}); Ctrl-C again to stop at once\n`
            : `\n${signal}: stopping. No more intake; draining what is in flight, then the summary (Ctrl-C again to stop at once)…\n`,
      );
      pipeline?.closeIntake().catch(() => undefined);
    },
    onStopNow: (signal) => {
      process.stderr.write(`\n${signal} again: stopping at once, without a summary\n`);
      // The servers go with this process (local-servers.ts stops them on exit).
      process.exit(exitCodeFor(signal));
    },
  });
  try {
    process.stderr.write(`Starting the local stack (kinesalite, dynalite, s3rver, local Firehose)…\n`);
    try {
      pipeline = await LocalPipeline.start({ logLevel: options.verbose ? 'INFO' : 'ERROR', routes });
    } catch (error) {
      // The terminal's Ctrl-C also reaches what the start runs in the foreground group (osls print).
      if (stop.signal) return stoppedWhileStarting(stop.signal);
      throw error;
    }
    if (stop.signal) {
      await pipeline.stop();
      return stoppedWhileStarting(stop.signal);
    }
    failure = watchForFailure(pipeline);
    return await run(pipeline, failure, stop, { options, records, workload, origin, started });
  } finally {
    stop.dispose();
  }
};

/** A stop signal before the stack was up: nothing was sent, so there is nothing to summarise. */
const stoppedWhileStarting = (signal: StopSignal): number => {
  process.stderr.write(`Stopped (${signal}) before the stack was up: nothing was sent.\n`);
  return exitCodeFor(signal);
};

interface RunInput {
  options: StartOptions;
  records: ProducerRecord[];
  workload: boolean;
  origin: string;
  started: number;
}

/** The run on a started stack, to the summary and the exit code; the stack is stopped on return. */
const run = async (
  pipeline: LocalPipeline,
  failure: ReturnType<typeof watchForFailure>,
  stop: StopSignals,
  { options, records, workload, origin, started }: RunInput,
): Promise<number> => {
  const { step } = failure;
  const drops: DropRun[] = [];
  const seconds = () => (Date.now() - started) / 1000;
  const printJson = (summary: RunSummary, lake: LakeCheck | undefined, stopped?: StoppedRun) => {
    if (options.json) process.stdout.write(`${jsonSummary(pipeline, summary, lake, drops, seconds(), stopped)}\n`);
  };
  let healthy = false;
  try {
    process.stderr.write(`${layoutLines(pipeline).join('\n')}\n`);
    process.stderr.write(`Stack up in ${seconds().toFixed(1)} s.`);
    if (workload && !stop.signal) {
      process.stderr.write(` Sending ${origin} into ${pipeline.names.stream}…\n`);
      const stopProgress = progressReporter(pipeline, records.length);
      try {
        // A stop signal ends the put between PutRecords calls (closeIntake); what went in is drained.
        await step(pipeline.put(records));
        await step(pipeline.drain());
      } finally {
        stopProgress();
      }
    } else process.stderr.write('\n');
    for (const file of options.drop) {
      if (stop.signal) break;
      process.stderr.write(`Dropping ${file} into s3://${pipeline.names.bucket}/…\n`);
      const dropped = await step(pipeline.drop(file));
      process.stderr.write(
        `  ${dropped.key}: ${dropped.result.records} records read, ${dropped.result.sent} sent, ${dropped.result.rejected} rejected\n`,
      );
      drops.push(dropped);
    }
    let { summary, lake } = await step(report(pipeline));
    healthy = printSummary(pipeline, summary, seconds(), lake, drops, options.keepRunning);
    if (options.keepRunning && !stop.signal) {
      printEndpoints(pipeline, await step(pipeline.startHttpApi()));
      publishRunningStack(pipeline, summary);
      try {
        await step(stop.requested);
      } finally {
        withdrawStack();
      }
      await step(pipeline.drain());
      ({ summary, lake } = await step(report(pipeline)));
      healthy = printSummary(pipeline, summary, seconds(), lake, drops, options.keepRunning);
    }
    process.stdout.write(`${(await step(reportLines(pipeline, summary, options))).join('\n')}\n`);
    if (options.out) {
      await step(copyBucket(pipeline, summary.objects, options.out));
      process.stdout.write(`  copied ${summary.objects.length} objects to ${resolve(options.out)}\n`);
    }
    printJson(summary, lake);
  } catch (error) {
    // An error after a server failed (a put Kinesis refused, a shard that could not be read) is that failure.
    const problem = error instanceof ServerFailure ? error.problem : failure.problem;
    if (problem === undefined) throw error;
    healthy = false;
    process.stderr.write(`Draining what is in flight (at most ${DRAIN_TIMEOUT_MS / 1000} s)…\n`);
    const notDrained = await pipeline.drainWithin(DRAIN_TIMEOUT_MS);
    if (notDrained) process.stderr.write(`  not drained: ${notDrained}\n`);
    // Reading the lake back needs s3rver; when it is the one that failed, count without it.
    const read = problem.service === 's3rver' ? undefined : await settleWithin(report(pipeline), REPORT_TIMEOUT_MS);
    if (read && read.status !== 'done') {
      process.stderr.write(
        `  the bucket could not be read back: ${read.status === 'failed' ? String(read.error) : `no answer within ${REPORT_TIMEOUT_MS / 1000} s`}\n`,
      );
    }
    const { summary, lake } =
      read?.status === 'done' ? read.value : { summary: await pipeline.summaryWithoutBucket(), lake: undefined };
    const stopped: StoppedRun = { problem, notProcessed: notProcessed(summary) };
    printSummary(pipeline, summary, seconds(), lake, drops, options.keepRunning, stopped);
    if (options.out) {
      const copied = lake
        ? await settleWithin(copyBucket(pipeline, summary.objects, options.out), REPORT_TIMEOUT_MS)
        : undefined;
      // Printed here, not by the copy: one that timed out must not write after the JSON line.
      if (copied?.status === 'done')
        process.stdout.write(`  copied ${summary.objects.length} objects to ${resolve(options.out)}\n`);
      else {
        const why = !copied
          ? 'the bucket could not be read'
          : copied.status === 'failed'
            ? String(copied.error)
            : `not done within ${REPORT_TIMEOUT_MS / 1000} s`;
        process.stdout.write(`  not copied to ${resolve(options.out)}: ${why}\n`);
      }
    }
    printJson(summary, lake, stopped);
  } finally {
    failure.stop();
    await (failure.problem ? pipeline.stopWithin(STOP_TIMEOUT_MS) : pipeline.stop());
  }
  return healthy ? 0 : 1;
};

if (require.main === module) runCli(() => main(process.argv.slice(2)), failureLine);
