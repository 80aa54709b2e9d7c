import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type {
  ALBEvent,
  APIGatewayProxyEvent,
  APIGatewayProxyEventV2WithJWTAuthorizer,
  FirehoseTransformationEvent,
  KinesisStreamEvent,
} from 'aws-lambda';

/** The sample events in `events/`, typed; each call returns a fresh copy, safe to mutate. */
export interface SampleEvents {
  'kinesis-batch': KinesisStreamEvent;
  'firehose-transformation': FirehoseTransformationEvent;
  'http-api-events': APIGatewayProxyEventV2WithJWTAuthorizer;
  'example-api-v2': APIGatewayProxyEventV2WithJWTAuthorizer;
  'example-api-v1': APIGatewayProxyEvent;
  'example-api-alb': ALBEvent;
}

const EVENTS_DIR = join(__dirname, '..', '..', 'events');

export const loadSampleEvent = <K extends keyof SampleEvents>(name: K): SampleEvents[K] =>
  JSON.parse(readFileSync(join(EVENTS_DIR, `${name}.json`), 'utf8')) as SampleEvents[K];
