import type { AdaptedEvent } from '../canonical-event';
import { InvalidRecordError } from '../errors';
import { assertAcceptableIds } from '../identifier';
import { apiCallAdapter } from './api-call';
import { clientEventAdapter } from './client-event';
import { eventBridgeAdapter } from './eventbridge';
import { productActionAdapter } from './product-action';
import { companyProfileAdapter, userProfileAdapter } from './profile';
import type { AdaptContext, SourceAdapter } from './source-adapter';
import { usageMeterAdapter } from './usage-meter';

/**
 * Tried in order, most specific first; the first adapter whose `matches` is true owns the
 * payload. The `matches` tests do not overlap: client-event, product-action, usage-meter,
 * api-call, user-profile and company-profile each decline a payload carrying another
 * source's marker (a producer `kind` such as `'client-event'` or `'api-call'`,
 * `action_name`, `meterApiName`, `detail-type`), so a mixed shape is UNKNOWN_SOURCE rather
 * than a guess, and an EventBridge envelope is only ever the EventBridge adapter's.
 */
export const SOURCE_ADAPTERS: readonly SourceAdapter[] = [
  clientEventAdapter,
  productActionAdapter,
  usageMeterAdapter,
  apiCallAdapter,
  userProfileAdapter,
  companyProfileAdapter,
  eventBridgeAdapter,
];

/**
 * Where a record came from. The HTTP ingest API marks what it writes (`"ingest": "http-api"`):
 * its callers hold a client token, not IAM rights on the stream, so their ids get a namespace of
 * their own and can never pre-empt a vendor drop's or a backend's record with the same id.
 */
export type IngestChannel = 'stream' | 'http-api';
export const INGEST_FIELD = 'ingest';
export const HTTP_API_CHANNEL = 'http-api';

export interface Adapted {
  source: string;
  channel: IngestChannel;
  event: AdaptedEvent;
}

/** The idempotency scope of an adapted record: `usage-meter`, `http-api/usage-meter`. */
export const idScopeOf = (adapted: Pick<Adapted, 'source' | 'channel'>): string =>
  adapted.channel === 'stream' ? adapted.source : `${adapted.channel}/${adapted.source}`;

/** Takes the ingest marker off a record: the adapters see the producer's shape only. */
const channelOf = (record: Record<string, unknown>): { channel: IngestChannel; record: Record<string, unknown> } => {
  if (!Object.hasOwn(record, INGEST_FIELD)) return { channel: 'stream', record };
  const { [INGEST_FIELD]: marker, ...rest } = record;
  if (marker !== HTTP_API_CHANNEL) {
    throw new InvalidRecordError(
      'SCHEMA_VIOLATION',
      `"${INGEST_FIELD}" may only be "${HTTP_API_CHANNEL}" (set by the ingest API), got ${JSON.stringify(marker)?.slice(0, 64)}`,
    );
  }
  return { channel: HTTP_API_CHANNEL, record: rest };
};

/**
 * Maps a parsed payload into the canonical event, or throws UNKNOWN_SOURCE: never guesses.
 * `context.receivedAt` is the record's arrival (the consumer passes the Kinesis arrival); a
 * caller that only validates (the S3 drop, before the record is on the stream) may leave it to
 * default to now.
 */
export const adapt = (
  payload: unknown,
  adapters: readonly SourceAdapter[] = SOURCE_ADAPTERS,
  context: AdaptContext = { receivedAt: new Date().toISOString() },
): Adapted => {
  if (payload === null || typeof payload !== 'object' || Array.isArray(payload)) {
    throw new InvalidRecordError('UNKNOWN_SOURCE', 'Record is JSON but not an object, so it matches no source');
  }
  const { channel, record } = channelOf(payload as Record<string, unknown>);
  const adapter = adapters.find((candidate) => candidate.matches(record));
  if (adapter === undefined) {
    const keys = Object.keys(record).slice(0, 10).join(', ');
    throw new InvalidRecordError(
      'UNKNOWN_SOURCE',
      `Record matches no known source (top-level keys: ${keys || 'none'})`,
    );
  }
  try {
    const event = adapter.toCanonical(record, context);
    assertAcceptableIds(adapter, event);
    return { source: adapter.name, channel, event };
  } catch (error) {
    if (error instanceof InvalidRecordError) error.source = adapter.name;
    throw error;
  }
};
