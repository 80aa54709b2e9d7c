import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { FirehoseTransformationEvent } from 'aws-lambda';
import { loadLakeLayout, partitionBound } from '../../shared/lake-layout';
import { logger } from '../../shared/logger';
import { createPipelineMetrics } from '../../shared/metrics';
import { transformBatch } from '../../shared/transformer/firehose-transform';

// The layout (serverless.yml custom.lake) is read once, at cold start; a bad value fails here.
// ENVIRONMENT (provider-wide) goes into the canonical events built from Direct PUT raw shapes.
const layout = { ...loadLakeLayout(process.env), environment: process.env.ENVIRONMENT };
const { warning } = partitionBound(layout);
if (warning) logger.warn(warning);

const metrics = createPipelineMetrics('firehoseTransformer');

export const handler = middy(async (event: FirehoseTransformationEvent) =>
  transformBatch(event, layout, logger, metrics),
)
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(logMetrics(metrics.powertools));
