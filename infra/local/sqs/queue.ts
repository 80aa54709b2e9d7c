/**
 * One standard queue in memory: its attributes, its messages and their visibility, receipt
 * handles, retention, purges, and the wake-ups long polls wait for. Time is `now()` (ms), read
 * on every call, so visibility, delays and retention need no timers.
 *
 * A message is *delayed* until its DelaySeconds have passed, *visible* when it can be received,
 * *in flight* (not visible) from a receive until its visibility timeout ends, and gone once
 * deleted, purged, or older than the queue's MessageRetentionPeriod.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { SQS_MAX_VISIBILITY_TIMEOUT_SECONDS, SQS_PURGE_INTERVAL_MS } from '../runtime/aws';
import { invalidParameterValue, messageNotInflight, purgeQueueInProgress, receiptHandleIsInvalid } from './errors';
import { type MessageAttributes, md5OfBody, md5OfMessageAttributes } from './message-attributes';
import { defaultQueueAttributes } from './validation';

export interface StoredMessage {
  readonly messageId: string;
  readonly body: string;
  readonly md5OfBody: string;
  readonly attributes: MessageAttributes;
  readonly md5OfMessageAttributes: string | undefined;
  readonly systemAttributes: MessageAttributes;
  readonly md5OfMessageSystemAttributes: string | undefined;
  readonly senderId: string;
  /** A standard queue's MessageGroupId (a fair queue's tenant; no effect here). */
  readonly messageGroupId: string | undefined;
  /** When it was sent (ms). */
  readonly sentAt: number;
  /** From when it can be received (ms): the end of its delay, then of its latest visibility timeout. */
  visibleAt: number;
  receiveCount: number;
  firstReceivedAt: number | undefined;
  /** The latest receive (ms): a message's visibility can be extended to 12 hours after it. */
  receivedAt: number | undefined;
  /** The latest receive's handle: the one DeleteMessage and ChangeMessageVisibility act with. */
  receiptHandle: string | undefined;
}

export interface NewMessage {
  body: string;
  attributes: MessageAttributes;
  systemAttributes: MessageAttributes;
  /** Per message; the queue's DelaySeconds when undefined. */
  delaySeconds: number | undefined;
  messageGroupId?: string;
  senderId: string;
}

export interface QueueCounts {
  /** ApproximateNumberOfMessages: visible now. */
  visible: number;
  /** ApproximateNumberOfMessagesNotVisible: in flight. */
  inFlight: number;
  /** ApproximateNumberOfMessagesDelayed: not yet visible, never received. */
  delayed: number;
}

const HANDLE_SEPARATOR = '\n';

export class Queue {
  /** The queue's attributes as strings, as CreateQueue/SetQueueAttributes took them. */
  readonly attributes: Record<string, string>;
  readonly createdAt: number;
  lastModifiedAt: number;
  private readonly messages = new Map<string, StoredMessage>();
  private readonly wakers = new Set<() => void>();
  private lastPurgeAt: number | undefined;
  private deleted = false;

  constructor(
    readonly name: string,
    attributes: Record<string, string>,
    private readonly now: () => number,
  ) {
    this.attributes = { ...defaultQueueAttributes(), ...attributes };
    this.createdAt = now();
    this.lastModifiedAt = this.createdAt;
  }

  private integer(name: string): number {
    return Number(this.attributes[name]);
  }

  get visibilityTimeout(): number {
    return this.integer('VisibilityTimeout');
  }

  get receiveMessageWaitTimeSeconds(): number {
    return this.integer('ReceiveMessageWaitTimeSeconds');
  }

  get maximumMessageSize(): number {
    return this.integer('MaximumMessageSize');
  }

  get isDeleted(): boolean {
    return this.deleted;
  }

  setAttributes(attributes: Record<string, string>): void {
    Object.assign(this.attributes, attributes);
    this.lastModifiedAt = this.now();
    this.wake();
  }

  /** Drops the messages older than MessageRetentionPeriod (a shortened period applies to the messages already there). */
  private expire(now: number): void {
    const retentionMs = this.integer('MessageRetentionPeriod') * 1000;
    for (const [id, message] of this.messages) if (now - message.sentAt >= retentionMs) this.messages.delete(id);
  }

  send(message: NewMessage): StoredMessage {
    const now = this.now();
    this.expire(now);
    const delay = message.delaySeconds ?? this.integer('DelaySeconds');
    const stored: StoredMessage = {
      messageId: randomUUID(),
      body: message.body,
      md5OfBody: md5OfBody(message.body),
      attributes: message.attributes,
      md5OfMessageAttributes: md5OfMessageAttributes(message.attributes),
      systemAttributes: message.systemAttributes,
      md5OfMessageSystemAttributes: md5OfMessageAttributes(message.systemAttributes),
      senderId: message.senderId,
      messageGroupId: message.messageGroupId,
      sentAt: now,
      visibleAt: now + delay * 1000,
      receiveCount: 0,
      firstReceivedAt: undefined,
      receivedAt: undefined,
      receiptHandle: undefined,
    };
    this.messages.set(stored.messageId, stored);
    this.wake();
    return stored;
  }

  /**
   * Receives up to `max` visible messages, oldest first, and hides them for `visibilityTimeout`
   * seconds (0: they stay visible). Each gets a new receipt handle and a higher receive count.
   */
  receive(max: number, visibilityTimeout: number): StoredMessage[] {
    const now = this.now();
    this.expire(now);
    const received: StoredMessage[] = [];
    for (const message of this.messages.values()) {
      if (received.length >= max) break;
      if (message.visibleAt > now) continue;
      message.receiveCount++;
      message.firstReceivedAt ??= now;
      message.receivedAt = now;
      message.visibleAt = now + visibilityTimeout * 1000;
      message.receiptHandle = this.newReceiptHandle(message.messageId);
      received.push(message);
    }
    return received;
  }

  /**
   * Deletes the message a receipt handle is for, if it is the latest receive's handle. A handle
   * SQS never issued for this queue is ReceiptHandleIsInvalid; an older handle, or one of a
   * message already deleted, succeeds and deletes nothing (DeleteMessage: "If you use an old
   * ReceiptHandle, the request will succeed, but the message might not be deleted").
   */
  delete(receiptHandle: string): void {
    const message = this.messageOf(receiptHandle);
    if (message?.receiptHandle === receiptHandle) this.messages.delete(message.messageId);
  }

  /**
   * ChangeMessageVisibility: the message of the latest receive's handle is hidden for
   * `visibilityTimeout` seconds from now (0: visible again at once). The message must be in
   * flight (MessageNotInflight), and its visibility cannot end more than 12 hours after that
   * receive (ChangeMessageVisibility: "If you try to extend the visibility timeout beyond the
   * maximum, your request is rejected").
   */
  changeVisibility(receiptHandle: string, visibilityTimeout: number): void {
    const now = this.now();
    this.expire(now);
    const message = this.messageOf(receiptHandle);
    if (!message || message.receiptHandle !== receiptHandle) {
      throw invalidParameterValue(
        `Value ${receiptHandle} for parameter ReceiptHandle is invalid. Reason: Message does not exist or is not available for visibility timeout change.`,
      );
    }
    if (message.visibleAt <= now) throw messageNotInflight();
    const elapsedSeconds = (now - (message.receivedAt ?? now)) / 1000;
    if (elapsedSeconds + visibilityTimeout > SQS_MAX_VISIBILITY_TIMEOUT_SECONDS) {
      throw invalidParameterValue(
        `Value ${visibilityTimeout} for parameter VisibilityTimeout is invalid. Reason: Total VisibilityTimeout for the message is beyond the limit [${SQS_MAX_VISIBILITY_TIMEOUT_SECONDS} seconds].`,
      );
    }
    message.visibleAt = now + visibilityTimeout * 1000;
    if (visibilityTimeout === 0) this.wake();
  }

  /** Deletes every message, in flight or not; once per 60 seconds (PurgeQueueInProgress). */
  purge(): void {
    const now = this.now();
    if (this.lastPurgeAt !== undefined && now - this.lastPurgeAt < SQS_PURGE_INTERVAL_MS)
      throw purgeQueueInProgress(this.name);
    this.lastPurgeAt = now;
    this.messages.clear();
  }

  counts(): QueueCounts {
    const now = this.now();
    this.expire(now);
    const counts: QueueCounts = { visible: 0, inFlight: 0, delayed: 0 };
    for (const message of this.messages.values()) {
      if (message.visibleAt <= now) counts.visible++;
      else if (message.receiveCount > 0) counts.inFlight++;
      else counts.delayed++;
    }
    return counts;
  }

  /** How long until a hidden message becomes visible (ms), or undefined when none is hidden. */
  nextVisibleInMs(): number | undefined {
    const now = this.now();
    let next: number | undefined;
    for (const message of this.messages.values())
      if (message.visibleAt > now && (next === undefined || message.visibleAt < next)) next = message.visibleAt;
    return next === undefined ? undefined : next - now;
  }

  /** Resolves when something may have become receivable (a send, a visibility change, a deletion of the queue) or after `ms`. */
  waitForChange(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wakers.delete(done);
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, ms));
      this.wakers.add(done);
    });
  }

  /** Wakes every long poll waiting on this queue. */
  wake(): void {
    for (const waker of [...this.wakers]) waker();
  }

  /** The queue is deleted: its long polls end. */
  markDeleted(): void {
    this.deleted = true;
    this.messages.clear();
    this.wake();
  }

  /** An opaque handle naming this queue and the message; a new random part per receive. */
  private newReceiptHandle(messageId: string): string {
    return Buffer.from(
      [this.name, messageId, randomBytes(24).toString('base64')].join(HANDLE_SEPARATOR),
      'utf8',
    ).toString('base64');
  }

  /** The message a receipt handle names (undefined once it is gone); ReceiptHandleIsInvalid if it is not a handle of this queue. */
  private messageOf(receiptHandle: string): StoredMessage | undefined {
    const parts = Buffer.from(receiptHandle, 'base64').toString('utf8').split(HANDLE_SEPARATOR);
    if (
      parts.length !== 3 ||
      parts[0] !== this.name ||
      Buffer.from(receiptHandle, 'base64').toString('base64') !== receiptHandle
    ) {
      throw receiptHandleIsInvalid(receiptHandle);
    }
    return this.messages.get(parts[1] as string);
  }
}
