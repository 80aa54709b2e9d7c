/**
 * The SQS API over HTTP as @aws-sdk/client-sqs calls it since SQS moved to the AWS JSON protocol
 * (Nov. 2023; the SDK's AwsJson1_0Protocol with `awsQueryCompatible`): `POST /`, content type
 * `application/x-amz-json-1.0`, `X-Amz-Target: AmazonSQS.<Action>`, a JSON body of the request's
 * members; answers of the same kind, and errors as SqsError renders them (errors.ts).
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import {
  LOCAL_ACCOUNT_ID,
  queueArn,
  queueUrl,
  SQS_MAX_BATCH_BYTES,
  SQS_MAX_DELAY_SECONDS,
  SQS_MAX_LIST_QUEUES_RESULTS,
  SQS_MAX_RECEIVE_MESSAGES,
  SQS_MAX_VISIBILITY_TIMEOUT_SECONDS,
  SQS_MAX_WAIT_TIME_SECONDS,
} from '../runtime/aws';
import { errorMessage } from '../runtime/errors';
import { closeServer, type JsonRequest, listenForSdk, readJsonRequest } from '../runtime/http-server';
import {
  batchRequestTooLong,
  invalidAddress,
  invalidAttributeName,
  invalidParameterValue,
  missingParameter,
  queueDoesNotExist,
  SqsError,
  unsupportedOperation,
} from './errors';
import {
  type MessageAttributes,
  md5OfMessageAttributes,
  messageAttributesSize,
  parseMessageAttributes,
  selectMessageAttributes,
  toWireAttributes,
} from './message-attributes';
import type { Queue, StoredMessage } from './queue';
import {
  COMPUTED_ATTRIBUTES,
  checkBatchEntries,
  checkBody,
  checkMessageSize,
  checkQueueAttributeNames,
  checkQueueAttributes,
  checkQueueName,
  isObject,
  type Json,
  optionalInteger,
  optionalStringList,
  requiredString,
} from './validation';

/** Largest request body read: a 1 MiB batch, JSON-escaped and with base64 binary values, fits well within it. */
const MAX_HTTP_BODY_BYTES = 8 * 1024 * 1024;
const TARGET_PREFIX = 'AmazonSQS.';
/** How often a long poll looks again when nothing woke it (a hidden message's timeout may end meanwhile). */
const LONG_POLL_RECHECK_MS = 250;

/** The message system attributes ReceiveMessage can be asked for (ReceiveMessage, MessageSystemAttributeNames). */
const SYSTEM_ATTRIBUTE_NAMES = new Set([
  'All',
  'SenderId',
  'SentTimestamp',
  'ApproximateReceiveCount',
  'ApproximateFirstReceiveTimestamp',
  'AWSTraceHeader',
  // Accepted, never returned here: SqsManagedSseEnabled (a queue attribute), FIFO queues' and moved messages' attributes.
  'SqsManagedSseEnabled',
  'SequenceNumber',
  'MessageDeduplicationId',
  'MessageGroupId',
  'DeadLetterQueueSourceArn',
]);

/** SQS actions the SDK has that this emulator answers UnsupportedOperation. */
const NOT_MODELLED = new Set([
  'AddPermission',
  'RemovePermission',
  'TagQueue',
  'UntagQueue',
  'ListQueueTags',
  'ListDeadLetterSourceQueues',
  'StartMessageMoveTask',
  'CancelMessageMoveTask',
  'ListMessageMoveTasks',
]);

/** What the API needs of the emulator behind it. */
export interface SqsBackend {
  readonly region: string;
  /** The sender id messages carry (SenderId). */
  readonly senderId: string;
  now(): number;
  isStopping(): boolean;
  queue(name: string): Queue | undefined;
  /** Creates the queue, or returns the existing one of that name whose given attributes all match (else QueueNameExists). */
  createQueue(name: string, attributes: Record<string, string>): Queue;
  deleteQueue(name: string): void;
  queueNames(): string[];
}

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

/** An entry of a batch answer's Failed list. */
const failedEntry = (id: string, error: SqsError) => ({
  Id: id,
  SenderFault: error.fault === 'Sender',
  Code: error.queryCode,
  Message: error.message,
});

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

  constructor(private readonly backend: SqsBackend) {}

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
      const output = await this.dispatch(action, input, gone.signal);
      if (!gone.signal.aborted) sendJson(response, 200, output);
    } catch (error) {
      if (!(error instanceof SqsError)) throw error;
      if (!response.destroyed) sendError(response, error);
    }
  }

  private dispatch(action: string, input: Json, gone: AbortSignal): unknown {
    switch (action) {
      case 'CreateQueue':
        return this.createQueue(input);
      case 'GetQueueUrl':
        return this.getQueueUrl(input);
      case 'ListQueues':
        return this.listQueues(input);
      case 'GetQueueAttributes':
        return this.getQueueAttributes(input);
      case 'SetQueueAttributes':
        return this.setQueueAttributes(input);
      case 'DeleteQueue':
        return this.deleteQueue(input);
      case 'PurgeQueue':
        this.queueOf(input).purge();
        return {};
      case 'SendMessage':
        return this.sendMessage(input);
      case 'SendMessageBatch':
        return this.sendMessageBatch(input);
      case 'ReceiveMessage':
        return this.receiveMessage(input, gone);
      case 'DeleteMessage':
        this.queueOf(input).delete(requiredString(input, 'ReceiptHandle'));
        return {};
      case 'DeleteMessageBatch':
        return this.deleteMessageBatch(input);
      case 'ChangeMessageVisibility':
        this.queueOf(input).changeVisibility(
          requiredString(input, 'ReceiptHandle'),
          SqsApi.requiredVisibilityTimeout(input),
        );
        return {};
      case 'ChangeMessageVisibilityBatch':
        return this.changeMessageVisibilityBatch(input);
      default:
        if (NOT_MODELLED.has(action))
          throw unsupportedOperation(`${action} is not implemented by the local SQS (infra/local/README.md, "SQS").`);
        throw unsupportedOperation(
          action ? `Unknown operation ${action}.` : 'Missing X-Amz-Target: AmazonSQS.<Action>.',
        );
    }
  }

  /** The queue a request's QueueUrl names: `<anything>/<account>/<name>`. */
  private queueOf(input: Json): Queue {
    const url = requiredString(input, 'QueueUrl');
    let path: string[];
    try {
      path = new URL(url).pathname.split('/').filter(Boolean);
    } catch {
      throw invalidAddress(url);
    }
    if (path.length !== 2) throw invalidAddress(url);
    const [account, name] = path as [string, string];
    const queue = account === LOCAL_ACCOUNT_ID ? this.backend.queue(name) : undefined;
    if (!queue) throw queueDoesNotExist();
    return queue;
  }

  private createQueue(input: Json): unknown {
    const name = checkQueueName(input.QueueName);
    const attributes = checkQueueAttributes(input.Attributes);
    this.backend.createQueue(name, attributes);
    return { QueueUrl: this.queueUrlOf(name) };
  }

  private getQueueUrl(input: Json): unknown {
    const name = requiredString(input, 'QueueName');
    const owner = input.QueueOwnerAWSAccountId;
    if ((owner !== undefined && owner !== null && owner !== LOCAL_ACCOUNT_ID) || !this.backend.queue(name))
      throw queueDoesNotExist();
    return { QueueUrl: this.queueUrlOf(name) };
  }

  /** ListQueues: by name, with QueueNamePrefix; MaxResults 1–1,000 pages with a NextToken (only when MaxResults is given). */
  private listQueues(input: Json): unknown {
    const prefix = typeof input.QueueNamePrefix === 'string' ? input.QueueNamePrefix : '';
    const maxResults = optionalInteger(
      input,
      'MaxResults',
      1,
      SQS_MAX_LIST_QUEUES_RESULTS,
      `Must be between 1 and ${SQS_MAX_LIST_QUEUES_RESULTS}, if provided.`,
    );
    let after: string | undefined;
    if (typeof input.NextToken === 'string' && input.NextToken !== '') {
      after = Buffer.from(input.NextToken, 'base64url').toString('utf8');
      if (after === '') throw invalidParameterValue('Invalid NextToken value.');
    }
    const names = this.backend
      .queueNames()
      .filter((name) => name.startsWith(prefix) && (after === undefined || name > after))
      .sort();
    const page = names.slice(0, maxResults ?? SQS_MAX_LIST_QUEUES_RESULTS);
    const more = maxResults !== undefined && names.length > page.length;
    const last = page.at(-1);
    return {
      ...(page.length > 0 && { QueueUrls: page.map((name) => this.queueUrlOf(name)) }),
      ...(more && last !== undefined && { NextToken: Buffer.from(last, 'utf8').toString('base64url') }),
    };
  }

  private getQueueAttributes(input: Json): unknown {
    const queue = this.queueOf(input);
    const requested = checkQueueAttributeNames(input.AttributeNames);
    const counts = queue.counts();
    const all: Record<string, string> = {
      ...queue.attributes,
      ApproximateNumberOfMessages: String(counts.visible),
      ApproximateNumberOfMessagesNotVisible: String(counts.inFlight),
      ApproximateNumberOfMessagesDelayed: String(counts.delayed),
      CreatedTimestamp: String(Math.floor(queue.createdAt / 1000)),
      LastModifiedTimestamp: String(Math.floor(queue.lastModifiedAt / 1000)),
      QueueArn: queueArn(this.backend.region, LOCAL_ACCOUNT_ID, queue.name),
    };
    const names = requested === 'All' ? [...Object.keys(queue.attributes), ...COMPUTED_ATTRIBUTES] : requested;
    const attributes = Object.fromEntries(
      names.filter((name) => all[name] !== undefined).map((name) => [name, all[name] as string]),
    );
    return Object.keys(attributes).length > 0 ? { Attributes: attributes } : {};
  }

  private setQueueAttributes(input: Json): unknown {
    const queue = this.queueOf(input);
    if (input.Attributes === undefined || input.Attributes === null) throw missingParameter('Attributes');
    queue.setAttributes(checkQueueAttributes(input.Attributes));
    return {};
  }

  private deleteQueue(input: Json): unknown {
    this.backend.deleteQueue(this.queueOf(input).name);
    return {};
  }

  // --- Messages ----------------------------------------------------------------------------------

  private delaySecondsOf(input: Json): number | undefined {
    return optionalInteger(
      input,
      'DelaySeconds',
      0,
      SQS_MAX_DELAY_SECONDS,
      `Must be >= 0 and <= ${SQS_MAX_DELAY_SECONDS}, if provided.`,
    );
  }

  /** One message of SendMessage or a SendMessageBatch entry: checked, sized against the queue's MaximumMessageSize, enqueued. */
  private enqueue(queue: Queue, input: Json): StoredMessage {
    const body = checkBody(input.MessageBody);
    const attributes = parseMessageAttributes(input.MessageAttributes, 'user');
    const systemAttributes = parseMessageAttributes(input.MessageSystemAttributes, 'system');
    const delaySeconds = this.delaySecondsOf(input);
    // MessageDeduplicationId is for FIFO queues only; a standard queue takes MessageGroupId (a fair queue's tenant).
    if (input.MessageDeduplicationId !== undefined && input.MessageDeduplicationId !== null) {
      throw invalidParameterValue('The request include parameter that is not valid for this queue type');
    }
    const messageGroupId =
      input.MessageGroupId === undefined || input.MessageGroupId === null
        ? undefined
        : requiredString(input, 'MessageGroupId');
    // System attributes do not count toward the message size (SendMessage, MessageSystemAttributes).
    checkMessageSize(Buffer.byteLength(body, 'utf8') + messageAttributesSize(attributes), queue.maximumMessageSize);
    return queue.send({
      body,
      attributes,
      systemAttributes,
      delaySeconds,
      messageGroupId,
      senderId: this.backend.senderId,
    });
  }

  private static sent(message: StoredMessage) {
    return {
      MessageId: message.messageId,
      MD5OfMessageBody: message.md5OfBody,
      ...(message.md5OfMessageAttributes && { MD5OfMessageAttributes: message.md5OfMessageAttributes }),
      ...(message.md5OfMessageSystemAttributes && {
        MD5OfMessageSystemAttributes: message.md5OfMessageSystemAttributes,
      }),
    };
  }

  private sendMessage(input: Json): unknown {
    return SqsApi.sent(this.enqueue(this.queueOf(input), input));
  }

  /** Up to 10 entries, 1 MiB together (BatchRequestTooLong); each one succeeds or fails on its own. */
  private sendMessageBatch(input: Json): unknown {
    const queue = this.queueOf(input);
    const entries = checkBatchEntries(input.Entries, 'SendMessageBatchRequestEntry');
    const total = entries.reduce((sum, entry) => sum + approximateEntryBytes(entry), 0);
    if (total > SQS_MAX_BATCH_BYTES) throw batchRequestTooLong(SQS_MAX_BATCH_BYTES, total);
    const successful: unknown[] = [];
    const failed: unknown[] = [];
    for (const entry of entries) {
      try {
        successful.push({ Id: entry.Id, ...SqsApi.sent(this.enqueue(queue, entry)) });
      } catch (error) {
        if (!(error instanceof SqsError)) throw error;
        failed.push(failedEntry(entry.Id, error));
      }
    }
    return { Successful: successful, Failed: failed };
  }

  private static visibilityTimeoutOf(input: Json): number | undefined {
    return optionalInteger(
      input,
      'VisibilityTimeout',
      0,
      SQS_MAX_VISIBILITY_TIMEOUT_SECONDS,
      `Must be >= 0 and <= ${SQS_MAX_VISIBILITY_TIMEOUT_SECONDS}, if provided.`,
    );
  }

  /** ChangeMessageVisibility(Batch)'s VisibilityTimeout, which is required. */
  private static requiredVisibilityTimeout(input: Json): number {
    const value = SqsApi.visibilityTimeoutOf(input);
    if (value === undefined) throw missingParameter('VisibilityTimeout');
    return value;
  }

  /**
   * ReceiveMessage: up to MaxNumberOfMessages (1–10) visible messages, hidden for VisibilityTimeout
   * (0–43,200; the queue's by default). With WaitTimeSeconds (0–20; the queue's
   * ReceiveMessageWaitTimeSeconds by default) it waits until at least one message is visible or
   * the time is up, and answers with no messages then. Every message the queue has visible is a
   * candidate (SQS's short poll samples servers and may answer fewer, or none).
   */
  private async receiveMessage(input: Json, gone: AbortSignal): Promise<unknown> {
    const queue = this.queueOf(input);
    const max =
      optionalInteger(
        input,
        'MaxNumberOfMessages',
        1,
        SQS_MAX_RECEIVE_MESSAGES,
        `Must be between 1 and ${SQS_MAX_RECEIVE_MESSAGES}, if provided.`,
      ) ?? 1;
    const visibilityTimeout = SqsApi.visibilityTimeoutOf(input) ?? queue.visibilityTimeout;
    const wait =
      optionalInteger(
        input,
        'WaitTimeSeconds',
        0,
        SQS_MAX_WAIT_TIME_SECONDS,
        `Must be >= 0 and <= ${SQS_MAX_WAIT_TIME_SECONDS}, if provided.`,
      ) ?? queue.receiveMessageWaitTimeSeconds;
    const systemNames = [
      ...(optionalStringList(input.AttributeNames, 'AttributeNames') ?? []),
      ...(optionalStringList(input.MessageSystemAttributeNames, 'MessageSystemAttributeNames') ?? []),
    ];
    for (const name of systemNames) if (!SYSTEM_ATTRIBUTE_NAMES.has(name)) throw invalidAttributeName(name);
    const attributeNames = optionalStringList(input.MessageAttributeNames, 'MessageAttributeNames');

    const deadline = Date.now() + wait * 1000;
    for (;;) {
      if (gone.aborted) return {};
      const messages = queue.receive(max, visibilityTimeout);
      const remaining = deadline - Date.now();
      if (messages.length > 0 || remaining <= 0 || queue.isDeleted || this.backend.isStopping()) {
        return messages.length > 0
          ? { Messages: messages.map((message) => this.received(message, systemNames, attributeNames)) }
          : {};
      }
      await queue.waitForChange(
        Math.min(remaining, LONG_POLL_RECHECK_MS, queue.nextVisibleInMs() ?? LONG_POLL_RECHECK_MS),
      );
    }
  }

  private received(
    message: StoredMessage,
    systemNames: readonly string[],
    attributeNames: readonly string[] | undefined,
  ) {
    const all = systemNames.includes('All');
    const wanted = (name: string) => all || systemNames.includes(name);
    const system: Record<string, string> = {};
    if (wanted('SenderId')) system.SenderId = message.senderId;
    if (wanted('SentTimestamp')) system.SentTimestamp = String(message.sentAt);
    if (wanted('ApproximateReceiveCount')) system.ApproximateReceiveCount = String(message.receiveCount);
    if (wanted('ApproximateFirstReceiveTimestamp') && message.firstReceivedAt !== undefined)
      system.ApproximateFirstReceiveTimestamp = String(message.firstReceivedAt);
    if (wanted('MessageGroupId') && message.messageGroupId !== undefined)
      system.MessageGroupId = message.messageGroupId;
    const trace = message.systemAttributes.AWSTraceHeader?.stringValue;
    if (wanted('AWSTraceHeader') && trace !== undefined) system.AWSTraceHeader = trace;
    const selected: MessageAttributes = selectMessageAttributes(message.attributes, attributeNames);
    const hasAttributes = Object.keys(selected).length > 0;
    return {
      MessageId: message.messageId,
      ReceiptHandle: message.receiptHandle,
      MD5OfBody: message.md5OfBody,
      Body: message.body,
      ...(Object.keys(system).length > 0 && { Attributes: system }),
      // The digest of the attributes returned (a client checks it against what it got).
      ...(hasAttributes && {
        MD5OfMessageAttributes: md5OfMessageAttributes(selected),
        MessageAttributes: toWireAttributes(selected),
      }),
    };
  }

  private deleteMessageBatch(input: Json): unknown {
    const queue = this.queueOf(input);
    const entries = checkBatchEntries(input.Entries, 'DeleteMessageBatchRequestEntry');
    return batchOutcome(entries, (entry) => queue.delete(requiredString(entry, 'ReceiptHandle')));
  }

  private changeMessageVisibilityBatch(input: Json): unknown {
    const queue = this.queueOf(input);
    const entries = checkBatchEntries(input.Entries, 'ChangeMessageVisibilityBatchRequestEntry');
    return batchOutcome(entries, (entry) =>
      queue.changeVisibility(requiredString(entry, 'ReceiptHandle'), SqsApi.requiredVisibilityTimeout(entry)),
    );
  }
}

/** A batch's per-entry outcome: the Ids that succeeded, and why the others failed. */
const batchOutcome = (entries: (Json & { Id: string })[], act: (entry: Json) => void) => {
  const successful: { Id: string }[] = [];
  const failed: ReturnType<typeof failedEntry>[] = [];
  for (const entry of entries) {
    try {
      act(entry);
      successful.push({ Id: entry.Id });
    } catch (error) {
      if (!(error instanceof SqsError)) throw error;
      failed.push(failedEntry(entry.Id, error));
    }
  }
  return { Successful: successful, Failed: failed };
};

/** A SendMessageBatch entry's size for the batch limit, before it is checked: body, attribute names, types and values. */
const approximateEntryBytes = (entry: Json): number => {
  let bytes = typeof entry.MessageBody === 'string' ? Buffer.byteLength(entry.MessageBody, 'utf8') : 0;
  if (isObject(entry.MessageAttributes)) {
    for (const [name, value] of Object.entries(entry.MessageAttributes)) {
      bytes += Buffer.byteLength(name);
      if (!isObject(value)) continue;
      if (typeof value.DataType === 'string') bytes += Buffer.byteLength(value.DataType);
      if (typeof value.StringValue === 'string') bytes += Buffer.byteLength(value.StringValue, 'utf8');
      if (typeof value.BinaryValue === 'string') bytes += Buffer.from(value.BinaryValue, 'base64').length;
    }
  }
  return bytes;
};
