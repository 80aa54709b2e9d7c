/**
 * IPv4 and IPv6 addresses for the `cidr` operator, and for plain values that are addresses
 * (event-ruler compares those as addresses, so `"10.0.0.01"` equals `"10.0.0.1"`).
 */
import { EventPatternError } from './errors';

const IPV4 = /^(\d+)\.(\d+)\.(\d+)\.(\d+)$/;
// As event-ruler screens values before parsing: hex digits and colons, at least one colon.
const IPV6 = /^[0-9a-fA-F:]*:[0-9a-fA-F:]*$/;
const HEX_GROUP = /^[0-9a-fA-F]{1,4}$/;

const parseIpv4 = (text: string): Uint8Array | undefined => {
  const parts = IPV4.exec(text);
  if (!parts) return undefined;
  const bytes = parts.slice(1).map(Number);
  return bytes.every((byte) => byte <= 255) ? Uint8Array.from(bytes) : undefined;
};

const parseGroups = (text: string): number[] | undefined => {
  if (text === '') return [];
  const groups = text.split(':');
  return groups.every((group) => HEX_GROUP.test(group)) ? groups.map((group) => Number.parseInt(group, 16)) : undefined;
};

const parseIpv6 = (text: string): Uint8Array | undefined => {
  if (!IPV6.test(text)) return undefined;
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const head = parseGroups(halves[0] ?? '');
  const tail = halves.length === 2 ? parseGroups(halves[1] ?? '') : [];
  if (!head || !tail) return undefined;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined;
  const groups = [...head, ...new Array<number>(missing).fill(0), ...tail];
  return Uint8Array.from(groups.flatMap((group) => [group >> 8, group & 0xff]));
};

/** The address's bytes (4 or 16), or undefined when the text is not an IP address literal. */
export const parseIpAddress = (text: string): Uint8Array | undefined => parseIpv4(text) ?? parseIpv6(text);

export const sameAddress = (left: Uint8Array, right: Uint8Array): boolean =>
  left.length === right.length && left.every((byte, index) => byte === right[index]);

export interface CidrBlock {
  readonly base: Uint8Array;
  readonly maskBits: number;
}

/**
 * Parses a `cidr` operand. As event-ruler does (and so PutRule): one "/", integer mask bits,
 * IPv4 masks below 32 and IPv6 masks below 128 (a single address is written as a plain value).
 */
export const parseCidr = (text: string, path: string): CidrBlock => {
  const parts = text.split('/');
  if (parts.length !== 2)
    throw new EventPatternError(path, `malformed CIDR ${JSON.stringify(text)}: exactly one "/" is required`);
  const [address = '', mask = ''] = parts;
  if (!/^[+-]?\d+$/.test(mask))
    throw new EventPatternError(path, `malformed CIDR ${JSON.stringify(text)}: the mask bits must be an integer`);
  const maskBits = Number(mask);
  if (maskBits < 0)
    throw new EventPatternError(path, `malformed CIDR ${JSON.stringify(text)}: the mask bits must not be negative`);
  const base = parseIpAddress(address);
  if (!base)
    throw new EventPatternError(
      path,
      `malformed CIDR ${JSON.stringify(text)}: ${JSON.stringify(address)} is not an IPv4 or IPv6 address`,
    );
  const limit = base.length === 4 ? 32 : 128;
  if (maskBits >= limit)
    throw new EventPatternError(path, `${base.length === 4 ? 'IPv4' : 'IPv6'} mask bits must be below ${limit}`);
  return { base, maskBits };
};

export const inCidr = (address: Uint8Array, block: CidrBlock): boolean => {
  if (address.length !== block.base.length) return false;
  for (let bit = 0; bit < block.maskBits; bit += 8) {
    const index = bit / 8;
    const mask = block.maskBits - bit >= 8 ? 0xff : (0xff << (8 - (block.maskBits - bit))) & 0xff;
    if (((address[index] ?? 0) & mask) !== ((block.base[index] ?? 0) & mask)) return false;
  }
  return true;
};
