import { createPipelineMetrics, RecordingMetrics } from '../../shared/metrics';
import { transformBatch } from '../../shared/transformer/firehose-transform';
import { firehoseEvent, testLayout } from '../helpers/factories';

// CloudWatch embedded metric format (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html):
// one JSON document per flush, `_aws.CloudWatchMetrics` naming the namespace, dimensions and metrics.

describe('createPipelineMetrics', () => {
  it('stores counts under the namespace, with the function as a dimension, in EMF', () => {
    const metrics = createPipelineMetrics('kinesisConsumer', {
      POWERTOOLS_METRICS_NAMESPACE: 'UsagePipelineTest',
      POWERTOOLS_SERVICE_NAME: 'svc',
    });

    metrics.count('RecordsIn', 3);
    metrics.count('RecordsIn', 2);
    metrics.count('Delivered', 4);
    const emf = metrics.powertools.serializeMetrics() as unknown as Record<string, unknown> & {
      _aws: {
        CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string; Unit: string }[] }[];
      };
    };

    const [directive] = emf._aws.CloudWatchMetrics;
    expect(directive?.Namespace).toBe('UsagePipelineTest');
    expect(directive?.Dimensions[0]).toEqual(expect.arrayContaining(['service', 'function']));
    expect(directive?.Metrics).toEqual(
      expect.arrayContaining([
        { Name: 'RecordsIn', Unit: 'Count' },
        { Name: 'Delivered', Unit: 'Count' },
      ]),
    );
    expect(emf.function).toBe('kinesisConsumer');
    expect(emf.RecordsIn).toEqual([3, 2]);
    expect(emf.Delivered).toBe(4);
  });
});

describe('transformer metrics', () => {
  it('counts Firehose records by result, and failures by reason', () => {
    const metrics = new RecordingMetrics();
    const good = JSON.stringify({
      id: 'e',
      source: 's',
      'detail-type': 'T',
      time: '2026-03-14T15:08:00.000Z',
      clientId: 'c',
      detail: { eventType: 'searching' },
    });

    transformBatch(firehoseEvent([good, '', 'not json', good]), testLayout(), undefined, metrics);

    expect(Object.fromEntries(metrics.counts)).toEqual({
      TransformedOk: 2,
      TransformedDropped: 1,
      TransformFailed: 1,
      'TransformFailed{Reason=MALFORMED_JSON}': 1,
    });
  });
});
