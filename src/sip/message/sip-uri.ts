import { formatHost, parseHostPort } from './host-port.js';
import { formatParams, parseParams } from './params.js';

/** A parsed URI (RFC 3261 19.1 for sip/sips; tel per RFC 3966; others by scheme only). */
export interface SipUri {
  /** Lower case: sip, sips, tel, or any other scheme. */
  scheme: string;
  /** sip/sips: the user part as written (escapes kept); tel: the number. */
  user?: string;
  password?: string;
  /** IPv6 without brackets; '' for tel: and unknown schemes. */
  host: string;
  port?: number;
  params: Map<string, string | null>;
  /** The `?` headers part, as written, without the '?'. */
  headers?: string;
  /** For schemes we do not interpret: everything after the ':'. */
  opaque?: string;
}

const SCHEME = /^([A-Za-z][A-Za-z0-9+.-]*):/;
const USER_CHARS = /^([A-Za-z0-9\-_.!~*'()&=+$,;?/]|%[0-9A-Fa-f]{2})+$/;
const PASSWORD_CHARS = /^([A-Za-z0-9\-_.!~*'()&=+$,]|%[0-9A-Fa-f]{2})*$/;

export function parseUri(value: string): SipUri | undefined {
  const m = SCHEME.exec(value);
  if (!m) return undefined;
  const scheme = m[1]!.toLowerCase();
  const rest = value.slice(m[0].length);
  if (/[\s<>"]/.test(rest)) return undefined;
  if (scheme === 'tel') {
    const semi = rest.indexOf(';');
    const user = semi >= 0 ? rest.slice(0, semi) : rest;
    const params = parseParams(semi >= 0 ? rest.slice(semi) : '');
    if (!user || !params) return undefined;
    return { scheme, user, host: '', params };
  }
  if (scheme !== 'sip' && scheme !== 'sips') {
    if (!rest) return undefined;
    return { scheme, host: '', params: new Map(), opaque: rest };
  }
  // '@' cannot appear unescaped in host, parameters or headers, so the last one ends
  // the userinfo, which may itself hold ';' and '?' (RFC 4475 semiuri, intmeth).
  const at = rest.lastIndexOf('@');
  let user: string | undefined;
  let password: string | undefined;
  if (at >= 0) {
    const userinfo = rest.slice(0, at);
    const colon = userinfo.indexOf(':');
    user = colon >= 0 ? userinfo.slice(0, colon) : userinfo;
    password = colon >= 0 ? userinfo.slice(colon + 1) : undefined;
    if (!user || !USER_CHARS.test(user)) return undefined;
    if (password !== undefined && !PASSWORD_CHARS.test(password)) return undefined;
  }
  const afterUser = rest.slice(at + 1);
  const q = afterUser.indexOf('?');
  const hostPart = q >= 0 ? afterUser.slice(0, q) : afterUser;
  const headers = q >= 0 ? afterUser.slice(q + 1) : undefined;
  let end = 0;
  if (hostPart.startsWith('[')) end = hostPart.indexOf(']') + 1;
  if (end < 0) return undefined;
  while (end < hostPart.length && hostPart[end] !== ';') end++;
  const hp = parseHostPort(hostPart.slice(0, end));
  if (!hp) return undefined;
  const params = parseParams(hostPart.slice(end));
  if (!params) return undefined;
  return { scheme, user, password, host: hp.host, port: hp.port, params, headers };
}

export function formatUri(u: SipUri): string {
  if (u.opaque !== undefined) return `${u.scheme}:${u.opaque}`;
  if (u.scheme === 'tel') return `tel:${u.user ?? ''}${formatParams(u.params)}`;
  const userinfo = u.user ? `${u.user}${u.password !== undefined ? `:${u.password}` : ''}@` : '';
  const port = u.port === undefined ? '' : `:${u.port}`;
  const headers = u.headers !== undefined ? `?${u.headers}` : '';
  return `${u.scheme}:${userinfo}${formatHost(u.host)}${port}${formatParams(u.params)}${headers}`;
}
