/**
 * Where a rule target's undelivered events go: its dead-letter queue. EventBridge sends the event
 * itself (the envelope, not the transformed input) as the SQS message body, and why it gave up
 * as string message attributes: RULE_ARN, TARGET_ARN, ERROR_CODE, ERROR_MESSAGE,
 * EXHAUSTED_RETRY_CONDITION (only when a retry limit ended the delivery) and RETRY_ATTEMPTS
 * ("Event retry policy and using dead-letter queues",
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rule-dlq.html). shared/routing/dead-letters.ts
 * reads them back (`npm run dead-letters`).
 */
import { type MessageAttributeValue, SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { DeadLetterAttribute } from '../../../shared/routing/dead-letters';

export type DeadLetterAttributes = Partial<Record<DeadLetterAttribute, string>>;

export interface DeadLetterQueue {
  /** Sends one dead letter; rejects when the queue did not take it. */
  send(body: string, attributes: Record<string, string>): Promise<void>;
}

/** A dead-letter queue on SQS (the real one, LocalStack or the local SQS): SendMessage with String attributes. */
export const sqsDeadLetterQueue = (sqs: SQSClient, queueUrl: string): DeadLetterQueue => ({
  async send(body, attributes) {
    const MessageAttributes: Record<string, MessageAttributeValue> = {};
    for (const [name, value] of Object.entries(attributes))
      MessageAttributes[name] = { DataType: 'String', StringValue: value };
    await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: body, MessageAttributes }));
  },
});

export interface DeadLetterMessage {
  body: string;
  attributes: Record<string, string>;
}

export interface MemoryDeadLetterQueue extends DeadLetterQueue {
  /** What was sent, in order. */
  readonly messages: DeadLetterMessage[];
}

/** A dead-letter queue in memory, for tests and runs without SQS. */
export const memoryDeadLetterQueue = (): MemoryDeadLetterQueue => {
  const messages: DeadLetterMessage[] = [];
  return {
    messages,
    async send(body, attributes) {
      messages.push({ body, attributes: { ...attributes } });
    },
  };
};
