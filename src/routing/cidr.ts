import { isIP } from 'node:net';

/** An address range: family, network bits as a bigint, prefix length. */
export interface Cidr {
  family: 4 | 6;
  bits: bigint;
  length: number;
}

function v4(addr: string): bigint {
  return addr.split('.').reduce((acc, o) => (acc << 8n) | BigInt(Number(o)), 0n);
}

function v6(addr: string): bigint | undefined {
  let a = addr;
  // An embedded IPv4 tail (::ffff:192.0.2.1) becomes two groups.
  const m = /^(.*:)(\d+\.\d+\.\d+\.\d+)$/.exec(a);
  if (m) {
    const n = v4(m[2]!);
    a = `${m[1]}${(n >> 16n).toString(16)}:${(n & 0xffffn).toString(16)}`;
  }
  const halves = a.split('::');
  if (halves.length > 2) return undefined;
  const head = halves[0] ? halves[0].split(':') : [];
  const tail = halves.length === 2 && halves[1] ? halves[1].split(':') : [];
  const fill = 8 - head.length - tail.length;
  if (halves.length === 1 ? fill !== 0 : fill < 0) return undefined;
  const groups = [...head, ...Array<string>(Math.max(fill, 0)).fill('0'), ...tail];
  let out = 0n;
  for (const g of groups) out = (out << 16n) | BigInt(parseInt(g, 16));
  return out;
}

/** Parses `192.0.2.0/24`, `2001:db8::/32` or a bare address (a /32 or /128). */
export function parseCidr(text: string): Cidr | undefined {
  const [addr, len, extra] = text.trim().split('/');
  if (extra !== undefined || !addr) return undefined;
  const family = isIP(addr);
  if (family === 0) return undefined;
  const max = family === 4 ? 32 : 128;
  const length = len === undefined ? max : /^\d{1,3}$/.test(len) ? Number(len) : NaN;
  if (!(length >= 0 && length <= max)) return undefined;
  const bits = family === 4 ? v4(addr) : v6(addr);
  if (bits === undefined) return undefined;
  return { family: family as 4 | 6, bits: mask(bits, length, max), length };
}

function mask(bits: bigint, length: number, max: number): bigint {
  const shift = BigInt(max - length);
  return (bits >> shift) << shift;
}

/** An address parsed once, to be tested against many ranges. */
export interface ParsedAddress {
  family: 4 | 6;
  bits: bigint;
}

/** Parses an address; IPv4-mapped IPv6 addresses count as IPv4. */
export function parseAddress(address: string): ParsedAddress | undefined {
  let addr = address;
  if (addr.startsWith('::ffff:') && isIP(addr.slice(7)) === 4) addr = addr.slice(7);
  const family = isIP(addr);
  if (family === 0) return undefined;
  const bits = family === 4 ? v4(addr) : v6(addr);
  return bits === undefined ? undefined : { family: family as 4 | 6, bits };
}

/** True when the (parsed) address lies in the range. */
export function cidrContains(cidr: Cidr, address: string | ParsedAddress | undefined): boolean {
  const a = typeof address === 'string' ? parseAddress(address) : address;
  if (!a || a.family !== cidr.family) return false;
  return mask(a.bits, cidr.length, a.family === 4 ? 32 : 128) === cidr.bits;
}

/**
 * An IPv4 address (IPv4-mapped IPv6 included, as in parseAddress) as an unsigned
 * 32-bit number, or -1 for anything else: the per-call customer scan compares
 * numbers instead of building bigints.
 */
export function parseV4(address: string): number {
  let addr = address;
  if (addr.startsWith('::ffff:') && isIP(addr.slice(7)) === 4) addr = addr.slice(7);
  if (isIP(addr) !== 4) return -1;
  let out = 0;
  let octet = 0;
  for (let i = 0; i < addr.length; i++) {
    const c = addr.charCodeAt(i);
    if (c === 46) {
      out = out * 256 + octet;
      octet = 0;
    } else octet = octet * 10 + (c - 48);
  }
  return out * 256 + octet;
}
