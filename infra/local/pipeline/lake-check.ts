import { eventTypeOf } from '../../../shared/canonical-event';
import { mapWithConcurrency } from '../../../shared/concurrency';
import { evaluateLayoutPrefix, type LakeLayout, prefixRoot } from '../../../shared/lake-layout';
import { partitionKeys } from '../../../shared/partition';
import { decodeObjectBody, parseErrorObject } from '../../../shared/redrive';

/** What the lake holds: every event once, in the partition the layout gives it, and what sits in error outputs. */
export interface LakeCheck {
  events: number;
  objects: number;
  duplicateEvents: string[];
  misplacedEvents: string[];
  /** Records in Firehose error outputs (`errors/<error-output-type>/…`), by type. */
  errors: Record<string, number>;
  errorObjects: number;
  /** Where error outputs start (`errors/`): the error prefix up to its first expression. */
  errorRoot: string;
  /** `[clientId, idScope, id]` of each event found in an error output, with its type (a record without them is not listed). */
  errorEvents: { identity: string; type: string }[];
  /** `[clientId, idScope, id]` of every event in the lake; absent when the lake was not read. */
  identities?: ReadonlySet<string>;
}

export interface BucketReader {
  listKeys(prefix: string): Promise<string[]>;
  getObject(key: string): Promise<Buffer>;
}

const linesOf = (body: Buffer): string[] =>
  decodeObjectBody(body)
    .toString('utf8')
    .split('\n')
    .filter((line) => line !== '');

/**
 * The same identity the consumer deduplicates on, (clientId, idScope, id), for any event shape the
 * error outputs may hold (a raw envelope put straight into Firehose has no idScope: `""`).
 */
export const eventIdentity = (event: Record<string, unknown>): string | undefined => {
  const detail = (event.detail ?? {}) as Record<string, unknown>;
  const resources = Array.isArray(event.resources) ? (event.resources as unknown[]) : [];
  const clientId = [event.clientId, detail.clientId, resources[0]].find(
    (value) => typeof value === 'string' && value !== '',
  );
  const idScope = typeof event.idScope === 'string' ? event.idScope : '';
  return typeof clientId === 'string' && typeof event.id === 'string'
    ? JSON.stringify([clientId, idScope, event.id])
    : undefined;
};

/** `errors/<type>/…` → type, from the error prefix's first expression (`!{firehose:error-output-type}`). */
const errorTypeOf = (key: string, errorRoot: string): string => key.slice(errorRoot.length).split('/')[0] || 'unknown';

/**
 * Reads the lake back: data objects under the layout's root (each event once, under the partition
 * its clientId, event type and time call for) and error objects under the error prefix's root.
 */
export const checkLake = async (
  bucket: BucketReader,
  layout: Pick<LakeLayout, 'prefix' | 'keys' | 'eventTypes'>,
  errorPrefix: string,
): Promise<LakeCheck> => {
  const dataRoot = prefixRoot(layout.prefix);
  const errorRoot = prefixRoot(errorPrefix);
  const check: LakeCheck = {
    events: 0,
    objects: 0,
    duplicateEvents: [],
    misplacedEvents: [],
    errors: {},
    errorObjects: 0,
    errorRoot,
    errorEvents: [],
  };
  const seen = new Set<string>();
  check.identities = seen;
  const dataKeys = await bucket.listKeys(dataRoot);
  check.objects = dataKeys.length;
  await mapWithConcurrency(dataKeys, 8, async (key) => {
    for (const line of linesOf(await bucket.getObject(key))) {
      const event = JSON.parse(line) as { id: string; time: string; detail: { clientId: string } };
      check.events++;
      const identity = eventIdentity(event) ?? line;
      if (seen.has(identity)) check.duplicateEvents.push(identity);
      seen.add(identity);
      const expected = evaluateLayoutPrefix(
        layout.prefix,
        partitionKeys(layout, {
          clientId: event.detail.clientId,
          eventType: eventTypeOf(event) ?? '',
          time: event.time,
        }),
      );
      if (!key.startsWith(expected)) check.misplacedEvents.push(`${identity} in ${key}`);
    }
  });
  const errorKeys = await bucket.listKeys(errorRoot);
  check.errorObjects = errorKeys.length;
  await mapWithConcurrency(errorKeys, 8, async (key) => {
    const type = errorTypeOf(key, errorRoot);
    // The re-drive's own reader: what it would put back is what is counted here.
    for (const rawData of parseErrorObject(await bucket.getObject(key))) {
      check.errors[type] = (check.errors[type] ?? 0) + 1;
      try {
        const identity = eventIdentity(JSON.parse(rawData.toString('utf8')) as Record<string, unknown>);
        if (identity !== undefined) check.errorEvents.push({ identity, type });
      } catch {
        // Not an event (a record that was never JSON): counted by type, not tied to a source.
      }
    }
  });
  return check;
};
