/**
 * routes.yml on the local stack: the routing bus (LocalEventBridge) the consumer publishes to,
 * each route's dead-letter queue (LocalSqs, named as deployed), a Firehose with an HTTP endpoint
 * destination per `firehose-http` route, the receiver for `localUrl: receiver` routes, and the
 * local secrets (`.local/secrets.json`). Started before the consumer, so its environment names
 * the bus.
 */
import { CreateQueueCommand } from '@aws-sdk/client-sqs';
import { createS3Client } from '../../../shared/aws/s3-client';
import { createSqsClient } from '../../../shared/aws/sqs-client';
import {
  DEAD_LETTER_RETENTION_SECONDS,
  deadLetterQueueName,
  physicalName,
  routingBusName,
} from '../../../shared/routes/cloudformation';
import { LOCAL_RECEIVER, type Route } from '../../../shared/routes/routes-file';
import { type DeliveryTiming, LocalEventBridge, type RouteStats, sqsDeadLetterQueue } from '../eventbridge';
import { type Receiver, startReceiver } from '../eventbridge/receiver';
import { type FirehoseStream, firehoseTarget } from '../eventbridge/targets/firehose';
import { LocalFirehose } from '../firehose';
import { ensureLocalSecrets } from '../runtime/secrets';
import { LocalSqs } from '../sqs';

export interface RoutingOptions {
  routes: readonly Route[];
  service: string;
  stage: string;
  region: string;
  bucket: string;
  /** AWS_ENDPOINT_URL_S3 and the region, for the route streams' failed-data backups. */
  awsEnv: Record<string, string>;
  /** EventBridge's retry timing (tests shorten it). */
  timing?: Partial<DeliveryTiming>;
  secretsFile?: string;
}

export type RouteCounts = Pick<RouteStats, 'matched' | 'delivered' | 'retried' | 'deadLettered'>;

const line = (prefix: string) => (message: string, details?: Record<string, unknown>) =>
  process.stderr.write(`[${prefix}] ${message}${details ? ` ${JSON.stringify(details)}` : ''}\n`);

export class LocalRouting {
  private constructor(
    readonly busName: string,
    readonly eventBridgeEndpoint: string,
    readonly sqsEndpoint: string,
    readonly receiver: Receiver | undefined,
    private readonly bus: LocalEventBridge,
    private readonly sqs: LocalSqs,
    private readonly streams: Map<string, LocalFirehose>,
  ) {}

  static async start(options: RoutingOptions): Promise<LocalRouting> {
    const { routes, region } = options;
    const secrets = ensureLocalSecrets(routes, ...(options.secretsFile ? [options.secretsFile] : []));
    const sqs = new LocalSqs({ region });
    const { endpoint: sqsEndpoint } = await sqs.start();
    const sqsClient = createSqsClient({ AWS_REGION: region, AWS_ENDPOINT_URL_SQS: sqsEndpoint });
    const queueUrls = new Map<string, string>();
    for (const route of routes) {
      const { QueueUrl } = await sqsClient.send(
        new CreateQueueCommand({
          QueueName: deadLetterQueueName(options.service, options.stage, route.name),
          Attributes: { MessageRetentionPeriod: String(DEAD_LETTER_RETENTION_SECONDS) },
        }),
      );
      queueUrls.set(route.name, QueueUrl ?? '');
    }
    const receiver = routes.some((route) => route.target.localUrl === LOCAL_RECEIVER)
      ? await startReceiver({ routes, secrets })
      : undefined;
    const urlOf = (route: Route): string =>
      route.target.localUrl === LOCAL_RECEIVER
        ? (receiver as Receiver).urlOf(route.name)
        : (route.target.localUrl ?? route.target.url);

    // One delivery stream per firehose-http route, its HTTP endpoint the route's (local) URL.
    const streams = new Map<string, LocalFirehose>();
    const streamEndpoints = new Map<string, FirehoseStream>();
    const s3 = createS3Client(options.awsEnv);
    for (const route of routes) {
      const target = route.target;
      if (target.type !== 'firehose-http') continue;
      const deliveryStreamName = physicalName(`${options.service}-${options.stage}-route-${route.name}`, 64);
      const failed = `routes/${route.name}/failed/`;
      const stream = new LocalFirehose({
        settings: {
          deliveryStreamName,
          prefix: failed,
          errorOutputPrefix: `${failed}errors/`,
          bufferSizeBytes: target.buffering.sizeMiB * 1024 * 1024,
          bufferIntervalSeconds: target.buffering.intervalSeconds,
          compression: 'GZIP',
          dynamicPartitioning: false,
        },
        destination: {
          type: 'http-endpoint',
          url: urlOf(route),
          name: route.name,
          accessKey: secrets(target.auth.secret)?.accessKey ?? '',
          commonAttributes: target.commonAttributes,
          contentEncoding: 'GZIP',
          retryDurationSeconds: target.retryDurationSeconds,
          backup: { bucket: options.bucket, prefix: failed, errorOutputPrefix: `${failed}errors/` },
        },
        region,
        s3,
      });
      const { endpoint } = await stream.start();
      streams.set(route.name, stream);
      streamEndpoints.set(route.name, { endpoint, deliveryStreamName });
    }

    const busName = routingBusName(options.service, options.stage);
    const bus = new LocalEventBridge({
      busName,
      region,
      routes: [...routes],
      secrets,
      deadLetters: (route) => sqsDeadLetterQueue(sqsClient, queueUrls.get(route) ?? ''),
      urlOf,
      ...(options.timing && { timing: options.timing }),
      targets: {
        'firehose-http': firehoseTarget({ streamOf: (route) => streamEndpoints.get(route.name) as FirehoseStream }),
      },
      logger: { warn: line('eventbridge'), error: line('eventbridge') },
    });
    const { endpoint } = await bus.start();
    return new LocalRouting(busName, endpoint, sqsEndpoint, receiver, bus, sqs, streams);
  }

  /** Until every matched event is delivered or dead-lettered, and the route streams are flushed. */
  async drain(): Promise<void> {
    await this.bus.drain();
    for (const stream of this.streams.values()) {
      try {
        await stream.flush();
      } catch {
        // Given up on: the records are in the route's failed-data backup (logged by the stream).
      }
    }
  }

  counts(): Record<string, RouteCounts> {
    return Object.fromEntries(
      Object.entries(this.bus.stats().routes).map(([name, { matched, delivered, retried, deadLettered }]) => [
        name,
        { matched, delivered, retried, deadLettered },
      ]),
    );
  }

  async stop(): Promise<void> {
    await this.bus.stop();
    for (const stream of this.streams.values()) await stream.stop();
    await this.receiver?.stop();
    await this.sqs.stop();
  }
}
