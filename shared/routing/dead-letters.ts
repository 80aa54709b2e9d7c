/**
 * A route's dead letters: what EventBridge sends to a rule target's dead-letter queue when it gives
 * up — the event as the message body, and why in message attributes (RULE_ARN, TARGET_ARN,
 * ERROR_CODE, ERROR_MESSAGE, EXHAUSTED_RETRY_CONDITION, RETRY_ATTEMPTS:
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rule-dlq.html). Listing reads
 * without consuming; a re-drive publishes each event again for that route only
 * (`redriveDetailType`) and deletes the message once the bus took it.
 */
import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageCommand,
  GetQueueUrlCommand,
  type Message,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { redriveDetailType } from '../routes/cloudformation';
import { EventBridgePublisher } from './route-publisher';

export const DEAD_LETTER_ATTRIBUTES = [
  'RULE_ARN',
  'TARGET_ARN',
  'ERROR_CODE',
  'ERROR_MESSAGE',
  'EXHAUSTED_RETRY_CONDITION',
  'RETRY_ATTEMPTS',
] as const;
export type DeadLetterAttribute = (typeof DEAD_LETTER_ATTRIBUTES)[number];

export interface DeadLetter {
  messageId: string;
  receiptHandle: string;
  /** The routing envelope EventBridge gave up on; its `detail` is the canonical event. */
  event: { id?: string; detail?: { id?: string; clientId?: string; time?: string } & Record<string, unknown> } & Record<
    string,
    unknown
  >;
  attributes: Partial<Record<DeadLetterAttribute, string>>;
}

const parseMessage = (message: Message): DeadLetter | undefined => {
  if (!message.MessageId || !message.ReceiptHandle) return undefined;
  let event: DeadLetter['event'];
  try {
    event = JSON.parse(message.Body ?? '') as DeadLetter['event'];
  } catch {
    event = { unparsed: message.Body ?? '' };
  }
  const attributes: DeadLetter['attributes'] = {};
  for (const name of DEAD_LETTER_ATTRIBUTES) {
    const value = message.MessageAttributes?.[name]?.StringValue;
    if (value !== undefined) attributes[name] = value;
  }
  return { messageId: message.MessageId, receiptHandle: message.ReceiptHandle, event, attributes };
};

export const queueUrlOf = async (sqs: SQSClient, queueName: string): Promise<string> => {
  const { QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: queueName }));
  if (!QueueUrl) throw new Error(`No queue ${queueName}`);
  return QueueUrl;
};

/** SQS's most messages per receive and entries per batch call. */
const SQS_BATCH = 10;
/** How long a listed (or dry-run) message stays hidden while the rest are read; each is made visible again after. */
const READ_VISIBILITY_SECONDS = 30;

/**
 * Makes messages read with a visibility timeout visible again (ChangeMessageVisibility 0), best
 * effort: one that cannot be (its handle is stale) comes back on its own when its timeout ends.
 */
const release = async (sqs: SQSClient, queueUrl: string, letters: readonly DeadLetter[]): Promise<void> => {
  for (let start = 0; start < letters.length; start += SQS_BATCH) {
    const entries = letters
      .slice(start, start + SQS_BATCH)
      .map((letter, index) => ({ Id: String(index), ReceiptHandle: letter.receiptHandle, VisibilityTimeout: 0 }));
    await sqs
      .send(new ChangeMessageVisibilityBatchCommand({ QueueUrl: queueUrl, Entries: entries }))
      .catch(() => undefined);
  }
};

/**
 * Reads up to `max` dead letters without consuming them. Each receive hides what it returns for
 * READ_VISIBILITY_SECONDS, so the next one returns others (with VisibilityTimeout 0 every receive
 * could return the same ten); reading stops after two receives that bring nothing new, and every
 * message read is then made visible again.
 */
export const listDeadLetters = async (sqs: SQSClient, queueUrl: string, max = 1_000): Promise<DeadLetter[]> => {
  const found = new Map<string, DeadLetter>();
  for (let quiet = 0; quiet < 2 && found.size < max; ) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: Math.min(SQS_BATCH, max - found.size),
        VisibilityTimeout: READ_VISIBILITY_SECONDS,
        WaitTimeSeconds: 0,
        MessageAttributeNames: ['All'],
      }),
    );
    let fresh = 0;
    for (const message of Messages) {
      const letter = parseMessage(message);
      if (letter && !found.has(letter.messageId)) {
        found.set(letter.messageId, letter);
        fresh++;
      }
    }
    quiet = fresh === 0 ? quiet + 1 : 0;
  }
  await release(sqs, queueUrl, [...found.values()]);
  return [...found.values()].slice(0, max);
};

export interface RedriveResult {
  redriven: number;
  /** Left in the queue: the bus refused them (with why), or they are not events. */
  failed: { messageId: string; reason: string }[];
}

/** Publishes each dead letter's canonical event again for `route` only, deleting what the bus took. */
export const redriveDeadLetters = async (
  clients: { sqs: SQSClient; eventbridge: EventBridgeClient },
  queueUrl: string,
  busName: string,
  route: string,
  options: { dryRun?: boolean; max?: number } = {},
): Promise<RedriveResult> => {
  const result: RedriveResult = { redriven: 0, failed: [] };
  const seen = new Set<string>();
  const max = options.max ?? 100_000;
  const publisher = new EventBridgePublisher(clients.eventbridge, {
    busName,
    detailType: redriveDetailType(route),
    maxAttempts: 3,
    baseDelayMs: 100,
    maxDelayMs: 1_000,
  });
  // A dry run hides what it reads too, so that it reads every message (not the same ten), and gives it all back after.
  const read: DeadLetter[] = [];
  while (result.redriven + result.failed.length < max) {
    const { Messages = [] } = await clients.sqs.send(
      // Hidden for a minute while it is re-driven; one that fails comes back.
      // WaitTimeSeconds: a short poll may answer empty while messages remain (SQS samples its servers).
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: Math.min(SQS_BATCH, max - result.redriven - result.failed.length),
        VisibilityTimeout: 60,
        WaitTimeSeconds: 1,
        MessageAttributeNames: ['All'],
      }),
    );
    const letters = Messages.map(parseMessage).filter(
      (letter): letter is DeadLetter => letter !== undefined && !seen.has(letter.messageId),
    );
    if (letters.length === 0) break;
    for (const letter of letters) seen.add(letter.messageId);
    const events = letters.filter((letter) => letter.event.detail !== undefined);
    for (const letter of letters)
      if (letter.event.detail === undefined)
        result.failed.push({ messageId: letter.messageId, reason: 'not a routing event (no detail)' });
    if (options.dryRun) {
      read.push(...letters);
      result.redriven += events.length;
      continue;
    }
    if (events.length === 0) continue;
    // The publisher keeps each PutEvents within 10 entries and 256 KB, and retries refused entries.
    const outcomes = await publisher.publish(events.map((letter) => Buffer.from(JSON.stringify(letter.event.detail))));
    for (const [index, letter] of events.entries()) {
      const outcome = outcomes[index];
      if (outcome?.ok) {
        await clients.sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: letter.receiptHandle }));
        result.redriven++;
      } else
        result.failed.push({
          messageId: letter.messageId,
          reason: outcome ? `${outcome.errorCode}: ${outcome.errorMessage}` : 'NoResult: ',
        });
    }
  }
  await release(clients.sqs, queueUrl, read);
  return result;
};
