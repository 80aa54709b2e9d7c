// Hardening of the packaged template (`osls package`, test/helpers/packaged-template.ts), as
// CloudFormation would deploy it (test/helpers/cfn-resolve.ts), with the defaults and with a
// customer managed lake key and an on-demand stream (CONFIGURED_PARAMS):
// - the Firehose delivery role writes only under the lake's data and error prefixes;
// - every bucket blocks public access and refuses requests without TLS
//   (https://docs.aws.amazon.com/AmazonS3/latest/userguide/security-best-practices.html);
// - the lake key, when given, encrypts the bucket (SSE-KMS, https://docs.aws.amazon.com/AmazonS3/latest/userguide/specifying-kms-encryption.html)
//   and every role that reads or writes the lake may use it (kms:GenerateDataKey to write,
//   kms:Decrypt to read and for multipart uploads: https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingKMSEncryption.html);
// - HTTP API access logs (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-logging.html);
// - the stream's capacity mode (ShardCount only for PROVISIONED:
//   https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-kinesis-stream.html).
import { prefixRoot } from '../../../shared/lake-layout';
import { resolveTemplate } from '../../helpers/cfn-resolve';
import {
  type CfnResource,
  type CfnTemplate,
  CONFIGURED_PARAMS,
  LAKE_KEY_ARN,
  PackagedTemplateError,
  packagedTemplate,
  printedConfig,
} from '../../helpers/packaged-template';

interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Principal?: unknown;
  Condition?: Record<string, Record<string, unknown>>;
}

let raw: CfnTemplate;
let byDefault: CfnTemplate;
let configured: CfnTemplate;
/** `osls print` with a provisioned shard count (cheaper than a third packaging). */
let printedWithShards: Record<string, unknown>;

beforeAll(async () => {
  const [plain, withParams, printed] = await Promise.all([
    packagedTemplate(),
    packagedTemplate({ params: CONFIGURED_PARAMS }),
    printedConfig({ params: { streamShardCount: '4' } }),
  ]);
  raw = plain;
  byDefault = resolveTemplate(plain);
  configured = resolveTemplate(withParams);
  printedWithShards = printed;
}, 180_000);

const resource = (template: CfnTemplate, logicalId: string, type: string): Record<string, unknown> => {
  const found = template.Resources[logicalId];
  expect(found?.Type).toBe(type);
  return (found as CfnResource).Properties ?? {};
};
const ofType = (template: CfnTemplate, type: string): [string, CfnResource][] =>
  Object.entries(template.Resources).filter(([, r]) => r.Type === type);
const list = <T>(value: T | T[] | undefined): T[] =>
  value === undefined ? [] : Array.isArray(value) ? value : [value];

const PSEUDO: Record<string, string> = {
  'AWS::Partition': 'aws',
  'AWS::Region': 'us-east-1',
  'AWS::AccountId': '123456789012',
  'AWS::URLSuffix': 'amazonaws.com',
};
/** A bucket's name in rendered ARNs: its literal BucketName, else `<LogicalId>`. */
const bucketName = (template: CfnTemplate, logicalId: string): string => {
  const name = template.Resources[logicalId]?.Properties?.BucketName;
  return typeof name === 'string' ? name : `<${logicalId}>`;
};
/** An ARN expression (string, Ref, Fn::GetAtt Arn, Fn::Sub, Fn::Join) as text, pseudo parameters filled in. */
const render = (template: CfnTemplate, value: unknown): string => {
  const named = (name: string): string => {
    const dot = name.indexOf('.');
    if (name in PSEUDO) return PSEUDO[name] as string;
    const id = dot > 0 ? name.slice(0, dot) : name;
    const isBucket = template.Resources[id]?.Type === 'AWS::S3::Bucket';
    if (dot > 0) return isBucket && name.endsWith('.Arn') ? `arn:aws:s3:::${bucketName(template, id)}` : `<${name}>`;
    return isBucket ? bucketName(template, id) : `<${name}>`;
  };
  if (typeof value === 'string') return value;
  const call = value as Record<string, unknown>;
  if (typeof call.Ref === 'string') return named(call.Ref);
  if (Array.isArray(call['Fn::GetAtt'])) return named((call['Fn::GetAtt'] as string[]).join('.'));
  if (typeof call['Fn::Sub'] === 'string') {
    return call['Fn::Sub'].replace(/\$\{([^}]+)\}/g, (_, name: string) => named(name));
  }
  if (Array.isArray(call['Fn::Join'])) {
    const [delimiter, parts] = call['Fn::Join'] as [string, unknown[]];
    return parts.map((part) => render(template, part)).join(delimiter);
  }
  return JSON.stringify(value);
};
/** IAM's ARN wildcards: `*` any run of characters, `?` one. */
const arnMatches = (pattern: string, arn: string): boolean =>
  new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
  ).test(arn);

/** Every statement a role's policies allow or deny: inline, and policies that attach themselves to it. */
const roleStatements = (template: CfnTemplate, roleId: string): Statement[] => {
  const role = resource(template, roleId, 'AWS::IAM::Role');
  const inline = list(role.Policies as { PolicyDocument: { Statement: Statement[] } }[]).flatMap(
    (policy) => policy.PolicyDocument.Statement,
  );
  const attached = Object.values(template.Resources)
    .filter((r) => ['AWS::IAM::Policy', 'AWS::IAM::ManagedPolicy'].includes(r.Type))
    .filter((r) =>
      list(r.Properties?.Roles as unknown[]).some((ref) => JSON.stringify(ref) === JSON.stringify({ Ref: roleId })),
    )
    .flatMap((r) => (r.Properties?.PolicyDocument as { Statement: Statement[] } | undefined)?.Statement ?? []);
  return [...inline, ...attached];
};
const allowed = (statements: Statement[], action: string): unknown[] =>
  statements
    .filter((s) => s.Effect === 'Allow' && list(s.Action).some((a) => arnMatches(a, action)))
    .flatMap((s) => list(s.Resource));

// S3 actions on objects (the rest act on the bucket): https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazons3.html
const OBJECT_ACTIONS = ['s3:PutObject', 's3:AbortMultipartUpload', 's3:GetObject', 's3:DeleteObject'];

describe('Firehose delivery role', () => {
  const delivery = (template: CfnTemplate) =>
    resource(template, 'DeliveryStream', 'AWS::KinesisFirehose::DeliveryStream').ExtendedS3DestinationConfiguration as {
      Prefix: string;
      ErrorOutputPrefix: string;
      RoleARN: unknown;
    };

  it.each(['s3:PutObject', 's3:AbortMultipartUpload', 's3:GetObject'])(
    'allows %s only under the data prefix root and the error prefix root',
    (action) => {
      const template = byDefault;
      const { Prefix, ErrorOutputPrefix, RoleARN } = delivery(template);
      expect(RoleARN).toEqual({ 'Fn::GetAtt': ['FirehoseDeliveryRole', 'Arn'] });
      const bucket = bucketName(template, 'LakeBucket');
      const roots = [prefixRoot(Prefix), prefixRoot(ErrorOutputPrefix)];
      expect(roots).toEqual(['events/', 'errors/']);

      const resources = allowed(roleStatements(template, 'FirehoseDeliveryRole'), action).map((r) =>
        render(template, r),
      );
      expect(resources.sort()).toEqual(roots.map((root) => `arn:aws:s3:::${bucket}/${root}*`).sort());
    },
  );

  it('never deletes objects', () => {
    expect(allowed(roleStatements(configured, 'FirehoseDeliveryRole'), 's3:DeleteObject')).toEqual([]);
  });

  it.each(['ingest/', 'quarantine/', 'redriven/', 'failed-requests/', 'routes/'])(
    'cannot write or read objects under %s',
    (keyPrefix) => {
      const template = configured;
      const arn = `arn:aws:s3:::${bucketName(template, 'LakeBucket')}/${keyPrefix}01-02-2026/file.json`;
      const statements = roleStatements(template, 'FirehoseDeliveryRole');
      for (const action of OBJECT_ACTIONS) {
        expect(allowed(statements, action).filter((r) => arnMatches(render(template, r), arn))).toEqual([]);
      }
    },
  );

  it("keeps s3Drop's trigger prefix outside what it may write", () => {
    const drop = resource(byDefault, 'S3DropLambdaFunction', 'AWS::Lambda::Function') as {
      Environment: { Variables: Record<string, string> };
    };
    const ingest = drop.Environment.Variables.DROP_INGEST_PREFIX as string;
    const trigger = (
      resource(byDefault, 'LakeBucket', 'AWS::S3::Bucket').NotificationConfiguration as {
        LambdaConfigurations: { Filter: { S3Key: { Rules: { Value: string }[] } } }[];
      }
    ).LambdaConfigurations[0]?.Filter.S3Key.Rules[0]?.Value;
    expect(trigger).toBe(ingest);

    const written = allowed(roleStatements(byDefault, 'FirehoseDeliveryRole'), 's3:PutObject').map((r) =>
      render(byDefault, r),
    );
    expect(written.length).toBeGreaterThan(0);
    const probe = `arn:aws:s3:::${bucketName(byDefault, 'LakeBucket')}/${ingest}x.json`;
    expect(written.filter((pattern) => arnMatches(pattern, probe))).toEqual([]);
  });
});

describe('buckets', () => {
  const templates = () => ({ byDefault, configured });

  it.each(['byDefault', 'configured'] as const)('%s: every bucket blocks all public access', (variant) => {
    const template = templates()[variant];
    const buckets = ofType(template, 'AWS::S3::Bucket');
    expect(buckets.map(([id]) => id).sort()).toEqual(['LakeBucket', 'ServerlessDeploymentBucket']);
    for (const [, bucket] of buckets) {
      expect(bucket.Properties?.PublicAccessBlockConfiguration).toEqual({
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      });
    }
  });

  it.each(['byDefault', 'configured'] as const)(
    '%s: every bucket has a policy denying s3:* on the bucket and its objects without TLS',
    (variant) => {
      const template = templates()[variant];
      for (const [id] of ofType(template, 'AWS::S3::Bucket')) {
        const statements = ofType(template, 'AWS::S3::BucketPolicy')
          .filter(([, policy]) => JSON.stringify(policy.Properties?.Bucket) === JSON.stringify({ Ref: id }))
          .flatMap(
            ([, policy]) =>
              (policy.Properties?.PolicyDocument as { Statement: Statement[] } | undefined)?.Statement ?? [],
          );
        const denials = statements.filter(
          (s) =>
            s.Effect === 'Deny' &&
            s.Principal === '*' &&
            list(s.Action).includes('s3:*') &&
            String(s.Condition?.Bool?.['aws:SecureTransport']) === 'false',
        );
        expect(denials).toHaveLength(1);
        const arn = `arn:aws:s3:::${bucketName(template, id)}`;
        expect(
          list((denials[0] as Statement).Resource)
            .map((r) => render(template, r))
            .sort(),
        ).toEqual([arn, `${arn}/*`]);
      }
    },
  );

  it('gives the deployment bucket SSE-S3 and has osls upload its artifacts with it', () => {
    expect(resource(byDefault, 'ServerlessDeploymentBucket', 'AWS::S3::Bucket').BucketEncryption).toEqual({
      ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
    });
    // osls keeps provider.deploymentBucket's settings here; serverSideEncryption is the SSE header of its uploads.
    expect((printedWithShards.provider as { deploymentBucketObject: unknown }).deploymentBucketObject).toEqual({
      blockPublicAccess: true,
      serverSideEncryption: 'AES256',
    });
  });
});

describe('lake KMS key (--param="lakeKmsKeyArn=…")', () => {
  const encryption = (template: CfnTemplate) =>
    (
      resource(template, 'LakeBucket', 'AWS::S3::Bucket').BucketEncryption as {
        ServerSideEncryptionConfiguration: unknown[];
      }
    ).ServerSideEncryptionConfiguration;
  const kmsGrants = (template: CfnTemplate, roleId: string) =>
    roleStatements(template, roleId).filter((s) => list(s.Action).some((a) => a.startsWith('kms:')));

  /** Roles that may read or write objects in the lake bucket. */
  const lakeRoles = (template: CfnTemplate): string[] => {
    const lake = `arn:aws:s3:::${bucketName(template, 'LakeBucket')}/`;
    return ofType(template, 'AWS::IAM::Role')
      .map(([id]) => id)
      .filter((id) =>
        OBJECT_ACTIONS.some((action) =>
          allowed(roleStatements(template, id), action).some((r) => render(template, r).startsWith(lake)),
        ),
      )
      .sort();
  };

  it('without a key: SSE-S3, and no role gets a KMS grant for the lake', () => {
    expect(raw.Parameters?.LakeKmsKeyArn?.Default).toBe('');
    expect(encryption(byDefault)).toEqual([{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }]);
    expect(byDefault.Resources.LakeKmsKeyPolicy).toBeUndefined();
    expect(byDefault.Outputs?.LakeKmsKeyPolicyArn).toBeUndefined();
    for (const roleId of lakeRoles(byDefault)) expect(kmsGrants(byDefault, roleId)).toEqual([]);
  });

  it('with a key: SSE-KMS with that key and an S3 Bucket Key', () => {
    expect(encryption(configured)).toEqual([
      {
        ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: LAKE_KEY_ARN },
        BucketKeyEnabled: true,
      },
    ]);
  });

  it('with a key: every role that reads or writes the lake may use it through S3 only', () => {
    const roles = lakeRoles(configured);
    // Firehose (events/, errors/), the consumer (quarantine/), s3Drop (ingest/, failed-requests/),
    // and a firehose-http route's stream (its failed data under routes/<name>/).
    expect(roles).toEqual(
      expect.arrayContaining([
        'FirehoseDeliveryRole',
        'KinesisConsumerRole',
        'S3DropRole',
        expect.stringMatching(/^RouteActionsVendor[0-9a-f]{6}FirehoseRole$/),
      ]),
    );
    for (const roleId of roles) {
      expect({ roleId, grants: kmsGrants(configured, roleId) }).toEqual({
        roleId,
        grants: [
          expect.objectContaining({
            Effect: 'Allow',
            Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
            Resource: [LAKE_KEY_ARN],
            Condition: { StringEquals: { 'kms:ViaService': { 'Fn::Sub': `s3.\${AWS::Region}.amazonaws.com` } } },
          }),
        ],
      });
    }
  });

  it('with a key: exports the managed policy for whoever runs the re-drive', () => {
    expect(configured.Outputs?.LakeKmsKeyPolicyArn).toEqual(
      expect.objectContaining({
        Value: { Ref: 'LakeKmsKeyPolicy' },
        Export: { Name: 'usage-pipeline-test-LakeKmsKeyPolicyArn' },
      }),
    );
  });

  it("takes a key ARN and refuses an alias ARN (the parameter's AllowedPattern)", () => {
    const pattern = new RegExp(String(raw.Parameters?.LakeKmsKeyArn?.AllowedPattern));
    expect(pattern.test('')).toBe(true);
    expect(pattern.test(LAKE_KEY_ARN)).toBe(true);
    expect(pattern.test('arn:aws:kms:eu-west-1:123456789012:key/mrk-1234abcd12ab34cd56ef1234567890ab')).toBe(true);
    expect(pattern.test('arn:aws:kms:us-east-1:123456789012:alias/lake')).toBe(false);
    expect(pattern.test('1234abcd-12ab-34cd-56ef-1234567890ab')).toBe(false);
  });
});

describe('HTTP API access logs', () => {
  it('logs every request as one JSON line to a log group with a retention', () => {
    const stage = resource(byDefault, 'HttpApiStage', 'AWS::ApiGatewayV2::Stage') as {
      AccessLogSettings: { DestinationArn: unknown; Format: string };
    };
    expect(stage.AccessLogSettings.DestinationArn).toEqual({ 'Fn::GetAtt': ['HttpApiLogGroup', 'Arn'] });
    const group = resource(byDefault, 'HttpApiLogGroup', 'AWS::Logs::LogGroup');
    expect(group.RetentionInDays).toBe(30);
    expect(group.LogGroupName).toBe('/aws/http-api/usage-pipeline-test');

    const format = JSON.parse(stage.AccessLogSettings.Format) as Record<string, string>;
    expect(format).toEqual(
      expect.objectContaining({
        requestId: '$context.requestId',
        status: '$context.status',
        routeKey: '$context.routeKey',
        authorizerError: '$context.authorizer.error',
        integrationError: '$context.integrationErrorMessage',
      }),
    );
  });
});

describe('stream capacity mode (--param="streamMode=…")', () => {
  const stream = (template: CfnTemplate) => resource(template, 'EventsStream', 'AWS::Kinesis::Stream');

  it('is provisioned with one shard by default', () => {
    expect(stream(byDefault)).toEqual(
      expect.objectContaining({ StreamModeDetails: { StreamMode: 'PROVISIONED' }, ShardCount: 1 }),
    );
  });

  it('is on demand, without ShardCount (even with streamShardCount given), with ON_DEMAND', () => {
    expect(stream(configured).StreamModeDetails).toEqual({ StreamMode: 'ON_DEMAND' });
    expect(stream(configured)).not.toHaveProperty('ShardCount');
    expect(CONFIGURED_PARAMS.streamShardCount).toBe('3');
  });

  it('takes the shard count from streamShardCount when provisioned', () => {
    const properties = (printedWithShards.resources as { Resources: Record<string, CfnResource> }).Resources
      .EventsStream?.Properties;
    expect(properties).toEqual(
      expect.objectContaining({ StreamModeDetails: { StreamMode: 'PROVISIONED' }, ShardCount: '4' }),
    );
  });

  it('fails to package with any other mode, naming the setting', async () => {
    const failure = printedConfig({ params: { streamMode: 'on-demand' } });
    await expect(failure).rejects.toBeInstanceOf(PackagedTemplateError);
    await expect(failure).rejects.toThrow(/EventsStream\.Properties\.ShardCount/);
  }, 60_000);
});
