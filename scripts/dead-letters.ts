/**
 * npm run dead-letters -- list [ROUTE] | redrive ROUTE [options]: a route's dead letters (what
 * EventBridge gave up delivering), shown and re-driven, against AWS (standard credential chain)
 * or a local stack (AWS_ENDPOINT_URL_SQS / AWS_ENDPOINT_URL_EVENTBRIDGE, printed by
 * `npm start -- --keep-running`). The logic is shared/routing/dead-letters.ts.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { parse as parseYaml } from 'yaml';
import { loadPipelineDefinition } from '../infra/local/pipeline/serverless-config';
import { createEventBridgeClient } from '../shared/aws/eventbridge-client';
import { createS3Client } from '../shared/aws/s3-client';
import { createSqsClient } from '../shared/aws/sqs-client';
import { routeChecks } from '../shared/routes/checks';
import { deadLetterQueueName, routingBusName } from '../shared/routes/cloudformation';
import { DEFAULT_ROUTES_FILE, loadRoutesFile, RoutesFileError } from '../shared/routes/routes-file';
import { type DeadLetter, listDeadLetters, queueUrlOf, redriveDeadLetters } from '../shared/routing/dead-letters';
import { EventBridgePublisher } from '../shared/routing/route-publisher';
import { listUnrouted, redriveUnrouted } from '../shared/routing/unrouted-redrive';

const ROOT = join(__dirname, '..');

export const USAGE = `Usage: npm run dead-letters -- <command> [options]

Commands:
  list [ROUTE]       the dead letters of ROUTE (or of every route in the routes file): event id,
                     client, time, attempts and the last error, as EventBridge wrote them
  redrive ROUTE      publish ROUTE's dead letters again, for that route only, and delete each
                     one the bus took
  unrouted           the delivered events the routing bus did not take (kept under
                     s3://<lake bucket>/unrouted/); with --redrive, publish them again to every
                     route and move each object to redriven/

Options:
  --stage STAGE      the deployed stage (default: local)
  --routes FILE      the routes file (default: routes.yml)
  --max N            at most N messages (default: 1000 for list, all for redrive)
  --dry-run          redrive: count what would go, change nothing
  --redrive          unrouted: publish them again
  --bucket NAME      unrouted: the lake bucket (default: serverless.yml's for the stage)
  --json             one JSON line instead of the table
  -h, --help         this help`;

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

const serviceName = (): string => {
  const service = (parseYaml(readFileSync(join(ROOT, 'serverless.yml'), 'utf8')) as { service?: unknown }).service;
  if (typeof service !== 'string') throw new Error('serverless.yml has no service name');
  return service;
};

const row = (letter: DeadLetter): string => {
  const detail = letter.event.detail ?? {};
  const a = letter.attributes;
  return `  ${String(detail.id ?? letter.messageId).padEnd(38)} ${String(detail.clientId ?? '-').padEnd(16)} ${String(detail.time ?? '-').padEnd(25)} attempts ${a.RETRY_ATTEMPTS ?? '?'}  ${a.ERROR_CODE ?? '?'}: ${a.ERROR_MESSAGE ?? ''}${a.EXHAUSTED_RETRY_CONDITION ? ` (${a.EXHAUSTED_RETRY_CONDITION})` : ''}`;
};

const unrouted = async (
  values: { stage: string; bucket?: string | undefined; redrive: boolean; 'dry-run': boolean; json: boolean },
  extra: string | undefined,
  out: (text: string) => void,
): Promise<number> => {
  if (extra !== undefined)
    throw new UsageError(`unrouted takes no ROUTE: the events go to every route again, got ${extra}`);
  const bucket = values.bucket ?? (await loadPipelineDefinition(values.stage)).bucket.toLowerCase();
  const s3 = createS3Client(process.env);
  if (!values.redrive) {
    const objects = await listUnrouted(s3, bucket);
    const events = objects.reduce((total, object) => total + object.events, 0);
    if (values.json) out(`${JSON.stringify({ bucket, objects })}\n`);
    else
      out(
        `${[`s3://${bucket}/unrouted/: ${events} events in ${objects.length} objects${events > 0 ? ' (npm run dead-letters -- unrouted --redrive)' : ''}`, ...objects.map((o) => `  ${o.key}  ${o.events} events`)].join('\n')}\n`,
      );
    return 0;
  }
  const publisher = new EventBridgePublisher(createEventBridgeClient(process.env), {
    busName: routingBusName(serviceName(), values.stage),
    maxAttempts: 5,
    baseDelayMs: 100,
    maxDelayMs: 2_000,
  });
  const result = await redriveUnrouted(s3, publisher, bucket, { dryRun: values['dry-run'] });
  if (values.json) out(`${JSON.stringify({ bucket, dryRun: values['dry-run'], ...result })}\n`);
  else {
    out(
      `unrouted: ${result.published} events ${values['dry-run'] ? 'would be published (dry run)' : 'published'} from ${result.objects} objects, ${result.left.length} objects left\n`,
    );
    for (const left of result.left) out(`  ${left.key}: ${left.refused} refused (${left.reason})\n`);
  }
  return result.left.length > 0 ? 1 : 0;
};

export const main = async (
  argv: string[],
  out: (text: string) => void = (text) => process.stdout.write(text),
): Promise<number> => {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      stage: { type: 'string', default: 'local' },
      routes: { type: 'string', default: DEFAULT_ROUTES_FILE },
      max: { type: 'string' },
      'dry-run': { type: 'boolean', default: false },
      redrive: { type: 'boolean', default: false },
      bucket: { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    out(`${USAGE}\n`);
    return 0;
  }
  const [command, route, ...rest] = positionals;
  if (command === 'unrouted') return unrouted(values, route, out);
  if (command !== 'list' && command !== 'redrive')
    throw new UsageError(
      `the command is list, redrive or unrouted, got ${command === undefined ? 'none' : JSON.stringify(command)}`,
    );
  if (rest.length > 0) throw new UsageError(`unexpected arguments: ${rest.join(' ')}`);
  if (command === 'redrive' && route === undefined) throw new UsageError('redrive needs a ROUTE');
  const max = values.max === undefined ? undefined : Number(values.max);
  if (max !== undefined && (!Number.isInteger(max) || max < 1))
    throw new UsageError(`--max must be a positive integer, got ${values.max}`);
  const routes = loadRoutesFile(resolve(values.routes), 'local', routeChecks);
  const names = route === undefined ? routes.map((r) => r.name) : [route];
  const unknown = names.filter((name) => !routes.some((r) => r.name === name));
  if (unknown.length > 0)
    throw new UsageError(
      `no route ${unknown.join(', ')} in ${values.routes} (routes: ${routes.map((r) => r.name).join(', ') || 'none'})`,
    );
  const service = serviceName();
  const sqs = createSqsClient(process.env);
  if (command === 'list') {
    const lists: Record<string, DeadLetter[]> = {};
    for (const name of names) {
      const queueUrl = await queueUrlOf(sqs, deadLetterQueueName(service, values.stage, name));
      lists[name] = await listDeadLetters(sqs, queueUrl, max ?? 1_000);
    }
    if (values.json)
      out(
        `${JSON.stringify(Object.fromEntries(Object.entries(lists).map(([name, letters]) => [name, letters.map(({ messageId, event, attributes }) => ({ messageId, event, attributes }))])))}\n`,
      );
    else
      for (const [name, letters] of Object.entries(lists))
        out(`${[`${name}: ${letters.length} dead letters`, ...letters.map(row)].join('\n')}\n`);
    return 0;
  }
  const name = route as string;
  const queueUrl = await queueUrlOf(sqs, deadLetterQueueName(service, values.stage, name));
  const result = await redriveDeadLetters(
    { sqs, eventbridge: createEventBridgeClient(process.env) },
    queueUrl,
    routingBusName(service, values.stage),
    name,
    {
      dryRun: values['dry-run'],
      ...(max !== undefined && { max }),
    },
  );
  if (values.json) out(`${JSON.stringify({ route: name, dryRun: values['dry-run'], ...result })}\n`);
  else {
    out(
      `${name}: ${result.redriven} ${values['dry-run'] ? 'would be re-driven (dry run)' : 're-driven'}, ${result.failed.length} left in the queue\n`,
    );
    for (const failure of result.failed) out(`  ${failure.messageId}: ${failure.reason}\n`);
  }
  return result.failed.length > 0 ? 1 : 0;
};

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      const usage =
        error instanceof UsageError ||
        (error instanceof TypeError && 'code' in error && String(error.code).startsWith('ERR_PARSE_ARGS'));
      const known = usage || error instanceof RoutesFileError;
      process.stderr.write(
        `npm run dead-letters: ${error instanceof Error ? error.message : String(error)}${usage ? ' (--help for usage)' : ''}\n`,
      );
      process.exit(known ? 2 : 1);
    },
  );
}
