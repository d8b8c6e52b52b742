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

/** The key a header is looked up by: lower case, compact form expanded. */
export function headerKey(name: string): string {
  const lower = name.toLowerCase();
  return COMPACT[lower] ?? lower;
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
