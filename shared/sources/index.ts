import type { AdaptedEvent } from '../canonical-event';
import { InvalidRecordError } from '../errors';
import { assertIdentifiers } from '../identifier';
import { apiCallAdapter } from './api-call';
import { clientEventAdapter } from './client-event';
import { eventBridgeAdapter } from './eventbridge';
import { productActionAdapter } from './product-action';
import { companyProfileAdapter, userProfileAdapter } from './profile';
import type { SourceAdapter } from './source-adapter';
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

export interface Adapted {
  source: string;
  event: AdaptedEvent;
}

/** Maps a parsed payload into the canonical event, or throws UNKNOWN_SOURCE: never guesses. */
export const adapt = (payload: unknown, adapters: readonly SourceAdapter[] = SOURCE_ADAPTERS): Adapted => {
  if (payload === null || typeof payload !== 'object' || Array.isArray(payload)) {
    throw new InvalidRecordError('UNKNOWN_SOURCE', 'Record is JSON but not an object, so it matches no source');
  }
  const record = payload as Record<string, unknown>;
  const adapter = adapters.find((candidate) => candidate.matches(record));
  if (adapter === undefined) {
    const keys = Object.keys(record).slice(0, 10).join(', ');
    throw new InvalidRecordError('UNKNOWN_SOURCE', `Record matches no known source (top-level keys: ${keys || 'none'})`);
  }
  try {
    const event = adapter.toCanonical(record);
    assertIdentifiers(event);
    return { source: adapter.name, event };
  } catch (error) {
    if (error instanceof InvalidRecordError) error.source = adapter.name;
    throw error;
  }
};
