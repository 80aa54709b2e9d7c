// The end-to-end workload: unique raw EventBridge envelopes and the lake partitions they fall into.
import type { ProducerRecord } from '../infra/local/pipeline/local-pipeline';
import { eventTypeOf } from '../shared/canonical-event';
import { evaluateLayoutPrefix, type LakeLayout } from '../shared/lake-layout';
import { partitionKeys } from '../shared/partition';
import { createRandom, eventBridgeEnvelope } from './record-factories';

/** Event times lie up to this far before the run (the consumer accepts up to 7 days). */
// Three days of event times, so the run spans several dt partitions as real traffic does.
const EVENT_SPREAD_MS = 3 * 86_400_000;

export interface E2eWorkload {
  records: ProducerRecord[];
  bytes: number;
  /** Distinct lake partitions (the layout's prefix evaluated for each event) the events fall into. */
  partitions: number;
}

/**
 * Unique, valid raw EventBridge envelopes (~510 B each; 6 clients; the event type is
 * detail.eventType on about half of them and the detail-type otherwise, 12 values in all; event
 * times spread over the 3 hours before `now`), partition key = clientId, as `npm start` derives
 * it for its input files. Every event is delivered: no duplicates, nothing malformed. `layout`
 * (serverless.yml's, as the transformer reads it) only counts the partitions.
 */
export const e2eWorkload = (
  events: number,
  now: number,
  seed: number,
  layout: Pick<LakeLayout, 'prefix' | 'keys' | 'eventTypes'>,
): E2eWorkload => {
  const random = createRandom(seed);
  const partitions = new Set<string>();
  let bytes = 0;
  const records = Array.from({ length: events }, (): ProducerRecord => {
    const envelope = eventBridgeEnvelope({ random, timeMillis: now - Math.floor(random() * EVENT_SPREAD_MS) });
    const clientId = (envelope.resources as string[])[0] as string;
    const keys = partitionKeys(layout, {
      clientId,
      eventType: eventTypeOf(envelope) ?? '',
      time: envelope.time as string,
    });
    partitions.add(evaluateLayoutPrefix(layout.prefix, keys));
    const data = Buffer.from(JSON.stringify(envelope));
    bytes += data.length;
    return { partitionKey: clientId, data };
  });
  return { records, bytes, partitions: partitions.size };
};
