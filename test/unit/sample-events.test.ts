import { BatchProcessor, EventType } from '@aws-lambda-powertools/batch';
import { Logger } from '@aws-lambda-powertools/logger';
import { loadConsumerConfig } from '../../shared/consumer/consumer-config';
import { createDryRunDependencies } from '../../shared/consumer/dependencies';
import { KinesisConsumer } from '../../shared/consumer/kinesis-consumer';
import { transformBatch } from '../../shared/transformer/firehose-transform';
import { loadSampleEvent } from '../helpers/events';
import { testLayout } from '../helpers/factories';

// The events/ samples are what README's `sls invoke local` commands run: keep them meaningful.
describe('sample events', () => {
  it('kinesis-batch.json exercises delivery, an in-batch duplicate and three quarantine reasons', async () => {
    // Prepare
    const config = loadConsumerConfig({
      ENVIRONMENT: 'dev',
      DELIVERY_STREAM_NAME: 'delivery',
      IDEMPOTENCY_TABLE_NAME: 'idem',
      QUARANTINE_BUCKET_NAME: 'lake',
      DRY_RUN: 'true',
    });
    const logger = new Logger({ logLevel: 'SILENT' });
    const consumer = new KinesisConsumer(
      new BatchProcessor(EventType.KinesisDataStreams),
      config,
      createDryRunDependencies(config, logger),
    );

    // Act
    const { response, summary } = await consumer.processBatch(loadSampleEvent('kinesis-batch'));

    // Assess
    expect(response.batchItemFailures).toEqual([]);
    expect(summary).toEqual({
      in: 10,
      delivered: 6,
      duplicates: 1,
      quarantined: 3,
      failed: 0,
      quarantineReasons: { MALFORMED_JSON: 1, UNKNOWN_SOURCE: 1, MISSING_CLIENT_ID: 1 },
      unrecorded: 0,
      routed: 0,
      unrouted: 0,
    });
  });

  it('firehose-transformation.json exercises Ok, Dropped and ProcessingFailed', () => {
    const event = loadSampleEvent('firehose-transformation');

    const { records } = transformBatch(event, testLayout());

    expect(records.map((record) => record.recordId)).toEqual(event.records.map((record) => record.recordId));
    const results = records.map((record) => record.result);
    expect(results.filter((result) => result === 'Ok')).toHaveLength(5);
    expect(results.filter((result) => result === 'Dropped')).toHaveLength(1);
    expect(results.filter((result) => result === 'ProcessingFailed')).toHaveLength(2);
  });
});
