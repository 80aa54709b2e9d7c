import type { Logger } from '@aws-lambda-powertools/logger';
import type {
  FirehoseTransformationEvent,
  FirehoseTransformationResult,
  FirehoseTransformationResultRecord,
} from 'aws-lambda';
import { eventTypeOf } from '../canonical-event';
import { normalizeRecord } from '../consumer/normalize';
import { InvalidRecordError, type ReasonCode } from '../errors';
import { assertTimeInWindow } from '../event-time';
import { identifierProblem } from '../identifier';
import { exceedsJsonDepth, jsonTooDeepMessage } from '../json-depth';
import type { LakeLayout } from '../lake-layout';
import type { PipelineMetrics } from '../metrics';
import { type PartitionKeys, partitionKeys, utcTimeOf } from '../partition';

export type TransformOutcome =
  | { result: 'Ok'; data: Buffer; partitionKeys: PartitionKeys }
  | { result: 'Dropped' }
  | { result: 'ProcessingFailed'; reason: ReasonCode; message: string };

const isObject = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

const isNonEmptyString = (value: unknown): value is string => typeof value === 'string' && value !== '';

const NEWLINE = 0x0a;
const isBlank = (data: Buffer): boolean =>
  data.every((byte) => byte === 0x20 || byte === 0x09 || byte === 0x0d || byte === NEWLINE);

/**
 * The lake layout, plus the environment written into the canonical events this transformer
 * builds from raw producer shapes put straight into the delivery stream (`unknown` when absent).
 */
export type TransformLayout = Pick<LakeLayout, 'keys' | 'eventTypes' | 'window'> & { environment?: string };

const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$/;

/**
 * The stream arrival the consumer judged the event against (`receivedAt`), else the Firehose
 * arrival. A record that reaches this with a `receivedAt` claims to be canonical; producers with
 * the Direct PUT policy could forge one (see README, "Direct PUT into Firehose").
 */
const referenceMillis = (event: Record<string, unknown>, firehoseArrivalMillis: number): number => {
  const receivedAt = event.receivedAt;
  const millis = typeof receivedAt === 'string' && ISO_UTC.test(receivedAt) ? Date.parse(receivedAt) : Number.NaN;
  return Number.isNaN(millis) ? firehoseArrivalMillis : millis;
};

/**
 * Canonical already: what the consumer puts (receivedAt, object detail, top-level clientId), or
 * what this transformer made of it (clientId in detail: an error-output record being re-driven).
 * Everything else is a producer's raw shape put straight into the delivery stream.
 */
const isCanonical = (event: Record<string, unknown>): boolean =>
  typeof event.receivedAt === 'string' &&
  isObject(event.detail) &&
  (isNonEmptyString(event.clientId) || isNonEmptyString(event.detail.clientId));

/**
 * One Firehose record. A canonical event from our consumer takes the fast path. Any other shape
 * the consumer accepts (a product action, a meter, a client event, an EventBridge envelope from a
 * rule or a producer's Direct PUT) goes through the same source adapters and normalization as in
 * the consumer, judged against its Firehose arrival, and becomes a canonical event first. Then:
 * clientId moves into `detail`, the JSON gets exactly one trailing newline, and partition keys
 * are computed from the layout. The lateness window is checked again here so that every event
 * Firehose partitions has a time the partition bound allows. Blank records are Dropped; anything
 * unusable is ProcessingFailed with a reason (the adapter's, for a raw shape).
 */
export const transformRecord = (
  data: Buffer,
  layout: TransformLayout,
  firehoseArrivalMillis = Date.now(),
): TransformOutcome => {
  if (isBlank(data)) return { result: 'Dropped' };
  let event: unknown;
  const text = data.toString('utf8');
  if (exceedsJsonDepth(text))
    return { result: 'ProcessingFailed', reason: 'JSON_TOO_DEEP', message: jsonTooDeepMessage('Record') };
  try {
    event = JSON.parse(text);
  } catch (error) {
    return { result: 'ProcessingFailed', reason: 'MALFORMED_JSON', message: (error as Error).message };
  }
  if (isObject(event) && isCanonical(event)) return transformEvent(event, layout, firehoseArrivalMillis);
  return transformRaw(data, layout, firehoseArrivalMillis);
};

/** A raw producer shape: adapted and normalized exactly as the consumer does it, then transformed. */
const transformRaw = (data: Buffer, layout: TransformLayout, firehoseArrivalMillis: number): TransformOutcome => {
  let canonical: Record<string, unknown>;
  try {
    const normalized = normalizeRecord(
      {
        data,
        arrivalMillis: firehoseArrivalMillis,
        origin: {
          partitionKey: '',
          sequenceNumber: '',
          approximateArrivalTimestamp: new Date(firehoseArrivalMillis).toISOString(),
        },
      },
      { ...layout.window, environment: layout.environment ?? 'unknown' },
    );
    canonical = normalized.event as unknown as Record<string, unknown>;
  } catch (error) {
    if (error instanceof InvalidRecordError)
      return { result: 'ProcessingFailed', reason: error.reason, message: error.message };
    throw error;
  }
  return transformEvent(canonical, layout, firehoseArrivalMillis);
};

/** A canonical event (top-level clientId, object detail): partitioned and framed. */
const transformEvent = (
  event: Record<string, unknown>,
  layout: TransformLayout,
  firehoseArrivalMillis: number,
): TransformOutcome => {
  if (!isObject(event.detail)) {
    return {
      result: 'ProcessingFailed',
      reason: 'SCHEMA_VIOLATION',
      message: 'Record is not an event with an object detail',
    };
  }
  const detail = event.detail;
  const resources = event.resources;
  const firstResource = Array.isArray(resources) ? resources[0] : undefined;
  const clientId = isNonEmptyString(event.clientId)
    ? event.clientId
    : isNonEmptyString(firstResource)
      ? firstResource
      : isNonEmptyString(detail.clientId)
        ? detail.clientId
        : undefined;
  if (clientId === undefined) {
    return {
      result: 'ProcessingFailed',
      reason: 'MISSING_CLIENT_ID',
      message: 'No clientId, resources[0] or detail.clientId',
    };
  }
  const eventType = eventTypeOf(event);
  if (eventType === undefined) {
    return { result: 'ProcessingFailed', reason: 'SCHEMA_VIOLATION', message: 'No detail.eventType or detail-type' };
  }
  const badIdentifier = identifierProblem('clientId', clientId) ?? identifierProblem('event type', eventType);
  if (badIdentifier !== undefined)
    return { result: 'ProcessingFailed', reason: 'INVALID_IDENTIFIER', message: badIdentifier };
  if (typeof event.time !== 'string') {
    return { result: 'ProcessingFailed', reason: 'INVALID_EVENT_TIME', message: 'No event time' };
  }
  let keys: PartitionKeys;
  try {
    const time = utcTimeOf(event.time);
    assertTimeInWindow(time, referenceMillis(event, firehoseArrivalMillis), layout.window);
    keys = partitionKeys(layout, { clientId, eventType, time });
  } catch (error) {
    if (error instanceof InvalidRecordError) {
      return { result: 'ProcessingFailed', reason: error.reason, message: error.message };
    }
    throw error;
  }

  detail.clientId = clientId;
  // JSON.stringify leaves out undefined values, so this serializes exactly like `delete`,
  // without turning the object into a slow dictionary-mode one just before it is serialized.
  if ('clientId' in event) event.clientId = undefined;
  if (Array.isArray(resources) && firstResource === clientId) event.resources = resources.slice(1);
  return { result: 'Ok', data: Buffer.from(`${JSON.stringify(event)}\n`), partitionKeys: keys };
};

export interface TransformSummary {
  records: number;
  ok: number;
  dropped: number;
  processingFailed: number;
  failureReasons: Partial<Record<ReasonCode, number>>;
}

/** Firehose records by result as metrics: TransformedOk, TransformedDropped, TransformFailed (and by Reason). */
export const countTransformation = (metrics: PipelineMetrics, summary: TransformSummary): void => {
  metrics.count('TransformedOk', summary.ok);
  metrics.count('TransformedDropped', summary.dropped);
  metrics.count('TransformFailed', summary.processingFailed);
  for (const [reason, count] of Object.entries(summary.failureReasons)) {
    metrics.count('TransformFailed', count ?? 0, { name: 'Reason', value: reason });
  }
};

/** The whole transformation batch: every recordId comes back exactly once, in order. */
export const transformBatch = (
  event: FirehoseTransformationEvent,
  layout: TransformLayout,
  logger?: Logger,
  metrics?: PipelineMetrics,
): FirehoseTransformationResult => {
  const summary: TransformSummary = {
    records: event.records.length,
    ok: 0,
    dropped: 0,
    processingFailed: 0,
    failureReasons: {},
  };
  const records = event.records.map((record): FirehoseTransformationResultRecord => {
    const outcome = transformRecord(Buffer.from(record.data, 'base64'), layout, record.approximateArrivalTimestamp);
    switch (outcome.result) {
      case 'Ok':
        summary.ok++;
        return {
          recordId: record.recordId,
          result: 'Ok',
          data: outcome.data.toString('base64'),
          metadata: { partitionKeys: outcome.partitionKeys },
        };
      case 'Dropped':
        summary.dropped++;
        return { recordId: record.recordId, result: 'Dropped', data: record.data };
      default:
        summary.processingFailed++;
        summary.failureReasons[outcome.reason] = (summary.failureReasons[outcome.reason] ?? 0) + 1;
        logger?.warn('Record failed transformation', {
          recordId: record.recordId,
          reason: outcome.reason,
          detail: outcome.message,
        });
        // Firehose writes the original bytes to the processing-failed error prefix.
        return { recordId: record.recordId, result: 'ProcessingFailed', data: record.data };
    }
  });
  logger?.info('Transformation batch processed', { ...summary });
  if (metrics) countTransformation(metrics, summary);
  return { records };
};
