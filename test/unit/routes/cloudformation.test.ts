import {
  compileRoutes,
  envelopePath,
  logicalIdOf,
  physicalName,
  ROUTING_DETAIL_TYPE,
  ROUTING_SOURCE,
} from '../../../shared/routes/cloudformation';
import { parseRoutes } from '../../../shared/routes/routes-file';

// routes.yml compiled into the resources AWS documents:
// - AWS::Events::Connection AuthParameters (API_KEY, BASIC, OAUTH_CLIENT_CREDENTIALS) and secrets as
//   dynamic references: https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/dynamic-references-secretsmanager.html
// - AWS::Events::ApiDestination (InvocationEndpoint, HttpMethod, InvocationRateLimitPerSecond)
// - AWS::Events::Rule targets: HttpParameters, RetryPolicy, DeadLetterConfig, InputPath / InputTransformer;
//   the DLQ's queue policy lets events.amazonaws.com send with aws:SourceArn = the rule
//   (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rule-dlq.html)
// - AWS::KinesisFirehose::DeliveryStream HttpEndpointDestinationConfiguration (GZIP, RetryOptions,
//   S3BackupMode FailedDataOnly): https://docs.aws.amazon.com/firehose/latest/dev/create-destination.html#create-destination-http

const STACK = {
  service: 'usage-pipeline',
  stage: 'dev',
  lakeBucket: 'LakeBucket',
  consumerRole: 'KinesisConsumerRole',
  alarmTopic: 'AlarmTopic',
};
const SECRET_VALUE = /\{\{resolve:secretsmanager:[^:}]+:SecretString:[A-Za-z]+\}\}/;

const routes = parseRoutes(
  {
    routes: [
      {
        name: 'loyalty-tickets',
        pattern: { detail: { eventType: ['loyaltypurchase'] } },
        input: { pathsMap: { id: '$.id', data: '$.detail.data' }, template: '{"id": "<id>", "data": <data>}' },
        target: {
          type: 'http',
          url: 'https://tickets.example.com/v1/tickets',
          headers: { 'Content-Type': 'application/json' },
          query: { source: 'usage-pipeline' },
          rateLimitPerSecond: 10,
          auth: { type: 'basic', secret: 'tickets/credentials' },
          retry: { maximumAttempts: 5, maximumEventAgeSeconds: 3_600 },
        },
      },
      {
        name: 'crm-webhook',
        pattern: { source: ['product.actions'] },
        input: { path: '$.detail' },
        target: {
          type: 'http',
          url: 'https://crm.example.com/hooks',
          auth: {
            type: 'oauth-client-credentials',
            secret: 'crm/oauth',
            tokenUrl: 'https://crm.example.com/oauth/token',
            scope: 'events',
          },
        },
      },
      {
        name: 'actions-vendor',
        pattern: { source: ['product.actions'] },
        target: {
          type: 'firehose-http',
          url: 'https://ingest.vendor.example.com/firehose',
          auth: { type: 'apiKey', secret: 'vendor/access-key' },
          buffering: { sizeMiB: 4, intervalSeconds: 120 },
          retryDurationSeconds: 600,
          commonAttributes: { app: 'usage-pipeline' },
        },
      },
    ],
  },
  'routes.yml',
  'deploy',
);
const compiled = compileRoutes(routes, STACK);
const resource = (id: string, type: string) => {
  const found = compiled.Resources[id];
  expect(found?.Type).toBe(type);
  return found?.Properties as Record<string, unknown>;
};
const tickets = logicalIdOf('loyalty-tickets');
const crm = logicalIdOf('crm-webhook');
const vendor = logicalIdOf('actions-vendor');

describe('compileRoutes', () => {
  it('compiles nothing, and names no bus, without routes', () => {
    expect(compileRoutes([], STACK)).toEqual({ Resources: {}, Outputs: {}, busName: '' });
  });

  it('puts each route on the routing bus, its pattern under detail of the routing envelope', () => {
    const rule = resource(`${tickets}Rule`, 'AWS::Events::Rule');

    expect(compiled.busName).toBe('usage-pipeline-dev-routing');
    expect(resource('RoutingBus', 'AWS::Events::EventBus')).toEqual({ Name: 'usage-pipeline-dev-routing' });
    expect(rule).toMatchObject({
      Name: 'loyalty-tickets',
      EventBusName: { Ref: 'RoutingBus' },
      State: 'ENABLED',
      EventPattern: {
        source: [ROUTING_SOURCE],
        // Published events, and this route's re-driven dead letters only.
        'detail-type': [ROUTING_DETAIL_TYPE, 'CanonicalEvent.Redrive.loyalty-tickets'],
        detail: { detail: { eventType: ['loyaltypurchase'] } },
      },
    });
  });

  it('targets an API destination with its connection, parameters, retry policy, dead letters and input', () => {
    const rule = resource(`${tickets}Rule`, 'AWS::Events::Rule');
    const destination = resource(`${tickets}Destination`, 'AWS::Events::ApiDestination');
    const connection = resource(`${tickets}Connection`, 'AWS::Events::Connection');

    expect(destination).toEqual({
      Name: 'usage-pipeline-dev-loyalty-tickets',
      ConnectionArn: { 'Fn::GetAtt': [`${tickets}Connection`, 'Arn'] },
      InvocationEndpoint: 'https://tickets.example.com/v1/tickets',
      HttpMethod: 'POST',
      InvocationRateLimitPerSecond: 10,
    });
    expect(connection).toMatchObject({
      AuthorizationType: 'BASIC',
      AuthParameters: {
        BasicAuthParameters: {
          Username: '{{resolve:secretsmanager:tickets/credentials:SecretString:username}}',
          Password: '{{resolve:secretsmanager:tickets/credentials:SecretString:password}}',
        },
      },
    });
    expect(rule.Targets).toEqual([
      {
        Id: 'api-destination',
        Arn: { 'Fn::GetAtt': [`${tickets}Destination`, 'Arn'] },
        RoleArn: { 'Fn::GetAtt': ['RoutesTargetRole', 'Arn'] },
        HttpParameters: {
          HeaderParameters: { 'Content-Type': 'application/json' },
          QueryStringParameters: { source: 'usage-pipeline' },
        },
        RetryPolicy: { MaximumRetryAttempts: 5, MaximumEventAgeInSeconds: 3_600 },
        DeadLetterConfig: { Arn: { 'Fn::GetAtt': [`${tickets}DeadLetterQueue`, 'Arn'] } },
        // Paths over the canonical event, nested under the envelope's detail.
        InputTransformer: {
          InputPathsMap: { id: '$.detail.id', data: '$.detail.detail.data' },
          InputTemplate: '{"id": "<id>", "data": <data>}',
        },
      },
    ]);
  });

  it('lets only its rule send to a dead-letter queue, kept 14 days, with an alarm', () => {
    const policy = resource(`${tickets}DeadLetterQueuePolicy`, 'AWS::SQS::QueuePolicy');

    expect(resource(`${tickets}DeadLetterQueue`, 'AWS::SQS::Queue')).toMatchObject({
      MessageRetentionPeriod: 1_209_600,
      SqsManagedSseEnabled: true,
    });
    expect(policy).toMatchObject({
      Queues: [{ Ref: `${tickets}DeadLetterQueue` }],
      PolicyDocument: {
        Statement: [
          expect.objectContaining({
            Principal: { Service: 'events.amazonaws.com' },
            Action: 'sqs:SendMessage',
            Condition: { ArnEquals: { 'aws:SourceArn': { 'Fn::GetAtt': [`${tickets}Rule`, 'Arn'] } } },
          }),
        ],
      },
    });
    expect(resource(`${tickets}DeadLetterAlarm`, 'AWS::CloudWatch::Alarm')).toMatchObject({
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      AlarmActions: [{ Ref: 'AlarmTopic' }],
    });
    expect(resource(`${tickets}FailedInvocationsAlarm`, 'AWS::CloudWatch::Alarm')).toMatchObject({
      Namespace: 'AWS/Events',
      MetricName: 'FailedInvocations',
      Dimensions: [
        { Name: 'EventBusName', Value: 'usage-pipeline-dev-routing' },
        { Name: 'RuleName', Value: 'loyalty-tickets' },
      ],
    });
  });

  it('reads OAuth client credentials from Secrets Manager and sends the scope', () => {
    expect(resource(`${crm}Connection`, 'AWS::Events::Connection')).toMatchObject({
      AuthorizationType: 'OAUTH_CLIENT_CREDENTIALS',
      AuthParameters: {
        OAuthParameters: {
          AuthorizationEndpoint: 'https://crm.example.com/oauth/token',
          HttpMethod: 'POST',
          ClientParameters: {
            ClientID: '{{resolve:secretsmanager:crm/oauth:SecretString:clientId}}',
            ClientSecret: '{{resolve:secretsmanager:crm/oauth:SecretString:clientSecret}}',
          },
          OAuthHttpParameters: {
            BodyParameters: [
              { Key: 'grant_type', Value: 'client_credentials', IsValueSecret: false },
              { Key: 'scope', Value: 'events', IsValueSecret: false },
            ],
          },
        },
      },
    });
    expect((resource(`${crm}Rule`, 'AWS::Events::Rule').Targets as { InputPath?: string }[])[0]?.InputPath).toBe(
      '$.detail.detail',
    );
  });

  it('compiles firehose-http into a delivery stream with an HTTP endpoint destination and failed data in the lake', () => {
    const stream = resource(`${vendor}DeliveryStream`, 'AWS::KinesisFirehose::DeliveryStream');

    expect(stream).toEqual({
      DeliveryStreamName: 'usage-pipeline-dev-route-actions-vendor',
      DeliveryStreamType: 'DirectPut',
      HttpEndpointDestinationConfiguration: {
        EndpointConfiguration: {
          Name: 'actions-vendor',
          Url: 'https://ingest.vendor.example.com/firehose',
          AccessKey: '{{resolve:secretsmanager:vendor/access-key:SecretString:accessKey}}',
        },
        BufferingHints: { SizeInMBs: 4, IntervalInSeconds: 120 },
        RequestConfiguration: {
          ContentEncoding: 'GZIP',
          CommonAttributes: [{ AttributeName: 'app', AttributeValue: 'usage-pipeline' }],
        },
        RetryOptions: { DurationInSeconds: 600 },
        RoleARN: { 'Fn::GetAtt': [`${vendor}FirehoseRole`, 'Arn'] },
        S3BackupMode: 'FailedDataOnly',
        S3Configuration: {
          BucketARN: { 'Fn::GetAtt': ['LakeBucket', 'Arn'] },
          Prefix: 'routes/actions-vendor/failed/',
          ErrorOutputPrefix: 'routes/actions-vendor/failed/errors/',
          CompressionFormat: 'GZIP',
          RoleARN: { 'Fn::GetAtt': [`${vendor}FirehoseRole`, 'Arn'] },
        },
      },
    });
    expect(
      (resource(`${vendor}Rule`, 'AWS::Events::Rule').Targets as { Arn: unknown; InputPath?: string }[])[0],
    ).toMatchObject({
      Arn: { 'Fn::GetAtt': [`${vendor}DeliveryStream`, 'Arn'] },
      // No input: the canonical event itself.
      InputPath: '$.detail',
    });
  });

  it('grants on named resources only: the target role per destination and stream, the consumer on the bus', () => {
    const role = resource('RoutesTargetRole', 'AWS::IAM::Role') as {
      Policies: { PolicyDocument: { Statement: { Action: string[]; Resource: unknown[] }[] } }[];
    };
    const statements = role.Policies.flatMap((policy) => policy.PolicyDocument.Statement);
    const consumer = resource('ConsumerRoutingPolicy', 'AWS::IAM::Policy') as {
      Roles: unknown[];
      PolicyDocument: { Statement: { Action: string[]; Resource: unknown[] }[] };
    };

    expect(statements).toEqual([
      {
        Effect: 'Allow',
        Action: ['events:InvokeApiDestination'],
        Resource: [{ 'Fn::GetAtt': [`${tickets}Destination`, 'Arn'] }],
      },
      {
        Effect: 'Allow',
        Action: ['events:InvokeApiDestination'],
        Resource: [{ 'Fn::GetAtt': [`${crm}Destination`, 'Arn'] }],
      },
      {
        Effect: 'Allow',
        Action: ['firehose:PutRecord', 'firehose:PutRecordBatch'],
        Resource: [{ 'Fn::GetAtt': [`${vendor}DeliveryStream`, 'Arn'] }],
      },
    ]);
    expect(consumer.Roles).toEqual([{ Ref: 'KinesisConsumerRole' }]);
    expect(consumer.PolicyDocument.Statement).toEqual([
      expect.objectContaining({ Action: ['events:PutEvents'], Resource: [{ 'Fn::GetAtt': ['RoutingBus', 'Arn'] }] }),
    ]);
    expect(JSON.stringify(compiled.Resources)).not.toContain('"*"');
  });

  it('holds no secret value: every credential is a dynamic reference', () => {
    const text = JSON.stringify(compiled.Resources);
    const credentials = [
      ...text.matchAll(/"(Password|Username|ApiKeyValue|ClientID|ClientSecret|AccessKey)":"([^"]*)"/g),
    ];

    expect(credentials.length).toBe(5);
    for (const [, , value] of credentials) expect(value).toMatch(SECRET_VALUE);
  });
});

describe('names', () => {
  it('keeps physical names within the limit, distinct for distinct inputs', () => {
    const long = `usage-pipeline-production-${'x'.repeat(60)}`;

    expect(physicalName('short', 64)).toBe('short');
    expect(physicalName(long, 64)).toHaveLength(64);
    expect(physicalName(long, 64)).not.toBe(physicalName(`${long}y`, 64));
    expect(logicalIdOf('a-b')).not.toBe(logicalIdOf('a_b'));
    expect(logicalIdOf('loyalty-tickets')).toMatch(/^RouteLoyaltyTickets[0-9a-f]{6}$/);
  });

  it('nests canonical-event paths under the envelope detail', () => {
    expect(envelopePath('$')).toBe('$.detail');
    expect(envelopePath('$.detail.data')).toBe('$.detail.detail.data');
    expect(envelopePath('$.clientId')).toBe('$.detail.clientId');
  });
});
