/**
 * The request checks SQS makes that are not about message attributes: queue names, queue
 * attributes (names and ranges), message bodies, batch entries, integer parameters. Each limit is
 * a constant of runtime/aws.ts, which names the API reference page it is from.
 */
import {
  SQS_DEFAULT_RETENTION_SECONDS,
  SQS_DEFAULT_VISIBILITY_TIMEOUT_SECONDS,
  SQS_MAX_BATCH_ENTRIES,
  SQS_MAX_BATCH_ENTRY_ID_LENGTH,
  SQS_MAX_DELAY_SECONDS,
  SQS_MAX_MESSAGE_BYTES,
  SQS_MAX_QUEUE_NAME_LENGTH,
  SQS_MAX_RETENTION_SECONDS,
  SQS_MAX_VISIBILITY_TIMEOUT_SECONDS,
  SQS_MAX_WAIT_TIME_SECONDS,
  SQS_MIN_MAXIMUM_MESSAGE_SIZE,
  SQS_MIN_RETENTION_SECONDS,
} from '../runtime/aws';
import {
  batchEntryIdsNotDistinct,
  emptyBatchRequest,
  invalidAttributeName,
  invalidAttributeValue,
  invalidBatchEntryId,
  invalidMessageContents,
  invalidParameterValue,
  invalidValue,
  missingParameter,
  tooManyEntriesInBatchRequest,
  unsupportedOperation,
} from './errors';
import { isAllowedText } from './message-attributes';

export type Json = Record<string, unknown>;
export const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

// --- Queue names and attributes ----------------------------------------------------------------

const QUEUE_NAME = /^[A-Za-z0-9_-]+$/;

/** QueueName: 1–80 alphanumerics, hyphens and underscores (CreateQueue). A `.fifo` name is a FIFO queue, not modelled here. */
export const checkQueueName = (name: unknown): string => {
  if (name === undefined || name === null) throw missingParameter('QueueName');
  if (typeof name !== 'string') throw invalidParameterValue('QueueName must be a string.');
  if (name.endsWith('.fifo'))
    throw unsupportedOperation('FIFO queues are not modelled by the local SQS (infra/local/README.md, "SQS").');
  if (name.length === 0 || name.length > SQS_MAX_QUEUE_NAME_LENGTH || !QUEUE_NAME.test(name)) {
    throw invalidParameterValue(
      `Can only include alphanumeric characters, hyphens, or underscores. 1 to ${SQS_MAX_QUEUE_NAME_LENGTH} in length`,
    );
  }
  return name;
};

/** An integer attribute's range and default (CreateQueue, "Attributes"). */
const INTEGER_ATTRIBUTES = {
  DelaySeconds: { min: 0, max: SQS_MAX_DELAY_SECONDS, default: 0 },
  MaximumMessageSize: { min: SQS_MIN_MAXIMUM_MESSAGE_SIZE, max: SQS_MAX_MESSAGE_BYTES, default: SQS_MAX_MESSAGE_BYTES },
  MessageRetentionPeriod: {
    min: SQS_MIN_RETENTION_SECONDS,
    max: SQS_MAX_RETENTION_SECONDS,
    default: SQS_DEFAULT_RETENTION_SECONDS,
  },
  ReceiveMessageWaitTimeSeconds: { min: 0, max: SQS_MAX_WAIT_TIME_SECONDS, default: 0 },
  VisibilityTimeout: {
    min: 0,
    max: SQS_MAX_VISIBILITY_TIMEOUT_SECONDS,
    default: SQS_DEFAULT_VISIBILITY_TIMEOUT_SECONDS,
  },
  /** SSE-KMS: 60–86,400 seconds, 300 by default (stored, not used: no encryption here). */
  KmsDataKeyReusePeriodSeconds: { min: 60, max: 86_400, default: 300 },
} as const;
export type IntegerQueueAttribute = keyof typeof INTEGER_ATTRIBUTES;

/** Attributes kept and returned but not acted on: policies, redrive (no redrive here), encryption. */
const JSON_ATTRIBUTES = new Set(['Policy', 'RedrivePolicy', 'RedriveAllowPolicy']);
const OPAQUE_ATTRIBUTES = new Set(['KmsMasterKeyId']);
const BOOLEAN_ATTRIBUTES = new Set(['SqsManagedSseEnabled']);
const FIFO_ATTRIBUTES = new Set([
  'FifoQueue',
  'ContentBasedDeduplication',
  'DeduplicationScope',
  'FifoThroughputLimit',
]);
/** What GetQueueAttributes reports beyond the settable attributes. */
export const COMPUTED_ATTRIBUTES = [
  'ApproximateNumberOfMessages',
  'ApproximateNumberOfMessagesDelayed',
  'ApproximateNumberOfMessagesNotVisible',
  'CreatedTimestamp',
  'LastModifiedTimestamp',
  'QueueArn',
] as const;

/** A new queue's attributes: every integer attribute at its default, SSE-SQS on (SQS's default for new queues). */
export const defaultQueueAttributes = (): Record<string, string> => ({
  ...Object.fromEntries(
    Object.entries(INTEGER_ATTRIBUTES)
      .filter(([name]) => name !== 'KmsDataKeyReusePeriodSeconds')
      .map(([name, range]) => [name, String(range.default)]),
  ),
  SqsManagedSseEnabled: 'true',
});

/**
 * Checks CreateQueue's / SetQueueAttributes' Attributes: names SQS knows (InvalidAttributeName),
 * values in range (InvalidAttributeValue), and returns them as strings. FIFO attributes are
 * refused: FIFO queues are not modelled.
 */
export const checkQueueAttributes = (input: unknown): Record<string, string> => {
  if (input === undefined || input === null) return {};
  if (!isObject(input)) throw invalidParameterValue('Attributes must be a map of attribute names to values.');
  const checked: Record<string, string> = {};
  for (const [name, raw] of Object.entries(input)) {
    if (typeof raw !== 'string') throw invalidAttributeValue(name);
    if (FIFO_ATTRIBUTES.has(name))
      throw unsupportedOperation('FIFO queues are not modelled by the local SQS (infra/local/README.md, "SQS").');
    if (name in INTEGER_ATTRIBUTES) {
      const range = INTEGER_ATTRIBUTES[name as IntegerQueueAttribute];
      if (!/^\d+$/.test(raw) || Number(raw) < range.min || Number(raw) > range.max) throw invalidAttributeValue(name);
      checked[name] = String(Number(raw));
    } else if (JSON_ATTRIBUTES.has(name)) {
      try {
        if (raw !== '') JSON.parse(raw);
      } catch {
        throw invalidAttributeValue(name);
      }
      checked[name] = raw;
    } else if (BOOLEAN_ATTRIBUTES.has(name)) {
      if (raw !== 'true' && raw !== 'false') throw invalidAttributeValue(name);
      checked[name] = raw;
    } else if (OPAQUE_ATTRIBUTES.has(name)) {
      checked[name] = raw;
    } else {
      throw invalidAttributeName(name);
    }
  }
  return checked;
};

/** GetQueueAttributes' AttributeNames: `All` or names SQS knows (InvalidAttributeName otherwise). */
export const checkQueueAttributeNames = (input: unknown): 'All' | string[] => {
  const names = optionalStringList(input, 'AttributeNames') ?? [];
  if (names.includes('All')) return 'All';
  for (const name of names) {
    const known =
      name in INTEGER_ATTRIBUTES ||
      JSON_ATTRIBUTES.has(name) ||
      OPAQUE_ATTRIBUTES.has(name) ||
      BOOLEAN_ATTRIBUTES.has(name) ||
      FIFO_ATTRIBUTES.has(name) ||
      (COMPUTED_ATTRIBUTES as readonly string[]).includes(name);
    if (!known) throw invalidAttributeName(name);
  }
  return names;
};

// --- Messages ------------------------------------------------------------------------------------

/**
 * MessageBody: at least one character, only the allowed characters (else InvalidMessageContents:
 * SendMessage, MessageBody). Its size is checked with the attributes' against MaximumMessageSize.
 */
export const checkBody = (body: unknown): string => {
  if (body === undefined || body === null || body === '') throw missingParameter('MessageBody');
  if (typeof body !== 'string') throw invalidParameterValue('MessageBody must be a string.');
  if (!isAllowedText(body)) throw invalidMessageContents();
  return body;
};

/** The size check of SendMessage: body and attributes together within the queue's MaximumMessageSize. */
export const checkMessageSize = (bytes: number, maximumMessageSize: number): void => {
  if (bytes > maximumMessageSize)
    throw invalidParameterValue(
      `One or more parameters are invalid. Reason: Message must be shorter than ${maximumMessageSize} bytes.`,
    );
};

// --- Batches -------------------------------------------------------------------------------------

const BATCH_ENTRY_ID = /^[A-Za-z0-9_-]+$/;

/**
 * A batch request's entries (SendMessageBatch, DeleteMessageBatch, ChangeMessageVisibilityBatch):
 * 1–10 of them (EmptyBatchRequest, TooManyEntriesInBatchRequest), each Id 1–80 alphanumerics,
 * hyphens and underscores (InvalidBatchEntryId), all Ids distinct (BatchEntryIdsNotDistinct).
 */
export const checkBatchEntries = (entries: unknown, entryName: string): (Json & { Id: string })[] => {
  if (entries === undefined || entries === null || (Array.isArray(entries) && entries.length === 0))
    throw emptyBatchRequest(entryName);
  if (!Array.isArray(entries)) throw invalidParameterValue('Entries must be a list.');
  if (entries.length > SQS_MAX_BATCH_ENTRIES) throw tooManyEntriesInBatchRequest(SQS_MAX_BATCH_ENTRIES, entries.length);
  const ids = new Set<string>();
  for (const entry of entries) {
    if (!isObject(entry)) throw invalidParameterValue(`Each entry must be a ${entryName}.`);
    const id = entry.Id;
    if (
      typeof id !== 'string' ||
      id.length === 0 ||
      id.length > SQS_MAX_BATCH_ENTRY_ID_LENGTH ||
      !BATCH_ENTRY_ID.test(id)
    )
      throw invalidBatchEntryId();
    if (ids.has(id)) throw batchEntryIdsNotDistinct(id);
    ids.add(id);
  }
  return entries as (Json & { Id: string })[];
};

// --- Parameters ------------------------------------------------------------------------------------

/** An optional integer parameter within [min, max], else InvalidParameterValue with SQS's "Reason: …". */
export const optionalInteger = (
  input: Json,
  name: string,
  min: number,
  max: number,
  reason: string,
): number | undefined => {
  const value = input[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max)
    throw invalidValue(name, value, reason);
  return value;
};

export const requiredString = (input: Json, name: string): string => {
  const value = input[name];
  if (value === undefined || value === null || value === '') throw missingParameter(name);
  if (typeof value !== 'string') throw invalidParameterValue(`${name} must be a string.`);
  return value;
};

export const optionalStringList = (value: unknown, name: string): string[] | undefined => {
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value) || value.some((item) => typeof item !== 'string'))
    throw invalidParameterValue(`${name} must be a list of strings.`);
  return value as string[];
};
