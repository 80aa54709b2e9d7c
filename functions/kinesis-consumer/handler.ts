import { BatchProcessor, EventType } from '@aws-lambda-powertools/batch';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import { loadConsumerConfig } from '../../shared/consumer/consumer-config';
import { createConsumerDependencies } from '../../shared/consumer/dependencies';
import { KinesisConsumer } from '../../shared/consumer/kinesis-consumer';
import { logger } from '../../shared/logger';
import { createPipelineMetrics } from '../../shared/metrics';

const config = loadConsumerConfig(process.env);
const processor = new BatchProcessor(EventType.KinesisDataStreams);
const metrics = createPipelineMetrics('kinesisConsumer');
export const consumer = new KinesisConsumer(processor, config, {
  ...createConsumerDependencies(config, logger, process.env),
  metrics,
});

export const handler = middy(consumer.handler)
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(logMetrics(metrics.powertools));
