import { GetQueueAttributesCommand, GetQueueUrlCommand } from '@aws-sdk/client-sqs';
import { createSqsClient } from '../../../shared/aws/sqs-client';
import { deadLetterQueueName } from '../../../shared/routes/cloudformation';
import type { QueryResult } from './engine';
import type { RunningStack } from './stack-state';

/**
 * Dead letters are SQS messages, not lake objects: the health report adds them from the stack's
 * route queues (`<service>-<stage>-route-<name>-dlq`) when it runs against one, as rows of its own
 * shape (`dead letter`, route, count).
 */
export const countDeadLetters = async (stack: RunningStack): Promise<Record<string, number>> => {
  if (!stack.routing) return {};
  const sqs = createSqsClient({ ...stack.env, AWS_ENDPOINT_URL_SQS: stack.routing.sqsEndpoint });
  const counts: Record<string, number> = {};
  for (const route of stack.routing.routes) {
    const { QueueUrl } = await sqs.send(
      new GetQueueUrlCommand({ QueueName: deadLetterQueueName(stack.service, stack.stage, route) }),
    );
    const { Attributes } = await sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl,
        AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
      }),
    );
    counts[route] =
      Number(Attributes?.ApproximateNumberOfMessages ?? 0) +
      Number(Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0);
  }
  return counts;
};

/** The health report's rows with one `dead letter` row per route appended. */
export const withDeadLetters = (health: QueryResult, deadLetters: Record<string, number>): QueryResult => ({
  columns: health.columns,
  rows: [
    ...health.rows,
    ...Object.entries(deadLetters)
      .sort(([a, x], [b, y]) => y - x || a.localeCompare(b))
      .map(([route, count]) => ['dead letter', route, count]),
  ],
});
