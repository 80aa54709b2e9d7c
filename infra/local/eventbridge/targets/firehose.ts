/**
 * A Firehose delivery stream as a rule target (`type: firehose-http` routes): one attempt puts the
 * rendered input, as is, as one record (PutRecord, through the real `@aws-sdk/client-firehose`)
 * into the route's delivery stream (locally its LocalFirehose, whose HTTP endpoint destination
 * delivers it on: infra/local/firehose/destinations/http-endpoint.ts). EventBridge owns the
 * retries (../delivery.ts, the rule target's RetryPolicy), so the client makes one attempt per
 * call (maxAttempts 1) and the answer is mapped to a dead letter's ERROR_CODE:
 *
 * - A delivery stream that does not exist (ResourceNotFoundException) or a refused permission is
 *   not retried ("for errors that result from missing permissions to a target, or a target
 *   resource that no longer exists ... EventBridge sends these events directly to the DLQ",
 *   "Event retry policy and using dead-letter queues",
 *   https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rule-dlq.html): NO_RESOURCE,
 *   NO_PERMISSIONS.
 * - A record Firehose refuses as invalid (InvalidArgumentException, a ValidationException) is not
 *   retried: INVALID_PARAMETER.
 * - Throttling (ServiceUnavailableException: the stream's throughput exceeded) is retried:
 *   THROTTLING; so are connection failures (CONNECTION_FAILURE), timeouts (TIMEOUT) and the
 *   service's own errors (SDK_CLIENT_ERROR).
 *
 * The rule target's RetryPolicy is what routes.yml deploys for a firehose-http route
 * (shared/routes/cloudformation.ts: 185 attempts, 86,400 s, the maximums); its ARN (TARGET_ARN)
 * is the delivery stream's.
 */
import { FirehoseClient, PutRecordCommand } from '@aws-sdk/client-firehose';
import { baseClientConfig, type ClientTimeouts } from '../../../../shared/aws/client-config';
import { ROUTE_LIMITS } from '../../../../shared/routes/limits';
import type { Route } from '../../../../shared/routes/routes-file';
import { deliveryStreamArn } from '../../runtime/aws';
import { errorMessage } from '../../runtime/errors';
import type { EventEnvelope } from '../types';
import type { AttemptFailure, AttemptOutcome, RetryPolicy, Target, TargetContext, TargetFactory } from './target';

/** Where a route's delivery stream is locally. */
export interface FirehoseStream {
  /** The Firehose API endpoint (LocalFirehose.start()'s `endpoint`). */
  endpoint: string;
  deliveryStreamName: string;
}

export interface FirehoseTargetOptions {
  /** The delivery stream of a `firehose-http` route. */
  streamOf: (route: Route) => FirehoseStream;
  /** The Firehose client's timeouts (default: connection 1 s, request `context.timing.requestTimeoutMs`). */
  timeouts?: Partial<ClientTimeouts>;
}

/** Firehose's error names, by the dead letter's ERROR_CODE and whether EventBridge retries them. */
const NOT_RETRIED: Readonly<Record<string, string>> = {
  ResourceNotFoundException: 'NO_RESOURCE',
  AccessDeniedException: 'NO_PERMISSIONS',
  InvalidKMSResourceException: 'NO_PERMISSIONS',
  InvalidArgumentException: 'INVALID_PARAMETER',
  ValidationException: 'INVALID_PARAMETER',
  SerializationException: 'INVALID_PARAMETER',
};
const THROTTLED: ReadonlySet<string> = new Set([
  'ServiceUnavailableException',
  'ThrottlingException',
  'LimitExceededException',
]);
const CONNECTION_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ECONNABORTED',
]);

/** What a failed PutRecord means for the event. */
export const putRecordFailure = (error: unknown, deliveryStreamName: string): AttemptFailure => {
  const { name, $fault, $metadata } = error as {
    name?: string;
    $fault?: string;
    $metadata?: { httpStatusCode?: number };
  };
  // Node's code; when the SDK wrapped the error ("AWS SDK error wrapper for Error: connect
  // ECONNREFUSED …", an error from another realm), the code is only in the message.
  const own = (error as { code?: unknown }).code;
  const code = typeof own === 'string' ? own : /\b(E[A-Z]{4,})\b/.exec(errorMessage(error))?.[1];
  const status = $metadata?.httpStatusCode;
  const message = `Firehose PutRecord to ${deliveryStreamName} failed: ${name ?? 'Error'}: ${errorMessage(error)}`;
  const failure = (retryable: boolean, errorCode: string): AttemptFailure => ({
    ok: false,
    retryable,
    errorCode,
    errorMessage: message,
    ...(status !== undefined && { status }),
  });
  if (name !== undefined && NOT_RETRIED[name] !== undefined) return failure(false, NOT_RETRIED[name]);
  if (name !== undefined && THROTTLED.has(name)) return failure(true, 'THROTTLING');
  if (name === 'TimeoutError' || code === 'ETIMEDOUT' || code === 'ESOCKETTIMEDOUT') return failure(true, 'TIMEOUT');
  if (code !== undefined && CONNECTION_CODES.has(code)) return failure(true, 'CONNECTION_FAILURE');
  if ($fault === 'client') return failure(false, 'INVALID_PARAMETER');
  return failure(true, 'SDK_CLIENT_ERROR');
};

class FirehoseTarget implements Target {
  readonly arn: string;
  readonly retryPolicy: RetryPolicy = {
    maximumAttempts: ROUTE_LIMITS.maximumRetryAttemptsMax,
    maximumEventAgeSeconds: ROUTE_LIMITS.maximumEventAgeSecondsMax,
  };
  private readonly client: FirehoseClient;
  private readonly stream: FirehoseStream;

  constructor(
    route: Route,
    private readonly context: TargetContext,
    options: FirehoseTargetOptions,
  ) {
    this.stream = options.streamOf(route);
    this.arn = deliveryStreamArn(context.region, context.accountId, this.stream.deliveryStreamName);
    const config = baseClientConfig(
      'firehose',
      { AWS_ENDPOINT_URL_FIREHOSE: this.stream.endpoint, AWS_REGION: context.region },
      { requestTimeoutMs: context.timing.requestTimeoutMs, ...options.timeouts },
    );
    // One attempt per deliver(): EventBridge retries, per the rule target's RetryPolicy.
    this.client = new FirehoseClient({ ...config, maxAttempts: 1 });
  }

  async deliver(_envelope: EventEnvelope, input: string): Promise<AttemptOutcome> {
    const { signal } = this.context;
    if (signal.aborted)
      return {
        ok: false,
        retryable: false,
        errorCode: 'INTERNAL_ERROR',
        errorMessage: 'not sent: the bus is stopping',
      };
    try {
      const response = await this.client.send(
        new PutRecordCommand({
          DeliveryStreamName: this.stream.deliveryStreamName,
          Record: { Data: Buffer.from(input, 'utf8') },
        }),
        { abortSignal: signal },
      );
      return {
        ok: true,
        ...(response.$metadata.httpStatusCode !== undefined && { status: response.$metadata.httpStatusCode }),
      };
    } catch (error) {
      if (signal.aborted)
        return {
          ok: false,
          retryable: false,
          errorCode: 'INTERNAL_ERROR',
          errorMessage: 'not sent: the bus is stopping',
        };
      return putRecordFailure(error, this.stream.deliveryStreamName);
    }
  }

  close(): void {
    this.client.destroy();
  }
}

/** The factory of `firehose-http` targets, for LocalEventBridgeOptions.targets (`{ 'firehose-http': firehoseTarget({ streamOf }) }`). */
export const firehoseTarget =
  (options: FirehoseTargetOptions): TargetFactory =>
  (route, context) => {
    if (route.target.type !== 'firehose-http') {
      throw new Error(
        `route "${route.name}": a Firehose target needs a target of type firehose-http, not ${route.target.type}`,
      );
    }
    return new FirehoseTarget(route, context, options);
  };
