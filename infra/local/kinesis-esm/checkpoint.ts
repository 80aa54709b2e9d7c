export type CheckpointDecision =
  /** Every record succeeded: checkpoint after the batch. */
  | { kind: 'success' }
  /** Checkpoint before `failedIndex` (the lowest failed sequence number); retry from it. */
  | { kind: 'partialFailure'; failedIndex: number; sequenceNumber: string }
  /** The response is invalid: the whole batch failed. */
  | { kind: 'batchFailure'; reason: string };

interface SequencedRecord {
  kinesis: { sequenceNumber: string };
}

/**
 * What Lambda does with a handler's return value (not called for a throw). Without
 * `ReportBatchItemFailures`, any return value is success.
 */
export const checkpointAfter = (
  response: unknown,
  batch: readonly SequencedRecord[],
  reportBatchItemFailures: boolean,
): CheckpointDecision => {
  if (!reportBatchItemFailures) return { kind: 'success' };
  if (response === null || response === undefined || typeof response !== 'object') return { kind: 'success' };
  const failures = (response as { batchItemFailures?: unknown }).batchItemFailures;
  if (failures === null || failures === undefined) return { kind: 'success' };
  if (!Array.isArray(failures)) return { kind: 'batchFailure', reason: 'batchItemFailures is not a list' };
  if (failures.length === 0) return { kind: 'success' };

  const indexBySequence = new Map<string, number>(batch.map((record, index) => [record.kinesis.sequenceNumber, index]));
  let lowest = Number.POSITIVE_INFINITY;
  for (const failure of failures as unknown[]) {
    const identifier =
      failure !== null && typeof failure === 'object'
        ? (failure as { itemIdentifier?: unknown }).itemIdentifier
        : undefined;
    if (typeof identifier !== 'string' || identifier === '') {
      return { kind: 'batchFailure', reason: `invalid itemIdentifier ${JSON.stringify(identifier) ?? 'undefined'}` };
    }
    const index = indexBySequence.get(identifier);
    if (index === undefined)
      return { kind: 'batchFailure', reason: `itemIdentifier ${identifier} is not in the batch` };
    lowest = Math.min(lowest, index);
  }
  const failed = batch[lowest] as SequencedRecord;
  return { kind: 'partialFailure', failedIndex: lowest, sequenceNumber: failed.kinesis.sequenceNumber };
};
