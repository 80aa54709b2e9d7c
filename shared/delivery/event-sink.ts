export type DeliveryOutcome = { ok: true } | { ok: false; errorCode: string; errorMessage: string };

/** Where normalized events go: Firehose in AWS. Outcomes are per record, in input order. */
export interface EventSink {
  deliver(records: readonly Uint8Array[]): Promise<DeliveryOutcome[]>;
}
