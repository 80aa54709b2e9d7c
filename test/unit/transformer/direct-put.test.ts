import { RecordingMetrics } from '../../../shared/metrics';
import { transformBatch } from '../../../shared/transformer/firehose-transform';
import {
  clientEventRecordPayload,
  decodeBase64Json,
  eventBridgeEnvelope,
  firehoseEvent,
  normalizePayload,
  productAction,
  testLayout,
  usageMeter,
} from '../../helpers/factories';

/** Direct PUT: producers put their own shapes straight into the delivery stream, skipping the consumer. */
const layout = { ...testLayout(), environment: 'test' };
const transform = (payloads: string[]) => transformBatch(firehoseEvent(payloads), layout).records;

const SHAPES: [string, unknown][] = [
  ['a product action', productAction()],
  ['a usage meter', usageMeter()],
  ['a client event', clientEventRecordPayload()],
  [
    'an EventBridge envelope',
    eventBridgeEnvelope({ resources: ['client-globex'], detail: { eventType: 'searching', term: 'x' } }),
  ],
];

describe('transformBatch, Direct PUT', () => {
  it.each(SHAPES)(
    'lands %s exactly as the consumer’s canonical event would land, with or without a trailing newline',
    (_name, payload) => {
      // Prepare: the same payload through the consumer (Kinesis arrival = this Firehose arrival).
      const [viaConsumer] = transform([JSON.stringify(normalizePayload(payload).event)]);

      // Act
      const [bare, framed] = transform([JSON.stringify(payload), `${JSON.stringify(payload)}\n`]);

      // Assess
      for (const record of [bare, framed]) {
        expect(record?.result).toBe('Ok');
        expect(record?.data).toBe(viaConsumer?.data);
        expect(record?.metadata?.partitionKeys).toEqual(viaConsumer?.metadata?.partitionKeys);
        const text = Buffer.from(record?.data ?? '', 'base64').toString('utf8');
        expect(text.indexOf('\n')).toBe(text.length - 1);
      }
      expect(decodeBase64Json(bare?.data ?? '')).toMatchObject({
        environment: 'test',
        idScope: expect.any(String),
        detail: { clientId: expect.any(String) },
      });
    },
  );

  it('fails what no adapter reads with the adapter’s reason, and keeps the original bytes', () => {
    const payloads = [JSON.stringify({ hello: 'world' }), JSON.stringify(usageMeter({ customerId: '' })), '[1, 2]'];

    const records = transform(payloads);

    expect(records.map((record) => record.result)).toEqual([
      'ProcessingFailed',
      'ProcessingFailed',
      'ProcessingFailed',
    ]);
    expect(records.map((record) => Buffer.from(record.data ?? '', 'base64').toString('utf8'))).toEqual(payloads);
  });

  it('counts failures by the adapter’s reason code', () => {
    const metrics = new RecordingMetrics();

    transformBatch(firehoseEvent([JSON.stringify({ hello: 'world' })]), layout, undefined, metrics);

    expect(metrics.counts.get('TransformFailed{Reason=UNKNOWN_SOURCE}')).toBe(1);
  });
});
