/**
 * Firehose's HTTP endpoint destination: each buffer is one POST of separate base64 records, with
 * the headers and the response contract of "Appendix - HTTP Endpoint Delivery Request and
 * Response Specifications" (https://docs.aws.amazon.com/firehose/latest/dev/httpdeliveryrequestresponse.html).
 * A failed request is retried with the documented back-off, under the same request ID, until
 * RetryOptions.DurationInSeconds is spent; then the records are written to the S3 backup
 * (S3BackupMode FailedDataOnly) under the error output prefix with `http-endpoint-failed` as
 * `!{firehose:error-output-type}`, one JSON line per record ("Handle data delivery failure",
 * https://docs.aws.amazon.com/firehose/latest/dev/retry.html). Error codes and messages follow
 * "Troubleshooting HTTP Endpoints" (https://docs.aws.amazon.com/firehose/latest/dev/http_troubleshooting.html).
 * Judging responses: http-endpoint-response.ts; checking the settings: http-endpoint-config.ts.
 */
import { randomUUID } from 'node:crypto';
import { type ClientRequest, request as httpRequest, type OutgoingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { promisify } from 'node:util';
import { gzip as gzipCallback } from 'node:zlib';
import type { S3Client } from '@aws-sdk/client-s3';
import type { FirehoseSettings } from '../../pipeline/serverless-config';
import {
  bucketArn,
  FIREHOSE_HTTP_BACKOFF,
  FIREHOSE_HTTP_MAX_RESPONSE_BYTES,
  FIREHOSE_HTTP_PROTOCOL_VERSION,
  FIREHOSE_HTTP_RESPONSE_TIMEOUT_MS,
  FIREHOSE_HTTP_RETRY_DURATION_SECONDS,
  FIREHOSE_HTTP_USER_AGENT,
  LOCAL_ACCOUNT_ID,
  roleArn,
} from '../../runtime/aws';
import { httpEndpointFailedLine } from '../error-records';
import {
  type CompiledPrefix,
  compileDeliveryPrefixes,
  evaluatePrefix,
  parsePrefix,
  RANDOM_PLACEHOLDER,
} from '../prefix';
import type { DeliveryBatch, DeliveryRecord, DeliveryReport, Destination, DestinationContext } from './destination';
import { HttpEndpointConfigurationError, validateHttpEndpoint } from './http-endpoint-config';
import { backoffMs, connectionError, HttpEndpointDeliveryError, judgeResponse } from './http-endpoint-response';
import { S3Destination } from './s3';

const gzip = promisify(gzipCallback);
const MIB = 1024 * 1024;

/** `!{firehose:error-output-type}` of the records an HTTP endpoint destination backs up. */
export const HTTP_ENDPOINT_FAILED = 'http-endpoint-failed';

/** Where failed data goes: the destination's S3Configuration (S3BackupMode FailedDataOnly). */
export interface HttpEndpointBackup {
  /** S3Configuration.BucketARN's bucket (must exist). */
  bucket: string;
  /** S3Configuration.Prefix; failed data goes under it when there is no errorOutputPrefix. */
  prefix: string;
  /**
   * S3Configuration.ErrorOutputPrefix: where failed data goes ("S3 backup bucket error output
   * prefix - all failed data is backed up in this S3 bucket error output prefix"). Without
   * expressions, `http-endpoint-failed/yyyy/MM/dd/HH/` is appended.
   */
  errorOutputPrefix?: string;
  /** S3Configuration.CompressionFormat (default UNCOMPRESSED, as the API's). */
  compression?: FirehoseSettings['compression'];
}

/** The HTTP endpoint destination of a LocalFirehose (`options.destination`). */
export interface HttpEndpointDestinationSettings {
  type: 'http-endpoint';
  /** EndpointConfiguration.Url. Firehose takes https on port 443 only; locally any http(s) URL. */
  url: string;
  /** EndpointConfiguration.Name (DescribeDeliveryStream). */
  name?: string;
  /** EndpointConfiguration.AccessKey, sent verbatim as X-Amz-Firehose-Access-Key (≤ 4,096 bytes). */
  accessKey?: string;
  /** RequestConfiguration.CommonAttributes, sent as X-Amz-Firehose-Common-Attributes (≤ 50). */
  commonAttributes?: Readonly<Record<string, string>>;
  /** RequestConfiguration.ContentEncoding (default NONE). */
  contentEncoding?: 'GZIP' | 'NONE';
  /** RetryOptions.DurationInSeconds, 0–7,200 (default 300). */
  retryDurationSeconds?: number;
  backup: HttpEndpointBackup;
  /** Local: how long one request may take before it fails with HttpEndpoint.RequestTimeout; default 3 minutes, as Firehose. */
  responseTimeoutMs?: number;
  /** Local: the back-off between attempts; default Firehose's (1 s, ×2, ±15 %, ≤ 2 min). */
  backoff?: { initialMs?: number; maxMs?: number; jitter?: number };
}

export interface HttpEndpointDestinationOptions {
  endpoint: HttpEndpointDestinationSettings;
  deliveryStreamName: string;
  deliveryStreamArn: string;
  /** The stream's BufferingHints (checked against the HTTP endpoint's limits). */
  bufferSizeBytes: number;
  bufferIntervalSeconds: number;
  /** Writes the backup objects. */
  s3: S3Client;
  /** Wait between backup PutObject attempts; default 5 s, as Firehose. */
  backupRetryIntervalMs?: number;
  /** How long a backup object is retried before its records are discarded; default 24 h. */
  backupRetryDurationMs?: number;
}

/**
 * The HTTP endpoint destination. Each batch is one request ID; each attempt is one POST of
 * `{requestId, timestamp, records: [{data}]}` (GZIP when configured). A failed attempt is retried
 * after the back-off as long as the retry duration (the time spent backing off, which excludes
 * the time spent waiting for responses: HttpEndpointRetryOptions) is not spent; then the records
 * are backed up to S3. stop() aborts requests in flight and gives up on retries: their records
 * are discarded.
 */
export class HttpEndpointDestination implements Destination {
  private inFlight = 0;
  private stopping = false;
  private readonly url: URL;
  private readonly backupPrefix: CompiledPrefix;
  private readonly backup: S3Destination;
  private readonly requests = new Set<ClientRequest>();
  private readonly wakeups = new Set<() => void>();

  constructor(private readonly options: HttpEndpointDestinationOptions) {
    validateHttpEndpoint(options);
    const { endpoint } = options;
    this.url = new URL(endpoint.url);
    const { prefix, errorOutputPrefix } = endpoint.backup;
    if (errorOutputPrefix === undefined && parsePrefix(prefix).hasExpressions) {
      throw new HttpEndpointConfigurationError(
        `Delivery stream ${options.deliveryStreamName}: the backup's ErrorOutputPrefix can be left out only if its Prefix has no expressions`,
      );
    }
    // The failed data's key: the error output prefix (the prefix when there is none), with
    // `http-endpoint-failed/yyyy/MM/dd/HH/` appended when it has no expressions.
    this.backupPrefix = compileDeliveryPrefixes({
      prefix,
      errorOutputPrefix: errorOutputPrefix ?? prefix,
      dynamicPartitioning: false,
      hasLambdaProcessor: false,
    }).errorOutputPrefix;
    this.backup = new S3Destination({
      settings: {
        deliveryStreamName: options.deliveryStreamName,
        prefix,
        errorOutputPrefix: errorOutputPrefix ?? '',
        bufferSizeBytes: 5 * MIB,
        bufferIntervalSeconds: 300,
        compression: endpoint.backup.compression ?? 'UNCOMPRESSED',
        dynamicPartitioning: false,
      },
      bucket: endpoint.backup.bucket,
      s3: options.s3,
      ...(options.backupRetryIntervalMs !== undefined && { retryIntervalMs: options.backupRetryIntervalMs }),
      ...(options.backupRetryDurationMs !== undefined && { retryDurationMs: options.backupRetryDurationMs }),
    });
  }

  get inFlightRecords(): number {
    return this.inFlight;
  }

  stop(): void {
    this.stopping = true;
    this.backup.stop();
    for (const request of this.requests) request.destroy(new Error('the local Firehose stopped'));
    for (const wake of this.wakeups) wake();
  }

  async deliver(batch: DeliveryBatch, report: DeliveryReport): Promise<void> {
    const { endpoint } = this.options;
    const requestId = randomUUID();
    const budgetMs = (endpoint.retryDurationSeconds ?? FIREHOSE_HTTP_RETRY_DURATION_SECONDS.default) * 1000;
    const backoff = {
      initialMs: endpoint.backoff?.initialMs ?? FIREHOSE_HTTP_BACKOFF.initialMs,
      maxMs: endpoint.backoff?.maxMs ?? FIREHOSE_HTTP_BACKOFF.maxMs,
      jitter: endpoint.backoff?.jitter ?? FIREHOSE_HTTP_BACKOFF.jitter,
    };
    let waitedMs = 0;
    this.inFlight += batch.records;
    try {
      for (let attempt = 1; ; attempt++) {
        let failure: HttpEndpointDeliveryError;
        try {
          const bytes = await this.post(requestId, batch.entries);
          report.attempted({ ok: true });
          report.delivered({ key: requestId, bytes });
          return;
        } catch (error) {
          failure = error instanceof HttpEndpointDeliveryError ? error : connectionError(error);
        }
        const remainingMs = budgetMs - waitedMs;
        const willRetry = !failure.permanent && !this.stopping && remainingMs > 0;
        report.attempted({ ok: false, error: failure, willRetry });
        if (!willRetry) {
          if (!failure.permanent && !this.stopping) {
            await this.backUp(batch, failure, attempt, report);
            return;
          }
          const why = this.stopping ? 'stopped while retrying' : 'a permanent failure (413), not backed up';
          const given = new Error(
            `HTTP endpoint ${this.url.origin} request ${requestId}: ${why}, ${batch.records} records discarded: ${failure.errorCode}: ${failure.message}`,
            { cause: failure },
          );
          report.gaveUp(given);
          throw given;
        }
        const waitMs = Math.min(remainingMs, backoffMs(attempt, backoff));
        waitedMs += waitMs;
        await this.pause(waitMs);
        if (this.stopping) {
          const given = new Error(
            `HTTP endpoint ${this.url.origin} request ${requestId}: stopped while retrying, ${batch.records} records discarded: ${failure.errorCode}: ${failure.message}`,
            { cause: failure },
          );
          report.gaveUp(given);
          throw given;
        }
      }
    } finally {
      this.inFlight -= batch.records;
    }
  }

  describe(context: DestinationContext): Record<string, unknown> {
    const { endpoint, deliveryStreamName, bufferSizeBytes, bufferIntervalSeconds } = this.options;
    const role = roleArn(LOCAL_ACCOUNT_ID, `${deliveryStreamName}-delivery`);
    const attributes = Object.entries(endpoint.commonAttributes ?? {});
    return {
      DestinationId: 'destinationId-000000000001',
      HttpEndpointDestinationDescription: {
        // The access key is never described (HttpEndpointDescription: Url and Name only).
        EndpointConfiguration: { Url: endpoint.url, ...(endpoint.name !== undefined && { Name: endpoint.name }) },
        BufferingHints: { SizeInMBs: Math.round(bufferSizeBytes / MIB), IntervalInSeconds: bufferIntervalSeconds },
        RequestConfiguration: {
          ContentEncoding: endpoint.contentEncoding ?? 'NONE',
          ...(attributes.length > 0 && {
            CommonAttributes: attributes.map(([AttributeName, AttributeValue]) => ({ AttributeName, AttributeValue })),
          }),
        },
        ProcessingConfiguration: context.processingConfiguration,
        RoleARN: role,
        RetryOptions: {
          DurationInSeconds: endpoint.retryDurationSeconds ?? FIREHOSE_HTTP_RETRY_DURATION_SECONDS.default,
        },
        S3BackupMode: 'FailedDataOnly',
        S3DestinationDescription: {
          RoleARN: role,
          BucketARN: bucketArn(endpoint.backup.bucket),
          Prefix: endpoint.backup.prefix,
          ...(endpoint.backup.errorOutputPrefix !== undefined && {
            ErrorOutputPrefix: endpoint.backup.errorOutputPrefix,
          }),
          BufferingHints: { SizeInMBs: 5, IntervalInSeconds: 300 },
          CompressionFormat: endpoint.backup.compression ?? 'UNCOMPRESSED',
          EncryptionConfiguration: { NoEncryptionConfig: 'NoEncryption' },
        },
      },
    };
  }

  /** One attempt: POSTs the records and judges the response; resolves with the body's size, or rejects with HttpEndpointDeliveryError. */
  private async post(requestId: string, records: readonly DeliveryRecord[]): Promise<number> {
    const { endpoint, deliveryStreamArn } = this.options;
    const json = Buffer.from(
      JSON.stringify({
        requestId,
        timestamp: Date.now(),
        records: records.map((record) => ({ data: record.data.toString('base64') })),
      }),
    );
    const gzipped = endpoint.contentEncoding === 'GZIP';
    const body = gzipped ? await gzip(json) : json;
    const attributes = endpoint.commonAttributes ?? {};
    const headers: OutgoingHttpHeaders = {
      'Content-Type': 'application/json',
      'Content-Length': body.length,
      'User-Agent': FIREHOSE_HTTP_USER_AGENT,
      'X-Amz-Firehose-Protocol-Version': FIREHOSE_HTTP_PROTOCOL_VERSION,
      'X-Amz-Firehose-Request-Id': requestId,
      'X-Amz-Firehose-Source-Arn': deliveryStreamArn,
      ...(endpoint.accessKey !== undefined && { 'X-Amz-Firehose-Access-Key': endpoint.accessKey }),
      ...(Object.keys(attributes).length > 0 && {
        'X-Amz-Firehose-Common-Attributes': JSON.stringify({ commonAttributes: attributes }),
      }),
      ...(gzipped && { 'Content-Encoding': 'gzip' }),
    };
    const timeoutMs = endpoint.responseTimeoutMs ?? FIREHOSE_HTTP_RESPONSE_TIMEOUT_MS;
    const send = this.url.protocol === 'https:' ? httpsRequest : httpRequest;

    await new Promise<void>((resolve, reject) => {
      let settled = false;
      // A fresh connection per attempt (no keep-alive): a reset is always the endpoint's doing.
      const request = send(this.url, { method: 'POST', headers, agent: false });
      this.requests.add(request);
      const finish = (failure: HttpEndpointDeliveryError | undefined) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        this.requests.delete(request);
        if (failure) {
          request.destroy();
          reject(failure);
        } else {
          resolve();
        }
      };
      const timer = setTimeout(
        () =>
          finish(
            new HttpEndpointDeliveryError(
              'HttpEndpoint.RequestTimeout',
              `The endpoint did not respond within ${timeoutMs} ms (Firehose waits ${FIREHOSE_HTTP_RESPONSE_TIMEOUT_MS / 60_000} minutes for a response).`,
            ),
          ),
        timeoutMs,
      );
      request.on('error', (error) => finish(connectionError(error)));
      request.on('response', (response) => {
        let size = response.rawHeaders.reduce((sum, part) => sum + Buffer.byteLength(part) + 2, 0);
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > FIREHOSE_HTTP_MAX_RESPONSE_BYTES) {
            finish(
              new HttpEndpointDeliveryError(
                'HttpEndpoint.ResponseTooLarge',
                'The response is too large: it must be less than 1 MiB including headers.',
              ),
            );
            return;
          }
          chunks.push(chunk);
        });
        const cutShort = () =>
          finish(connectionError(Object.assign(new Error('the response was cut short'), { code: 'ECONNRESET' })));
        response.on('aborted', cutShort);
        response.on('error', (error) => finish(connectionError(error)));
        response.on('end', () => finish(judgeResponse(response, Buffer.concat(chunks), requestId)));
        response.on('close', () => {
          if (!response.complete) cutShort();
        });
      });
      request.end(body);
    });
    return body.length;
  }

  /** Writes the batch's records to the S3 backup as `http-endpoint-failed` JSON lines (one object). */
  private async backUp(
    batch: DeliveryBatch,
    failure: HttpEndpointDeliveryError,
    attempts: number,
    report: DeliveryReport,
  ): Promise<void> {
    const ended = Date.now();
    const entries = batch.entries.map((entry) => ({
      data: httpEndpointFailedLine({
        attemptsMade: attempts,
        arrivalTimestamp: entry.arrival,
        failure: { errorCode: failure.errorCode, errorMessage: failure.message },
        attemptEndingTimestamp: ended,
        rawData: entry.data,
        recordId: entry.recordId,
      }),
      arrival: entry.arrival,
      recordId: entry.recordId,
    }));
    const prefix = evaluatePrefix(this.backupPrefix, {
      arrivalTimestamp: batch.oldestArrival,
      errorOutputType: HTTP_ENDPOINT_FAILED,
      randomString: RANDOM_PLACEHOLDER,
    });
    await this.backup.deliver(
      {
        prefix,
        body: Buffer.concat(entries.map((entry) => entry.data)),
        records: entries.length,
        entries,
        isError: true,
        oldestArrival: batch.oldestArrival,
      },
      {
        delivered: ({ key, bytes }) => report.backedUp({ key, bytes, records: batch.records }),
        retrying: (error, attempt, key) => report.retrying(error, attempt, key),
        attempted: () => {},
        backedUp: () => {},
        gaveUp: (error) => report.gaveUp(error),
      },
    );
  }

  /** A wait between attempts that stop() cuts short. */
  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.wakeups.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.wakeups.add(wake);
    });
  }
}
