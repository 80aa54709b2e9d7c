import type { StreamEventSettings } from '../pipeline/serverless-config';
import { functionArn, LOCAL_ACCOUNT_ID, roleArn, streamArn } from '../runtime/aws';
import type { RetryPolicy } from './retry-policy';
import type { EventSourceLogger, EventSourceStats, KinesisEventSourceOptions, LogFn } from './types';

/**
 * What the parts of one KinesisEventSource share: its options and their defaults, the log, the
 * counters, the stream's identity (learnt at start), the read tickets drain() orders reads by,
 * and the stop signal that cuts every sleep and call short.
 */
export class EsmContext {
  readonly settings: StreamEventSettings;
  readonly reportBatchItemFailures: boolean;
  readonly policy: RetryPolicy;
  readonly pollIntervalMs: number;
  readonly flushOnDrain: boolean;
  readonly now: () => number;
  readonly log: Required<EventSourceLogger>;
  readonly counters: EventSourceStats = {
    invocations: 0,
    recordsIn: 0,
    redelivered: 0,
    succeeded: 0,
    failedInvocations: 0,
    bisections: 0,
    discarded: 0,
    onFailureRecords: 0,
  };
  /** The stream's ARN, its account and the function's ARN: set by identify() once the stream is described. */
  streamArn = '';
  accountId = LOCAL_ACCOUNT_ID;
  functionArn = '';

  private readonly abort = new AbortController();
  private isStopped = false;
  private ticket = 0;

  constructor(readonly options: KinesisEventSourceOptions) {
    this.settings = options.settings;
    this.reportBatchItemFailures = options.settings.functionResponseType === 'ReportBatchItemFailures';
    this.policy = {
      bisectBatchOnFunctionError: options.settings.bisectBatchOnFunctionError,
      maximumRetryAttempts: options.settings.maximumRetryAttempts,
      retryDelayMs: options.retryDelayMs ?? 100,
      maxRetryDelayMs: options.maxRetryDelayMs ?? 2_000,
    };
    this.pollIntervalMs = options.pollIntervalMs ?? 100;
    this.flushOnDrain = options.flushOnDrain ?? true;
    this.now = options.now ?? Date.now;
    const noop: LogFn = () => {};
    this.log = {
      debug: options.logger?.debug ?? noop,
      info: options.logger?.info ?? noop,
      warn: options.logger?.warn ?? noop,
      error:
        options.logger?.error ??
        ((message, details) => console.error(`[kinesis-event-source] ${message}`, details ?? '')),
    };
  }

  /** Takes the stream's ARN as DescribeStreamSummary gave it (or builds it), and the account from it. */
  identify(describedStreamArn: string | undefined): void {
    const { region, streamName, functionName } = this.options;
    this.streamArn = describedStreamArn ?? streamArn(region, this.accountId, streamName);
    this.accountId = this.streamArn.split(':')[4] || this.accountId;
    this.functionArn = functionArn(region, this.accountId, functionName);
  }

  /** The role ARN each record's `invokeIdentityArn` carries. */
  get invokeIdentityArn(): string {
    return this.options.invokeIdentityArn ?? roleArn(this.accountId, `${this.options.functionName}-role`);
  }

  get signal(): AbortSignal {
    return this.abort.signal;
  }

  get stopped(): boolean {
    return this.isStopped;
  }

  /** Stops everything: sleeps end at once, calls in flight are aborted. */
  stop(): void {
    this.isStopped = true;
    this.abort.abort();
  }

  /** A new read ticket (GetRecords and ListShards take one when they start). */
  nextTicket(): number {
    return ++this.ticket;
  }

  /** The last ticket handed out. */
  get lastTicket(): number {
    return this.ticket;
  }

  /** A sleep that stop() cuts short. */
  sleep(ms: number): Promise<void> {
    const signal = this.abort.signal;
    if (signal.aborted || ms <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal.addEventListener('abort', done, { once: true });
    });
  }
}
