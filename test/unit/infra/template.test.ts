// The deployed template, as the framework resolves it offline (`osls print`): the lake's lifecycle
// rules and the alarms that make sure nothing is lost without someone hearing about it.
//
// Metric names, statistics and dimensions are the ones AWS documents:
// - Firehose (AWS/Firehose, dimension DeliveryStreamName): "Dynamic partitioning CloudWatch metrics"
//   (PartitionCountExceeded: 1 while the active-partition quota is exceeded, else 0), "Data
//   transformation CloudWatch metrics" (ExecuteProcessing.Success: successful over all Lambda
//   invocations) and "Data delivery CloudWatch metrics" (DeliveryToS3.Success,
//   DeliveryToS3.DataFreshness) in
//   https://docs.aws.amazon.com/firehose/latest/dev/monitoring-with-cloudwatch-metrics.html
//   and https://docs.aws.amazon.com/firehose/latest/dev/firehose-cloudwatch-metrics-best-practices.html
//   No Firehose metric counts records written to the error output
//   (https://docs.aws.amazon.com/firehose/latest/dev/data-transformation-failure-handling.html),
//   hence the transformer's own AWS/Lambda Errors metric (dimension FunctionName):
//   https://docs.aws.amazon.com/lambda/latest/dg/monitoring-metrics-types.html
// - Lambda (AWS/Lambda, dimension FunctionName), same page: Errors and Throttles ("Invocation
//   metrics", Sum) for every function of the resolved config, and IteratorAge ("Performance
//   metrics": for event source mappings that read from streams, the age of the last record of the
//   batch when it is sent to the function, in milliseconds; Maximum) for the Kinesis consumer.
// - SQS (AWS/SQS, dimension QueueName, ApproximateNumberOfMessagesVisible):
//   https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-available-cloudwatch-metrics.html
// - CloudWatch can publish to an encrypted topic only with a customer managed key that grants it:
//   https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { loadConsumerConfig } from '../../../shared/consumer/consumer-config';
import { METRICS_NAMESPACE } from '../../../shared/metrics';

const ROOT = join(__dirname, '..', '..', '..');
const OSLS_BIN = join(ROOT, 'node_modules', 'osls', 'bin', 'serverless.js');
const STAGE = 'test';

interface Resource {
  Type: string;
  Properties: Record<string, unknown>;
}
interface LifecycleRule {
  Id: string;
  Status: string;
  Prefix?: string;
  Filter?: { Prefix?: string };
  Transitions?: { StorageClass: string; TransitionInDays: number | string }[];
  ExpirationInDays?: number | string;
  ExpirationDate?: string;
  AbortIncompleteMultipartUpload?: { DaysAfterInitiation: number };
}
interface FunctionDefinition {
  name?: string;
  timeout?: number;
  environment?: Record<string, string>;
  events?: Record<string, unknown>[];
  destinations?: { onFailure?: { arn?: unknown } };
}
interface Printed {
  service: string | { name: string };
  provider?: { environment?: Record<string, string> };
  functions: Record<string, FunctionDefinition>;
  resources: {
    Resources: Record<string, Resource>;
    Outputs: Record<string, { Value: unknown; Export?: { Name: unknown } }>;
  };
}

let printed: Printed;
let resources: Record<string, Resource>;
let prefix: string;

beforeAll(async () => {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [OSLS_BIN, 'print', '--format', 'json', '--stage', STAGE],
    {
      cwd: ROOT,
      maxBuffer: 32 * 1024 * 1024,
      env: {
        ...process.env,
        SLS_TELEMETRY_DISABLED: '1',
        SLS_NOTIFICATIONS_MODE: 'off',
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      },
    },
  );
  printed = JSON.parse(stdout) as Printed;
  resources = printed.resources.Resources;
  const service = typeof printed.service === 'string' ? printed.service : printed.service.name;
  prefix = `${service}-${STAGE}`;
}, 60_000);

const resource = (logicalId: string, type: string): Record<string, unknown> => {
  const found = resources[logicalId];
  expect(found?.Type).toBe(type);
  return (found as Resource).Properties;
};

/** The logical id a `Fn::GetAtt: [Id, Attr]` points at. */
const getAttTarget = (value: unknown): string => {
  expect(value).toEqual({ 'Fn::GetAtt': [expect.any(String), expect.any(String)] });
  return (value as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
};

describe('consumer time budget', () => {
  it("gives the consumer a timeout that fits read, put and write at the clients' timeouts (shared/consumer/deadline.ts)", () => {
    const consumer = printed.functions.kinesisConsumer;
    const budget = loadConsumerConfig({
      ...printed.provider?.environment,
      ...consumer?.environment,
      DRY_RUN: 'false',
    }).budget;

    expect((consumer?.timeout ?? 0) * 1000).toBeGreaterThan(3 * budget.requestTimeoutMs + budget.marginMs);
  });
});

describe('lake lifecycle', () => {
  const rules = (): LifecycleRule[] => {
    const bucket = resource('LakeBucket', 'AWS::S3::Bucket');
    return (bucket.LifecycleConfiguration as { Rules: LifecycleRule[] }).Rules;
  };
  const rulePrefix = (rule: LifecycleRule): string => rule.Prefix ?? rule.Filter?.Prefix ?? '';
  const ruleFor = (keyPrefix: string): LifecycleRule => {
    const matching = rules().filter((rule) => rulePrefix(rule) === keyPrefix);
    expect(matching).toHaveLength(1);
    return matching[0] as LifecycleRule;
  };
  const expires = (rule: LifecycleRule): boolean =>
    rule.ExpirationInDays !== undefined || rule.ExpirationDate !== undefined;

  it.each(['errors/', 'quarantine/'])(
    'moves %s to Standard-IA after 30 days and Glacier IR after 90, never expiring it',
    (keyPrefix) => {
      const rule = ruleFor(keyPrefix);

      expect(rule.Status).toBe('Enabled');
      expect(rule.Transitions).toEqual([
        { StorageClass: 'STANDARD_IA', TransitionInDays: 30 },
        { StorageClass: 'GLACIER_IR', TransitionInDays: 90 },
      ]);
      expect(rule).not.toHaveProperty('ExpirationInDays');
      expect(rule).not.toHaveProperty('ExpirationDate');
    },
  );

  it('has no enabled rule whose prefix would expire error output or quarantine objects', () => {
    const keys = [
      'errors/processing-failed/year=2026/x.gz',
      'errors/activePartitionExceeded/x.gz',
      'quarantine/x.json',
    ];
    const expiring = rules().filter((rule) => rule.Status === 'Enabled' && expires(rule));

    for (const key of keys) {
      expect(expiring.filter((rule) => key.startsWith(rulePrefix(rule))).map((rule) => rule.Id)).toEqual([]);
    }
    // The only expiring prefixes: re-driven copies, the s3Drop rejection reports and Athena's query results.
    expect(expiring.map(rulePrefix).sort()).toEqual(['athena-results/', 'failed-requests/', 'redriven/']);
  });

  it('moves redriven/ to Glacier IR after 30 days and expires it after at least a year (400 days by default)', () => {
    const rule = ruleFor('redriven/');

    expect(rule.Status).toBe('Enabled');
    expect(rule.Transitions).toEqual([{ StorageClass: 'GLACIER_IR', TransitionInDays: 30 }]);
    expect(Number(rule.ExpirationInDays)).toBeGreaterThanOrEqual(365);
    expect(Number(rule.ExpirationInDays)).toBe(400);
  });

  it('keeps the other rules', () => {
    expect(ruleFor('events/').Transitions).toEqual([{ StorageClass: 'STANDARD_IA', TransitionInDays: 30 }]);
    expect(ruleFor('ingest/').Transitions).toEqual([{ StorageClass: 'STANDARD_IA', TransitionInDays: 30 }]);
    expect(ruleFor('ingest/')).not.toHaveProperty('ExpirationInDays');
    expect(ruleFor('failed-requests/').ExpirationInDays).toBe(90);
    expect(ruleFor('').AbortIncompleteMultipartUpload).toEqual({ DaysAfterInitiation: 7 });
  });
});

describe('alarm topic', () => {
  it('is a named SNS topic encrypted with a customer managed key CloudWatch may use', () => {
    const topic = resource('AlarmTopic', 'AWS::SNS::Topic');

    expect(topic.TopicName).toBe(`${prefix}-alarms`);
    const keyId = (topic.KmsMasterKeyId as { Ref: string }).Ref;
    const key = resource(keyId, 'AWS::KMS::Key');
    const statements = (key.KeyPolicy as { Statement: Record<string, unknown>[] }).Statement;
    expect(statements).toContainEqual(
      expect.objectContaining({
        Effect: 'Allow',
        Principal: { Service: 'cloudwatch.amazonaws.com' },
        Action: expect.arrayContaining(['kms:Decrypt', 'kms:GenerateDataKey*']),
      }),
    );
  });

  it('is exported as a stack output', () => {
    expect(printed.resources.Outputs.AlarmTopicArn).toEqual(
      expect.objectContaining({ Value: { Ref: 'AlarmTopic' }, Export: { Name: `${prefix}-AlarmTopicArn` } }),
    );
  });
});

describe('Direct PUT producer policy', () => {
  it('is a managed policy allowing only PutRecord/PutRecordBatch on the delivery stream, exported as a stack output', () => {
    const policy = resource('DirectPutProducerPolicy', 'AWS::IAM::ManagedPolicy');
    const statements = (
      policy.PolicyDocument as { Statement: { Effect: string; Action: string[]; Resource: unknown[] }[] }
    ).Statement;

    expect(statements).toEqual([
      expect.objectContaining({
        Effect: 'Allow',
        Action: ['firehose:PutRecord', 'firehose:PutRecordBatch'],
        Resource: [{ 'Fn::GetAtt': ['DeliveryStream', 'Arn'] }],
      }),
    ]);
    expect(resources.DeliveryStream?.Type).toBe('AWS::KinesisFirehose::DeliveryStream');
    expect(printed.resources.Outputs.DirectPutProducerPolicyArn).toEqual(
      expect.objectContaining({
        Value: { Ref: 'DirectPutProducerPolicy' },
        Export: { Name: `${prefix}-DirectPutProducerPolicyArn` },
      }),
    );
  });
});

/** The deployed name of a function of the resolved config (the framework's default when unnamed). */
const functionName = (key: string): string => {
  const fn = printed.functions[key];
  expect(fn).toBeDefined();
  return fn?.name ?? `${prefix}-${key}`;
};

const alarms = (): [string, Resource][] =>
  Object.entries(resources).filter(([, r]) => r.Type === 'AWS::CloudWatch::Alarm');

/** The AWS/Lambda alarms on `metric` whose only dimension is FunctionName = `name`. */
const lambdaAlarms = (metric: string, name: string): [string, Resource][] =>
  alarms().filter(
    ([, r]) =>
      r.Properties.Namespace === 'AWS/Lambda' &&
      r.Properties.MetricName === metric &&
      JSON.stringify(r.Properties.Dimensions) === JSON.stringify([{ Name: 'FunctionName', Value: name }]),
  );

interface StreamEvent {
  type?: string;
  maximumRecordAgeInSeconds?: number | string;
}

/** Functions with a Kinesis stream event source mapping (the consumer), with that event. */
const streamConsumers = (): [string, StreamEvent][] =>
  Object.entries(printed.functions).flatMap(([key, fn]) =>
    (fn.events ?? [])
      .map((event) => event.stream as StreamEvent | undefined)
      .filter((stream): stream is StreamEvent => stream?.type === 'kinesis')
      .map((stream): [string, StreamEvent] => [key, stream]),
  );

// The consumer is "falling behind" above 1 hour of IteratorAge (records are discarded at
// maximumRecordAgeInSeconds, a day): https://docs.aws.amazon.com/lambda/latest/dg/monitoring-metrics-types.html
const ITERATOR_AGE_THRESHOLD_MS = 3_600_000;

describe('alarms', () => {
  interface ExpectedAlarm {
    logicalId: string;
    name: string;
    namespace: string;
    metric: string;
    statistic: string;
    comparison: string;
    threshold: number;
    dimension: () => { Name: string; Value: unknown };
  }

  const deliveryStream = () => ({
    Name: 'DeliveryStreamName',
    Value: resource('DeliveryStream', 'AWS::KinesisFirehose::DeliveryStream').DeliveryStreamName,
  });
  const queue = (logicalId: string) => {
    resource(logicalId, 'AWS::SQS::Queue');
    return { Name: 'QueueName', Value: { 'Fn::GetAtt': [logicalId, 'QueueName'] } };
  };

  const expected: ExpectedAlarm[] = [
    {
      logicalId: 'DeliveryPartitionCountExceededAlarm',
      name: 'delivery-partition-count-exceeded',
      namespace: 'AWS/Firehose',
      metric: 'PartitionCountExceeded',
      statistic: 'Maximum',
      comparison: 'GreaterThanThreshold',
      threshold: 0,
      dimension: deliveryStream,
    },
    {
      logicalId: 'DeliveryProcessingFailureAlarm',
      name: 'delivery-processing-failures',
      namespace: 'AWS/Firehose',
      metric: 'ExecuteProcessing.Success',
      statistic: 'Minimum',
      comparison: 'LessThanThreshold',
      threshold: 1,
      dimension: deliveryStream,
    },
    {
      logicalId: 'TransformerErrorsAlarm',
      name: 'transformer-errors',
      namespace: 'AWS/Lambda',
      metric: 'Errors',
      statistic: 'Sum',
      comparison: 'GreaterThanThreshold',
      threshold: 0,
      dimension: () => ({ Name: 'FunctionName', Value: printed.functions.firehoseTransformer?.name }),
    },
    {
      logicalId: 'DeliveryToS3FailureAlarm',
      name: 'delivery-s3-failures',
      namespace: 'AWS/Firehose',
      metric: 'DeliveryToS3.Success',
      statistic: 'Minimum',
      comparison: 'LessThanThreshold',
      threshold: 1,
      dimension: deliveryStream,
    },
    {
      logicalId: 'DeliveryDataFreshnessAlarm',
      name: 'delivery-data-freshness',
      namespace: 'AWS/Firehose',
      metric: 'DeliveryToS3.DataFreshness',
      statistic: 'Maximum',
      comparison: 'GreaterThanThreshold',
      threshold: 900,
      dimension: deliveryStream,
    },
    {
      logicalId: 'ConsumerFailureQueueAlarm',
      name: 'consumer-failure-queue',
      namespace: 'AWS/SQS',
      metric: 'ApproximateNumberOfMessagesVisible',
      statistic: 'Maximum',
      comparison: 'GreaterThanThreshold',
      threshold: 0,
      dimension: () => queue('ConsumerFailureQueue'),
    },
    {
      logicalId: 'S3DropFailureQueueAlarm',
      name: 's3-drop-failure-queue',
      namespace: 'AWS/SQS',
      metric: 'ApproximateNumberOfMessagesVisible',
      statistic: 'Maximum',
      comparison: 'GreaterThanThreshold',
      threshold: 0,
      dimension: () => queue('S3DropFailureQueue'),
    },
    {
      logicalId: 'EventBridgeDeadLetterQueueAlarm',
      name: 'eventbridge-dlq',
      namespace: 'AWS/SQS',
      metric: 'ApproximateNumberOfMessagesVisible',
      statistic: 'Maximum',
      comparison: 'GreaterThanThreshold',
      threshold: 0,
      dimension: () => queue('EventBridgeDeadLetterQueue'),
    },
    {
      logicalId: 'ConsumerIteratorAgeAlarm',
      name: 'kinesisConsumer-iterator-age',
      namespace: 'AWS/Lambda',
      metric: 'IteratorAge',
      statistic: 'Maximum',
      comparison: 'GreaterThanThreshold',
      threshold: ITERATOR_AGE_THRESHOLD_MS,
      dimension: () => ({ Name: 'FunctionName', Value: functionName('kinesisConsumer') }),
    },
    {
      logicalId: 'ConsumerDestinationDeliveryFailuresAlarm',
      name: 'kinesisConsumer-destination-delivery-failures',
      namespace: 'AWS/Lambda',
      metric: 'DestinationDeliveryFailures',
      statistic: 'Sum',
      comparison: 'GreaterThanThreshold',
      threshold: 0,
      dimension: () => ({ Name: 'FunctionName', Value: functionName('kinesisConsumer') }),
    },
  ];

  it.each(expected)('$logicalId watches $namespace $metric', (alarm) => {
    const properties = resource(alarm.logicalId, 'AWS::CloudWatch::Alarm');

    expect(properties).toEqual(
      expect.objectContaining({
        AlarmName: `${prefix}-${alarm.name}`,
        Namespace: alarm.namespace,
        MetricName: alarm.metric,
        Dimensions: [alarm.dimension()],
        Statistic: alarm.statistic,
        ComparisonOperator: alarm.comparison,
        Threshold: alarm.threshold,
        TreatMissingData: 'notBreaching',
        AlarmActions: [{ Ref: 'AlarmTopic' }],
        OKActions: [{ Ref: 'AlarmTopic' }],
      }),
    );
    expect(Number(properties.EvaluationPeriods)).toBeGreaterThanOrEqual(1);
    expect(Number(properties.Period)).toBeGreaterThanOrEqual(60);
  });

  it("alarms on the consumer's UnrecordedDeliveries metric with the dimensions Powertools emits it under", () => {
    // Powertools EMF: the service dimension (POWERTOOLS_SERVICE_NAME) and the default dimension
    // `function` that shared/metrics.ts adds (createPipelineMetrics('kinesisConsumer')).
    const properties = resource('ConsumerUnrecordedDeliveriesAlarm', 'AWS::CloudWatch::Alarm');
    const service =
      printed.functions.kinesisConsumer?.environment?.POWERTOOLS_SERVICE_NAME ??
      printed.provider?.environment?.POWERTOOLS_SERVICE_NAME;
    expect(service).toBeDefined();
    expect(properties).toEqual(
      expect.objectContaining({
        Namespace: METRICS_NAMESPACE,
        MetricName: 'UnrecordedDeliveries',
        Dimensions: [
          { Name: 'service', Value: service },
          { Name: 'function', Value: 'kinesisConsumer' },
        ],
        Statistic: 'Sum',
        Threshold: 0,
        ComparisonOperator: 'GreaterThanThreshold',
        AlarmActions: [{ Ref: 'AlarmTopic' }],
      }),
    );
  });

  it('alarms on the dimension values of the real resources', () => {
    expect(deliveryStream().Value).toBe(`${prefix}-delivery`);
    expect(printed.functions.firehoseTransformer?.name).toBe(`${prefix}-firehoseTransformer`);
    expect(printed.functions.kinesisConsumer?.name).toBe(`${prefix}-kinesisConsumer`);
  });

  // The transformer's Errors alarm predates the per-function alarms and keeps its name.
  const legacyNames: Record<string, string> = { 'firehoseTransformer/Errors': 'transformer-errors' };

  it.each(['Errors', 'Throttles'])(
    'gives every function of the resolved config one %s alarm (Sum > 0 over 5 minutes) on the topic',
    (metric) => {
      const functionKeys = Object.keys(printed.functions);
      expect(functionKeys.length).toBeGreaterThan(0);

      const found = Object.fromEntries(
        functionKeys.map((key) => [key, lambdaAlarms(metric, functionName(key)).map(([, r]) => r.Properties)]),
      );
      const wanted = Object.fromEntries(
        functionKeys.map((key) => [
          key,
          [
            expect.objectContaining({
              AlarmName: `${prefix}-${legacyNames[`${key}/${metric}`] ?? `${key}-${metric.toLowerCase()}`}`,
              Statistic: 'Sum',
              Period: 300,
              EvaluationPeriods: 1,
              Threshold: 0,
              ComparisonOperator: 'GreaterThanThreshold',
              TreatMissingData: 'notBreaching',
              AlarmActions: [{ Ref: 'AlarmTopic' }],
              OKActions: [{ Ref: 'AlarmTopic' }],
            }),
          ],
        ]),
      );
      expect(found).toEqual(wanted);
    },
  );

  it('alarms when the Kinesis consumer falls 1 hour behind the stream for 15 minutes, well before records age out', () => {
    const consumers = streamConsumers();
    expect(consumers.map(([key]) => key)).toEqual(['kinesisConsumer']);

    for (const [key, stream] of consumers) {
      const found = lambdaAlarms('IteratorAge', functionName(key));
      expect(found).toHaveLength(1);
      const properties = (found[0] as [string, Resource])[1].Properties;

      expect(properties).toEqual(
        expect.objectContaining({
          Statistic: 'Maximum',
          Period: 300,
          EvaluationPeriods: 3,
          DatapointsToAlarm: 3,
          Threshold: ITERATOR_AGE_THRESHOLD_MS,
          ComparisonOperator: 'GreaterThanThreshold',
          TreatMissingData: 'notBreaching',
          AlarmActions: [{ Ref: 'AlarmTopic' }],
          OKActions: [{ Ref: 'AlarmTopic' }],
        }),
      );
      // Lambda publishes IteratorAge in milliseconds; an alarm with another Unit would see no data.
      expect(properties).not.toHaveProperty('Unit');
      // Records are discarded at maximumRecordAgeInSeconds: the alarm (threshold plus the 15
      // minutes it must last) has to fire long before, here with at least 12 hours to spare.
      const maximumRecordAgeMs = Number(stream.maximumRecordAgeInSeconds) * 1000;
      expect(maximumRecordAgeMs).toBe(86_400_000);
      const alarmAfterMs =
        Number(properties.Threshold) + Number(properties.Period) * Number(properties.EvaluationPeriods) * 1000;
      expect(maximumRecordAgeMs - alarmAfterMs).toBeGreaterThanOrEqual(12 * 3_600_000);
    }
  });

  it('has exactly these alarms, with unique names', () => {
    const functionAlarmIds = Object.keys(printed.functions).flatMap((key) =>
      ['Errors', 'Throttles'].flatMap((metric) => lambdaAlarms(metric, functionName(key)).map(([id]) => id)),
    );
    // Plus the alarm on the consumer's own metric (two dimensions, checked above) and each route's
    // (dead letters, failed invocations: test/unit/routes/cloudformation.test.ts).
    const routeAlarmIds = alarms()
      .map(([id]) => id)
      .filter((id) => /^Route.+(DeadLetter|FailedInvocations|EndpointDelivery)Alarm$/.test(id));
    expect(routeAlarmIds.length).toBeGreaterThan(0);
    const wantedIds = new Set([
      ...expected.map((alarm) => alarm.logicalId),
      ...functionAlarmIds,
      'ConsumerUnrecordedDeliveriesAlarm',
      ...routeAlarmIds,
    ]);

    expect(
      alarms()
        .map(([id]) => id)
        .sort(),
    ).toEqual([...wantedIds].sort());
    // Two per function (Errors, Throttles) plus the listed ones, the transformer's Errors among them.
    expect(wantedIds.size).toBe(
      expected.length + 1 + routeAlarmIds.length + 2 * Object.keys(printed.functions).length - 1,
    );
    expect(new Set(alarms().map(([, r]) => r.Properties.AlarmName)).size).toBe(alarms().length);
  });

  it('covers every failure destination and dead-letter queue in the template', () => {
    const consumerStream = printed.functions.kinesisConsumer?.events?.map((event) => event.stream).find(Boolean) as
      | { destinations: { onFailure: { arn: unknown } } }
      | undefined;
    const destinations = [
      getAttTarget(consumerStream?.destinations.onFailure.arn),
      getAttTarget(printed.functions.s3Drop?.destinations?.onFailure?.arn),
    ];
    for (const rule of Object.values(resources).filter((r) => r.Type === 'AWS::Events::Rule')) {
      for (const target of rule.Properties.Targets as { DeadLetterConfig?: { Arn: unknown } }[]) {
        if (target.DeadLetterConfig) destinations.push(getAttTarget(target.DeadLetterConfig.Arn));
      }
    }
    const queues = Object.entries(resources)
      .filter(([, r]) => r.Type === 'AWS::SQS::Queue')
      .map(([id]) => id);
    const watchedQueues = Object.values(resources)
      .filter((r) => r.Type === 'AWS::CloudWatch::Alarm' && r.Properties.Namespace === 'AWS/SQS')
      .map((r) => getAttTarget((r.Properties.Dimensions as { Value: unknown }[])[0]?.Value));

    // Each routes.yml route has its own dead-letter queue (shared/routes/cloudformation.ts).
    const routeQueues = queues.filter((id) => /^Route.+DeadLetterQueue$/.test(id));
    expect(routeQueues.length).toBeGreaterThan(0);
    expect(destinations.sort()).toEqual(
      ['ConsumerFailureQueue', 'EventBridgeDeadLetterQueue', 'S3DropFailureQueue', ...routeQueues].sort(),
    );
    expect(watchedQueues.sort()).toEqual(queues.sort());
  });
});

describe('routes.yml in the template (infra/routes.cjs)', () => {
  it('compiles the shipped ticketing route: rule on the routing bus, API destination, connection, dead-letter queue and policy', () => {
    const rules = Object.entries(resources).filter(
      ([, r]) =>
        r.Type === 'AWS::Events::Rule' && (r.Properties.EventBusName as { Ref?: string })?.Ref === 'RoutingBus',
    );
    expect(rules.map(([, r]) => r.Properties.Name)).toEqual(['loyalty-tickets']);
    const [ruleId, rule] = rules[0] as [string, Resource];
    const [target] = rule.Properties.Targets as {
      Arn: unknown;
      DeadLetterConfig: { Arn: unknown };
      RetryPolicy: unknown;
      RoleArn: unknown;
    }[];
    const destination = resource(getAttTarget(target?.Arn), 'AWS::Events::ApiDestination');
    const connection = resource(getAttTarget(destination.ConnectionArn), 'AWS::Events::Connection');
    const queueId = getAttTarget(target?.DeadLetterConfig.Arn);

    expect(resource('RoutingBus', 'AWS::Events::EventBus').Name).toBe(`${prefix}-routing`);
    expect(destination).toMatchObject({
      InvocationEndpoint: 'https://tickets.example.com/v1/tickets',
      HttpMethod: 'POST',
      InvocationRateLimitPerSecond: 10,
    });
    expect(connection).toMatchObject({ AuthorizationType: 'BASIC' });
    expect(JSON.stringify(connection.AuthParameters)).toMatch(
      /^\{"BasicAuthParameters":\{"Username":"\{\{resolve:secretsmanager:tickets\/credentials:SecretString:username\}\}","Password":"\{\{resolve:secretsmanager:tickets\/credentials:SecretString:password\}\}"\}\}$/,
    );
    expect(target?.RetryPolicy).toEqual({ MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 86_400 });
    resource(queueId, 'AWS::SQS::Queue');
    const policy = Object.values(resources).find(
      (r) =>
        r.Type === 'AWS::SQS::QueuePolicy' &&
        JSON.stringify(r.Properties.Queues) === JSON.stringify([{ Ref: queueId }]),
    );
    expect(JSON.stringify(policy?.Properties.PolicyDocument)).toContain(
      JSON.stringify({ 'aws:SourceArn': { 'Fn::GetAtt': [ruleId, 'Arn'] } }),
    );
  });

  it('gives the consumer the routing bus name and PutEvents on that bus only', () => {
    expect(printed.functions.kinesisConsumer?.environment?.ROUTING_BUS_NAME).toBe(`${prefix}-routing`);
    expect(resource('ConsumerRoutingPolicy', 'AWS::IAM::Policy')).toMatchObject({
      Roles: [{ Ref: 'KinesisConsumerRole' }],
      PolicyDocument: {
        Statement: [
          expect.objectContaining({
            Action: ['events:PutEvents'],
            Resource: [{ 'Fn::GetAtt': ['RoutingBus', 'Arn'] }],
          }),
        ],
      },
    });
  });
});
