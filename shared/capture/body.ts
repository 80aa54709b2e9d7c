import type { CapturedBodyFields } from './records';

const TEXTUAL_CONTENT_TYPE = /json|^text\/|xml|javascript|x-www-form-urlencoded|graphql|yaml|csv/i;
const JSON_CONTENT_TYPE = /[/+]json\b/i;

const fatalUtf8 = new TextDecoder('utf-8', { fatal: true });

const decodesAsUtf8 = (bytes: Uint8Array): boolean => {
  try {
    fatalUtf8.decode(bytes);
    return true;
  } catch {
    return false;
  }
};

/** The first `maxBytes` bytes as text, cut back to a character boundary. */
const utf8Prefix = (bytes: Uint8Array, maxBytes: number): string => {
  let end = Math.min(maxBytes, bytes.length);
  // Step back over continuation bytes (10xxxxxx) so no character is split.
  while (end > 0 && end < bytes.length && ((bytes[end] ?? 0) & 0xc0) === 0x80) end--;
  return Buffer.from(bytes.buffer, bytes.byteOffset, end).toString('utf8');
};

const looksLikeJson = (text: string): boolean => {
  const first = text.trimStart()[0];
  return first === '{' || first === '[';
};

export interface BodyInput {
  /** The body as the event or result carries it. */
  body: unknown;
  isBase64Encoded?: unknown;
  /** The Content-Type header, if any. */
  contentType?: string | undefined;
}

/**
 * A request or response body as it is stored on the stream: JSON kept as JSON, other text
 * as text, binary as base64; over `maxBytes` (counted on the decoded bytes) it is cut and
 * flagged. Nothing when there is no body.
 */
export const captureBody = (input: BodyInput, maxBytes: number): CapturedBodyFields => {
  const { body, contentType } = input;
  if (typeof body !== 'string' || body.length === 0) return {};
  const base64 = input.isBase64Encoded === true;
  const bytes = base64 ? Buffer.from(body, 'base64') : Buffer.from(body, 'utf8');
  const declaredText = contentType !== undefined && TEXTUAL_CONTENT_TYPE.test(contentType);
  const isText = !base64 || declaredText || (contentType === undefined && decodesAsUtf8(bytes));
  if (bytes.length > maxBytes) {
    return isText
      ? { body: utf8Prefix(bytes, maxBytes), transfer_encoding: 'text', body_truncated: true, body_size: bytes.length }
      : {
          body: bytes.subarray(0, maxBytes).toString('base64'),
          transfer_encoding: 'base64',
          body_truncated: true,
          body_size: bytes.length,
        };
  }
  if (!isText) return { body: base64 ? body : bytes.toString('base64'), transfer_encoding: 'base64' };
  const text = base64 ? bytes.toString('utf8') : body;
  const jsonish = contentType !== undefined ? JSON_CONTENT_TYPE.test(contentType) : looksLikeJson(text);
  if (jsonish) {
    try {
      return { body: JSON.parse(text) as unknown, transfer_encoding: 'json' };
    } catch {
      // Declared JSON but is not: keep the text.
    }
  }
  return { body: text, transfer_encoding: 'text' };
};
