import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { FirehoseTransformationEvent } from 'aws-lambda';
import { intEnv } from '../../shared/config';
import { logger } from '../../shared/logger';
import { EventTypeLimiter } from '../../shared/partition';
import { transformBatch } from '../../shared/transformer/firehose-transform';

const limiter = new EventTypeLimiter(
  intEnv(process.env, 'MAX_EVENT_TYPES_PER_CLIENT', 50, { min: 1, max: 1_000 }),
);

export const handler = middy(async (event: FirehoseTransformationEvent) => transformBatch(event, limiter, logger)).use(
  injectLambdaContext(logger, { resetKeys: true }),
);
