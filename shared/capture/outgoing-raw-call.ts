// The raw shape of one outgoing call as copied off the wire: header maps and capped body copies.
import { captureBody } from './body';
import type { HeaderMap } from './records';

export const headerText = (value: string | string[] | undefined): string | undefined =>
  Array.isArray(value) ? value[0] : value;

export const toHeaderMap = (entries: Iterable<[string, unknown]>): HeaderMap => {
  const out: HeaderMap = {};
  for (const [name, value] of entries) {
    const key = name.toLowerCase();
    if (Array.isArray(value)) out[key] = value.map(String);
    else if (value !== undefined) out[key] = String(value);
  }
  return out;
};

/** Keeps the first `max` bytes of a stream of chunks, counting the rest. */
export class BodyCopy {
  private readonly chunks: Buffer[] = [];
  private kept = 0;
  total = 0;
  constructor(private readonly max: number) {}
  add(chunk: unknown, encoding?: unknown): void {
    let bytes: Buffer;
    if (typeof chunk === 'string')
      bytes = Buffer.from(chunk, typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8');
    else if (chunk instanceof Uint8Array) bytes = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    else return;
    this.total += bytes.length;
    if (this.kept >= this.max + 1) return;
    const part = bytes.subarray(0, this.max + 1 - this.kept);
    this.chunks.push(Buffer.from(part));
    this.kept += part.length;
  }
  /** The body as the record stores it (cut to `max`, flagged, with the real size). */
  fields(contentType: string | undefined, max: number) {
    if (this.total === 0) return {};
    const bytes = Buffer.concat(this.chunks);
    const captured = captureBody({ body: bytes.toString('base64'), isBase64Encoded: true, contentType }, max);
    if (this.total > max) return { ...captured, body_truncated: true as const, body_size: this.total };
    return captured;
  }
}

export interface RawCall {
  url: URL;
  method: string;
  requestHeaders: HeaderMap;
  requestBody: BodyCopy | undefined;
  status: number;
  responseHeaders: HeaderMap;
  responseBody: BodyCopy | undefined;
  startedAt: number;
  endedAt: number;
}
