import type { StreamRecordInput } from '../ingest/stream-writer';
import { ObjectFormatError } from './error-records';

/** The record as it was in the stream: its partition key and its raw bytes (`dataBase64`, authoritative). */
export const parseQuarantineObject = (bytes: Buffer): StreamRecordInput => {
  let parsed: unknown;
  try {
    parsed = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw new ObjectFormatError('not JSON');
  }
  const object = typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : {};
  const origin =
    typeof object.origin === 'object' && object.origin !== null ? (object.origin as Record<string, unknown>) : {};
  const { partitionKey } = origin;
  if (typeof partitionKey !== 'string' || partitionKey === '') {
    throw new ObjectFormatError('no origin.partitionKey: not a quarantine object');
  }
  if (typeof object.dataBase64 !== 'string') throw new ObjectFormatError('no dataBase64: not a quarantine object');
  return { partitionKey, data: Buffer.from(object.dataBase64, 'base64') };
};
