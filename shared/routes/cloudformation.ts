/**
 * routes.yml → CloudFormation, for `osls package` / `osls deploy` (infra/routes.cjs feeds the
 * result into serverless.yml `resources`). Routing runs on AWS's own engines:
 * - `type: http`: an EventBridge rule on the routing bus whose target is an API destination
 *   (endpoint, method, InvocationRateLimitPerSecond) with its connection (API key, Basic or
 *   OAuth client credentials read from Secrets Manager by a dynamic reference at deploy time: the
 *   secret never appears in serverless.yml, the repository, the template or a log), HttpParameters,
 *   a RetryPolicy and an SQS dead-letter queue with its queue policy.
 * - `type: firehose-http`: the rule's target is a Firehose delivery stream with an HTTP endpoint
 *   destination (URL, access key, buffering, GZIP, retry duration; failed data to the lake bucket
 *   under `routes/<name>/failed/`).
 *
 * Events reach the routing bus as EventBridge events whose `detail` is the canonical event
 * (ROUTING_SOURCE / ROUTING_DETAIL_TYPE): a route's pattern and input paths are written over the
 * canonical event, so they are nested under `detail` here.
 */
import { createHash } from 'node:crypto';
import type { FirehoseHttpTarget, HttpTarget, Route, RouteAuth, RouteInput } from './routes-file';

export const ROUTING_SOURCE = 'usage-pipeline.routing';
export const ROUTING_DETAIL_TYPE = 'CanonicalEvent';
/**
 * A dead letter re-driven to one route is published with this detail-type, which only that
 * route's rule takes (the other routes saw the event the first time).
 */
export const redriveDetailType = (route: string): string => `${ROUTING_DETAIL_TYPE}.Redrive.${route}`;
/** 14 days, SQS's longest retention: time to look at a dead letter and re-drive it. */
export const DEAD_LETTER_RETENTION_SECONDS = 1_209_600;

type Json = string | number | boolean | null | Json[] | { [key: string]: Json };
export type CfnResource = { Type: string; Properties: Record<string, Json>; DependsOn?: string[] };

export interface RoutesStack {
  service: string;
  stage: string;
  /** Logical id of the lake bucket (failed Firehose-endpoint data is backed up there). */
  lakeBucket: string;
  /** Logical id of the kinesisConsumer's role (it gets events:PutEvents on the routing bus). */
  consumerRole: string;
  /** Logical id of the alarm topic. */
  alarmTopic: string;
  /**
   * The lake's optional customer managed key (infra/storage.yml): the condition that it is given and
   * the parameter holding its ARN. Firehose's backup writes to the lake bucket then need the key.
   */
  lakeKmsKey?: { condition: string; keyArnParameter: string };
}

/** `[A-Za-z0-9]` PascalCase of a route name, for logical ids (a hash keeps distinct names distinct). */
export const logicalIdOf = (name: string): string => {
  const words = name.split(/[^A-Za-z0-9]+/).filter(Boolean);
  const pascal = words.map((word) => word.charAt(0).toUpperCase() + word.slice(1)).join('');
  const hash = createHash('sha256').update(name).digest('hex').slice(0, 6);
  return `Route${pascal.slice(0, 200)}${hash}`;
};

/** A physical name within `max` characters: long ones keep a stem and a hash of the whole. */
export const physicalName = (full: string, max: number): string =>
  full.length <= max
    ? full
    : `${full.slice(0, max - 9)}-${createHash('sha256').update(full).digest('hex').slice(0, 8)}`;

/** The routing bus's name for a stack. */
export const routingBusName = (service: string, stage: string): string => `${service}-${stage}-routing`;
/** A route's dead-letter queue's name. */
export const deadLetterQueueName = (service: string, stage: string, route: string): string =>
  physicalName(`${service}-${stage}-route-${route}-dlq`, 80);

/**
 * The EventBridge pattern of a route: the canonical-event pattern under `detail`, on the routing
 * source, for published events and for this route's re-driven dead letters.
 */
export const rulePattern = (route: string, pattern: Record<string, unknown>): Json =>
  ({
    source: [ROUTING_SOURCE],
    'detail-type': [ROUTING_DETAIL_TYPE, redriveDetailType(route)],
    detail: pattern,
  }) as Json;

/** A JSON path over the canonical event, as a path over the routing envelope (`$.x` → `$.detail.x`). */
export const envelopePath = (path: string): string =>
  path === '$' ? '$.detail' : path.startsWith('$.') || path.startsWith('$[') ? `$.detail${path.slice(1)}` : path;

const targetInput = (input: RouteInput | undefined): Record<string, Json> => {
  if (input === undefined) return { InputPath: '$.detail' };
  if ('path' in input) return { InputPath: envelopePath(input.path) };
  return {
    InputTransformer: {
      InputPathsMap: Object.fromEntries(
        Object.entries(input.pathsMap).map(([name, path]) => [name, envelopePath(path)]),
      ),
      InputTemplate: input.template,
    },
  };
};

/** `{{resolve:secretsmanager:NAME:SecretString:KEY}}`: resolved by CloudFormation at deploy, never stored in the template. */
export const secretReference = (secret: string, key: string): string =>
  `{{resolve:secretsmanager:${secret}:SecretString:${key}}}`;

/** The JSON keys each auth type's secret holds (README "Routes" → "Auth"). */
export const SECRET_KEYS = {
  apiKey: ['apiKey'],
  basic: ['username', 'password'],
  'oauth-client-credentials': ['clientId', 'clientSecret'],
  'firehose-http': ['accessKey'],
} as const;

const connectionAuth = (route: Route, auth: RouteAuth | undefined): Record<string, Json> => {
  if (auth === undefined) {
    // A connection needs an authorization type; a route without auth sends a header naming itself.
    return {
      AuthorizationType: 'API_KEY',
      AuthParameters: { ApiKeyAuthParameters: { ApiKeyName: 'x-usage-pipeline-route', ApiKeyValue: route.name } },
    };
  }
  switch (auth.type) {
    case 'apiKey':
      return {
        AuthorizationType: 'API_KEY',
        AuthParameters: {
          ApiKeyAuthParameters: { ApiKeyName: auth.header, ApiKeyValue: secretReference(auth.secret, 'apiKey') },
        },
      };
    case 'basic':
      return {
        AuthorizationType: 'BASIC',
        AuthParameters: {
          BasicAuthParameters: {
            Username: secretReference(auth.secret, 'username'),
            Password: secretReference(auth.secret, 'password'),
          },
        },
      };
    case 'oauth-client-credentials':
      return {
        AuthorizationType: 'OAUTH_CLIENT_CREDENTIALS',
        AuthParameters: {
          OAuthParameters: {
            AuthorizationEndpoint: auth.tokenUrl,
            HttpMethod: auth.method,
            ClientParameters: {
              ClientID: secretReference(auth.secret, 'clientId'),
              ClientSecret: secretReference(auth.secret, 'clientSecret'),
            },
            // The client-credentials grant, stated in the token request's body (with the scope when set).
            OAuthHttpParameters: {
              BodyParameters: [
                { Key: 'grant_type', Value: 'client_credentials', IsValueSecret: false },
                ...(auth.scope ? [{ Key: 'scope', Value: auth.scope, IsValueSecret: false }] : []),
              ],
            },
          },
        },
      };
  }
};

const alarm = (stack: RoutesStack, name: string, description: string, metric: Record<string, Json>): CfnResource => ({
  Type: 'AWS::CloudWatch::Alarm',
  Properties: {
    AlarmName: name,
    AlarmDescription: description,
    ...metric,
    Period: 300,
    EvaluationPeriods: 1,
    DatapointsToAlarm: 1,
    TreatMissingData: 'notBreaching',
    AlarmActions: [{ Ref: stack.alarmTopic }],
    OKActions: [{ Ref: stack.alarmTopic }],
  },
});

export interface CompiledRoutes {
  Resources: Record<string, CfnResource>;
  Outputs: Record<string, { Description: string; Value: Json }>;
  /** The routing bus's name, or '' when there are no routes (the consumer then publishes nothing). */
  busName: string;
}

export const compileRoutes = (routes: readonly Route[], stack: RoutesStack): CompiledRoutes => {
  const prefix = `${stack.service}-${stack.stage}`;
  if (routes.length === 0) return { Resources: {}, Outputs: {}, busName: '' };
  const busName = routingBusName(stack.service, stack.stage);
  const resources: Record<string, CfnResource> = {
    RoutingBus: { Type: 'AWS::Events::EventBus', Properties: { Name: busName } },
    ConsumerRoutingPolicy: {
      Type: 'AWS::IAM::Policy',
      Properties: {
        PolicyName: 'publish-to-routing-bus',
        Roles: [{ Ref: stack.consumerRole }],
        PolicyDocument: {
          Version: '2012-10-17',
          Statement: [
            {
              Sid: 'PublishRoutedEvents',
              Effect: 'Allow',
              Action: ['events:PutEvents'],
              Resource: [{ 'Fn::GetAtt': ['RoutingBus', 'Arn'] }],
            },
          ],
        },
      },
    },
  };
  const invokeStatements: Json[] = [];
  for (const route of routes) {
    const id = logicalIdOf(route.name);
    const queue = `${id}DeadLetterQueue`;
    const rule = `${id}Rule`;
    resources[queue] = {
      Type: 'AWS::SQS::Queue',
      Properties: {
        QueueName: deadLetterQueueName(stack.service, stack.stage, route.name),
        MessageRetentionPeriod: DEAD_LETTER_RETENTION_SECONDS,
        SqsManagedSseEnabled: true,
      },
    };
    resources[`${queue}Policy`] = {
      Type: 'AWS::SQS::QueuePolicy',
      Properties: {
        Queues: [{ Ref: queue }],
        PolicyDocument: {
          Version: '2012-10-17',
          Statement: [
            {
              Sid: 'EventBridgeDeadLetters',
              Effect: 'Allow',
              Principal: { Service: 'events.amazonaws.com' },
              Action: 'sqs:SendMessage',
              Resource: { 'Fn::GetAtt': [queue, 'Arn'] },
              Condition: { ArnEquals: { 'aws:SourceArn': { 'Fn::GetAtt': [rule, 'Arn'] } } },
            },
          ],
        },
      },
    };
    const common = {
      RoleArn: { 'Fn::GetAtt': ['RoutesTargetRole', 'Arn'] },
      RetryPolicy:
        route.target.type === 'http'
          ? {
              MaximumRetryAttempts: route.target.retry.maximumAttempts,
              MaximumEventAgeInSeconds: route.target.retry.maximumEventAgeSeconds,
            }
          : { MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 86_400 },
      DeadLetterConfig: { Arn: { 'Fn::GetAtt': [queue, 'Arn'] } },
      ...targetInput(route.input),
    } satisfies Record<string, Json>;
    let target: Record<string, Json>;
    if (route.target.type === 'http') {
      target = httpResources(resources, id, route, route.target, prefix, common);
      invokeStatements.push({
        Effect: 'Allow',
        Action: ['events:InvokeApiDestination'],
        Resource: [{ 'Fn::GetAtt': [`${id}Destination`, 'Arn'] }],
      });
    } else {
      target = firehoseResources(resources, id, route, route.target, prefix, stack, common);
      invokeStatements.push({
        Effect: 'Allow',
        Action: ['firehose:PutRecord', 'firehose:PutRecordBatch'],
        Resource: [{ 'Fn::GetAtt': [`${id}DeliveryStream`, 'Arn'] }],
      });
    }
    resources[rule] = {
      Type: 'AWS::Events::Rule',
      Properties: {
        Name: physicalName(route.name, 64),
        Description: route.description ?? `routes.yml route ${route.name}`,
        EventBusName: { Ref: 'RoutingBus' },
        EventPattern: rulePattern(route.name, route.pattern),
        State: 'ENABLED',
        Targets: [target],
      },
    };
    resources[`${id}DeadLetterAlarm`] = alarm(
      stack,
      physicalName(`${prefix}-route-${route.name}-dead-letters`, 255),
      `Events of route ${route.name} are in its dead-letter queue: npm run dead-letters -- list ${route.name}`,
      {
        Namespace: 'AWS/SQS',
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [queue, 'QueueName'] } }],
        Statistic: 'Maximum',
        Threshold: 0,
        ComparisonOperator: 'GreaterThanThreshold',
      },
    );
    // FailedInvocations: invocations of the rule's targets that failed for good (dead-lettered or dropped).
    resources[`${id}FailedInvocationsAlarm`] = alarm(
      stack,
      physicalName(`${prefix}-route-${route.name}-failed-invocations`, 255),
      `Route ${route.name}: EventBridge gave up on deliveries to its target`,
      {
        Namespace: 'AWS/Events',
        MetricName: 'FailedInvocations',
        Dimensions: [
          { Name: 'EventBusName', Value: busName },
          { Name: 'RuleName', Value: physicalName(route.name, 64) },
        ],
        Statistic: 'Sum',
        Threshold: 0,
        ComparisonOperator: 'GreaterThanThreshold',
      },
    );
  }
  resources.RoutesTargetRole = {
    Type: 'AWS::IAM::Role',
    Properties: {
      Description: "routes.yml: EventBridge invokes the routes' API destinations and delivery streams",
      AssumeRolePolicyDocument: {
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Principal: { Service: 'events.amazonaws.com' }, Action: 'sts:AssumeRole' }],
      },
      Policies: [
        { PolicyName: 'invoke-route-targets', PolicyDocument: { Version: '2012-10-17', Statement: invokeStatements } },
      ],
    },
  };
  return {
    Resources: resources,
    Outputs: {
      RoutingBusName: {
        Description: 'The bus the consumer publishes delivered events to (routes.yml)',
        Value: { Ref: 'RoutingBus' },
      },
    },
    busName,
  };
};

const httpResources = (
  resources: Record<string, CfnResource>,
  id: string,
  route: Route,
  target: HttpTarget,
  prefix: string,
  common: Record<string, Json>,
): Record<string, Json> => {
  resources[`${id}Connection`] = {
    Type: 'AWS::Events::Connection',
    Properties: {
      Name: physicalName(`${prefix}-${route.name}`, 64),
      Description: `routes.yml route ${route.name}`,
      ...connectionAuth(route, target.auth),
    },
  };
  resources[`${id}Destination`] = {
    Type: 'AWS::Events::ApiDestination',
    Properties: {
      Name: physicalName(`${prefix}-${route.name}`, 64),
      ConnectionArn: { 'Fn::GetAtt': [`${id}Connection`, 'Arn'] },
      InvocationEndpoint: target.url,
      HttpMethod: target.method,
      InvocationRateLimitPerSecond: target.rateLimitPerSecond,
    },
  };
  const http: Record<string, Json> = {};
  if (Object.keys(target.headers).length > 0) http.HeaderParameters = target.headers;
  if (Object.keys(target.query).length > 0) http.QueryStringParameters = target.query;
  return {
    Id: 'api-destination',
    Arn: { 'Fn::GetAtt': [`${id}Destination`, 'Arn'] },
    ...(Object.keys(http).length > 0 && { HttpParameters: http }),
    ...common,
  };
};

/**
 * With SSE-KMS bucket encryption, Firehose's writes need the key: kms:GenerateDataKey, and
 * kms:Decrypt for multipart uploads, through S3 only
 * (https://docs.aws.amazon.com/firehose/latest/dev/controlling-access.html#using-iam-s3).
 */
const lakeKeyStatement = (key: { condition: string; keyArnParameter: string }): Json => ({
  'Fn::If': [
    key.condition,
    {
      Sid: 'LakeKmsKey',
      Effect: 'Allow',
      Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
      Resource: [{ Ref: key.keyArnParameter }],
      Condition: { StringEquals: { 'kms:ViaService': { 'Fn::Sub': `s3.\${AWS::Region}.amazonaws.com` } } },
    },
    { Ref: 'AWS::NoValue' },
  ],
});

const firehoseResources = (
  resources: Record<string, CfnResource>,
  id: string,
  route: Route,
  target: FirehoseHttpTarget,
  prefix: string,
  stack: RoutesStack,
  common: Record<string, Json>,
): Record<string, Json> => {
  const role = `${id}FirehoseRole`;
  const failedPrefix = `routes/${route.name}/failed/`;
  resources[role] = {
    Type: 'AWS::IAM::Role',
    Properties: {
      Description: `routes.yml route ${route.name}: Firehose backs up failed data to the lake bucket`,
      AssumeRolePolicyDocument: {
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Principal: { Service: 'firehose.amazonaws.com' }, Action: 'sts:AssumeRole' }],
      },
      Policies: [
        {
          PolicyName: 'backup-failed-data',
          PolicyDocument: {
            Version: '2012-10-17',
            Statement: [
              {
                Effect: 'Allow',
                Action: ['s3:PutObject', 's3:AbortMultipartUpload'],
                Resource: [{ 'Fn::Sub': `\${${stack.lakeBucket}.Arn}/routes/${route.name}/*` }],
              },
              {
                Effect: 'Allow',
                Action: ['s3:GetBucketLocation', 's3:ListBucket', 's3:ListBucketMultipartUploads'],
                Resource: [{ 'Fn::GetAtt': [stack.lakeBucket, 'Arn'] }],
              },
              ...(stack.lakeKmsKey ? [lakeKeyStatement(stack.lakeKmsKey)] : []),
            ],
          },
        },
      ],
    },
  };
  resources[`${id}DeliveryStream`] = {
    Type: 'AWS::KinesisFirehose::DeliveryStream',
    Properties: {
      DeliveryStreamName: physicalName(`${prefix}-route-${route.name}`, 64),
      DeliveryStreamType: 'DirectPut',
      HttpEndpointDestinationConfiguration: {
        EndpointConfiguration: {
          Name: route.name,
          Url: target.url,
          AccessKey: secretReference(target.auth.secret, 'accessKey'),
        },
        BufferingHints: { SizeInMBs: target.buffering.sizeMiB, IntervalInSeconds: target.buffering.intervalSeconds },
        RequestConfiguration: {
          ContentEncoding: 'GZIP',
          ...(Object.keys(target.commonAttributes).length > 0 && {
            CommonAttributes: Object.entries(target.commonAttributes).map(([AttributeName, AttributeValue]) => ({
              AttributeName,
              AttributeValue,
            })),
          }),
        },
        RetryOptions: { DurationInSeconds: target.retryDurationSeconds },
        RoleARN: { 'Fn::GetAtt': [role, 'Arn'] },
        S3BackupMode: 'FailedDataOnly',
        S3Configuration: {
          BucketARN: { 'Fn::GetAtt': [stack.lakeBucket, 'Arn'] },
          Prefix: failedPrefix,
          ErrorOutputPrefix: `${failedPrefix}errors/`,
          CompressionFormat: 'GZIP',
          RoleARN: { 'Fn::GetAtt': [role, 'Arn'] },
        },
      },
    },
  };
  resources[`${id}EndpointDeliveryAlarm`] = alarm(
    stack,
    physicalName(`${prefix}-route-${route.name}-endpoint-delivery`, 255),
    `Route ${route.name}: Firehose could not deliver to the HTTP endpoint; failed data goes to s3://…/${failedPrefix}`,
    {
      Namespace: 'AWS/Firehose',
      MetricName: 'DeliveryToHttpEndpoint.Success',
      Dimensions: [{ Name: 'DeliveryStreamName', Value: physicalName(`${prefix}-route-${route.name}`, 64) }],
      Statistic: 'Minimum',
      Threshold: 1,
      ComparisonOperator: 'LessThanThreshold',
    },
  );
  return { Id: 'firehose', Arn: { 'Fn::GetAtt': [`${id}DeliveryStream`, 'Arn'] }, ...common };
};
