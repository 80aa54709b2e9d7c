import { gunzipSync } from 'node:zlib';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { exceedsJsonDepth, jsonTooDeepMessage } from '../json-depth';

/** A request the API refuses as a whole: always a 4xx with a readable message. */
export class RequestRejected extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'RequestRejected';
  }
}

export interface MediaType {
  /** Lower-cased `type/subtype`, without parameters. */
  type: string;
  charset?: string;
}

/** API Gateway (payload 2.0) lower-cases header names; direct invocations may not. */
export const header = (headers: APIGatewayProxyEventV2['headers'] | undefined, name: string): string | undefined => {
  if (headers === undefined || headers === null) return undefined;
  const direct = headers[name];
  if (direct !== undefined) return direct;
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(headers)) if (key.toLowerCase() === wanted) return value;
  return undefined;
};

export const parseMediaType = (value: string | undefined): MediaType | undefined => {
  if (value === undefined || value.trim() === '') return undefined;
  const [type = '', ...parameters] = value.split(';');
  const mediaType: MediaType = { type: type.trim().toLowerCase() };
  for (const parameter of parameters) {
    const [name = '', raw = ''] = parameter.split('=');
    if (name.trim().toLowerCase() === 'charset') mediaType.charset = raw.trim().replace(/^"|"$/g, '').toLowerCase();
  }
  return mediaType;
};

/** 415 unless the Content-Type is one of `accepted` (UTF-8 when a charset is given). */
export const requireMediaType = (event: APIGatewayProxyEventV2, accepted: readonly string[]): MediaType => {
  const mediaType = parseMediaType(header(event.headers, 'content-type'));
  const expected = accepted.join(' or ');
  if (mediaType === undefined) {
    throw new RequestRejected(415, 'UnsupportedMediaType', `Content-Type is required: ${expected}`);
  }
  if (!accepted.includes(mediaType.type)) {
    throw new RequestRejected(
      415,
      'UnsupportedMediaType',
      `Content-Type ${mediaType.type} is not accepted here: send ${expected}`,
    );
  }
  if (mediaType.charset !== undefined && mediaType.charset !== 'utf-8' && mediaType.charset !== 'utf8') {
    throw new RequestRejected(415, 'UnsupportedMediaType', `charset ${mediaType.charset} is not accepted: send UTF-8`);
  }
  return mediaType;
};

const tooLarge = (limit: number) =>
  new RequestRejected(
    413,
    'PayloadTooLarge',
    `Request body is larger than ${limit} bytes; split it into smaller requests`,
  );

/**
 * The body as text: base64-decoded when API Gateway encoded it, gunzipped for
 * `Content-Encoding: gzip`, at most `maxBytes` (after decompression), valid UTF-8.
 */
export const readBody = (event: APIGatewayProxyEventV2, maxBytes: number): string => {
  const body = event.body ?? '';
  // Cheap refusal before decoding (a compressed body over the limit is over it decompressed too).
  const encodedBytes = event.isBase64Encoded ? Math.floor((body.length * 3) / 4) - 2 : Buffer.byteLength(body, 'utf8');
  if (encodedBytes > maxBytes) throw tooLarge(maxBytes);
  let bytes = event.isBase64Encoded ? Buffer.from(body, 'base64') : Buffer.from(body, 'utf8');
  const encoding = header(event.headers, 'content-encoding')?.trim().toLowerCase();
  if (encoding === 'gzip') {
    try {
      bytes = gunzipSync(bytes, { maxOutputLength: maxBytes + 1 });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') throw tooLarge(maxBytes);
      throw new RequestRejected(400, 'MalformedBody', 'Content-Encoding is gzip but the body is not valid gzip');
    }
  } else if (encoding !== undefined && encoding !== '' && encoding !== 'identity') {
    throw new RequestRejected(
      415,
      'UnsupportedMediaType',
      `Content-Encoding ${encoding} is not accepted: send gzip or none`,
    );
  }
  if (bytes.length > maxBytes) throw tooLarge(maxBytes);
  if (bytes.length === 0) throw new RequestRejected(400, 'EmptyBody', 'Request body is empty');
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new RequestRejected(400, 'MalformedBody', 'Request body is not valid UTF-8');
  }
};

export const parseJsonBody = (text: string): unknown => {
  if (exceedsJsonDepth(text)) throw new RequestRejected(400, 'JsonTooDeep', jsonTooDeepMessage('Request body'));
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new RequestRejected(400, 'MalformedJson', `Request body is not valid JSON: ${(error as Error).message}`);
  }
};
