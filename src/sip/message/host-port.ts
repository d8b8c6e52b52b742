import { isIP } from 'node:net';

export interface HostPort {
  /** IPv6 without brackets. */
  host: string;
  port?: number;
}

/**
 * RFC 3261 25.1 hostname: dot-separated labels of letters, digits and inner
 * hyphens, an optional final dot. Every message's Vias and URIs come through
 * here: a scan, where the equivalent regular expression
 * (^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*\.?$)
 * backtracked over each label.
 */
function isHostname(s: string): boolean {
  const n = s.length;
  if (n === 0) return false;
  let labelStart = 0;
  for (let i = 0; i <= n; i++) {
    const c = i < n ? s.charCodeAt(i) : 0x2e;
    if (c === 0x2e) {
      // A label ends: not empty (but for the one after a final dot), no hyphen at either end.
      if (i === labelStart) return i === n && i > 0;
      if (s.charCodeAt(labelStart) === 0x2d || s.charCodeAt(i - 1) === 0x2d) return false;
      labelStart = i + 1;
    } else if (!(
      (c >= 0x61 && c <= 0x7a) ||
      (c >= 0x41 && c <= 0x5a) ||
      (c >= 0x30 && c <= 0x39) ||
      c === 0x2d
    )) {
      return false;
    }
  }
  return true;
}

/**
 * Parses `host[:port]` (RFC 3261 25.1 hostport): a name, an IPv4 address, or an
 * IPv6 reference in brackets. A bare IPv6 address (no brackets) is refused
 * (RFC 5118 4.2). Inside brackets we accept what the RFC 3261 ABNF admits, even
 * the three-colon form RFC 5118 4.3 asks us to tolerate.
 */
export function parseHostPort(text: string): HostPort | undefined {
  let host: string;
  let rest: string;
  if (text.startsWith('[')) {
    const close = text.indexOf(']');
    if (close < 0) return undefined;
    host = text.slice(1, close);
    if (!/^[0-9A-Fa-f:.]+$/.test(host) || !host.includes(':')) return undefined;
    rest = text.slice(close + 1);
  } else {
    const colon = text.indexOf(':');
    if (colon >= 0 && text.indexOf(':', colon + 1) >= 0) return undefined; // bare IPv6
    host = colon >= 0 ? text.slice(0, colon) : text;
    rest = colon >= 0 ? text.slice(colon) : '';
    if (!host || (!isHostname(host) && isIP(host) !== 4)) return undefined;
  }
  if (rest === '') return { host };
  if (!/^:\d{1,5}$/.test(rest)) return undefined;
  const port = Number(rest.slice(1));
  if (port > 65535) return undefined;
  return { host, port };
}

export function formatHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}
