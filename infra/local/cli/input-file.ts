import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { pipeline } from 'node:stream';
import { createGunzip } from 'node:zlib';
import type { ProducerRecord } from '../pipeline/local-pipeline';
import { StartUsageError } from './start-options';

/** The clientId a producer would use as partition key, for any supported shape. */
export const partitionKeyOf = (line: string, index: number): string => {
  try {
    const parsed = JSON.parse(line) as Record<string, unknown>;
    const resources = Array.isArray(parsed.resources) ? (parsed.resources as unknown[]) : [];
    const candidate = [parsed.clientId, parsed.company_id, parsed.customerId, resources[0]].find(
      (value): value is string => typeof value === 'string' && value !== '',
    );
    if (candidate !== undefined) return candidate.slice(0, 256);
  } catch {
    // Malformed lines still go in: the consumer quarantines them.
  }
  return `line-${index}`;
};

/**
 * --input FILE as producer records: one per non-blank line, gunzipped when the name ends in .gz.
 * checkStartFiles() has checked the file can be read and starts like gzip; a gzip stream that
 * breaks further on (truncated, corrupt) fails here with StartUsageError naming the file and line.
 */
export const readInputFile = async (file: string): Promise<ProducerRecord[]> => {
  const gzip = file.endsWith('.gz');
  const source = createReadStream(file);
  // pipeline() passes an error of either stream to the last one, which readline's iterator rethrows.
  const input = gzip ? pipeline(source, createGunzip(), () => undefined) : source;
  const lines = createInterface({ input, crlfDelay: Infinity });
  const records: ProducerRecord[] = [];
  let lineNumber = 0;
  try {
    for await (const line of lines) {
      lineNumber++;
      if (line.trim() === '') continue;
      records.push({ partitionKey: partitionKeyOf(line, records.length), data: Buffer.from(line) });
    }
  } catch (error) {
    const { code, message } = error as NodeJS.ErrnoException;
    const zlib = typeof code === 'string' && code.startsWith('Z_');
    throw new StartUsageError(
      zlib ? 'NotGzip' : 'UnreadableFile',
      `--input ${file}: ${zlib ? `corrupt gzip data after ${lineNumber} lines read (${message})` : `cannot be read (${code ?? message})`}`,
      { cause: error },
    );
  }
  return records;
};
