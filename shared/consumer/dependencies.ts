import type { Logger } from '@aws-lambda-powertools/logger';
import { createDynamoDbDocumentClient } from '../aws/dynamodb-client';
import { createEventBridgeClient } from '../aws/eventbridge-client';
import { createFirehoseClient } from '../aws/firehose-client';
import { createS3Client } from '../aws/s3-client';
import type { Env } from '../config';
import type { EventSink } from '../delivery/event-sink';
import { FirehoseSink } from '../delivery/firehose-sink';
import { DynamoDbIdempotencyStore } from '../idempotency/dynamodb-idempotency-store';
import { InMemoryIdempotencyStore } from '../idempotency/idempotency-store';
import { type Quarantine, quarantineKey } from '../quarantine/quarantine';
import { S3Quarantine } from '../quarantine/s3-quarantine';
import { EventBridgePublisher } from '../routing/route-publisher';
import { S3UnroutedStore } from '../routing/unrouted-store';
import { type ConsumerConfig, quarantineRequestTimeoutMs } from './consumer-config';
import type { ConsumerDependencies } from './kinesis-consumer';

export const createAwsDependencies = (config: ConsumerConfig, logger: Logger, env: Env): ConsumerDependencies => ({
  store: new DynamoDbIdempotencyStore(createDynamoDbDocumentClient(env), {
    tableName: config.idempotencyTableName,
    ttlSeconds: config.idempotencyTtlSeconds,
  }),
  sink: new FirehoseSink(createFirehoseClient(env), {
    deliveryStreamName: config.deliveryStreamName,
    ...config.delivery,
  }),
  quarantine: new S3Quarantine(
    createS3Client(env, { requestTimeoutMs: quarantineRequestTimeoutMs(env) }),
    config.quarantineBucket,
    config.quarantinePrefix,
  ),
  logger,
  ...(config.routingBusName && {
    router: {
      publisher: new EventBridgePublisher(createEventBridgeClient(env), {
        busName: config.routingBusName,
        ...config.delivery,
      }),
      unrouted: new S3UnroutedStore(
        createS3Client(env, { requestTimeoutMs: quarantineRequestTimeoutMs(env) }),
        config.unroutedBucket,
      ),
    },
  }),
});

/** For `sls invoke local` without a local stack: everything is logged, nothing is sent. */
export const createDryRunDependencies = (config: ConsumerConfig, logger: Logger): ConsumerDependencies => {
  const sink: EventSink = {
    deliver: async (records) => {
      logger.info('Dry run: would deliver to Firehose', {
        deliveryStream: config.deliveryStreamName,
        records: records.length,
        events: records.map((record) => JSON.parse(Buffer.from(record).toString('utf8')) as unknown),
      });
      return records.map(() => ({ ok: true }));
    },
  };
  const quarantine: Quarantine = {
    put: async (entry) => `dry-run://${config.quarantineBucket}/${quarantineKey(config.quarantinePrefix, entry)}`,
  };
  return { store: new InMemoryIdempotencyStore(), sink, quarantine, logger };
};

export const createConsumerDependencies = (config: ConsumerConfig, logger: Logger, env: Env): ConsumerDependencies =>
  config.dryRun ? createDryRunDependencies(config, logger) : createAwsDependencies(config, logger, env);
