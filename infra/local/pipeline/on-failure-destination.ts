import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { OnFailureRecord } from '../kinesis-esm';
import type { RunLedger } from './run-summary';

/** Where the local on-failure destination keeps what Kinesis discarded. */
export const ON_FAILURE_PREFIX = 'local-on-failure/';

/**
 * The consumer mapping's on-failure destination, locally: each on-failure record as a JSON
 * object `local-on-failure/<shardId>/<start>-<end>.json` in the bucket. The discarded records
 * that had ended nowhere are counted discarded, or lost when the record cannot be written.
 */
export const onFailureDestination =
  (s3: S3Client, bucket: string, ledger: RunLedger) =>
  async (record: OnFailureRecord, sequenceNumbers: readonly string[]): Promise<void> => {
    const info = record.KinesisBatchInfo;
    const unsettled = ledger.unsettled(info.shardId, sequenceNumbers);
    try {
      await s3.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: `${ON_FAILURE_PREFIX}${info.shardId}/${info.startSequenceNumber}-${info.endSequenceNumber}.json`,
          Body: JSON.stringify(record, null, 2),
          ContentType: 'application/json',
        }),
      );
    } catch (error) {
      // Not in the destination: discarded with no record of it but the event source's error log.
      ledger.lose(unsettled);
      throw error;
    }
    ledger.discard(unsettled);
  };
