import { gunzipSync } from 'node:zlib';
import { MAX_RECORD_BYTES } from '../delivery/firehose-sink';
import { describeError } from './redrive-error';

/** The error outputs whose records can go back into the delivery stream. */
export const ERROR_OUTPUT_TYPES = ['partitioning-failed', 'processing-failed'] as const;
export type ErrorOutputType = (typeof ERROR_OUTPUT_TYPES)[number];

export const isErrorOutputType = (value: string): value is ErrorOutputType =>
  (ERROR_OUTPUT_TYPES as readonly string[]).includes(value);

/** One line of a Firehose error object. */
export interface FirehoseErrorRecord {
  attemptsMade?: number;
  arrivalTimestamp?: number;
  errorCode?: string;
  errorMessage?: string;
  attemptEndingTimestamp?: number;
  rawData: string;
  lambdaArn?: string;
}

/** The object cannot be re-driven as it is (the CLI leaves it in place and names it). */
export class ObjectFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ObjectFormatError';
  }
}

/** Gzip is recognised by its magic bytes, not the key: Firehose names objects by its own rules. */
export const isGzip = (bytes: Uint8Array): boolean => bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;

export const decodeObjectBody = (bytes: Buffer): Buffer => {
  if (!isGzip(bytes)) return bytes;
  try {
    return gunzipSync(bytes);
  } catch (caught) {
    throw new ObjectFormatError(`not valid gzip (${describeError(caught)})`);
  }
};

const isErrorRecord = (value: unknown): value is FirehoseErrorRecord =>
  typeof value === 'object' &&
  value !== null &&
  !Array.isArray(value) &&
  typeof (value as { rawData?: unknown }).rawData === 'string';

/**
 * The records' original bytes (`rawData`), in file order. The whole object is checked before
 * anything is sent, so a bad line never leaves an object half re-driven.
 */
export const parseErrorObject = (bytes: Buffer): Buffer[] => {
  const text = decodeObjectBody(bytes).toString('utf8');
  const records: Buffer[] = [];
  text.split('\n').forEach((line, index) => {
    if (line.trim() === '') return;
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      throw new ObjectFormatError(`line ${index + 1} is not JSON`);
    }
    if (!isErrorRecord(parsed))
      throw new ObjectFormatError(`line ${index + 1} is not a Firehose error record (no rawData)`);
    const data = Buffer.from(parsed.rawData, 'base64');
    if (data.length > MAX_RECORD_BYTES) {
      throw new ObjectFormatError(
        `line ${index + 1}: the record is ${data.length} bytes, over Firehose's ${MAX_RECORD_BYTES}`,
      );
    }
    records.push(data);
  });
  return records;
};

/** `errors/<type>/…` → the error output type, when it is one that can be re-driven. */
export const errorTypeOfKey = (errorsPrefix: string, key: string): ErrorOutputType | undefined => {
  if (!key.startsWith(errorsPrefix)) return undefined;
  const type = key.slice(errorsPrefix.length).split('/')[0] ?? '';
  return isErrorOutputType(type) ? type : undefined;
};
