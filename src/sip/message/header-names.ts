/** RFC 3261 7.3.3 compact forms (and RFC 3515, 3841, 4028 ones), mapped to the canonical lower-case long name. */
const COMPACT: Record<string, string> = {
  i: 'call-id',
  m: 'contact',
  e: 'content-encoding',
  l: 'content-length',
  c: 'content-type',
  f: 'from',
  s: 'subject',
  k: 'supported',
  t: 'to',
  v: 'via',
  r: 'refer-to',
  b: 'referred-by',
  o: 'event',
  u: 'allow-events',
  a: 'accept-contact',
  j: 'reject-contact',
  d: 'request-disposition',
  x: 'session-expires',
  y: 'identity',
  n: 'identity-info',
};

/**
 * Keys of names already seen, as written ("Via", "via", "CSeq", "v"...): every
 * header of every message and every get() asks, and the same few dozen spellings
 * come back all the time. Bounded, since names on the wire are the peer's choice.
 */
const KEY_CACHE = new Map<string, string>();
const KEY_CACHE_MAX = 2048;

/** The key a header is looked up by: lower case, compact form expanded. */
export function headerKey(name: string): string {
  const cached = KEY_CACHE.get(name);
  if (cached !== undefined) return cached;
  const lower = name.toLowerCase();
  // hasOwn: a header named "constructor" must not find Object.prototype's.
  const key = Object.hasOwn(COMPACT, lower) ? COMPACT[lower]! : lower;
  if (KEY_CACHE.size < KEY_CACHE_MAX) KEY_CACHE.set(name, key);
  return key;
}

/**
 * Headers whose values may contain commas that do not separate list elements
 * (RFC 3261 7.3.1: these are not comma-separated lists), so getAll() never splits them.
 */
export const UNSPLITTABLE = new Set([
  'www-authenticate',
  'authorization',
  'proxy-authenticate',
  'proxy-authorization',
  'date',
  'retry-after',
  'subject',
  'organization',
  'server',
  'user-agent',
  'call-id',
  'cseq',
  'from',
  'to',
  'content-length',
  'content-type',
  'max-forwards',
  'expires',
  'min-expires',
  'timestamp',
  'reply-to',
  'priority',
  'mime-version',
]);
