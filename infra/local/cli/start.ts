import { constants, createReadStream } from 'node:fs';
import { access, mkdir, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { createGunzip } from 'node:zlib';
import { routeChecks } from '../../../shared/routes/checks';
import { DEFAULT_ROUTES_FILE, loadRoutesFile, RoutesFileError } from '../../../shared/routes/routes-file';
import {
  type DropRun,
  type LakeCheck,
  LocalPipeline,
  type ProducerRecord,
  type RunSummary,
} from '../pipeline/local-pipeline';
import { type ServerProblem, serverLabel, settleWithin } from '../runtime/server-watch';
import { sampleWorkload } from './sample-workload';
import { isReconciled, layoutLines, notProcessed, printEndpoints, printSummary, type StoppedRun } from './summary';

const USAGE = `Usage: npm start -- [options]

Runs the whole pipeline locally (kinesalite, dynalite, s3rver, a local Firehose and the
Lambda event-source runner, configured from serverless.yml) and prints what it did.

Options:
  --input FILE      NDJSON (or .gz) of records as producers put them into the stream,
                    one record's data per line, instead of the built-in sample workload
  --events N        size of the built-in sample workload (default 5000)
  --drop FILE       drop FILE into the S3 drop location, as a metering vendor would: a
                    JSON array or NDJSON of records (gzip when named .gz) uploaded to
                    ingest/<MM-DD-YYYY>/<name>; s3Drop gets the ObjectCreated event and
                    the run waits until its records are in the lake. The summary shows
                    what was read, sent, rejected and the report key. Repeatable. Alone,
                    it replaces the built-in workload; with --input or --events, that
                    is sent first.
  --json            end stdout with one JSON line: the run's summary
  --out DIR         copy every object of the bucket into DIR, keyed by path
  --keep-running    leave the stack up, print its endpoints (the HTTP ingest API
                    included), stop on Ctrl-C
  --routes FILE     the routes file (default routes.yml): each route runs on the local
                    routing bus (EventBridge rules, API destinations, dead-letter queues);
                    routes with localUrl: receiver deliver to a receiver this run starts
  --verbose         show the functions' own logs (Powertools, INFO)
  -h, --help        show this help`;

/** The clientId a producer would use as partition key, for any supported shape. */
const partitionKeyOf = (line: string, index: number): string => {
  try {
    const parsed = JSON.parse(line) as Record<string, unknown>;
    const resources = Array.isArray(parsed.resources) ? (parsed.resources as unknown[]) : [];
    const candidate = [parsed.clientId, parsed.company_id, parsed.customerId, resources[0]].find(
      (value): value is string => typeof value === 'string' && value !== '',
    );
    if (candidate !== undefined) return candidate.slice(0, 256);
  } catch {
    // Malformed lines still go in: the consumer quarantines them.
  }
  return `line-${index}`;
};

export const readInputFile = async (file: string): Promise<ProducerRecord[]> => {
  const stream = createReadStream(file);
  const lines = createInterface({
    input: file.endsWith('.gz') ? stream.pipe(createGunzip()) : stream,
    crlfDelay: Infinity,
  });
  const records: ProducerRecord[] = [];
  for await (const line of lines) {
    if (line.trim() === '') continue;
    records.push({ partitionKey: partitionKeyOf(line, records.length), data: Buffer.from(line) });
  }
  return records;
};

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

/** Ctrl-C or SIGTERM; after `until` settles, the signals are the default again (a failed run's drain can be cut short). */
const waitForSignal = (until: Promise<unknown>) =>
  new Promise<void>((done) => {
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
    void until.finally(() => {
      process.off('SIGINT', done);
      process.off('SIGTERM', done);
    });
  });

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

export const main = async (argv: string[]): Promise<number> => {
  // Node 20 is supported here; the SDK's notice about its future Node 22 floor is noise.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const { values } = parseArgs({
    args: argv,
    options: {
      input: { type: 'string' },
      events: { type: 'string' },
      json: { type: 'boolean', default: false },
      out: { type: 'string' },
      'keep-running': { type: 'boolean', default: false },
      drop: { type: 'string', multiple: true, default: [] },
      verbose: { type: 'boolean', default: false },
      routes: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const eventCount = values.events === undefined ? 5_000 : Number(values.events);
  if (!Number.isInteger(eventCount) || eventCount < 1)
    throw new Error(`--events must be a positive integer, got ${values.events}`);

  const started = Date.now();
  // An invalid routes file fails here, naming the route and the field, before anything starts.
  const routesFile = resolve(values.routes ?? DEFAULT_ROUTES_FILE);
  if (values.routes !== undefined) await access(routesFile, constants.R_OK);
  const routes = loadRoutesFile(routesFile, 'local', routeChecks);
  // Fail before starting the stack when a file to drop cannot be read.
  for (const file of values.drop) await access(file, constants.R_OK);
  // --drop alone skips the built-in workload; with --input or --events it runs first.
  const workload = values.drop.length === 0 || values.input !== undefined || values.events !== undefined;
  const records = values.input
    ? await readInputFile(values.input)
    : workload
      ? sampleWorkload({ events: eventCount }).records
      : [];
  const origin = values.input
    ? `${values.input} (${records.length} records)`
    : `built-in sample workload (${records.length} records)`;
  process.stderr.write(`Starting the local stack (kinesalite, dynalite, s3rver, local Firehose)…\n`);
  const pipeline = await LocalPipeline.start({ logLevel: values.verbose ? 'INFO' : 'ERROR', routes });
  const failure = watchForFailure(pipeline);
  const { step } = failure;
  const drops: DropRun[] = [];
  const printJson = (summary: RunSummary, lake: LakeCheck | undefined, stopped?: StoppedRun) => {
    if (values.json) {
      process.stdout.write(
        `${JSON.stringify({
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
          seconds: (Date.now() - started) / 1000,
        })}\n`,
      );
    }
  };
  let healthy = false;
  try {
    process.stderr.write(`${layoutLines(pipeline).join('\n')}\n`);
    process.stderr.write(`Stack up in ${((Date.now() - started) / 1000).toFixed(1)} s.`);
    if (workload) {
      process.stderr.write(` Sending ${origin} into ${pipeline.names.stream}…\n`);
      const stopProgress = progressReporter(pipeline, records.length);
      try {
        await step(pipeline.put(records));
        await step(pipeline.drain());
      } finally {
        stopProgress();
      }
    } else process.stderr.write('\n');
    for (const file of values.drop) {
      process.stderr.write(`Dropping ${file} into s3://${pipeline.names.bucket}/…\n`);
      const run = await step(pipeline.drop(file));
      process.stderr.write(
        `  ${run.key}: ${run.result.records} records read, ${run.result.sent} sent, ${run.result.rejected} rejected\n`,
      );
      drops.push(run);
    }
    let { summary, lake } = await step(report(pipeline));
    healthy = printSummary(pipeline, summary, (Date.now() - started) / 1000, lake, drops, values['keep-running']);
    if (values['keep-running']) {
      printEndpoints(pipeline, await step(pipeline.startHttpApi()));
      await step(waitForSignal(failure.failed));
      process.stderr.write('\nStopping: draining what is in flight…\n');
      await step(pipeline.drain());
      ({ summary, lake } = await step(report(pipeline)));
      healthy = printSummary(pipeline, summary, (Date.now() - started) / 1000, lake, drops, values['keep-running']);
    }
    if (values.out) {
      await step(copyBucket(pipeline, summary.objects, values.out));
      process.stdout.write(`  copied ${summary.objects.length} objects to ${resolve(values.out)}\n`);
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
    printSummary(pipeline, summary, (Date.now() - started) / 1000, lake, drops, values['keep-running'], stopped);
    if (values.out) {
      const copied = lake
        ? await settleWithin(copyBucket(pipeline, summary.objects, values.out), REPORT_TIMEOUT_MS)
        : undefined;
      // Printed here, not by the copy: one that timed out must not write after the JSON line.
      if (copied?.status === 'done')
        process.stdout.write(`  copied ${summary.objects.length} objects to ${resolve(values.out)}\n`);
      else {
        const why = !copied
          ? 'the bucket could not be read'
          : copied.status === 'failed'
            ? String(copied.error)
            : `not done within ${REPORT_TIMEOUT_MS / 1000} s`;
        process.stdout.write(`  not copied to ${resolve(values.out)}: ${why}\n`);
      }
    }
    printJson(summary, lake, stopped);
  } finally {
    failure.stop();
    await (failure.problem ? pipeline.stopWithin(STOP_TIMEOUT_MS) : pipeline.stop());
  }
  return healthy ? 0 : 1;
};

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`npm start failed: ${error instanceof Error ? error.message : String(error)}\n`);
      // Bad input (an invalid routes file) is the user's to fix: exit 2, as for bad options.
      process.exit(error instanceof RoutesFileError ? 2 : 1);
    },
  );
}
