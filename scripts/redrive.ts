/**
 * npm run redrive -- errors|quarantine [options]: puts Firehose error outputs or quarantined
 * records back into the pipeline (the logic is in shared/redrive; this file wires names from
 * serverless.yml, the SDK clients, signals and output). Run with --help for usage.
 */
import {
  loadPipelineDefinition,
  type PipelineDefinition,
  redriveWaveSeconds,
} from '../infra/local/pipeline/serverless-config';
import { createFirehoseClient } from '../shared/aws/firehose-client';
import { createKinesisClient } from '../shared/aws/kinesis-client';
import { createS3Client } from '../shared/aws/s3-client';
import type { Env } from '../shared/config';
import { evaluateLayoutPrefix, loadLakeLayout, prefixRoot } from '../shared/lake-layout';
import {
  DEFAULT_QUARANTINE_PREFIX,
  describeError,
  formatSummary,
  interruptedLine,
  type PartitionOf,
  parseRedriveArgs,
  REDRIVE_USAGE,
  type RedriveCommand,
  RedriveError,
  type RedriveResult,
  redriveErrors,
  redriveQuarantine,
  summaryJson,
  UsageError,
} from '../shared/redrive';
import { transformRecord } from '../shared/transformer/firehose-transform';

/**
 * The partition a re-driven record will land in, so records go to Firehose in waves of at most
 * --max-partitions partitions (Firehose's active-partition quota).
 */
export const partitionOfFor = (definition: PipelineDefinition): PartitionOf | undefined => {
  // The transformer's own logic and layout (serverless.yml custom.lake, through its environment),
  // so a wave counts the partitions Firehose will open. A record the transformer would fail
  // counts as one shared value: it goes to the error output, not to a data partition.
  const layout = loadLakeLayout(definition.transformer.environment);
  return (data) => {
    const outcome = transformRecord(data, layout);
    return outcome.result === 'Ok' ? evaluateLayoutPrefix(layout.prefix, outcome.partitionKeys) : undefined;
  };
};

export interface RedriveCliDeps {
  loadDefinition: (stage: string) => Promise<PipelineDefinition>;
  env: Env;
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** Subscribes to SIGINT and SIGTERM; returns the unsubscribe. */
  onSignal: (handler: () => void) => () => void;
  /** A second Ctrl-C: stop now, without finishing the chunk. */
  exitNow: (code: number) => void;
  /** Backoff and wave waits (tests). */
  sleep?: (ms: number) => Promise<void>;
}

const defaultDeps = (): RedriveCliDeps => ({
  loadDefinition: loadPipelineDefinition,
  env: process.env,
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  onSignal: (handler) => {
    process.on('SIGINT', handler);
    process.on('SIGTERM', handler);
    return () => {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
    };
  },
  exitNow: (code) => process.exit(code),
});

export const defaultWaveSeconds = (definition: PipelineDefinition): number => redriveWaveSeconds(definition.firehose);

const run = async (
  command: Exclude<RedriveCommand, { mode: 'help' }>,
  definition: PipelineDefinition,
  deps: RedriveCliDeps,
  signal: AbortSignal,
): Promise<RedriveResult> => {
  const env: Env = { ...deps.env, AWS_REGION: deps.env.AWS_REGION?.trim() || definition.region };
  const bucket = (command.bucket ?? definition.bucket).toLowerCase();
  const log = (line: string) => deps.stderr(`${line}\n`);
  const s3 = createS3Client(env);
  try {
    if (command.mode === 'errors') {
      const firehose = createFirehoseClient(env);
      try {
        const partitionOf = partitionOfFor(definition);
        return await redriveErrors(
          { s3, firehose },
          {
            bucket,
            deliveryStreamName: command.deliveryStream ?? definition.firehose.deliveryStreamName,
            types: command.types,
            // Where Firehose writes error outputs: the ErrorOutputPrefix up to its first expression.
            errorsPrefix: prefixRoot(definition.firehose.errorOutputPrefix),
            dryRun: command.dryRun,
            maxPartitions: command.maxPartitions,
            waveSeconds: command.waveSeconds ?? defaultWaveSeconds(definition),
            ...(partitionOf && { partitionOf }),
            ...(deps.sleep && { sleep: deps.sleep }),
            signal,
            log,
          },
        );
      } finally {
        firehose.destroy();
      }
    }
    const kinesis = createKinesisClient(env);
    try {
      return await redriveQuarantine(
        { s3, kinesis },
        {
          bucket,
          streamName: command.stream ?? definition.stream.name,
          reason: command.reason,
          quarantinePrefix: definition.consumer.environment.QUARANTINE_PREFIX ?? DEFAULT_QUARANTINE_PREFIX,
          dryRun: command.dryRun,
          ...(deps.sleep && { sleep: deps.sleep }),
          signal,
          log,
        },
      );
    } finally {
      kinesis.destroy();
    }
  } finally {
    s3.destroy();
  }
};

/** Exit codes: 0 done or nothing to do, 1 AWS or record failure (or objects skipped), 2 usage, 130 interrupted. */
export const main = async (argv: readonly string[], overrides: Partial<RedriveCliDeps> = {}): Promise<number> => {
  const deps: RedriveCliDeps = { ...defaultDeps(), ...overrides };
  const fail = (message: string, code: number) => {
    deps.stderr(`redrive: ${message}\n`);
    return code;
  };
  let command: RedriveCommand;
  try {
    command = parseRedriveArgs(argv);
  } catch (caught) {
    if (caught instanceof UsageError) return fail(caught.message, 2);
    throw caught;
  }
  if (command.mode === 'help') {
    deps.stdout(`${REDRIVE_USAGE}\n`);
    return 0;
  }

  let definition: PipelineDefinition;
  try {
    definition = await deps.loadDefinition(command.stage);
  } catch (caught) {
    return fail(`cannot resolve serverless.yml for stage ${command.stage}: ${describeError(caught)}`, 1);
  }

  const controller = new AbortController();
  const unsubscribe = deps.onSignal(() => {
    if (controller.signal.aborted) {
      deps.stderr('redrive: stopped at once; the current chunk may be put again by the next run\n');
      deps.exitNow(130);
      return;
    }
    deps.stderr('stopping after the current chunk (again to stop at once)…\n');
    controller.abort();
  });
  let result: RedriveResult;
  try {
    result = await run(command, definition, deps, controller.signal);
  } catch (caught) {
    return fail(caught instanceof RedriveError ? caught.message : describeError(caught), 1);
  } finally {
    unsubscribe();
  }

  if (result.interrupted) deps.stderr(`${interruptedLine(result)}\n`);
  else deps.stdout(`${formatSummary(result)}\n`);
  if (command.json) deps.stdout(`${summaryJson(result)}\n`);
  if (result.interrupted) return 130;
  return result.skipped.length > 0 ? 1 : 0;
};

if (require.main === module) {
  // Node 20 is supported here; the SDK's notice about its future Node 22 floor is noise.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`redrive: ${describeError(error)}\n`);
      process.exit(1);
    },
  );
}
