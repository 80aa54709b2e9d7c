/**
 * Message attributes (and message system attributes): checked as SQS checks them, sized as SQS
 * counts them, selected as ReceiveMessage selects them, and digested as SQS digests them.
 * Components, data types and the digest: "Message metadata for Amazon SQS"
 * (SQS_DOCS.messageMetadata); values: MessageAttributeValue (SQS_DOCS.messageAttributeValue).
 */
import { createHash } from 'node:crypto';
import {
  SQS_MAX_ATTRIBUTE_NAME_LENGTH,
  SQS_MAX_ATTRIBUTE_TYPE_LENGTH,
  SQS_MAX_MESSAGE_ATTRIBUTES,
  SQS_NUMBER_MAX_DIGITS,
  SQS_NUMBER_MAX_EXPONENT,
  SQS_NUMBER_MIN_EXPONENT,
} from '../runtime/aws';
import { invalidParameterValue, type SqsError } from './errors';

/** One attribute as stored: its data type (`String`, `Number`, `Binary`, each with an optional `.label`) and its value. */
export type MessageAttribute =
  | { dataType: string; stringValue: string; binaryValue?: undefined }
  | { dataType: string; binaryValue: Buffer; stringValue?: undefined };
export type MessageAttributes = Record<string, MessageAttribute>;

/** An attribute on the wire (JSON protocol: BinaryValue is base64). */
export interface WireMessageAttribute {
  DataType: string;
  StringValue?: string;
  BinaryValue?: string;
}

/**
 * The characters a message body (and a String value, a data type) may contain:
 * #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF (SendMessage,
 * MessageBody). With the `u` flag a lone surrogate is a code point of its own, outside the set.
 */
const ALLOWED_TEXT = /^[\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]*$/u;
export const isAllowedText = (text: string): boolean => ALLOWED_TEXT.test(text);

/** A name: A–Z, a–z, 0–9, `_`, `-`, `.` (the message metadata page, "Message attribute components"). */
const NAME_CHARACTERS = /^[A-Za-z0-9_.-]+$/;
const RESERVED_PREFIX = /^(aws\.|amazon\.)/i;
const NUMBER = /^[+-]?(?:(\d+)(?:\.(\d*))?|\.(\d+))(?:[eE]([+-]?\d+))?$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
/** The message system attributes SendMessage takes: only AWSTraceHeader, of type String (SendMessage, MessageSystemAttributes). */
const SYSTEM_ATTRIBUTES_FOR_SENDS = new Set(['AWSTraceHeader']);

export type AttributeKind = 'user' | 'system';

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Why a name is not a valid message attribute name, or undefined when it is. */
export const attributeNameProblem = (name: string): string | undefined => {
  if (name.length === 0) return 'The name must not be empty.';
  if (name.length > SQS_MAX_ATTRIBUTE_NAME_LENGTH)
    return `The name can be up to ${SQS_MAX_ATTRIBUTE_NAME_LENGTH} characters long.`;
  if (!NAME_CHARACTERS.test(name))
    return 'The name can contain alphanumeric characters, underscores (_), hyphens (-) and periods (.).';
  if (RESERVED_PREFIX.test(name)) return 'The name must not start with AWS-reserved prefixes such as AWS. or Amazon..';
  if (name.startsWith('.') || name.endsWith('.')) return 'The name must not start or end with a period (.).';
  if (name.includes('..')) return 'The name must not have periods in succession (..).';
  return undefined;
};

/** `String`, `Number` or `Binary`: the logical type a data type (`Number.float`, `Binary.png`) is of, or undefined. */
export const baseDataType = (dataType: string): 'String' | 'Number' | 'Binary' | undefined => {
  const base = dataType.split('.', 1)[0];
  return base === 'String' || base === 'Number' || base === 'Binary' ? base : undefined;
};

/**
 * Why a Number attribute's value is not a number SQS takes, or undefined: a decimal (optionally
 * with an exponent) of up to 38 significant digits whose magnitude is 0 or between 10^-128 and
 * 10^+126 (the message metadata page, "Message attribute data types").
 */
export const numberProblem = (value: string): string | undefined => {
  const match = NUMBER.exec(value.trim());
  if (!match) return 'not a number';
  const integer = match[1] ?? '';
  const fraction = match[2] ?? match[3] ?? '';
  const exponent = Number(match[4] ?? '0');
  const digits = integer + fraction;
  const leading = digits.length - digits.replace(/^0+/, '').length;
  if (leading === digits.length) return undefined; // zero
  const significant = digits.slice(leading).replace(/0+$/, '');
  if (significant.length > SQS_NUMBER_MAX_DIGITS) return `more than ${SQS_NUMBER_MAX_DIGITS} digits of precision`;
  // The value is d.ddd × 10^order.
  const order = integer.length - leading - 1 + exponent;
  if (order > SQS_NUMBER_MAX_EXPONENT || (order === SQS_NUMBER_MAX_EXPONENT && significant !== '1'))
    return `greater than 10^+${SQS_NUMBER_MAX_EXPONENT} in magnitude`;
  if (order < SQS_NUMBER_MIN_EXPONENT) return `less than 10^${SQS_NUMBER_MIN_EXPONENT} in magnitude`;
  return undefined;
};

const label = (kind: AttributeKind): string =>
  kind === 'user' ? 'Message (user) attribute' : 'Message system attribute';

/**
 * Checks a request's MessageAttributes (or MessageSystemAttributes) and returns them as stored.
 * Throws the InvalidParameterValue SQS answers: more than 10 attributes, a name, a data type or a
 * value that breaks the rules of the message metadata page, a StringListValues/BinaryListValues
 * (MessageAttributeValue: "Not implemented. Reserved for future use.").
 */
export const parseMessageAttributes = (input: unknown, kind: AttributeKind = 'user'): MessageAttributes => {
  if (input === undefined || input === null) return {};
  if (!isObject(input))
    throw invalidParameterValue(
      `${kind === 'user' ? 'MessageAttributes' : 'MessageSystemAttributes'} must be a map of attribute names to values.`,
    );
  const names = Object.keys(input);
  if (kind === 'user' && names.length > SQS_MAX_MESSAGE_ATTRIBUTES) {
    throw invalidParameterValue(
      `Number of message attributes [${names.length}] exceeds the allowed maximum [${SQS_MAX_MESSAGE_ATTRIBUTES}].`,
    );
  }
  const parsed: MessageAttributes = {};
  for (const name of names) {
    const fail = (reason: string): SqsError => invalidParameterValue(`${label(kind)} '${name}' is invalid. ${reason}`);
    if (kind === 'system') {
      if (!SYSTEM_ATTRIBUTES_FOR_SENDS.has(name))
        throw invalidParameterValue(`Message system attribute name '${name}' is invalid.`);
    } else {
      const problem = attributeNameProblem(name);
      if (problem) throw invalidParameterValue(`Message (user) attribute name '${name}' is invalid. ${problem}`);
    }
    const value = input[name];
    if (!isObject(value)) throw fail('The value must be a MessageAttributeValue.');
    const dataType = value.DataType;
    if (typeof dataType !== 'string' || dataType.length === 0)
      throw invalidParameterValue(`${label(kind)} '${name}' must contain a non-empty message attribute type.`);
    if (dataType.length > SQS_MAX_ATTRIBUTE_TYPE_LENGTH || !isAllowedText(dataType))
      throw fail(
        `The data type can be up to ${SQS_MAX_ATTRIBUTE_TYPE_LENGTH} characters long, of the characters a message body may contain.`,
      );
    const base = baseDataType(dataType);
    if (!base || (kind === 'system' && base !== 'String')) {
      throw invalidParameterValue(
        `The type of ${label(kind).toLowerCase()} '${name}' is invalid. You must use only the following supported type prefixes: ${kind === 'system' ? 'String' : 'Binary, Number, String'}.`,
      );
    }
    const lists = [value.StringListValues, value.BinaryListValues].some(
      (list) => Array.isArray(list) && list.length > 0,
    );
    if (lists) throw fail('StringListValues and BinaryListValues are not implemented (reserved for future use).');
    const empty = invalidParameterValue(
      `${label(kind)} '${name}' must contain a non-empty value of message attribute type '${base}'.`,
    );
    if (base === 'Binary') {
      const binary = value.BinaryValue;
      if (value.StringValue !== undefined && value.StringValue !== null)
        throw fail(`A ${base} attribute takes a BinaryValue, not a StringValue.`);
      if (typeof binary !== 'string' || binary.length === 0) throw empty;
      if (!BASE64.test(binary)) throw fail('The BinaryValue is not base64.');
      parsed[name] = { dataType, binaryValue: Buffer.from(binary, 'base64') };
      continue;
    }
    const text = value.StringValue;
    if (value.BinaryValue !== undefined && value.BinaryValue !== null)
      throw fail(`A ${base} attribute takes a StringValue, not a BinaryValue.`);
    if (typeof text !== 'string' || text.length === 0) throw empty;
    if (!isAllowedText(text)) throw fail('The value contains characters outside the allowed set.');
    if (base === 'Number') {
      const problem = numberProblem(text);
      if (problem)
        throw invalidParameterValue(
          `Can't cast the value of ${label(kind).toLowerCase()} '${name}' to a number (${problem}).`,
        );
    }
    parsed[name] = { dataType, stringValue: text };
  }
  return parsed;
};

const valueBytes = (attribute: MessageAttribute): Buffer =>
  attribute.binaryValue ?? Buffer.from(attribute.stringValue, 'utf8');

/** What the attributes count toward the message size: every name, data type and value, in bytes (the message metadata page). */
export const messageAttributesSize = (attributes: MessageAttributes): number =>
  Object.entries(attributes).reduce(
    (sum, [name, attribute]) =>
      sum + Buffer.byteLength(name) + Buffer.byteLength(attribute.dataType) + valueBytes(attribute).length,
    0,
  );

const lengthPrefixed = (bytes: Buffer): Buffer => {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(bytes.length);
  return Buffer.concat([length, bytes]);
};

/**
 * MD5OfMessageAttributes, as the message metadata page ("Calculating the MD5 message digest for
 * message attributes") specifies: the attributes sorted by name; for each, the name, the data
 * type, a transport type byte (1 for String and Number, 2 for Binary) and the value, each of the
 * three strings preceded by its length in 4 big-endian bytes; the MD5 of it all, in hex.
 * Undefined when there are no attributes (SQS then leaves the digest out).
 */
export const md5OfMessageAttributes = (attributes: MessageAttributes): string | undefined => {
  const names = Object.keys(attributes).sort();
  if (names.length === 0) return undefined;
  const hash = createHash('md5');
  for (const name of names) {
    const attribute = attributes[name] as MessageAttribute;
    hash.update(lengthPrefixed(Buffer.from(name, 'utf8')));
    hash.update(lengthPrefixed(Buffer.from(attribute.dataType, 'utf8')));
    hash.update(Buffer.from([attribute.binaryValue === undefined ? 1 : 2]));
    hash.update(lengthPrefixed(valueBytes(attribute)));
  }
  return hash.digest('hex');
};

/** MD5OfBody / MD5OfMessageBody: the MD5 of the body's UTF-8 bytes, in hex. */
export const md5OfBody = (body: string): string => createHash('md5').update(body, 'utf8').digest('hex');

/**
 * The attributes ReceiveMessage returns for MessageAttributeNames: none when absent; every one
 * for `All` or `.*`; a name ending in `.*` selects the names with that prefix (`bar.*`: `bar.x`);
 * any other, that name (ReceiveMessage, MessageAttributeNames).
 */
export const selectMessageAttributes = (
  attributes: MessageAttributes,
  requested: readonly string[] | undefined,
): MessageAttributes => {
  if (!requested || requested.length === 0) return {};
  if (requested.includes('All') || requested.includes('.*')) return { ...attributes };
  const prefixes = requested.filter((name) => name.endsWith('.*')).map((name) => name.slice(0, -1));
  return Object.fromEntries(
    Object.entries(attributes).filter(
      ([name]) => requested.includes(name) || prefixes.some((prefix) => name.startsWith(prefix)),
    ),
  );
};

export const toWireAttributes = (attributes: MessageAttributes): Record<string, WireMessageAttribute> =>
  Object.fromEntries(
    Object.entries(attributes).map(([name, attribute]) => [
      name,
      attribute.binaryValue === undefined
        ? { DataType: attribute.dataType, StringValue: attribute.stringValue }
        : { DataType: attribute.dataType, BinaryValue: attribute.binaryValue.toString('base64') },
    ]),
  );
