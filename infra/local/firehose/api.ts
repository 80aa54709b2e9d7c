import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import {
  FIREHOSE_MAX_BATCH_BYTES,
  FIREHOSE_MAX_BATCH_RECORDS,
  FIREHOSE_MAX_RECORD_BYTES,
  LOCAL_ACCOUNT_ID,
} from '../runtime/aws';
import { errorMessage } from '../runtime/errors';
import { closeServer, type JsonRequest, listenForSdk, readJsonRequest } from '../runtime/http-server';
import { isObject, type Json, type RecordFailure } from './types';

/** Largest HTTP request body the server reads (a full 4 MiB batch is ~5.6 MB as JSON). */
const MAX_HTTP_BODY_BYTES = 16 * 1024 * 1024;
const TARGET_PREFIX = 'Firehose_20150804.';
const STREAM_NAME = /^[a-zA-Z0-9_.-]+$/;

/** An error response: `__type` and `message`, with its HTTP status. */
/** The error a request that is not a JSON-protocol call gets (as before the shared reader). */
const requestProblem = (problem: Extract<JsonRequest, { ok: false }>['problem']): ApiError => {
  switch (problem) {
    case 'not-post':
      return new ApiError('UnknownOperationException', 'Only POST is supported', 404);
    case 'too-large':
      return new ApiError('SerializationException', 'Request body too large', 413);
    case 'not-json':
      return new ApiError('SerializationException', 'Request body is not valid JSON');
    case 'not-object':
      return new ApiError('SerializationException', 'Request body must be a JSON object');
  }
};

export class ApiError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

/** What the API needs of the delivery stream behind it. */
export interface FirehoseBackend {
  readonly deliveryStreamName: string;
  /** True once the stream is stopping: calls are answered ServiceUnavailableException. */
  isStopping(): boolean;
  now(): number;
  /** Fault injection: the failure that refuses this record (counted as rejected), or undefined to take it. */
  refuse(data: Buffer, index: number): RecordFailure | undefined;
  /** Takes a record in; returns its RecordId. */
  accept(data: Buffer, arrival: number): string;
  /** DescribeDeliveryStream's answer. */
  describe(): unknown;
}

const sendJson = (response: ServerResponse, status: number, payload: unknown): void => {
  const body = JSON.stringify(payload);
  response.writeHead(status, {
    'content-type': 'application/x-amz-json-1.1',
    'content-length': Buffer.byteLength(body),
    'x-amzn-requestid': randomUUID(),
  });
  response.end(body);
};

const sendError = (response: ServerResponse, error: ApiError): void => {
  sendJson(response, error.status, { __type: error.type, message: error.message });
};

const throwViolations = (violations: string[]): void => {
  if (violations.length === 0) return;
  const count = violations.length === 1 ? '1 validation error' : `${violations.length} validation errors`;
  throw new ApiError('ValidationException', `${count} detected: ${violations.join('; ')}`);
};

/** Checks DeliveryStreamName like the API model does. */
const requireStream = (input: Json, violations: string[]): void => {
  const name = input.DeliveryStreamName;
  if (name === undefined || name === null) {
    violations.push("Value null at 'deliveryStreamName' failed to satisfy constraint: Member must not be null");
  } else if (typeof name !== 'string') {
    throw new ApiError('SerializationException', 'DeliveryStreamName must be a string');
  } else if (name.length < 1 || name.length > 64) {
    violations.push(
      `Value '${name}' at 'deliveryStreamName' failed to satisfy constraint: Member must have length ${name.length < 1 ? 'greater than or equal to 1' : 'less than or equal to 64'}`,
    );
  } else if (!STREAM_NAME.test(name)) {
    violations.push(
      `Value '${name}' at 'deliveryStreamName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+`,
    );
  }
};

const decodeData = (value: unknown, path: string, violations: string[]): Buffer => {
  if (value === undefined || value === null) {
    violations.push(`Value null at '${path}' failed to satisfy constraint: Member must not be null`);
    return Buffer.alloc(0);
  }
  if (typeof value !== 'string') throw new ApiError('SerializationException', `${path} must be a base64 string`);
  const data = Buffer.from(value, 'base64');
  if (data.length > FIREHOSE_MAX_RECORD_BYTES) {
    violations.push(
      `Value 'java.nio.HeapByteBuffer[pos=0 lim=${data.length} cap=${data.length}]' at '${path}' failed to satisfy constraint: Member must have length less than or equal to ${FIREHOSE_MAX_RECORD_BYTES}`,
    );
  }
  return data;
};

/**
 * The Firehose API over HTTP (JSON 1.1, `X-Amz-Target: Firehose_20150804.<Action>`), as the
 * real `@aws-sdk/client-firehose` calls it: PutRecord, PutRecordBatch, DescribeDeliveryStream,
 * ListDeliveryStreams, validated like the service (its limits, its error messages).
 */
export class FirehoseApi {
  private server?: Server;

  constructor(private readonly backend: FirehoseBackend) {}

  get listening(): boolean {
    return this.server !== undefined;
  }

  /** Listens on `host` (a free port unless `port`); resolves with the endpoint URL. */
  async listen(host: string, port: number): Promise<string> {
    const server = createServer((request, response) => {
      this.handle(request, response).catch((error: unknown) => {
        if (!response.headersSent) sendError(response, new ApiError('InternalFailure', errorMessage(error), 500));
      });
    });
    this.server = server;
    return listenForSdk(server, host, port);
  }

  async close(): Promise<void> {
    if (this.server) await closeServer(this.server);
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const read = await readJsonRequest(request, MAX_HTTP_BODY_BYTES, TARGET_PREFIX);
    try {
      if (!read.ok) throw requestProblem(read.problem);
      sendJson(response, 200, this.dispatch(read.action, read.input));
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      sendError(response, error);
    }
  }

  private dispatch(action: string, input: Json): unknown {
    switch (action) {
      case 'PutRecord':
        return this.putRecord(input);
      case 'PutRecordBatch':
        return this.putRecordBatch(input);
      case 'DescribeDeliveryStream':
        return this.describe(input);
      case 'ListDeliveryStreams':
        return this.list(input);
      default:
        throw new ApiError(
          'UnknownOperationException',
          action ? `Unknown operation ${action}` : 'Missing X-Amz-Target',
        );
    }
  }

  /** After validation: the stream exists and is not stopping. */
  private assertKnownStream(input: Json): void {
    if (input.DeliveryStreamName !== this.backend.deliveryStreamName) {
      throw new ApiError(
        'ResourceNotFoundException',
        `Firehose ${String(input.DeliveryStreamName)} under account ${LOCAL_ACCOUNT_ID} not found.`,
      );
    }
    if (this.backend.isStopping())
      throw new ApiError('ServiceUnavailableException', 'The delivery stream is shutting down.', 503);
  }

  private putRecord(input: Json): unknown {
    const violations: string[] = [];
    requireStream(input, violations);
    const record = input.Record;
    let data: Buffer = Buffer.alloc(0);
    if (record === undefined || record === null) {
      violations.push("Value null at 'record' failed to satisfy constraint: Member must not be null");
    } else if (!isObject(record)) {
      throw new ApiError('SerializationException', 'Record must be an object');
    } else {
      data = decodeData(record.Data, 'record.data', violations);
    }
    throwViolations(violations);
    this.assertKnownStream(input);
    const failure = this.backend.refuse(data, 0);
    if (failure) {
      throw new ApiError(
        failure.errorCode,
        failure.errorMessage,
        failure.errorCode === 'ServiceUnavailableException' ? 503 : 400,
      );
    }
    const recordId = this.backend.accept(data, this.backend.now());
    return { RecordId: recordId, Encrypted: false };
  }

  private putRecordBatch(input: Json): unknown {
    const violations: string[] = [];
    requireStream(input, violations);
    const records = input.Records;
    const decoded: Buffer[] = [];
    if (records === undefined || records === null) {
      violations.push("Value null at 'records' failed to satisfy constraint: Member must not be null");
    } else if (!Array.isArray(records)) {
      throw new ApiError('SerializationException', 'Records must be a list');
    } else {
      if (records.length < 1 || records.length > FIREHOSE_MAX_BATCH_RECORDS) {
        violations.push(
          `Value at 'records' failed to satisfy constraint: Member must have length ${records.length < 1 ? 'greater than or equal to 1' : `less than or equal to ${FIREHOSE_MAX_BATCH_RECORDS}`}`,
        );
      }
      records.forEach((record: unknown, index) => {
        if (!isObject(record)) throw new ApiError('SerializationException', 'Each record must be an object');
        decoded.push(decodeData(record.Data, `records.${index + 1}.member.data`, violations));
      });
    }
    throwViolations(violations);
    this.assertKnownStream(input);
    const total = decoded.reduce((sum, data) => sum + data.length, 0);
    if (total > FIREHOSE_MAX_BATCH_BYTES)
      throw new ApiError('InvalidArgumentException', 'Records size exceeds 4 MB limit');

    const arrival = this.backend.now();
    let failed = 0;
    const responses = decoded.map((data, index) => {
      const failure = this.backend.refuse(data, index);
      if (failure) {
        failed++;
        return { ErrorCode: failure.errorCode, ErrorMessage: failure.errorMessage };
      }
      return { RecordId: this.backend.accept(data, arrival) };
    });
    return { FailedPutCount: failed, Encrypted: false, RequestResponses: responses };
  }

  private describe(input: Json): unknown {
    const violations: string[] = [];
    requireStream(input, violations);
    throwViolations(violations);
    this.assertKnownStream(input);
    return this.backend.describe();
  }

  private list(input: Json): unknown {
    const type = input.DeliveryStreamType;
    const start = input.ExclusiveStartDeliveryStreamName;
    const name = this.backend.deliveryStreamName;
    const listed =
      (type === undefined || type === null || type === 'DirectPut') && (typeof start !== 'string' || start < name);
    return { DeliveryStreamNames: listed ? [name] : [], HasMoreDeliveryStreams: false };
  }
}
