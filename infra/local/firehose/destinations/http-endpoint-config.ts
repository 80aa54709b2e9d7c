/** Checks an HTTP endpoint destination's settings against CreateDeliveryStream's limits. */
import {
  FIREHOSE_HTTP_BUFFER_INTERVAL_SECONDS,
  FIREHOSE_HTTP_BUFFER_SIZE_MIB,
  FIREHOSE_HTTP_COMMON_ATTRIBUTES,
  FIREHOSE_HTTP_MAX_ACCESS_KEY_BYTES,
  FIREHOSE_HTTP_RETRY_DURATION_SECONDS,
} from '../../runtime/aws';
import type { HttpEndpointDestinationOptions } from './http-endpoint';

const MIB = 1024 * 1024;

/** A configuration CreateDeliveryStream would refuse. */
export class HttpEndpointConfigurationError extends Error {
  override readonly name = 'HttpEndpointConfigurationError';
}

/** Checks the settings against the API's limits; throws HttpEndpointConfigurationError. */
export const validateHttpEndpoint = (options: HttpEndpointDestinationOptions): void => {
  const { endpoint, bufferSizeBytes, bufferIntervalSeconds } = options;
  const fail = (message: string): never => {
    throw new HttpEndpointConfigurationError(`Delivery stream ${options.deliveryStreamName}: ${message}`);
  };
  let url: URL | undefined;
  try {
    url = new URL(endpoint.url);
  } catch {
    fail(`HTTP endpoint URL "${endpoint.url}" is not a URL`);
  }
  if (url && url.protocol !== 'https:' && url.protocol !== 'http:')
    fail(`HTTP endpoint URL "${endpoint.url}" is not http(s)`);
  if (endpoint.url.length > 1000) fail('HTTP endpoint URL is longer than 1,000 characters');
  if (endpoint.accessKey !== undefined && Buffer.byteLength(endpoint.accessKey) > FIREHOSE_HTTP_MAX_ACCESS_KEY_BYTES) {
    fail(`the access key is larger than ${FIREHOSE_HTTP_MAX_ACCESS_KEY_BYTES} bytes`);
  }
  const attributes = Object.entries(endpoint.commonAttributes ?? {});
  const limits = FIREHOSE_HTTP_COMMON_ATTRIBUTES;
  if (attributes.length > limits.max) fail(`more than ${limits.max} common attributes`);
  for (const [name, value] of attributes) {
    if (name.length < 1 || name.length > limits.nameMaxLength)
      fail(`common attribute name "${name}" is not 1–${limits.nameMaxLength} characters`);
    if (typeof value !== 'string' || value.length > limits.valueMaxLength)
      fail(`common attribute "${name}" is not a string of at most ${limits.valueMaxLength} characters`);
  }
  const retry = endpoint.retryDurationSeconds ?? FIREHOSE_HTTP_RETRY_DURATION_SECONDS.default;
  if (
    !Number.isInteger(retry) ||
    retry < FIREHOSE_HTTP_RETRY_DURATION_SECONDS.min ||
    retry > FIREHOSE_HTTP_RETRY_DURATION_SECONDS.max
  ) {
    fail(`RetryOptions.DurationInSeconds ${retry} is not an integer in 0–7200`);
  }
  const sizeMiB = bufferSizeBytes / MIB;
  if (!(sizeMiB >= FIREHOSE_HTTP_BUFFER_SIZE_MIB.min && sizeMiB <= FIREHOSE_HTTP_BUFFER_SIZE_MIB.max)) {
    fail(`BufferingHints.SizeInMBs ${sizeMiB} is not in 1–64 (bufferSizeBytes ${bufferSizeBytes})`);
  }
  if (
    !Number.isInteger(bufferIntervalSeconds) ||
    bufferIntervalSeconds < FIREHOSE_HTTP_BUFFER_INTERVAL_SECONDS.min ||
    bufferIntervalSeconds > FIREHOSE_HTTP_BUFFER_INTERVAL_SECONDS.max
  ) {
    fail(`BufferingHints.IntervalInSeconds ${bufferIntervalSeconds} is not an integer in 0–900`);
  }
};
