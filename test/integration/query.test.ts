import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CreateQueueCommand, ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { main as queryMain } from '../../infra/local/cli/query';
import { type LakeCheck, LocalPipeline, type RunSummary } from '../../infra/local/pipeline/local-pipeline';
import { copyLake } from '../../infra/local/query/bucket-copy';
import { countDeadLetters } from '../../infra/local/query/dead-letters';
import { LocalLakeEngine, type QueryResult } from '../../infra/local/query/engine';
import { openLakeDir } from '../../infra/local/query/lake-dir';
import { createRandom, sampleProducerRecord } from '../../infra/local/query/lake-writer';
import { publishStack } from '../../infra/local/query/stack-state';
import { LocalSqs } from '../../infra/local/sqs';
import { createSqsClient } from '../../shared/aws/sqs-client';
import { prefixRoot } from '../../shared/lake-layout';
import { report } from '../../shared/lake-query/reports';
import { deadLetterQueueName } from '../../shared/routes/cloudformation';
import { sharedStack } from '../helpers/shared-stack';

// After a run on the local stack, what the lake answers must be what the pipeline counted.
const ROOT = join(__dirname, '..', '..');
const exec = promisify(execFile);
/** `npm run query` as a user runs it (`--silent`: npm's banner would go to stdout). */
const query = (args: string[]) =>
  exec('npm', ['run', '--silent', 'query', '--', ...args], { cwd: ROOT, maxBuffer: 64 * 1024 * 1024, timeout: 60_000 });
const failed = (args: string[]) =>
  query(args).then(
    () => {
      throw new Error('expected npm run query to fail');
    },
    (error: { code: number; stdout: string; stderr: string }) => error,
  );

const EVENTS = 240;

type Sample = Record<string, unknown>;
/** The client and event type a producer record ends up with (see shared/sources). */
const clientOf = (record: Sample): string => String(record.customerId ?? record.company_id ?? record.clientId);
const eventTypeOf = (record: Sample): string =>
  String(
    record.meterApiName ??
      record.action_name ??
      (record.entry as { eventType?: string } | undefined)?.eventType ??
      'api_call',
  );
const tally = (
  records: readonly Sample[],
  key: (record: Sample) => string,
  value: (record: Sample) => number = () => 1,
) => {
  const counts: Record<string, number> = {};
  for (const record of records) counts[key(record)] = (counts[key(record)] ?? 0) + value(record);
  return counts;
};
const asRecord = (result: QueryResult) => Object.fromEntries(result.rows.map(([key, value]) => [String(key), value]));

describe('npm run query after a run on the local stack', () => {
  let pipeline: LocalPipeline;
  let dir: string;
  let engine: LocalLakeEngine;
  let summary: RunSummary;
  let lake: LakeCheck;
  const samples: Sample[] = [];

  beforeAll(async () => {
    const { endpoints, definition } = sharedStack();
    pipeline = await LocalPipeline.start({ endpoints, definition, suffix: '-query' });
    const random = createRandom(13);
    const now = Date.now();
    for (let index = 0; index < EVENTS; index++)
      samples.push(sampleProducerRecord(index, new Date(now - Math.floor(random() * 2 * 86_400_000) - 60_000), random));
    const bad = [
      'not json',
      JSON.stringify({
        customerId: 'acme-corp',
        meterApiName: 'api_requests',
        meterValue: '3',
        meterTimeInMillis: now,
      }),
      JSON.stringify({ meterApiName: 'api_requests', meterValue: 3, meterTimeInMillis: now }),
    ];
    await pipeline.put([
      ...samples.map((record) => ({ partitionKey: clientOf(record), data: Buffer.from(JSON.stringify(record)) })),
      // Ten sent twice: the duplicates are dropped, never counted twice in the lake.
      ...samples.slice(0, 10).map((record) => ({ partitionKey: 'again', data: Buffer.from(JSON.stringify(record)) })),
      ...bad.map((text) => ({ partitionKey: 'bad', data: Buffer.from(text) })),
    ]);
    await pipeline.drain();
    lake = await pipeline.verifyLake();
    summary = await pipeline.summary(lake);
    dir = await mkdtemp(join(tmpdir(), 'query-it-'));
    await copyLake(pipeline, [prefixRoot(pipeline.layout.prefix), 'errors/', 'quarantine/'], dir);
    engine = await LocalLakeEngine.open(await openLakeDir(dir, { bucket: pipeline.names.bucket }));
  });

  afterAll(async () => {
    engine?.close();
    await pipeline?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('has the rows and distinct ids the pipeline delivered', async () => {
    expect(summary).toMatchObject({ delivered: EVENTS, duplicates: 10, quarantined: 3 });
    const { rows } = await engine.query(
      'SELECT count(*), count(DISTINCT id), count(DISTINCT ("clientId", "idScope", id)) FROM events',
    );
    expect(rows).toEqual([[summary.delivered, lake.events, summary.delivered]]);
  });

  it('has the per-source counts of the run summary, and the per-client and per-type counts of what was sent', async () => {
    const bySource = asRecord(await engine.query('SELECT "idScope", count(*) FROM events GROUP BY 1'));
    expect(bySource).toEqual(
      Object.fromEntries(
        Object.entries(summary.bySource)
          .filter(([, counts]) => counts.delivered > 0)
          .map(([source, counts]) => [source, counts.delivered]),
      ),
    );
    expect(asRecord(await engine.query('SELECT "clientId", count(*) FROM events GROUP BY 1'))).toEqual(
      tally(samples, clientOf),
    );
    expect(asRecord(await engine.query('SELECT "eventType", count(*) FROM events GROUP BY 1'))).toEqual(
      tally(samples, eventTypeOf),
    );
  });

  it('sums each customer meters as they were sent', async () => {
    const meters = samples.filter((record) => 'meterApiName' in record);
    expect(asRecord(await engine.query('SELECT "customerId", sum("meterValue") FROM usage_meters GROUP BY 1'))).toEqual(
      tally(meters, clientOf, (record) => Number(record.meterValue)),
    );
  });

  it('reports quarantine by reason as the run counted it', async () => {
    const health = await engine.query(report('health').sql);
    expect(Object.fromEntries(health.rows.map(([, kind, records]) => [kind, records]))).toEqual(
      summary.quarantineReasons,
    );
  });

  it('answers --json from the CLI with the same rows as the engine', async () => {
    const sql = 'SELECT "clientId", count(*) AS events FROM events GROUP BY 1 ORDER BY 1';
    const { stdout } = await query(['--lake', dir, '--json', sql]);
    const expected = (await engine.query(sql)).rows.map(([clientId, events]) => ({ clientId, events }));
    expect(JSON.parse(stdout)).toEqual(expected);
  });

  it('prints --report usage as an aligned table with its title and row count', async () => {
    const { stdout } = await query(['--lake', dir, '--report', 'usage']);
    const lines = stdout.trimEnd().split('\n');
    const rows = (await engine.query(report('usage').sql)).rows.length;
    expect(lines[0]).toMatch(/^Usage: meter totals per customer/);
    expect(lines[1]).toMatch(/^customerId\s+meterApiName\s+day\s+total\s+events$/);
    expect(lines[2]).toMatch(/^-+( +-+){4}$/);
    expect(lines).toHaveLength(rows + 4);
    expect(lines.at(-1)).toBe(`(${rows} rows)`);
  });

  it("refuses bad SQL in one line with DuckDB's message, exit 2, nothing on stdout", async () => {
    const failure = await failed(['--lake', dir, 'SELEC count(*) FROM events']);
    expect(failure).toMatchObject({ code: 2, stdout: '' });
    expect(failure.stderr).toMatch(/^npm run query: Parser Error: syntax error at or near "SELEC"\n$/);
    const unknown = await failed(['--lake', dir, 'SELECT * FROM no_such_view']);
    expect(unknown.stderr).toMatch(
      /^npm run query: Catalog Error: Table with name no_such_view does not exist![^\n]*\n$/,
    );
  });

  it('says when there is no lake to query: no --lake and no stack running', async () => {
    const failure = await failed(['--lake', join(dir, 'missing'), 'SELECT 1']);
    expect(failure).toMatchObject({ code: 2, stdout: '' });
    expect(failure.stderr).toBe(`npm run query: --lake ${join(dir, 'missing')}: no such directory\n`);
    const out: string[] = [];
    await expect(
      queryMain(['SELECT 1'], {
        out: (text) => out.push(text),
        err: () => undefined,
        stackFile: join(dir, 'none.json'),
      }),
    ).rejects.toMatchObject({ name: 'QueryUsageError', reason: 'NoLake' });
  });

  it('queries the running stack through its S3 endpoint when no --lake is given', async () => {
    const stackFile = join(dir, 'stack.json');
    publishStack(
      {
        pid: process.pid,
        startedAt: new Date().toISOString(),
        service: pipeline.definition.service,
        stage: pipeline.definition.stage,
        bucket: pipeline.names.bucket,
        prefix: pipeline.layout.prefix,
        errorRoot: 'errors/',
        quarantineRoot: 'quarantine/',
        env: pipeline.env,
      },
      stackFile,
    );
    const out: string[] = [];
    const code = await queryMain(['--json', 'SELECT count(*) AS events, count(DISTINCT id) AS ids FROM events'], {
      out: (text) => out.push(text),
      err: () => undefined,
      stackFile,
    });
    expect(code).toBe(0);
    expect(JSON.parse(out.join(''))).toEqual([{ events: summary.delivered, ids: summary.delivered }]);
  });
});

describe('the dead letters of the health report', () => {
  it('counts the messages in each route queue of the stack, in flight ones included', async () => {
    const sqs = new LocalSqs({ region: 'us-east-1' });
    const { endpoint } = await sqs.start();
    try {
      const client = createSqsClient({ AWS_REGION: 'us-east-1', AWS_ENDPOINT_URL_SQS: endpoint });
      const urls: Record<string, string> = {};
      for (const route of ['quiet', 'noisy']) {
        const { QueueUrl } = await client.send(
          new CreateQueueCommand({ QueueName: deadLetterQueueName('usage-pipeline', 'query-it', route) }),
        );
        urls[route] = QueueUrl ?? '';
      }
      for (const body of ['a', 'b', 'c'])
        await client.send(new SendMessageCommand({ QueueUrl: urls.noisy, MessageBody: body }));
      // One of them being looked at (received, not yet deleted) is still a dead letter.
      await client.send(new ReceiveMessageCommand({ QueueUrl: urls.noisy, MaxNumberOfMessages: 1 }));

      const counts = await countDeadLetters({
        pid: process.pid,
        startedAt: new Date().toISOString(),
        service: 'usage-pipeline',
        stage: 'query-it',
        bucket: 'unused',
        prefix: 'events/dt=!{partitionKeyFromLambda:dt}/',
        errorRoot: 'errors/',
        quarantineRoot: 'quarantine/',
        env: { AWS_REGION: 'us-east-1' },
        routing: { sqsEndpoint: endpoint, routes: ['quiet', 'noisy'] },
      });

      expect(counts).toEqual({ quiet: 0, noisy: 3 });
    } finally {
      await sqs.stop();
    }
  });
});

describe('npm start and npm run query together', () => {
  let out: string;

  beforeAll(async () => {
    out = await mkdtemp(join(tmpdir(), 'query-start-'));
  });

  afterAll(async () => {
    await rm(out, { recursive: true, force: true });
  });

  it('prints the top of usage and health after the summary, keeps --json last, and the copy answers with its counts', async () => {
    const { stdout } = await exec(
      process.execPath,
      [
        join(ROOT, 'node_modules/tsx/dist/cli.mjs'),
        'infra/local/cli/start.ts',
        '--events',
        '300',
        '--out',
        out,
        '--json',
      ],
      { cwd: ROOT, maxBuffer: 64 * 1024 * 1024, timeout: 120_000 },
    );
    const lines = stdout.trimEnd().split('\n');
    const summary = JSON.parse(lines.at(-1) ?? '') as {
      delivered: number;
      quarantineReasons: Record<string, number>;
    };
    expect(stdout).toMatch(
      new RegExp(
        `\\n  usage +(top \\d+ of )?\\d+ rows \\(npm run query -- --lake ${out} --report usage\\)\\n    customerId +meterApiName +day +total +events\\n`,
      ),
    );
    expect(stdout).toMatch(
      /\n {2}health +\d+ rows \(npm run query -- --lake .* --report health\)\n {4}place +kind +records\n/,
    );
    for (const [reason, count] of Object.entries(summary.quarantineReasons))
      expect(stdout).toMatch(new RegExp(`\\n    quarantine +${reason} +${count}\\n`));

    const { stdout: counted } = await query(['--lake', out, '--json', 'SELECT count(*) AS n FROM events']);
    expect(JSON.parse(counted)).toEqual([{ n: summary.delivered }]);
    const { stdout: health } = await query(['--lake', out, '--json', '--report', 'health']);
    const quarantine = (JSON.parse(health) as { place: string; kind: string; records: number }[]).filter(
      (row) => row.place === 'quarantine',
    );
    expect(Object.fromEntries(quarantine.map((row) => [row.kind, row.records]))).toEqual(summary.quarantineReasons);
  });
});
