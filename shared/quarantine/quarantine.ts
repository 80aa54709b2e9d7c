import type { ReasonCode } from '../errors';

/** Where a rejected record came from, so it can be found and replayed. */
export interface RecordOrigin {
  eventSourceArn?: string;
  shardId?: string;
  partitionKey: string;
  sequenceNumber: string;
  /** The user record's index inside a KPL-aggregated Kinesis record; absent for a plain record. */
  subSequenceNumber?: number;
  approximateArrivalTimestamp: string;
}

export interface QuarantineEntry {
  reason: ReasonCode;
  message: string;
  origin: RecordOrigin;
  /** The raw record bytes exactly as they were in the stream. */
  data: Uint8Array;
}

export interface Quarantine {
  /** Stores the entry; returns where. Throws when it could not, so the record is retried, not lost. */
  put(entry: QuarantineEntry): Promise<string>;
}

/**
 * `quarantine/<reason>/<yyyy>/<mm>/<dd>/<shard>-<sequence>[-<subsequence>].json`: one key per record
 * (per user record of a KPL aggregate), so retries overwrite.
 */
export const quarantineKey = (prefix: string, entry: QuarantineEntry): string => {
  const day = entry.origin.approximateArrivalTimestamp.slice(0, 10).split('-').join('/');
  const shard = entry.origin.shardId ?? 'unknown-shard';
  const sub = entry.origin.subSequenceNumber === undefined ? '' : `-${entry.origin.subSequenceNumber}`;
  return `${prefix}${entry.reason}/${day}/${shard}-${entry.origin.sequenceNumber}${sub}.json`;
};

export const quarantineBody = (entry: QuarantineEntry, quarantinedAt: string): string => {
  const raw = Buffer.from(entry.data);
  const text = raw.toString('utf8');
  return `${JSON.stringify({
    reason: entry.reason,
    message: entry.message,
    quarantinedAt,
    origin: entry.origin,
    dataBase64: raw.toString('base64'),
    // Readable copy when the bytes are valid UTF-8; the base64 stays authoritative.
    ...(Buffer.from(text, 'utf8').equals(raw) && { dataText: text }),
  })}\n`;
};
