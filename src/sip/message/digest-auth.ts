import { createHash } from 'node:crypto';

/**
 * HTTP Digest as SIP uses it (RFC 3261 22.4, RFC 2617, RFC 7616): parsing the
 * challenges of a 401/407 and computing the credentials that answer one.
 * Pure apart from the hashes; the cnonce comes from the caller so tests are exact.
 */

export type DigestAlgorithm = 'MD5' | 'MD5-sess' | 'SHA-256' | 'SHA-256-sess';

export interface DigestChallenge {
  realm: string;
  nonce: string;
  opaque?: string;
  algorithm: DigestAlgorithm;
  /** 'auth' when the challenge offers it; absent = the RFC 2069 form (no qop). */
  qop?: 'auth';
  /** RFC 7616 3.4.4: the username is sent hashed. */
  userhash: boolean;
}

export interface DigestInput {
  username: string;
  password: string;
  method: string;
  /** The digest-uri: the Request-URI of the request being authorised. */
  uri: string;
  /** Any unpredictable string (RFC 7616 3.4: cnonce); only used with qop or -sess. */
  cnonce: string;
  /** The nonce count; one request per nonce here, so 1 by default. */
  nc?: number;
}

const HASH: Record<DigestAlgorithm, 'md5' | 'sha256'> = {
  MD5: 'md5',
  'MD5-sess': 'md5',
  'SHA-256': 'sha256',
  'SHA-256-sess': 'sha256',
};

/** Higher is stronger: the one to answer when several challenges come (RFC 7616 3.7). */
const STRENGTH: Record<DigestAlgorithm, number> = {
  MD5: 1,
  'MD5-sess': 1,
  'SHA-256': 2,
  'SHA-256-sess': 2,
};

/**
 * Parses one WWW-Authenticate / Proxy-Authenticate value. Undefined when it is
 * not Digest, lacks realm or nonce, or asks for something unsupported (an
 * unknown algorithm, or only qop=auth-int).
 */
export function parseChallenge(value: string): DigestChallenge | undefined {
  const m = /^\s*Digest\s+/i.exec(value);
  if (!m) return undefined;
  const params = parseAuthParams(value.slice(m[0].length));
  if (!params) return undefined;
  const realm = params.get('realm');
  const nonce = params.get('nonce');
  if (realm === undefined || nonce === undefined) return undefined;
  const algName = params.get('algorithm') ?? 'MD5';
  const algorithm = (Object.keys(HASH) as DigestAlgorithm[]).find(
    (a) => a.toLowerCase() === algName.toLowerCase(),
  );
  if (!algorithm) return undefined;
  let qop: 'auth' | undefined;
  const qopList = params.get('qop');
  if (qopList !== undefined) {
    const offered = qopList.split(',').map((q) => q.trim().toLowerCase());
    // auth-int would need the body's hash; a challenge offering only it is not answered.
    if (!offered.includes('auth')) return undefined;
    qop = 'auth';
  }
  // -sess folds the cnonce into HA1, which only reaches the server with a qop.
  if (algorithm.endsWith('-sess') && qop === undefined) return undefined;
  return {
    realm,
    nonce,
    opaque: params.get('opaque'),
    algorithm,
    qop,
    userhash: (params.get('userhash') ?? '').toLowerCase() === 'true',
  };
}

/** The strongest supported challenge among a response's header values, or undefined. */
export function chooseChallenge(values: readonly string[]): DigestChallenge | undefined {
  let best: DigestChallenge | undefined;
  for (const v of values) {
    const c = parseChallenge(v);
    if (!c) continue;
    if (
      !best ||
      STRENGTH[c.algorithm] > STRENGTH[best.algorithm] ||
      (STRENGTH[c.algorithm] === STRENGTH[best.algorithm] && c.qop && !best.qop)
    ) {
      best = c;
    }
  }
  return best;
}

/** The request-digest (RFC 7616 3.4.1, RFC 2069 when the challenge has no qop). */
export function digestResponse(challenge: DigestChallenge, input: DigestInput): string {
  const h = (s: string): string => createHash(HASH[challenge.algorithm]).update(s).digest('hex');
  let ha1 = h(`${input.username}:${challenge.realm}:${input.password}`);
  // RFC 7616 3.4.2: the -sess variants hash the nonces in as well.
  if (challenge.algorithm.endsWith('-sess')) ha1 = h(`${ha1}:${challenge.nonce}:${input.cnonce}`);
  const ha2 = h(`${input.method}:${input.uri}`);
  if (!challenge.qop) return h(`${ha1}:${challenge.nonce}:${ha2}`);
  return h(
    `${ha1}:${challenge.nonce}:${ncValue(input.nc)}:${input.cnonce}:${challenge.qop}:${ha2}`,
  );
}

/** The Authorization / Proxy-Authorization value answering `challenge` (RFC 3261 22.2, 22.3). */
export function digestAuthorization(challenge: DigestChallenge, input: DigestInput): string {
  const h = (s: string): string => createHash(HASH[challenge.algorithm]).update(s).digest('hex');
  const username = challenge.userhash ? h(`${input.username}:${challenge.realm}`) : input.username;
  const parts = [
    `username=${quote(username)}`,
    `realm=${quote(challenge.realm)}`,
    `nonce=${quote(challenge.nonce)}`,
    `uri=${quote(input.uri)}`,
    `response=${quote(digestResponse(challenge, input))}`,
    `algorithm=${challenge.algorithm}`,
  ];
  if (challenge.qop) {
    parts.push(`cnonce=${quote(input.cnonce)}`, `qop=${challenge.qop}`, `nc=${ncValue(input.nc)}`);
  }
  // RFC 2617 3.2.2: the opaque is returned unchanged.
  if (challenge.opaque !== undefined) parts.push(`opaque=${quote(challenge.opaque)}`);
  if (challenge.userhash) parts.push('userhash=true');
  return `Digest ${parts.join(', ')}`;
}

function ncValue(nc = 1): string {
  return nc.toString(16).padStart(8, '0');
}

function quote(s: string): string {
  return `"${s.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

/**
 * auth-param list (RFC 7235 2.1): name=token or name="quoted string", comma
 * separated. Names are lower-cased. Undefined when malformed.
 */
function parseAuthParams(s: string): Map<string, string> | undefined {
  const out = new Map<string, string>();
  let i = 0;
  const skip = (): void => {
    while (i < s.length && /[\s,]/.test(s[i]!)) i++;
  };
  skip();
  while (i < s.length) {
    const name = /^[A-Za-z0-9!#$%&'*+.^_`|~-]+/.exec(s.slice(i));
    if (!name) return undefined;
    i += name[0].length;
    while (s[i] === ' ' || s[i] === '\t') i++;
    if (s[i] !== '=') return undefined;
    i++;
    while (s[i] === ' ' || s[i] === '\t') i++;
    let value = '';
    if (s[i] === '"') {
      i++;
      for (;;) {
        if (i >= s.length) return undefined;
        const c = s[i]!;
        if (c === '\\') {
          value += s[i + 1] ?? '';
          i += 2;
        } else if (c === '"') {
          i++;
          break;
        } else {
          value += c;
          i++;
        }
      }
    } else {
      const tok = /^[^\s,]*/.exec(s.slice(i))![0];
      value = tok;
      i += tok.length;
    }
    out.set(name[0].toLowerCase(), value);
    while (s[i] === ' ' || s[i] === '\t') i++;
    if (i < s.length && s[i] !== ',') return undefined;
    skip();
  }
  return out;
}
