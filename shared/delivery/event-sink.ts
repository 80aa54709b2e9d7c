export type DeliveryOutcome = { ok: true } | { ok: false; errorCode: string; errorMessage: string };

/** Where normalized events go: Firehose in AWS. Outcomes are per record, in input order. */
export interface DeliverOptions {
  /** Asked before each attempt (the first included); false leaves the rest not attempted. */
  canAttempt?: () => boolean;
}

export interface EventSink {
  deliver(records: readonly Uint8Array[], options?: DeliverOptions): Promise<DeliveryOutcome[]>;
}
