import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { createHttpIngestDependencies, HttpIngest } from '../../shared/ingest/http-ingest';
import { loadHttpIngestConfig } from '../../shared/ingest/http-ingest-config';
import { logger } from '../../shared/logger';

const config = loadHttpIngestConfig(process.env);
export const ingest = new HttpIngest(config, createHttpIngestDependencies(config, logger, process.env));

export const handler = middy(ingest.handle).use(injectLambdaContext(logger, { resetKeys: true }));
