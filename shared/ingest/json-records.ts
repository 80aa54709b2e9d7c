/**
 * Streaming record splitter for dropped files: a JSON array of records or NDJSON, fed in
 * chunks, yielding each record's bytes without ever holding the file. Memory is bounded by
 * one chunk plus one record (records over `maxRecordBytes` are reported, not buffered).
 *
 * The format is decided by the first non-blank byte (a UTF-8 BOM is skipped): `[` means a
 * JSON array, `{` means NDJSON (one record per line, blank lines skipped, CRLF accepted).
 * Anything else is not a records file. The splitter checks structure only (strings,
 * escapes, bracket nesting); each record's own JSON is parsed later, so one malformed
 * record is rejected on its own while the rest of the file still goes through.
 */

export type RecordsFormat = 'json-array' | 'ndjson';

export interface SplitRecord {
  /** 0-based position among the file's records (array element, or non-blank NDJSON line). */
  index: number;
  /** 1-based line on which the record starts. */
  line: number;
  /** The record's bytes, trimmed of surrounding whitespace; absent when it is too large. */
  data?: Buffer;
  /** The record's size in bytes (for a too-large record: at least this many). */
  bytes: number;
  /** Set when the record exceeded `maxRecordBytes`; `head` holds its first bytes. */
  tooLarge?: true;
  head?: Buffer;
}

/** Stable codes for a file that cannot be read as records. */
export type FileErrorCode = 'EMPTY_FILE' | 'NOT_JSON' | 'INVALID_ARRAY' | 'TRUNCATED_ARRAY' | 'BAD_GZIP' | 'TOO_DEEP';

/** The file itself is unreadable from some point on; records before it were yielded. */
export class FileFormatError extends Error {
  constructor(
    readonly code: FileErrorCode,
    message: string,
    /** 1-based line where the problem was found, when known. */
    readonly line?: number,
  ) {
    super(message);
    this.name = 'FileFormatError';
  }
}

export interface SplitterOptions {
  /** Records larger than this are yielded as `tooLarge` without their bytes. Default 1 MiB. */
  maxRecordBytes?: number;
  /** Deepest bracket nesting accepted inside an array element. Default 512. */
  maxDepth?: number;
}

export const DEFAULT_MAX_RECORD_BYTES = 1024 * 1024;
const HEAD_BYTES = 200;

const BOM = [0xef, 0xbb, 0xbf];
const LF = 0x0a;
const CR = 0x0d;
const SPACE = 0x20;
const TAB = 0x09;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;

const isBlank = (byte: number): boolean => byte === SPACE || byte === LF || byte === CR || byte === TAB;

const trim = (data: Buffer): Buffer => {
  let start = 0;
  let end = data.length;
  while (start < end && isBlank(data[start] as number)) start++;
  while (end > start && isBlank(data[end - 1] as number)) end--;
  return start === 0 && end === data.length ? data : data.subarray(start, end);
};

const describeByte = (byte: number): string =>
  byte >= 0x21 && byte <= 0x7e ? `'${String.fromCharCode(byte)}'` : `byte 0x${byte.toString(16).padStart(2, '0')}`;

/** Collects one record's pieces across chunks, up to a byte limit. */
class RecordBuffer {
  private parts: Buffer[] = [];
  private head: Buffer | undefined;
  size = 0;
  tooLarge = false;

  constructor(private readonly limit: number) {}

  add(piece: Buffer): void {
    if (piece.length === 0) return;
    this.size += piece.length;
    if (this.tooLarge) return;
    if (this.size > this.limit) {
      this.tooLarge = true;
      this.head = Buffer.concat([...this.parts, piece.subarray(0, HEAD_BYTES)]).subarray(0, HEAD_BYTES);
      this.parts = [];
      return;
    }
    // Pieces are views of the stream's chunks (never reused by Node streams): no copy.
    this.parts.push(piece);
  }

  take(index: number, line: number): SplitRecord | undefined {
    const size = this.size;
    const record: SplitRecord | undefined = this.tooLarge
      ? { index, line, bytes: size, tooLarge: true, head: trim(this.head ?? Buffer.alloc(0)) }
      : (() => {
          const data = trim(this.parts.length === 1 ? (this.parts[0] as Buffer) : Buffer.concat(this.parts));
          return data.length === 0 ? undefined : { index, line, data, bytes: data.length };
        })();
    this.parts = [];
    this.head = undefined;
    this.size = 0;
    this.tooLarge = false;
    return record;
  }
}

type ArrayState = 'expect-first' | 'expect-value' | 'in-value' | 'closed';

/**
 * Push-based splitter: `push(chunk)` returns the records completed by that chunk, `end()`
 * those completed by the end of input. A FileFormatError is thrown once the file stops
 * making sense; every record returned before it was complete.
 */
export class JsonRecordSplitter {
  format: RecordsFormat | undefined;
  /** Records yielded so far (including too-large ones). */
  count = 0;
  /** Bytes consumed so far (after decompression). */
  bytesRead = 0;
  /** Current 1-based line. */
  line = 1;

  private readonly maxRecordBytes: number;
  private readonly maxDepth: number;
  private readonly record: RecordBuffer;
  private recordLine = 1;
  // JSON array scanning state.
  private state: ArrayState = 'expect-first';
  private readonly stack: number[] = [];
  private inString = false;
  private escaped = false;
  private failed: FileFormatError | undefined;

  constructor(options: SplitterOptions = {}) {
    this.maxRecordBytes = options.maxRecordBytes ?? DEFAULT_MAX_RECORD_BYTES;
    this.maxDepth = options.maxDepth ?? 512;
    this.record = new RecordBuffer(this.maxRecordBytes);
  }

  /**
   * Splits a chunk. When the chunk reveals a format error, returns the records completed
   * before it and sets `failure`; the next push() or end() throws it.
   */
  push(input: Uint8Array | string): SplitRecord[] {
    if (this.failed) throw this.failed;
    const chunk =
      typeof input === 'string'
        ? Buffer.from(input)
        : Buffer.isBuffer(input)
          ? input
          : Buffer.from(input.buffer, input.byteOffset, input.byteLength);
    const out: SplitRecord[] = [];
    try {
      let start = 0;
      if (this.format === undefined) {
        start = this.detect(chunk);
        if (this.format === undefined) {
          this.bytesRead += chunk.length;
          return out;
        }
      }
      if (this.format === 'ndjson') this.pushLines(chunk, start, out);
      else this.pushArray(chunk, start, out);
      this.bytesRead += chunk.length;
      return out;
    } catch (error) {
      if (!(error instanceof FileFormatError)) throw error;
      // Records completed before the error are good: hand them out, fail on the next call.
      this.failed = error;
      this.bytesRead += chunk.length;
      return out;
    }
  }

  /** The format error found so far, if any; push() and end() throw it from then on. */
  get failure(): FileFormatError | undefined {
    return this.failed;
  }

  end(): SplitRecord[] {
    if (this.failed) throw this.failed;
    const out: SplitRecord[] = [];
    if (this.format === undefined) {
      this.failed = new FileFormatError('EMPTY_FILE', 'The file is empty (no records).');
      throw this.failed;
    }
    if (this.format === 'ndjson') {
      this.emit(out);
      return out;
    }
    if (this.state !== 'closed') {
      const where =
        this.state === 'in-value'
          ? `inside record #${this.count + 1} (starting on line ${this.recordLine})`
          : `after ${this.count} record${this.count === 1 ? '' : 's'}`;
      this.failed = new FileFormatError(
        'TRUNCATED_ARRAY',
        `The JSON array is not closed: the file ends ${where}, on line ${this.line}. The file looks truncated.`,
        this.line,
      );
      throw this.failed;
    }
    return out;
  }

  /** Skips the BOM and blanks before the first byte that decides the format; returns where content starts. */
  private detect(chunk: Buffer): number {
    let i = 0;
    // A UTF-8 byte-order mark, possibly split across the first chunks.
    while (i < chunk.length && this.bytesRead + i < 3 && chunk[i] === BOM[this.bytesRead + i]) i++;
    for (; i < chunk.length; i++) {
      const byte = chunk[i] as number;
      if (byte === LF) this.line++;
      else if (!isBlank(byte)) {
        if (byte === OPEN_ARRAY) {
          this.format = 'json-array';
          this.state = 'expect-first';
          return i + 1;
        }
        if (byte === OPEN_OBJECT) {
          this.format = 'ndjson';
          this.recordLine = this.line;
          return i;
        }
        const hint =
          byte === 0x1f && chunk[i + 1] === 0x8b ? ' It looks gzip-compressed: give the key a .gz suffix.' : '';
        throw new FileFormatError(
          'NOT_JSON',
          `Not a JSON array or NDJSON file: the first non-blank character is ${describeByte(byte)} on line ${this.line} (expected '[' or '{').${hint}`,
          this.line,
        );
      }
    }
    return i;
  }

  private emit(out: SplitRecord[]): void {
    const record = this.record.take(this.count, this.recordLine);
    if (record !== undefined) {
      out.push(record);
      this.count++;
    }
  }

  private pushLines(chunk: Buffer, from: number, out: SplitRecord[]): void {
    let start = from;
    while (start < chunk.length) {
      const newline = chunk.indexOf(LF, start);
      if (newline === -1) {
        this.record.add(chunk.subarray(start));
        return;
      }
      this.record.add(chunk.subarray(start, newline));
      this.emit(out);
      this.line++;
      this.recordLine = this.line;
      start = newline + 1;
    }
  }

  private pushArray(chunk: Buffer, from: number, out: SplitRecord[]): void {
    const length = chunk.length;
    let state = this.state;
    let inString = this.inString;
    let escaped = this.escaped;
    let valueStart = state === 'in-value' ? from : -1;
    // Next backslash at or after the scan position (-2: not looked for yet, -1: none left).
    let nextBackslash = -2;
    let i = from;
    try {
      while (i < length) {
        if (inString) {
          // Jump through the string with indexOf instead of byte by byte. Raw newlines are
          // invalid inside JSON strings, so skipping them only blurs a broken record's line.
          if (escaped) {
            escaped = false;
            i++;
            continue;
          }
          if (nextBackslash !== -1 && nextBackslash < i) nextBackslash = chunk.indexOf(BACKSLASH, i);
          const quote = chunk.indexOf(QUOTE, i);
          if (nextBackslash !== -1 && (quote === -1 || nextBackslash < quote)) {
            escaped = true;
            i = nextBackslash + 1;
          } else if (quote === -1) {
            i = length;
          } else {
            inString = false;
            i = quote + 1;
          }
          continue;
        }
        const byte = chunk[i] as number;
        if (byte === LF) this.line++;
        if (state === 'in-value') {
          if (byte === QUOTE) inString = true;
          else if (byte === OPEN_OBJECT || byte === OPEN_ARRAY) {
            if (this.stack.length >= this.maxDepth) {
              throw new FileFormatError(
                'TOO_DEEP',
                `Record #${this.count + 1} (line ${this.recordLine}) nests deeper than ${this.maxDepth} levels.`,
                this.line,
              );
            }
            this.stack.push(byte === OPEN_OBJECT ? CLOSE_OBJECT : CLOSE_ARRAY);
          } else if (byte === CLOSE_OBJECT || byte === CLOSE_ARRAY) {
            if (this.stack.length > 0) {
              const expected = this.stack.pop() as number;
              if (byte !== expected) {
                throw new FileFormatError(
                  'INVALID_ARRAY',
                  `Mismatched ${describeByte(byte)} on line ${this.line} inside record #${this.count + 1} (expected ${describeByte(expected)}); the rest of the file cannot be split into records.`,
                  this.line,
                );
              }
            } else if (byte === CLOSE_ARRAY) {
              this.record.add(chunk.subarray(valueStart, i));
              this.emit(out);
              state = 'closed';
            }
            // A stray '}' at the top level stays in the record, whose own parse then fails.
          } else if (byte === COMMA && this.stack.length === 0) {
            this.record.add(chunk.subarray(valueStart, i));
            this.emit(out);
            state = 'expect-value';
          }
          i++;
          continue;
        }
        if (!isBlank(byte)) {
          if (state === 'closed') {
            throw new FileFormatError(
              'INVALID_ARRAY',
              `Unexpected ${describeByte(byte)} on line ${this.line} after the array's closing ']' (one JSON array per file).`,
              this.line,
            );
          }
          if (byte === CLOSE_ARRAY && state === 'expect-first') {
            state = 'closed';
          } else if (byte === CLOSE_ARRAY || byte === COMMA) {
            throw new FileFormatError(
              'INVALID_ARRAY',
              `Expected a record after ',' but found ${describeByte(byte)} on line ${this.line} (after record #${this.count}).`,
              this.line,
            );
          } else {
            // The value's first byte: rescan it in the in-value state.
            state = 'in-value';
            this.recordLine = this.line;
            valueStart = i;
            continue;
          }
        }
        i++;
      }
      if (state === 'in-value') this.record.add(chunk.subarray(valueStart));
    } finally {
      this.state = state;
      this.inString = inString;
      this.escaped = escaped;
    }
  }
}

/**
 * Splits an async stream of chunks into records (see JsonRecordSplitter). The caller's
 * loop body runs before the next chunk is read, so awaiting inside it is backpressure.
 */
export async function* splitJsonRecords(
  chunks: AsyncIterable<Uint8Array | string>,
  splitter: JsonRecordSplitter = new JsonRecordSplitter(),
): AsyncGenerator<SplitRecord> {
  for await (const chunk of chunks) {
    yield* splitter.push(chunk);
    if (splitter.failure) throw splitter.failure;
  }
  yield* splitter.end();
}
