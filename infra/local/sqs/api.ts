/**
 * The SQS API over HTTP as @aws-sdk/client-sqs calls it since SQS moved to the AWS JSON protocol
 * (Nov. 2023; the SDK's AwsJson1_0Protocol with `awsQueryCompatible`): `POST /`, content type
 * `application/x-amz-json-1.0`, `X-Amz-Target: AmazonSQS.<Action>`, a JSON body of the request's
 * members; answers of the same kind, and errors as SqsError renders them (errors.ts).
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { LOCAL_ACCOUNT_ID, queueUrl } from '../runtime/aws';
import { errorMessage } from '../runtime/errors';
import { closeServer, type JsonRequest, listenForSdk, readJsonRequest } from '../runtime/http-server';
import { SqsActions, type SqsBackend } from './actions';
import { invalidParameterValue, SqsError, unsupportedOperation } from './errors';

/** Largest request body read: a 1 MiB batch, JSON-escaped and with base64 binary values, fits well within it. */
const MAX_HTTP_BODY_BYTES = 8 * 1024 * 1024;
const TARGET_PREFIX = 'AmazonSQS.';

const sendJson = (
  response: ServerResponse,
  status: number,
  payload: unknown,
  headers: Record<string, string> = {},
): void => {
  const body = JSON.stringify(payload);
  response.writeHead(status, {
    'content-type': 'application/x-amz-json-1.0',
    'content-length': Buffer.byteLength(body),
    'x-amzn-requestid': randomUUID(),
    ...headers,
  });
  response.end(body);
};

const sendError = (response: ServerResponse, error: SqsError): void => {
  sendJson(
    response,
    error.status,
    { __type: error.type, message: error.message },
    { 'x-amzn-query-error': `${error.queryCode};${error.fault}` },
  );
};

/** The error a request that is not a JSON-protocol call gets. */
const requestProblem = (problem: Extract<JsonRequest, { ok: false }>['problem']): SqsError => {
  switch (problem) {
    case 'not-post':
      return unsupportedOperation('The local SQS speaks the AWS JSON protocol only: POST with X-Amz-Target.');
    case 'too-large':
      return invalidParameterValue('Request body too large.');
    case 'not-json':
      return new SqsError('SerializationException', 'Request body is not valid JSON.');
    case 'not-object':
      return new SqsError('SerializationException', 'Request body must be a JSON object.');
  }
};

export class SqsApi {
  private server?: Server;
  private endpoint = '';
  private readonly actions: SqsActions;

  constructor(private readonly backend: SqsBackend) {
    this.actions = new SqsActions(backend, (name) => this.queueUrlOf(name));
  }

  get listening(): boolean {
    return this.server !== undefined;
  }

  get url(): string {
    return this.endpoint;
  }

  /** Listens on `host` (a free port when `port` is 0); resolves with the endpoint URL. */
  async listen(host: string, port: number): Promise<string> {
    const server = createServer((request, response) => {
      this.handle(request, response).catch((error: unknown) => {
        if (!response.headersSent)
          sendError(response, new SqsError('InternalError', errorMessage(error), 500, 'InternalError'));
      });
    });
    // A long poll holds a request for up to 20 s.
    server.requestTimeout = 0;
    this.server = server;
    this.endpoint = await listenForSdk(server, host, port);
    return this.endpoint;
  }

  async close(): Promise<void> {
    if (this.server) await closeServer(this.server);
  }

  queueUrlOf(name: string): string {
    return queueUrl(this.endpoint, LOCAL_ACCOUNT_ID, name);
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const read = await readJsonRequest(request, MAX_HTTP_BODY_BYTES, TARGET_PREFIX);
    // A client that goes away (its request timeout, a stopped server) ends its long poll unanswered.
    const gone = new AbortController();
    response.on('close', () => {
      if (!response.writableFinished) gone.abort();
    });
    try {
      if (!read.ok) throw requestProblem(read.problem);
      const { action, input } = read;
      if (this.backend.isStopping())
        throw new SqsError('ServiceUnavailable', 'The local SQS is stopping.', 503, 'ServiceUnavailable');
      const output = await this.actions.dispatch(action, input, gone.signal);
      if (!gone.signal.aborted) sendJson(response, 200, output);
    } catch (error) {
      if (!(error instanceof SqsError)) throw error;
      if (!response.destroyed) sendError(response, error);
    }
  }
}
