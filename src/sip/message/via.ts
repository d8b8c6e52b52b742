import { formatHost, parseHostPort } from './host-port.js';
import { formatParams, parseParams } from './params.js';

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

/** Parses one Via value; undefined when it is malformed. */
export function parseVia(value: string): Via | undefined {
  const v = value.trim();
  const m = SENT_PROTOCOL.exec(v);
  if (!m) return undefined;
  let rest = v.slice(m[0].length);
  if (!/^[ \t]/.test(rest)) return undefined;
  rest = rest.trimStart();
  // sent-by runs to the first ';' (or whitespace before one) outside brackets.
  let end = 0;
  if (rest.startsWith('[')) end = rest.indexOf(']') + 1;
  while (end < rest.length && rest[end] !== ';' && rest[end] !== ' ' && rest[end] !== '\t') end++;
  const sentBy = rest.slice(0, end).replace(/[ \t]+/g, '');
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
    protocol: `${m[1]}/${m[2]}`.toUpperCase(),
    transport: m[3]!.toUpperCase(),
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
