/** The SQS actions: dispatches an action to its answer, resolves QueueUrls, and answers the queue actions (messages: message-actions.ts). */
import { LOCAL_ACCOUNT_ID, queueArn, SQS_MAX_LIST_QUEUES_RESULTS } from '../runtime/aws';
import {
  invalidAddress,
  invalidParameterValue,
  missingParameter,
  queueDoesNotExist,
  unsupportedOperation,
} from './errors';
import { MessageActions } from './message-actions';
import type { Queue } from './queue';
import {
  COMPUTED_ATTRIBUTES,
  checkQueueAttributeNames,
  checkQueueAttributes,
  checkQueueName,
  type Json,
  optionalInteger,
  requiredString,
} from './validation';

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

/** Answers SQS actions against the backend's queues; `queueUrlOf` names a queue's URL on the listening endpoint. */
export class SqsActions {
  private readonly messages: MessageActions;

  constructor(
    private readonly backend: SqsBackend,
    private readonly queueUrlOf: (name: string) => string,
  ) {
    this.messages = new MessageActions(backend);
  }

  dispatch(action: string, input: Json, gone: AbortSignal): unknown {
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
        return this.messages.sendMessage(this.queueOf(input), input);
      case 'SendMessageBatch':
        return this.messages.sendMessageBatch(this.queueOf(input), input);
      case 'ReceiveMessage':
        return this.messages.receiveMessage(this.queueOf(input), input, gone);
      case 'DeleteMessage':
        this.queueOf(input).delete(requiredString(input, 'ReceiptHandle'));
        return {};
      case 'DeleteMessageBatch':
        return this.messages.deleteMessageBatch(this.queueOf(input), input);
      case 'ChangeMessageVisibility':
        this.queueOf(input).changeVisibility(
          requiredString(input, 'ReceiptHandle'),
          MessageActions.requiredVisibilityTimeout(input),
        );
        return {};
      case 'ChangeMessageVisibilityBatch':
        return this.messages.changeMessageVisibilityBatch(this.queueOf(input), input);
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
}
