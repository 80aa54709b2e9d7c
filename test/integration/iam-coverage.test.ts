import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { S3Event } from 'aws-lambda';
import { DEV_JWT_AUDIENCE, generateDevKeyPair, mintDevToken } from '../../infra/local/http-api/dev-jwt';
import { loadHandlerModule } from '../../infra/local/lambda/handler-module';
import type { LambdaHandler } from '../../infra/local/lambda/invoker';
import { LocalPipeline } from '../../infra/local/pipeline/local-pipeline';
import { objectCreatedEvent } from '../../infra/local/pipeline/s3-drop';
import { LOCAL_ACCOUNT_ID } from '../../infra/local/runtime/aws';
import { localLambdaContext } from '../../infra/local/runtime/lambda-context';
import { callLogPath, parseCallLog, type RecordedCall } from '../../shared/aws/call-recorder';
import { loadSampleEvent } from '../helpers/events';
import { eventsBody } from '../helpers/http-api-events';
import { checkCoverage } from '../helpers/iam-coverage';
import { packagedTemplate } from '../helpers/packaged-template';
import { sharedStack } from '../helpers/shared-stack';

// IAM coverage end to end (README "Tests"): every function that makes AWS calls runs here on the
// local stack, as it does in the other test files (the ingest API over HTTP, the example API and
// s3Drop loaded by the local loader, the consumer in its worker threads); the call log
// global-setup.ts started records their calls, and they are checked against the functions' roles
// in the packaged template. globalTeardown checks the whole run's log the same way.
const SUFFIX = '-iam';
let pipeline: LocalPipeline;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'iam-coverage-it-'));
  const { endpoints, definition } = sharedStack();
  pipeline = await LocalPipeline.start({ endpoints, definition, suffix: SUFFIX });
});

afterAll(async () => {
  await pipeline?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** This file's calls: the ones on its own (suffixed) resources. */
const ownCalls = (): RecordedCall[] => {
  const path = callLogPath();
  if (path === undefined) throw new Error('AWS_CALL_LOG is not set: run integration tests through jest (global setup)');
  return parseCallLog(readFileSync(path, 'utf8')).filter((call) =>
    call.permissions.some((permission) => permission.resource.includes(SUFFIX)),
  );
};

describe("the functions' AWS calls on the local stack", () => {
  it('are recorded per function and allowed by its role, a deleted drop object included', async () => {
    // Prepare: the ingest API behind the local JWT authorizer, the example API as the loader loads it.
    const keyPair = generateDevKeyPair();
    const url = await pipeline.startHttpApi({ keyPair });
    const token = await mintDevToken(keyPair, { clientId: 'it-iam', issuer: url, audience: DEV_JWT_AUDIENCE });
    Object.assign(process.env, {
      CAPTURE_STREAM_NAME: pipeline.names.stream,
      CAPTURE_DEFAULT_CLIENT_ID: 'it-iam-anonymous',
      AWS_ENDPOINT_URL_KINESIS: pipeline.env.AWS_ENDPOINT_URL_KINESIS,
    });
    const exampleApi = loadHandlerModule<LambdaHandler>('functions/example-api/handler', 'handler').handler;
    const file = join(dir, 'drop.ndjson');
    const meter = {
      customerId: 'it-iam',
      meterApiName: 'api_calls',
      meterValue: 1,
      meterTimeInMillis: Date.now() - 60_000,
    };
    writeFileSync(file, `${JSON.stringify({ ...meter, uniqueId: `it-iam-${Date.now()}` })}\n`);

    // Act
    const ingested = await fetch(`${url}/events`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: eventsBody({ eventType: 'searching', schemaVersion: 1, data: { searchTerm: 'iam' } }),
    });
    const captured = (await exampleApi(
      loadSampleEvent('example-api-v2'),
      localLambdaContext({ name: 'usage-pipeline-test-exampleApi', timeoutSeconds: 10 }, pipeline.definition.region),
      () => undefined,
    )) as { statusCode: number };
    const dropped = await pipeline.drop(file);
    // A file deleted between its ObjectCreated notification and the read: skipped as NoSuchKey.
    const s3Drop = pipeline.definition.s3Drop as NonNullable<typeof pipeline.definition.s3Drop>;
    const dropHandler = loadHandlerModule<LambdaHandler<S3Event, { files: unknown[] }>>(
      s3Drop.modulePath,
      s3Drop.exportName,
    ).handler;
    const goneKey = `${dropped.key.slice(0, dropped.key.lastIndexOf('/'))}/gone.ndjson`;
    const gone = (await dropHandler(
      objectCreatedEvent({
        region: pipeline.definition.region,
        bucket: pipeline.names.bucket,
        key: goneKey,
        size: 10,
        eTag: undefined,
      }),
      localLambdaContext(s3Drop, pipeline.definition.region),
      () => undefined,
    )) as { files: unknown[] };
    await pipeline.drain();
    const calls = ownCalls();
    const report = checkCoverage(calls, await packagedTemplate({ stage: pipeline.definition.stage }), {
      partition: 'aws',
      region: pipeline.definition.region,
      accountId: LOCAL_ACCOUNT_ID,
      stackName: `${pipeline.definition.service}-${pipeline.definition.stage}`,
    });

    // Assess: the functions did their work…
    expect([ingested.status, captured.statusCode, dropped.result.sent, gone.files]).toEqual([200, 201, 1, []]);
    // …each made its calls as itself…
    const stage = pipeline.definition.stage;
    const operations = (fn: string) =>
      [
        ...new Set(
          calls.filter((call) => call.handler === `functions/${fn}/handler.handler`).map((call) => call.operation),
        ),
      ].sort();
    expect({
      ingestApi: operations('ingest-api'),
      exampleApi: operations('example-api'),
      s3Drop: operations('s3-drop'),
      kinesisConsumer: operations('kinesis-consumer'),
    }).toEqual({
      ingestApi: ['PutRecords'],
      exampleApi: ['PutRecords'],
      s3Drop: ['GetObject', 'PutRecords'],
      kinesisConsumer: ['BatchGetItem', 'BatchWriteItem', 'PutRecordBatch'],
    });
    expect(calls).toContainEqual(
      expect.objectContaining({
        handler: 'functions/s3-drop/handler.handler',
        operation: 'GetObject',
        permissions: [{ action: 's3:GetObject', resource: `arn:aws:s3:::${pipeline.names.bucket}/${goneKey}` }],
        outcome: 'NoSuchKey',
      }),
    );
    // …and every call, the 404 of the deleted file's read too, is allowed by the function's role.
    expect(report.uncovered).toEqual([]);
    expect(Object.keys(report.callsByFunction).sort()).toEqual(
      ['exampleApi', 'ingestApi', 'kinesisConsumer', 's3Drop'].map((name) => `usage-pipeline-${stage}-${name}`),
    );
  });
});
