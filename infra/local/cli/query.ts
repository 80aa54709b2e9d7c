import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { prefixRoot } from '../../../shared/lake-layout';
import { report } from '../../../shared/lake-query/reports';
import { PipelineBucket } from '../pipeline/bucket';
import { copyLake } from '../query/bucket-copy';
import { countDeadLetters, withDeadLetters } from '../query/dead-letters';
import { LakeQueryError, LocalLakeEngine } from '../query/engine';
import { formatResult } from '../query/format';
import { type LakeDir, LakeDirError, openLakeDir } from '../query/lake-dir';
import { failureLine, parseQueryArgs, QueryUsageError, USAGE } from '../query/options';
import { DEFAULT_STACK_FILE, type RunningStack, runningStack } from '../query/stack-state';
import { runCli } from './run-cli';

/**
 * npm run query -- [--lake DIR] [--json|--csv] ("SQL" | --report NAME): SQL over the lake on a
 * local DuckDB (infra/local/query/), with the tables and views of Athena (shared/lake-query/).
 */

export interface QueryIo {
  out: (text: string) => void;
  err: (text: string) => void;
  /** Where a running stack publishes itself (default `.local/stack.json`). */
  stackFile?: string;
}

const defaultIo: QueryIo = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
};

/** The lake to query: the copy given, or a fresh copy of the running stack's bucket (removed by `done`). */
const lakeFor = async (
  lakeOption: string | undefined,
  stackFile: string,
): Promise<{ lake: LakeDir; stack?: RunningStack; done: () => Promise<void> }> => {
  if (lakeOption !== undefined) {
    try {
      return { lake: await openLakeDir(lakeOption), done: async () => undefined };
    } catch (error) {
      if (error instanceof LakeDirError)
        throw new QueryUsageError('NoLake', `--lake ${error.message}`, { cause: error });
      throw error;
    }
  }
  const stack = runningStack(stackFile);
  if (stack === undefined)
    throw new QueryUsageError(
      'NoLake',
      'no --lake DIR and no local stack running: start one with npm start -- --keep-running, or give a copy made by npm start -- --out DIR',
    );
  const dir = await mkdtemp(join(tmpdir(), 'lake-query-'));
  const done = () => rm(dir, { recursive: true, force: true });
  try {
    await copyLake(
      new PipelineBucket(stack.env, stack.bucket),
      [prefixRoot(stack.prefix), stack.errorRoot, stack.quarantineRoot],
      dir,
    );
    const lake = await openLakeDir(dir, {
      prefix: stack.prefix,
      bucket: stack.bucket,
      errorRoot: stack.errorRoot,
      quarantineRoot: stack.quarantineRoot,
    });
    return { lake, stack, done };
  } catch (error) {
    await done();
    throw error;
  }
};

export const main = async (argv: string[], io: QueryIo = defaultIo): Promise<number> => {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const command = parseQueryArgs(argv);
  if (command.help) {
    io.out(`${USAGE}\n`);
    return 0;
  }
  const { target, format } = command;
  if (command.printSql && target.kind === 'report') {
    io.out(`${report(target.report).sql};\n`);
    return 0;
  }
  const { lake, stack, done } = await lakeFor(command.lake, io.stackFile ?? DEFAULT_STACK_FILE);
  try {
    const engine = await LocalLakeEngine.open(lake);
    try {
      const built = target.kind === 'report' ? report(target.report, { errorRoot: lake.errorRoot }) : undefined;
      let result = await engine.query(built?.sql ?? (target.kind === 'sql' ? target.sql : ''));
      if (built?.name === 'health' && stack) result = withDeadLetters(result, await countDeadLetters(stack));
      if (built && format === 'table') io.out(`${built.title}\n`);
      io.out(`${formatResult(result, format)}\n`);
      if (built?.name === 'health' && !stack && format === 'table')
        io.err('dead letters are SQS messages, not in a lake copy: npm run dead-letters -- list\n');
      return 0;
    } finally {
      engine.close();
    }
  } catch (error) {
    if (error instanceof LakeQueryError && error.reason === 'InvalidQuery')
      throw new QueryUsageError('InvalidQuery', error.message, { cause: error });
    throw error;
  } finally {
    await done();
  }
};

if (require.main === module) runCli(() => main(process.argv.slice(2)), failureLine);
