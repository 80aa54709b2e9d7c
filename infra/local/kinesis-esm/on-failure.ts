import { randomUUID } from 'node:crypto';
import type { KinesisStreamRecord } from 'aws-lambda';
import { errorMessage } from '../runtime/errors';
import type { EsmContext } from './context';
import type { BufferedRecord, DiscardCondition, OnFailureRecord, PendingBatch, ShardWorker } from './types';

const isoFromSeconds = (seconds: number): string => new Date(Math.round(seconds * 1000)).toISOString();

export interface DiscardInput {
  records: readonly KinesisStreamRecord[];
  condition: DiscardCondition;
  shardId: string;
  streamArn: string;
  functionArn: string;
  /** Request id of the last invocation of these records (a new one when never invoked). */
  requestId: string;
  approximateInvokeCount: number;
  /** How the last invocation of these records ended; undefined when never invoked. */
  lastInvocation?: { functionError: boolean };
  nowMs: number;
}

/** The on-failure destination record for discarded records (at least one). */
export const buildOnFailureRecord = (input: DiscardInput): OnFailureRecord => {
  const first = input.records[0];
  const last = input.records[input.records.length - 1];
  if (first === undefined || last === undefined) throw new Error('An on-failure record needs at least one record');
  return {
    requestContext: {
      requestId: input.requestId,
      functionArn: input.functionArn,
      condition: input.condition,
      approximateInvokeCount: input.approximateInvokeCount,
    },
    ...(input.lastInvocation && {
      responseContext: {
        statusCode: 200,
        executedVersion: '$LATEST',
        ...(input.lastInvocation.functionError && { functionError: 'Unhandled' }),
      },
    }),
    version: '1.0',
    timestamp: new Date(input.nowMs).toISOString(),
    KinesisBatchInfo: {
      shardId: input.shardId,
      startSequenceNumber: first.kinesis.sequenceNumber,
      endSequenceNumber: last.kinesis.sequenceNumber,
      approximateArrivalOfFirstRecord: isoFromSeconds(first.kinesis.approximateArrivalTimestamp),
      approximateArrivalOfLastRecord: isoFromSeconds(last.kinesis.approximateArrivalTimestamp),
      batchSize: input.records.length,
      streamArn: input.streamArn,
    },
  };
};

/**
 * Gives up on `records` (a run of `pending`): counts and logs them, and sends their on-failure
 * record to the destination, if there is one. A destination that fails loses the records (logged).
 */
export const discardRecords = async (
  ctx: EsmContext,
  worker: ShardWorker,
  pending: PendingBatch,
  records: BufferedRecord[],
  condition: DiscardCondition,
): Promise<void> => {
  ctx.counters.discarded += records.length;
  const record = buildOnFailureRecord({
    records: records.map((r) => r.record),
    condition,
    shardId: worker.shardId,
    streamArn: ctx.streamArn,
    functionArn: ctx.functionArn,
    requestId: pending.lastRequestId ?? randomUUID(),
    approximateInvokeCount: pending.invokeCount,
    ...(pending.lastInvocation && { lastInvocation: pending.lastInvocation }),
    nowMs: ctx.now(),
  });
  // Lambda gives up on these records: an error, with the range and where it goes.
  ctx.log.error('Discarding records after retries; the batch goes to the on-failure destination', {
    shardId: worker.shardId,
    condition,
    records: records.length,
    startSequenceNumber: record.KinesisBatchInfo.startSequenceNumber,
    endSequenceNumber: record.KinesisBatchInfo.endSequenceNumber,
    destination: ctx.options.onFailure ? 'on-failure destination' : 'none: the records are dropped',
  });
  if (!ctx.options.onFailure) return;
  try {
    await ctx.options.onFailure(
      record,
      records.map((buffered) => buffered.record.kinesis.sequenceNumber),
    );
    ctx.counters.onFailureRecords++;
  } catch (error) {
    ctx.log.error('The on-failure destination rejected a record; the records are lost', {
      shardId: worker.shardId,
      startSequenceNumber: record.KinesisBatchInfo.startSequenceNumber,
      endSequenceNumber: record.KinesisBatchInfo.endSequenceNumber,
      records: records.length,
      error: errorMessage(error),
    });
  }
};
