/** The SQS message actions on one queue: SendMessage(Batch), ReceiveMessage (long polls), DeleteMessageBatch, ChangeMessageVisibility(Batch). */
import {
  SQS_MAX_BATCH_BYTES,
  SQS_MAX_DELAY_SECONDS,
  SQS_MAX_RECEIVE_MESSAGES,
  SQS_MAX_VISIBILITY_TIMEOUT_SECONDS,
  SQS_MAX_WAIT_TIME_SECONDS,
} from '../runtime/aws';
import type { SqsBackend } from './actions';
import { batchRequestTooLong, invalidAttributeName, invalidParameterValue, missingParameter, SqsError } from './errors';
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
  checkBatchEntries,
  checkBody,
  checkMessageSize,
  isObject,
  type Json,
  optionalInteger,
  optionalStringList,
  requiredString,
} from './validation';

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

/** An entry of a batch answer's Failed list. */
const failedEntry = (id: string, error: SqsError) => ({
  Id: id,
  SenderFault: error.fault === 'Sender',
  Code: error.queryCode,
  Message: error.message,
});

/** Answers the message actions of queues a request has already resolved (SqsActions.queueOf). */
export class MessageActions {
  constructor(private readonly backend: SqsBackend) {}

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

  sendMessage(queue: Queue, input: Json): unknown {
    return MessageActions.sent(this.enqueue(queue, input));
  }

  /** Up to 10 entries, 1 MiB together (BatchRequestTooLong); each one succeeds or fails on its own. */
  sendMessageBatch(queue: Queue, input: Json): unknown {
    const entries = checkBatchEntries(input.Entries, 'SendMessageBatchRequestEntry');
    const total = entries.reduce((sum, entry) => sum + approximateEntryBytes(entry), 0);
    if (total > SQS_MAX_BATCH_BYTES) throw batchRequestTooLong(SQS_MAX_BATCH_BYTES, total);
    const successful: unknown[] = [];
    const failed: unknown[] = [];
    for (const entry of entries) {
      try {
        successful.push({ Id: entry.Id, ...MessageActions.sent(this.enqueue(queue, entry)) });
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
  static requiredVisibilityTimeout(input: Json): number {
    const value = MessageActions.visibilityTimeoutOf(input);
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
  async receiveMessage(queue: Queue, input: Json, gone: AbortSignal): Promise<unknown> {
    const max =
      optionalInteger(
        input,
        'MaxNumberOfMessages',
        1,
        SQS_MAX_RECEIVE_MESSAGES,
        `Must be between 1 and ${SQS_MAX_RECEIVE_MESSAGES}, if provided.`,
      ) ?? 1;
    const visibilityTimeout = MessageActions.visibilityTimeoutOf(input) ?? queue.visibilityTimeout;
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

  deleteMessageBatch(queue: Queue, input: Json): unknown {
    const entries = checkBatchEntries(input.Entries, 'DeleteMessageBatchRequestEntry');
    return batchOutcome(entries, (entry) => queue.delete(requiredString(entry, 'ReceiptHandle')));
  }

  changeMessageVisibilityBatch(queue: Queue, input: Json): unknown {
    const entries = checkBatchEntries(input.Entries, 'ChangeMessageVisibilityBatchRequestEntry');
    return batchOutcome(entries, (entry) =>
      queue.changeVisibility(requiredString(entry, 'ReceiptHandle'), MessageActions.requiredVisibilityTimeout(entry)),
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
