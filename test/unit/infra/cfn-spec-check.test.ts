// The template checker (test/helpers/cfn-spec-check.ts) on small templates, against the real
// CloudFormation resource specification from @aws-cdk/cfnspec. Types, attributes and required
// properties used here are the ones the AWS resource reference documents, e.g.
// https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-kinesis-stream.html
// (ShardCount Integer; StreamEncryption needs EncryptionType and KeyId; attribute Arn),
// https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-logs-logstream.html
// (LogGroupName required) and the pseudo parameters of
// https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/pseudo-parameter-reference.html
import { specification } from '@aws-cdk/cfnspec';
import { checkTemplate, type SpecProblem } from '../../helpers/cfn-spec-check';

const spec = specification();

/** A valid template; each test breaks one thing in a copy of it. */
const base = () => ({
  AWSTemplateFormatVersion: '2010-09-09',
  Parameters: {
    ShardCountParam: { Type: 'Number', Default: 1 },
    Subnets: { Type: 'CommaDelimitedList', Default: 'a,b' },
  },
  Mappings: { Sizes: { dev: { shards: 1 } } },
  Conditions: {
    IsDev: { 'Fn::Equals': [{ Ref: 'AWS::StackName' }, 'dev'] },
    NotDev: { 'Fn::Not': [{ Condition: 'IsDev' }] },
  },
  Resources: {
    Stream: {
      Type: 'AWS::Kinesis::Stream',
      Properties: {
        Name: { 'Fn::Sub': `\${AWS::StackName}-events` },
        ShardCount: 2,
        RetentionPeriodHours: '168',
        StreamEncryption: { EncryptionType: 'KMS', KeyId: 'alias/aws/kinesis' },
        Tags: [{ Key: 'stage', Value: 'dev' }],
      },
    },
    Group: { Type: 'AWS::Logs::LogGroup', Properties: { RetentionInDays: 30 } },
    LogStream: {
      Type: 'AWS::Logs::LogStream',
      DependsOn: ['Stream'],
      Properties: { LogGroupName: { Ref: 'Group' } },
    },
    Fn: {
      Type: 'AWS::Lambda::Function',
      Properties: {
        Role: { 'Fn::GetAtt': ['Role', 'Arn'] },
        Code: { ZipFile: 'exports.handler = async () => {};' },
        Environment: { Variables: { STREAM: { Ref: 'Stream' } } },
      },
    },
    Role: {
      Type: 'AWS::IAM::Role',
      Properties: {
        AssumeRolePolicyDocument: {
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
        },
      },
    },
  },
  Outputs: {
    StreamArn: {
      Value: { 'Fn::GetAtt': ['Stream', 'Arn'] },
      Export: { Name: { 'Fn::Sub': `\${AWS::StackName}-arn` } },
    },
  },
});

type Template = ReturnType<typeof base> & Record<string, unknown>;
const withChange = (change: (template: Template) => void): Template => {
  const template = base() as Template;
  change(template);
  return template;
};
const byPath = (a: { code: string; path: string }, b: { code: string; path: string }) =>
  `${a.path} ${a.code}`.localeCompare(`${b.path} ${b.code}`);
/** The problems' codes and paths, in a stable order (compare with `sorted(expected)`). */
const codes = (problems: SpecProblem[]) => problems.map(({ code, path }) => ({ code, path })).sort(byPath);
const sorted = (expected: { code: string; path: string }[]) => [...expected].sort(byPath);
const resources = (template: Template) =>
  template.Resources as Record<string, { Type?: string; Properties: Record<string, unknown> }>;
const streamProperties = (template: Template) => resources(template).Stream?.Properties as Record<string, unknown>;

it('finds nothing wrong in a valid template', () => {
  expect(checkTemplate(base(), spec)).toEqual([]);
});

describe('types and properties', () => {
  it('reports a resource type the specification does not have', () => {
    const template = withChange((t) => {
      resources(t).Stream = { Type: 'AWS::Kinesis::Streem', Properties: {} } as never;
    });
    expect(codes(checkTemplate(template, spec))).toEqual(
      sorted([{ code: 'UNKNOWN_RESOURCE_TYPE', path: 'Resources.Stream.Type' }]),
    );
  });

  it('reports unknown properties, at the top and nested, and unknown resource attributes', () => {
    const template = withChange((t) => {
      streamProperties(t).ShardCnt = 1;
      streamProperties(t).StreamEncryption = { EncryptionType: 'KMS', KeyId: 'k', Algorithm: 'x' };
      (t.Resources.Group as Record<string, unknown>).Conditon = 'IsDev';
    });
    expect(codes(checkTemplate(template, spec))).toEqual(
      sorted([
        { code: 'UNKNOWN_PROPERTY', path: 'Resources.Stream.Properties.ShardCnt' },
        { code: 'UNKNOWN_PROPERTY', path: 'Resources.Stream.Properties.StreamEncryption.Algorithm' },
        { code: 'UNKNOWN_RESOURCE_ATTRIBUTE', path: 'Resources.Group.Conditon' },
      ]),
    );
  });

  it.each<[string, unknown]>([
    ['a word for an Integer', 'two'],
    ['a fraction for an Integer', 1.5],
    ['an object for an Integer', { count: 2 }],
    ['a list for an Integer', [2]],
  ])('reports a wrong primitive type: %s', (_, value) => {
    const template = withChange((t) => {
      streamProperties(t).ShardCount = value;
    });
    expect(checkTemplate(template, spec)).toEqual([
      expect.objectContaining({ code: 'WRONG_TYPE', path: 'Resources.Stream.Properties.ShardCount' }),
    ]);
  });

  it('accepts the scalar conversions CloudFormation makes (a numeric string, a number for a String)', () => {
    const template = withChange((t) => {
      streamProperties(t).ShardCount = '2';
      streamProperties(t).Name = 42;
    });
    expect(checkTemplate(template, spec)).toEqual([]);
  });

  it('reports a map where a list is expected and a list where a map is expected', () => {
    const template = withChange((t) => {
      streamProperties(t).Tags = { stage: 'dev' };
      (resources(t).Fn?.Properties.Environment as Record<string, unknown>).Variables = [{ STREAM: 'x' }];
    });
    expect(codes(checkTemplate(template, spec))).toEqual(
      sorted([
        { code: 'WRONG_TYPE', path: 'Resources.Stream.Properties.Tags' },
        { code: 'WRONG_TYPE', path: 'Resources.Fn.Properties.Environment.Variables' },
      ]),
    );
  });

  it('reports a missing required property, at the top and in a property type', () => {
    const template = withChange((t) => {
      delete resources(t).LogStream?.Properties.LogGroupName;
      streamProperties(t).StreamEncryption = { EncryptionType: 'KMS' };
    });
    expect(codes(checkTemplate(template, spec))).toEqual(
      sorted([
        { code: 'MISSING_REQUIRED', path: 'Resources.Stream.Properties.StreamEncryption.KeyId' },
        { code: 'MISSING_REQUIRED', path: 'Resources.LogStream.Properties.LogGroupName' },
      ]),
    );
  });

  it('treats a required property set to AWS::NoValue as missing', () => {
    const template = withChange((t) => {
      (resources(t).LogStream as { Properties: Record<string, unknown> }).Properties.LogGroupName = {
        Ref: 'AWS::NoValue',
      };
    });
    expect(codes(checkTemplate(template, spec))).toEqual(
      sorted([{ code: 'MISSING_REQUIRED', path: 'Resources.LogStream.Properties.LogGroupName' }]),
    );
  });

  it('reports an unknown template section', () => {
    const template = withChange((t) => {
      t.Output = {};
    });
    expect(codes(checkTemplate(template, spec))).toEqual(sorted([{ code: 'UNKNOWN_SECTION', path: 'Output' }]));
  });
});

describe('references', () => {
  it('reports a Fn::GetAtt attribute the resource type does not have, and a Fn::GetAtt of no resource', () => {
    const template = withChange((t) => {
      t.Outputs.StreamArn.Value = { 'Fn::GetAtt': ['Stream', 'StreamArn'] };
      (t.Outputs as Record<string, unknown>).Other = { Value: { 'Fn::GetAtt': 'Nowhere.Arn' } };
    });
    expect(codes(checkTemplate(template, spec))).toEqual(
      sorted([
        { code: 'UNKNOWN_ATTRIBUTE', path: 'Outputs.StreamArn.Value.Fn::GetAtt' },
        { code: 'UNRESOLVED_GETATT', path: 'Outputs.Other.Value.Fn::GetAtt' },
      ]),
    );
  });

  it('reports a Ref to nothing, in a property and inside a policy document (Json)', () => {
    const template = withChange((t) => {
      (resources(t).LogStream as { Properties: Record<string, unknown> }).Properties.LogGroupName = { Ref: 'Grup' };
      (resources(t).Role?.Properties as { Policies?: unknown }).Policies = [
        {
          PolicyName: 'p',
          PolicyDocument: { Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: { Ref: 'Bucket' } }] },
        },
      ];
    });
    expect(codes(checkTemplate(template, spec))).toEqual(
      sorted([
        { code: 'UNRESOLVED_REF', path: 'Resources.LogStream.Properties.LogGroupName.Ref' },
        {
          code: 'UNRESOLVED_REF',
          path: 'Resources.Role.Properties.Policies[0].PolicyDocument.Statement[0].Resource.Ref',
        },
      ]),
    );
  });

  it('resolves Fn::Sub variables from pseudo parameters, parameters, resources, attributes and its own map', () => {
    const template = withChange((t) => {
      streamProperties(t).Name = {
        'Fn::Sub': [
          `\${AWS::Region}-\${AWS::AccountId}-\${AWS::Partition}-\${AWS::URLSuffix}-\${ShardCountParam}-\${Group}-\${Group.Arn}-\${Own}-\${!Literal}`,
          { Own: { Ref: 'AWS::StackId' } },
        ],
      };
    });
    expect(checkTemplate(template, spec)).toEqual([]);
  });

  it('reports an unresolved Fn::Sub variable, an unknown resource in one and an unknown attribute', () => {
    const template = withChange((t) => {
      streamProperties(t).Name = { 'Fn::Sub': [`\${Missing}-\${Nowhere.Arn}-\${Group.Nope}-\${Own}`, { Own: 'x' }] };
    });
    expect(checkTemplate(template, spec)).toEqual([
      expect.objectContaining({ code: 'UNRESOLVED_SUB_VARIABLE', message: expect.stringContaining(`\${Missing}`) }),
      expect.objectContaining({ code: 'UNRESOLVED_SUB_VARIABLE', message: expect.stringContaining('Nowhere') }),
      expect.objectContaining({ code: 'UNKNOWN_ATTRIBUTE', message: expect.stringContaining('Group.Nope') }),
    ]);
  });

  it('reports a Fn::Sub variable map reference that does not resolve', () => {
    const template = withChange((t) => {
      streamProperties(t).Name = { 'Fn::Sub': [`\${Own}`, { Own: { Ref: 'Missing' } }] };
    });
    expect(codes(checkTemplate(template, spec))).toEqual(
      sorted([{ code: 'UNRESOLVED_REF', path: 'Resources.Stream.Properties.Name.Fn::Sub.Own.Ref' }]),
    );
  });

  it('reports unknown conditions (Fn::If, a resource Condition, a Condition in Conditions), mappings and DependsOn', () => {
    const template = withChange((t) => {
      streamProperties(t).ShardCount = { 'Fn::If': ['IsProd', 1, 2] };
      (t.Resources.Group as Record<string, unknown>).Condition = 'IsProd';
      (t.Conditions as Record<string, unknown>).Other = { Condition: 'Missing' };
      streamProperties(t).RetentionPeriodHours = { 'Fn::FindInMap': ['Size', 'dev', 'shards'] };
      (t.Resources.LogStream as Record<string, unknown>).DependsOn = 'Strem';
    });
    expect(codes(checkTemplate(template, spec))).toEqual(
      sorted([
        { code: 'UNKNOWN_CONDITION', path: 'Conditions.Other.Condition' },
        { code: 'UNKNOWN_CONDITION', path: 'Resources.Stream.Properties.ShardCount.Fn::If[0]' },
        { code: 'UNKNOWN_MAPPING', path: 'Resources.Stream.Properties.RetentionPeriodHours.Fn::FindInMap' },
        { code: 'UNKNOWN_CONDITION', path: 'Resources.Group.Condition' },
        { code: 'UNRESOLVED_DEPENDS_ON', path: 'Resources.LogStream.DependsOn' },
      ]),
    );
  });
});

describe('intrinsic functions where a value is expected', () => {
  it('accepts Fn::If (AWS::NoValue in a branch), Fn::Join, Fn::Select, Fn::Split, Fn::ImportValue, Fn::FindInMap', () => {
    const template = withChange((t) => {
      Object.assign(streamProperties(t), {
        ShardCount: { 'Fn::If': ['IsDev', { 'Fn::FindInMap': ['Sizes', 'dev', 'shards'] }, { Ref: 'AWS::NoValue' }] },
        RetentionPeriodHours: { 'Fn::Select': [0, { 'Fn::Split': [',', '24,48'] }] },
        Name: { 'Fn::Join': ['-', [{ Ref: 'AWS::StackName' }, { 'Fn::ImportValue': 'shared-name' }]] },
        StreamEncryption: {
          'Fn::If': ['NotDev', { EncryptionType: 'KMS', KeyId: { Ref: 'AWS::NoValue' } }, { Ref: 'AWS::NoValue' }],
        },
        Tags: [
          { 'Fn::If': ['IsDev', { Key: 'dev', Value: 'yes' }, { Ref: 'AWS::NoValue' }] },
          { Key: 'region', Value: { Ref: 'AWS::Region' } },
        ],
      });
    });
    // Only the branch that sets KeyId to AWS::NoValue is wrong: KeyId is required.
    expect(codes(checkTemplate(template, spec))).toEqual(
      sorted([{ code: 'MISSING_REQUIRED', path: 'Resources.Stream.Properties.StreamEncryption.Fn::If[1].KeyId' }]),
    );
  });

  it('checks both Fn::If branches against the expected type', () => {
    const template = withChange((t) => {
      streamProperties(t).ShardCount = { 'Fn::If': ['IsDev', 1, 'many'] };
    });
    expect(codes(checkTemplate(template, spec))).toEqual(
      sorted([{ code: 'WRONG_TYPE', path: 'Resources.Stream.Properties.ShardCount.Fn::If[2]' }]),
    );
  });

  it('reports a list-valued function or parameter where a scalar is expected, and a scalar one for a list', () => {
    const template = withChange((t) => {
      streamProperties(t).Name = { 'Fn::Split': [',', 'a,b'] };
      streamProperties(t).ShardCount = { Ref: 'Subnets' };
      streamProperties(t).Tags = { Ref: 'ShardCountParam' };
    });
    expect(codes(checkTemplate(template, spec))).toEqual(
      sorted([
        { code: 'WRONG_TYPE', path: 'Resources.Stream.Properties.Name' },
        { code: 'WRONG_TYPE', path: 'Resources.Stream.Properties.ShardCount' },
        { code: 'WRONG_TYPE', path: 'Resources.Stream.Properties.Tags' },
      ]),
    );
  });

  it('accepts a list parameter and Fn::Split for a list', () => {
    const template = withChange((t) => {
      resources(t).Topic = {
        Type: 'AWS::SNS::Topic',
        Properties: { TopicName: 'x' },
      };
      resources(t).Policy = {
        Type: 'AWS::SNS::TopicPolicy',
        Properties: {
          Topics: { 'Fn::Split': [',', { 'Fn::Join': [',', [{ Ref: 'Topic' }]] }] },
          PolicyDocument: { Statement: [] },
        },
      };
      resources(t).Policy2 = {
        Type: 'AWS::SNS::TopicPolicy',
        Properties: { Topics: { Ref: 'Subnets' }, PolicyDocument: { Statement: [] } },
      };
    });
    expect(checkTemplate(template, spec)).toEqual([]);
  });

  it('reports a function CloudFormation does not have and a condition function outside Conditions', () => {
    const template = withChange((t) => {
      streamProperties(t).Name = { 'Fn::Concat': ['a', 'b'] };
      streamProperties(t).ShardCount = { 'Fn::Equals': [1, 1] };
    });
    expect(codes(checkTemplate(template, spec))).toEqual(
      sorted([
        { code: 'BAD_INTRINSIC', path: 'Resources.Stream.Properties.Name.Fn::Concat' },
        { code: 'BAD_INTRINSIC', path: 'Resources.Stream.Properties.ShardCount.Fn::Equals' },
      ]),
    );
  });
});
