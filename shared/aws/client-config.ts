import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { Env } from '../config';

export type AwsService = 'kinesis' | 'firehose' | 'dynamodb' | 's3';

// Local servers (kinesalite, dynalite, s3rver, the local Firehose, LocalStack) accept
// these; s3rver accepts nothing else.
const LOCAL_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

/** The endpoint override for a service: `AWS_ENDPOINT_URL_<SERVICE>`, else `AWS_ENDPOINT_URL`. */
export const endpointFor = (service: AwsService, env: Env): string | undefined =>
  env[`AWS_ENDPOINT_URL_${service.toUpperCase()}`]?.trim() || env.AWS_ENDPOINT_URL?.trim() || undefined;

export const hasEndpointOverride = (env: Env): boolean =>
  (['kinesis', 'firehose', 'dynamodb', 's3'] as const).some((service) => endpointFor(service, env) !== undefined);

export interface BaseClientConfig {
  region: string;
  endpoint?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string };
  requestHandler?: NodeHttpHandler;
}

/**
 * The one place that knows how clients differ locally: an endpoint override, dummy
 * credentials and an HTTP/1.1 handler (the Kinesis client otherwise speaks HTTP/2,
 * which local servers reject). In AWS, the SDK defaults apply untouched.
 */
export const baseClientConfig = (service: AwsService, env: Env): BaseClientConfig => {
  const region = env.AWS_REGION?.trim() || env.AWS_DEFAULT_REGION?.trim() || 'us-east-1';
  const endpoint = endpointFor(service, env);
  if (endpoint === undefined) return { region };
  return {
    region,
    endpoint,
    credentials: LOCAL_CREDENTIALS,
    requestHandler: new NodeHttpHandler({ connectionTimeout: 5_000, requestTimeout: 30_000 }),
  };
};
