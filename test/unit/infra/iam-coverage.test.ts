// The IAM coverage check (test/helpers/iam-policy.ts, iam-coverage.ts): IAM's evaluation of a
// request against the functions' roles in the packaged template (`osls package`), and the
// report the integration run's globalTeardown fails on. The calls here are the ones the functions
// make (shared/aws/call-permissions.ts); the integration suite records the real ones.
// IAM: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html,
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html
// S3 answers a read of a missing key 404 only with s3:ListBucket, else 403:
// https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html ("Permissions").
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RecordedCall } from '../../../shared/aws/call-recorder';
import {
  checkCoverage,
  formatReport,
  IamCoverageError,
  requiredPermissions,
  verifyCallLog,
  withoutSuffix,
} from '../../helpers/iam-coverage';
import {
  conditionHolds,
  evaluate,
  type FunctionPolicy,
  functionPolicies,
  type PolicyStatement,
  resolveIntrinsics,
  wildcardMatch,
} from '../../helpers/iam-policy';
import { type CfnTemplate, packagedTemplate } from '../../helpers/packaged-template';

const PSEUDO = { partition: 'aws', region: 'us-east-1', accountId: '000000000000', stackName: 'usage-pipeline-test' };
const BUCKET = 'usage-pipeline-test-lake-local';
const STREAM = 'arn:aws:kinesis:us-east-1:000000000000:stream/usage-pipeline-test-events';

let template: CfnTemplate;
let policies: FunctionPolicy[];

beforeAll(async () => {
  template = await packagedTemplate();
  policies = functionPolicies(template, PSEUDO);
}, 180_000);

const call = (handler: string, operation: string, permissions: RecordedCall['permissions'], outcome = 'ok') =>
  ({ handler, service: 's3', operation, permissions, outcome }) as RecordedCall;
const S3_DROP = 'functions/s3-drop/handler.handler';
const CONSUMER = 'functions/kinesis-consumer/handler.handler';

describe('IAM evaluation', () => {
  it('matches wildcards: * any run (across / and :), ? one character; actions ignore case', () => {
    expect(wildcardMatch('arn:aws:s3:::b/ingest/*', 'arn:aws:s3:::b/ingest/01-02-2026/x.json')).toBe(true);
    expect(wildcardMatch('arn:aws:s3:::b/ingest/*', 'arn:aws:s3:::b/ingest')).toBe(false);
    expect(wildcardMatch('arn:aws:s3:::b/?.json', 'arn:aws:s3:::b/a.json')).toBe(true);
    expect(wildcardMatch('arn:aws:s3:::b/?.json', 'arn:aws:s3:::b/ab.json')).toBe(false);
    expect(wildcardMatch('arn:aws:s3:::b.c', 'arn:aws:s3:::bxc')).toBe(false);
    expect(wildcardMatch('s3:Get*', 's3:getobject', true)).toBe(true);
    expect(wildcardMatch('s3:Get*', 's3:getobject')).toBe(false);
  });

  it('conditions: any value of a key, every key; a missing key fails a positive operator only', () => {
    const like = { StringLike: { 's3:prefix': ['ingest/*', 'failed-requests/*'] } };
    expect(conditionHolds(like, { 's3:prefix': 'failed-requests/x' })).toBe(true);
    expect(conditionHolds(like, { 's3:prefix': 'events/x' })).toBe(false);
    expect(conditionHolds(like, {})).toBe(false);
    expect(conditionHolds({ StringNotLike: { 's3:prefix': ['events/*'] } }, {})).toBe(true);
    expect(conditionHolds({ StringLikeIfExists: { 's3:prefix': ['ingest/*'] } }, {})).toBe(true);
    expect(
      conditionHolds(
        { StringEquals: { 'S3:Prefix': ['a'] }, Bool: { 'aws:SecureTransport': ['true'] } },
        { 's3:prefix': 'a' },
      ),
    ).toBe(false);
    expect(() => conditionHolds({ NumericLessThan: { 's3:max-keys': ['10'] } }, {})).toThrow(
      expect.objectContaining({ name: 'IamPolicyError', reason: 'UNSUPPORTED_CONDITION' }),
    );
  });

  it('an explicit Deny wins over an Allow; no Allow is an implicit deny', () => {
    const statements: PolicyStatement[] = [
      { id: 'p/Read', effect: 'Allow', action: ['s3:Get*'], resource: ['arn:aws:s3:::b/*'] },
      { id: 'p/NotSecret', effect: 'Deny', action: ['s3:*'], resource: ['arn:aws:s3:::b/secret/*'] },
    ];
    expect(evaluate(statements, { action: 's3:GetObject', resource: 'arn:aws:s3:::b/x' })).toEqual({
      allowed: true,
      allowedBy: [{ statement: 'p/Read', action: 's3:Get*', resource: 'arn:aws:s3:::b/*' }],
      deniedBy: [],
    });
    expect(evaluate(statements, { action: 's3:GetObject', resource: 'arn:aws:s3:::b/secret/x' }).allowed).toBe(false);
    expect(evaluate(statements, { action: 's3:PutObject', resource: 'arn:aws:s3:::b/x' }).allowed).toBe(false);
  });

  it('resolves Ref, Fn::GetAtt Arn, Fn::Sub and Fn::Join to the resources named in the template', () => {
    const value = resolveIntrinsics(
      template,
      [
        { 'Fn::GetAtt': ['EventsStream', 'Arn'] },
        { 'Fn::Sub': `arn:\${AWS::Partition}:s3:::\${LakeBucket}/ingest/*` },
        { 'Fn::Join': ['', ['arn:aws:s3:::', { Ref: 'LakeBucket' }, '/x']] },
        { Ref: 'ConsumerFailureQueue' },
        { 'Fn::Sub': [`\${Bus}/\${!Literal}`, { Bus: { 'Fn::GetAtt': ['RoutingBus', 'Arn'] } }] },
      ],
      PSEUDO,
    );
    expect(value).toEqual([
      STREAM,
      `arn:aws:s3:::${BUCKET}/ingest/*`,
      `arn:aws:s3:::${BUCKET}/x`,
      'https://sqs.us-east-1.amazonaws.com/000000000000/usage-pipeline-test-consumer-failures',
      `arn:aws:events:us-east-1:000000000000:event-bus/usage-pipeline-test-routing/\${Literal}`,
    ]);
  });
});

describe("the functions' roles in the packaged template", () => {
  it('has every function with its handler, its role, and the policies attached to the role', () => {
    expect(policies.map((fn) => [fn.functionName, fn.handler, fn.roleId])).toEqual(
      expect.arrayContaining([
        ['usage-pipeline-test-kinesisConsumer', CONSUMER, 'KinesisConsumerRole'],
        ['usage-pipeline-test-s3Drop', S3_DROP, 'S3DropRole'],
        ['usage-pipeline-test-ingestApi', 'functions/ingest-api/handler.handler', 'IngestApiRole'],
        ['usage-pipeline-test-exampleApi', 'functions/example-api/handler.handler', 'ExampleApiRole'],
      ]),
    );
    const consumer = policies.find((fn) => fn.roleId === 'KinesisConsumerRole');
    // routes.yml's publishing grant is a separate AWS::IAM::Policy attached to the consumer's role.
    expect(consumer?.statements.map((statement) => statement.id)).toContain(
      'ConsumerRoutingPolicy/PublishRoutedEvents',
    );
  });

  it('s3Drop: a dropped file that was deleted before the read is NoSuchKey, not AccessDenied (s3:ListBucket under ingest/)', () => {
    const missing = call(
      S3_DROP,
      'GetObject',
      [{ action: 's3:GetObject', resource: `arn:aws:s3:::${BUCKET}-drop/ingest/01-02-2026/gone.json` }],
      'NoSuchKey',
    );
    const required = requiredPermissions(missing, (arn) => withoutSuffix(arn, [`arn:aws:s3:::${BUCKET}`]));

    expect(required).toEqual([
      { action: 's3:GetObject', resource: `arn:aws:s3:::${BUCKET}/ingest/01-02-2026/gone.json` },
      {
        action: 's3:ListBucket',
        resource: `arn:aws:s3:::${BUCKET}`,
        context: { 's3:prefix': 'ingest/01-02-2026/gone.json' },
      },
    ]);
    expect(checkCoverage([missing], template, PSEUDO).uncovered).toEqual([]);
  });

  it('s3Drop may not list or read outside the drop location', () => {
    const report = checkCoverage(
      [
        call(S3_DROP, 'ListObjectsV2', [
          { action: 's3:ListBucket', resource: `arn:aws:s3:::${BUCKET}`, context: { 's3:prefix': 'events/' } },
        ]),
        call(
          S3_DROP,
          'GetObject',
          [{ action: 's3:GetObject', resource: `arn:aws:s3:::${BUCKET}/quarantine/x` }],
          'NoSuchKey',
        ),
      ],
      template,
      PSEUDO,
    );

    expect(report.uncovered.map((entry) => [entry.action, entry.resource, entry.context, entry.operations])).toEqual([
      ['s3:ListBucket', `arn:aws:s3:::${BUCKET}`, { 's3:prefix': 'events/' }, ['ListObjectsV2']],
      ['s3:GetObject', `arn:aws:s3:::${BUCKET}/quarantine/x`, undefined, ['GetObject']],
      ['s3:ListBucket', `arn:aws:s3:::${BUCKET}`, { 's3:prefix': 'quarantine/x' }, ['GetObject → NoSuchKey']],
    ]);
  });

  it('the consumer: its idempotency, delivery, quarantine, routing and unrouted calls are granted', () => {
    const calls = [
      call(CONSUMER, 'BatchGetItem', [
        {
          action: 'dynamodb:BatchGetItem',
          resource: 'arn:aws:dynamodb:us-east-1:000000000000:table/usage-pipeline-test-idempotency-v2-x',
        },
      ]),
      call(CONSUMER, 'PutRecordBatch', [
        {
          action: 'firehose:PutRecordBatch',
          resource: 'arn:aws:firehose:us-east-1:000000000000:deliverystream/usage-pipeline-test-delivery-x',
        },
      ]),
      call(CONSUMER, 'PutObject', [{ action: 's3:PutObject', resource: `arn:aws:s3:::${BUCKET}-x/quarantine/a.json` }]),
      call(CONSUMER, 'PutEvents', [
        {
          action: 'events:PutEvents',
          resource: 'arn:aws:events:us-east-1:000000000000:event-bus/usage-pipeline-test-routing',
        },
      ]),
      call(CONSUMER, 'PutObject', [
        { action: 's3:PutObject', resource: `arn:aws:s3:::${BUCKET}-x/unrouted/2026/a.ndjson` },
      ]),
    ];

    const report = checkCoverage(calls, template, PSEUDO);

    expect(report.uncovered).toEqual([]);
    expect(report.callsByFunction).toEqual({ 'usage-pipeline-test-kinesisConsumer': 5 });
    // What no call used: the consumer's grants for the Lambda service (logs, the event source
    // mapping's reads, the on-failure destination) and every grant of the functions that made none.
    const unused = report.unused.filter((grant) => grant.function === 'usage-pipeline-test-kinesisConsumer');
    expect(unused.map((grant) => grant.statement).sort()).toEqual(
      expect.arrayContaining([
        'kinesis-consumer/Logs',
        'kinesis-consumer/OnFailureDestination',
        'kinesis-consumer/ReadEventsStream',
      ]),
    );
    // Per action: BatchGetItem was called, BatchWriteItem was not.
    expect(
      unused.filter((grant) => grant.statement === 'kinesis-consumer/Idempotency').map((grant) => grant.action),
    ).toEqual(['dynamodb:BatchWriteItem']);
    expect(report.silentFunctions).toEqual(expect.arrayContaining(['usage-pipeline-test-s3Drop']));
  });

  it("fails a call the function's role does not grant, and one of a function the template does not have", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'iam-coverage-'));
    const log = join(dir, 'calls.ndjson');
    const calls = [
      call('functions/ingest-api/handler.handler', 'PutRecords', [
        { action: 'kinesis:PutRecords', resource: `${STREAM}-httpapi` },
      ]),
      {
        ...call('functions/ingest-api/handler.handler', 'PutObject', [
          { action: 's3:PutObject', resource: `arn:aws:s3:::${BUCKET}/x` },
        ]),
        stage: 'test',
      },
      call('functions/not-deployed/handler.handler', 'PutRecords', [
        { action: 'kinesis:PutRecords', resource: STREAM },
      ]),
      call('test/fixtures/handlers/slow.handler', 'PutRecords', [{ action: 'kinesis:PutRecords', resource: STREAM }]),
    ];
    writeFileSync(log, calls.map((line) => `${JSON.stringify(line)}\n`).join(''));
    const stages: string[] = [];
    try {
      const failure = await verifyCallLog(log, {
        defaultStage: 'test',
        template: async (stage) => {
          stages.push(stage);
          return template;
        },
        pseudo: () => PSEUDO,
      }).catch((error: unknown) => error);

      expect(stages).toEqual(['test']);
      expect(failure).toBeInstanceOf(IamCoverageError);
      const { report } = failure as IamCoverageError;
      expect(report.uncovered.map((entry) => [entry.function, entry.action])).toEqual([
        ['usage-pipeline-test-ingestApi', 's3:PutObject'],
        ['functions/not-deployed/handler.handler', 'kinesis:PutRecords'],
      ]);
      expect(report.otherCallers).toEqual(['test/fixtures/handlers/slow.handler']);
      expect((failure as Error).message).toContain(
        `usage-pipeline-test-ingestApi: s3:PutObject on arn:aws:s3:::${BUCKET}/x`,
      );
      expect(formatReport(report)).toMatch(/^IAM coverage: 4 AWS calls recorded/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('withoutSuffix', () => {
  const arns = [
    STREAM,
    `arn:aws:s3:::${BUCKET}`,
    'arn:aws:sqs:us-east-1:000000000000:usage-pipeline-test-consumer-failures',
  ];

  it("maps a test file's suffixed resource to the template's, and leaves others alone", () => {
    expect(withoutSuffix(`${STREAM}-pipeline`, arns)).toBe(STREAM);
    expect(withoutSuffix(`arn:aws:s3:::${BUCKET}-qr-narrow/quarantine/x`, arns)).toBe(
      `arn:aws:s3:::${BUCKET}/quarantine/x`,
    );
    expect(withoutSuffix(`arn:aws:s3:::${BUCKET}/ingest/x-y`, arns)).toBe(`arn:aws:s3:::${BUCKET}/ingest/x-y`);
    expect(withoutSuffix(`${STREAM}2`, arns)).toBe(`${STREAM}2`);
    expect(withoutSuffix('arn:aws:kinesis:us-east-1:000000000000:stream/other', arns)).toBe(
      'arn:aws:kinesis:us-east-1:000000000000:stream/other',
    );
  });
});
