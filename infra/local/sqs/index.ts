/**
 * A local Amazon SQS: standard queues in memory, reached with the real `@aws-sdk/client-sqs` over
 * HTTP (AWS JSON 1.0). What it implements, where it differs from SQS and the AWS documentation it
 * follows: infra/local/README.md, "SQS".
 *
 * This file owns the lifecycle (start, stop) and the queues; api.ts speaks the protocol;
 * actions.ts and message-actions.ts answer the actions and check requests (validation.ts,
 * message-attributes.ts); queue.ts is one queue's messages.
 */
import { DEFAULT_REGION, LOCAL_ACCOUNT_ID, queueArn, queueUrl } from '../runtime/aws';
import type { SqsBackend } from './actions';
import { SqsApi } from './api';
import { queueNameExists } from './errors';
import { Queue } from './queue';

export { SqsError } from './errors';
export { md5OfBody, md5OfMessageAttributes } from './message-attributes';

export interface LocalSqsOptions {
  /** The region in queue ARNs (default us-east-1). */
  region?: string;
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0: a free port. */
  port?: number;
  /** The clock (ms) for visibility, delays, retention, purges and timestamps; long polls wait in real time. */
  now?: () => number;
}

export class LocalSqs {
  private readonly region: string;
  private readonly now: () => number;
  private readonly queues = new Map<string, Queue>();
  private readonly api: SqsApi;
  private stopping = false;

  constructor(private readonly options: LocalSqsOptions = {}) {
    this.region = options.region ?? DEFAULT_REGION;
    this.now = options.now ?? Date.now;
    this.api = new SqsApi(this.backend());
  }

  /** Listens on 127.0.0.1 (a free port unless `options.port`); resolves with the endpoint URL (AWS_ENDPOINT_URL_SQS). */
  async start(): Promise<{ endpoint: string }> {
    if (this.api.listening) throw new Error('LocalSqs already started');
    if (this.stopping) throw new Error('LocalSqs was stopped');
    return { endpoint: await this.api.listen(this.options.host ?? '127.0.0.1', this.options.port ?? 0) };
  }

  /** Ends long polls, closes every connection and stops listening. The queues are dropped with the instance. */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    for (const queue of this.queues.values()) queue.wake();
    await this.api.close();
  }

  /** The endpoint URL, once started. */
  get endpoint(): string {
    if (!this.api.url) throw new Error('LocalSqs not started');
    return this.api.url;
  }

  /** A queue's URL, `http://127.0.0.1:<port>/000000000000/<name>` (whether or not it exists). */
  queueUrl(queueName: string): string {
    return queueUrl(this.endpoint, LOCAL_ACCOUNT_ID, queueName);
  }

  /** A queue's ARN, `arn:aws:sqs:<region>:000000000000:<name>`. */
  queueArn(queueName: string): string {
    return queueArn(this.region, LOCAL_ACCOUNT_ID, queueName);
  }

  private backend(): SqsBackend {
    return {
      region: this.region,
      senderId: LOCAL_ACCOUNT_ID,
      now: () => this.now(),
      isStopping: () => this.stopping,
      queue: (name) => this.queues.get(name),
      createQueue: (name, attributes) => {
        const existing = this.queues.get(name);
        if (existing) {
          // CreateQueue is idempotent for the same name and attribute values; a different value is QueueNameExists.
          const different = Object.entries(attributes).find(
            ([attribute, value]) => existing.attributes[attribute] !== value,
          );
          if (different) throw queueNameExists(different[0]);
          return existing;
        }
        const queue = new Queue(name, attributes, () => this.now());
        this.queues.set(name, queue);
        return queue;
      },
      deleteQueue: (name) => {
        this.queues.get(name)?.markDeleted();
        this.queues.delete(name);
      },
      queueNames: () => [...this.queues.keys()],
    };
  }
}
