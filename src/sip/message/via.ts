import { formatHost, parseHostPort } from './host-port.js';
import { formatParams, parseParams } from './params.js';
import { isTokenChar } from './token-char.js';

/** One Via value (RFC 3261 20.42). */
export interface Via {
  /** "SIP/2.0" */
  protocol: string;
  /** Upper case: UDP, TCP, TLS, SCTP, or whatever token the sender used. */
  transport: string;
  /** IPv6 without brackets. */
  host: string;
  port?: number;
  /** Keys lower-case; received may hold an IPv6 address with or without brackets (RFC 5118 4.5). */
  params: Map<string, string | null>;
}

const SENT_PROTOCOL =
  /^([A-Za-z0-9.!%*_+`'~-]+)[ \t]*\/[ \t]*([A-Za-z0-9.!%*_+`'~-]+)[ \t]*\/[ \t]*([A-Za-z0-9.!%*_+`'~-]+)/;

/** The transports as most Vias spell them: the same strings, not new upper-cased copies. */
const KNOWN_TRANSPORTS = new Map(['UDP', 'TCP', 'TLS', 'SCTP', 'WS', 'WSS'].map((t) => [t, t]));

/**
 * sent-protocol (RFC 3261 20.42): protocol and transport in upper case, and
 * where it ends. Every message's top Via is parsed, and nearly all begin
 * "SIP/2.0/UDP " (or TCP, TLS): that form is read without the regular
 * expression and its match objects; anything else goes through it.
 */
function sentProtocol(v: string): { protocol: string; transport: string; end: number } | undefined {
  if (v.startsWith('SIP/2.0/')) {
    let i = 8;
    while (i < v.length && isTokenChar(v.charCodeAt(i))) i++;
    if (i > 8) {
      const t = v.slice(8, i);
      return { protocol: 'SIP/2.0', transport: KNOWN_TRANSPORTS.get(t) ?? t.toUpperCase(), end: i };
    }
  }
  const m = SENT_PROTOCOL.exec(v);
  if (!m) return undefined;
  return {
    protocol: `${m[1]}/${m[2]}`.toUpperCase(),
    transport: m[3]!.toUpperCase(),
    end: m[0].length,
  };
}

/** Parses one Via value; undefined when it is malformed. */
export function parseVia(value: string): Via | undefined {
  const v = value.trim();
  const sp = sentProtocol(v);
  if (!sp) return undefined;
  const sep = v.charCodeAt(sp.end);
  if (sep !== 0x20 && sep !== 0x09) return undefined;
  const rest = v.slice(sp.end).trimStart();
  // sent-by runs to the first ';' (or whitespace before one) outside brackets.
  let end = 0;
  if (rest.startsWith('[')) end = rest.indexOf(']') + 1;
  while (end < rest.length && rest[end] !== ';' && rest[end] !== ' ' && rest[end] !== '\t') end++;
  // Only a bracketed IPv6 reference can hold whitespace here.
  const rawSentBy = rest.slice(0, end);
  const sentBy = rest.startsWith('[') ? rawSentBy.replace(/[ \t]+/g, '') : rawSentBy;
  // Whitespace around the ':' of sent-by is legal (RFC 3261 LWS): rejoin "host : port".
  let after = rest.slice(end);
  let hp = parseHostPort(sentBy);
  if (!hp) {
    const m2 = /^[ \t]*:[ \t]*(\d+)/.exec(after);
    if (m2) {
      hp = parseHostPort(`${sentBy}:${m2[1]}`);
      after = after.slice(m2[0].length);
    }
  }
  if (!hp) return undefined;
  const params = parseParams(after);
  if (!params) return undefined;
  const branch = params.get('branch');
  if (branch === null) return undefined;
  return {
    protocol: sp.protocol,
    transport: sp.transport,
    host: hp.host,
    port: hp.port,
    params,
  };
}

export function formatVia(via: Via): string {
  const port = via.port === undefined ? '' : `:${via.port}`;
  return `${via.protocol}/${via.transport} ${formatHost(via.host)}${port}${formatParams(via.params)}`;
}

/** The branch parameter of a Via value without a full parse (hot path). */
export function viaBranch(value: string): string | undefined {
  const m = /;[ \t]*branch[ \t]*=[ \t]*([^;, \t]+)/i.exec(value);
  return m ? m[1] : undefined;
}
