import type { Env } from '../config';
import { createPipelineMetrics, type PipelineMetrics } from '../metrics';

/** The capture's metric (Count): records it built, or was asked to send, that never went on the stream. */
export const CAPTURE_RECORDS_DROPPED = 'CaptureRecordsDropped';

/** The `function` dimension of the capture's own metrics (it runs inside your Lambda, whatever its name). */
export const CAPTURE_METRICS_FUNCTION = 'apiCallCapture';

/**
 * Why a record was dropped: the `Reason` dimension of CaptureRecordsDropped. Stable: alarms and
 * dashboards use them. A skipped call (`skip`) or a non-HTTP event is not a drop, nor is a
 * profile call rejected for invalid input (the caller gets the error).
 */
export const CAPTURE_DROP_REASONS = {
  /** The request could not be read before the handler ran. */
  requestUnreadable: 'RequestUnreadable',
  /** The options' callbacks took the whole `flushTimeoutMs`. */
  optionsTimeout: 'OptionsTimeout',
  /** `maskEvent` threw (the call is not sent unmasked). */
  maskEventFailed: 'MaskEventFailed',
  /** `maskEvent` returned something other than an API-call event. */
  maskEventInvalid: 'MaskEventInvalid',
  /** No company id and no default client id. */
  noClientId: 'NoClientId',
  /** The record could not be serialized to JSON (e.g. a BigInt or a cycle left by `maskEvent`). */
  unserializable: 'Unserializable',
  /** Over the Kinesis record limit (1 MiB with the partition key). */
  recordTooLarge: 'RecordTooLarge',
  /** No stream configured (`streamName` / `CAPTURE_STREAM_NAME`). */
  noStream: 'NoStream',
  /** The budget was spent before sending began. */
  noBudget: 'NoBudget',
  /** PutRecords did not finish within the budget (aborted). */
  sendTimeout: 'SendTimeout',
  /** Kinesis refused the record after the retries, or the call failed (no credentials, network). */
  sendFailed: 'SendFailed',
  /** Anything else the capture did not expect. */
  captureError: 'CaptureError',
} as const;

export type CaptureDropReason = (typeof CAPTURE_DROP_REASONS)[keyof typeof CAPTURE_DROP_REASONS];

/** One per process, created on the first drop (a Lambda that drops nothing never builds it). */
let defaultMetrics: PipelineMetrics | undefined;

/** For tests: forget the lazily created default metrics. */
export const resetDefaultCaptureMetrics = (): void => {
  defaultMetrics = undefined;
};

/**
 * The capture's counts, on `metrics` when given, else on Powertools metrics of its own
 * (createPipelineMetrics: namespace `UsagePipeline`, dimensions `service` and `function` =
 * apiCallCapture). Counts CaptureRecordsDropped in total and by `Reason` (like Quarantined);
 * `flush()` emits only when something was counted since the last one (no empty EMF line, no
 * Powertools "no metrics" warning on a clean invocation). Never throws: metrics trouble must
 * not reach the handler.
 */
export class CaptureMetrics {
  private counted = false;
  private warned = false;

  constructor(
    private readonly supplied: PipelineMetrics | undefined,
    private readonly env: Env,
    private readonly onError: (message: string, attributes: Record<string, unknown>) => void,
  ) {}

  private get target(): PipelineMetrics {
    if (this.supplied !== undefined) return this.supplied;
    defaultMetrics ??= createPipelineMetrics(CAPTURE_METRICS_FUNCTION, this.env);
    return defaultMetrics;
  }

  private guard(what: string, fn: () => void): void {
    try {
      fn();
    } catch (caught) {
      if (this.warned) return;
      this.warned = true;
      this.onError(`Capture: metrics ${what} failed; ignored`, {
        error: caught instanceof Error ? caught.message : String(caught),
      });
    }
  }

  /** `count` records dropped for `reason`. */
  dropped(reason: CaptureDropReason, count = 1): void {
    if (!(count > 0)) return;
    this.guard('count', () => {
      const metrics = this.target;
      this.counted = true;
      metrics.count(CAPTURE_RECORDS_DROPPED, count);
      metrics.count(CAPTURE_RECORDS_DROPPED, count, { name: 'Reason', value: reason });
    });
  }

  /** At the end of each invocation (and profile call): emits what was counted, if anything. */
  flush(): void {
    if (!this.counted) return;
    this.counted = false;
    this.guard('flush', () => this.target.flush());
  }
}
