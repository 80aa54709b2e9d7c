import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { FirehoseTransformationEvent } from 'aws-lambda';
import { loadLakeLayout, partitionBound } from '../../shared/lake-layout';
import { logger } from '../../shared/logger';
import { createPipelineMetrics } from '../../shared/metrics';
import { transformBatch } from '../../shared/transformer/firehose-transform';

// The layout (serverless.yml custom.lake) is read once, at cold start; a bad value fails here.
const layout = loadLakeLayout(process.env);
const { warning } = partitionBound(layout);
if (warning) logger.warn(warning);

const metrics = createPipelineMetrics('firehoseTransformer');

export const handler = middy(async (event: FirehoseTransformationEvent) => transformBatch(event, layout, logger, metrics))
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(logMetrics(metrics.powertools));
