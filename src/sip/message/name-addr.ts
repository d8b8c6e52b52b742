import { formatParams, parseParams } from './params.js';

/** A From / To / Contact / Route value (RFC 3261 20.10). */
export interface NameAddr {
  displayName?: string;
  uri: string;
  /** Header parameters (after the URI). Keys lower-case. */
  params: Map<string, string | null>;
}

const TOKEN_WORDS = /^[A-Za-z0-9.!%*_+`'~-]+([ \t]+[A-Za-z0-9.!%*_+`'~-]+)*$/;

/** Parses name-addr (`"Bob" <sip:bob@host>;tag=1`) or addr-spec (`sip:bob@host;tag=1`). */
export function parseNameAddr(value: string): NameAddr | undefined {
  const v = value.trim();
  let i = 0;
  let displayName: string | undefined;
  if (v[0] === '"') {
    i = 1;
    while (i < v.length && v[i] !== '"') i += v[i] === '\\' ? 2 : 1;
    if (i >= v.length) return undefined; // unbalanced quote
    displayName = v.slice(0, i + 1);
    i++;
    while (v[i] === ' ' || v[i] === '\t') i++;
    if (v[i] !== '<') return undefined;
  }
  const lt = v.indexOf('<', i);
  if (lt >= 0) {
    if (displayName === undefined) {
      const dn = v.slice(0, lt).trim();
      if (dn && !TOKEN_WORDS.test(dn)) return undefined;
      if (dn) displayName = dn;
    }
    const gt = v.indexOf('>', lt);
    if (gt < 0) return undefined;
    // No whitespace inside the brackets (RFC 4475 badaspec).
    const uri = v.slice(lt + 1, gt);
    if (!uri || /[ \t<]/.test(uri)) return undefined;
    const params = parseParams(v.slice(gt + 1));
    if (!params) return undefined;
    return { displayName, uri, params };
  }
  if (displayName !== undefined) return undefined;
  // addr-spec: the URI may not contain ';', '?' or ',' (those force name-addr form).
  const semi = v.indexOf(';');
  const uri = (semi >= 0 ? v.slice(0, semi) : v).trim();
  if (!uri || /[ \t?,"]/.test(uri) || !uri.includes(':')) return undefined;
  const params = parseParams(semi >= 0 ? v.slice(semi) : '');
  if (!params) return undefined;
  return { uri, params };
}

export function formatNameAddr(na: NameAddr): string {
  const dn = na.displayName ? `${na.displayName} ` : '';
  return `${dn}<${na.uri}>${formatParams(na.params)}`;
}

/** The tag parameter of a From/To value (fast path, no full parse). */
export function tagOf(value: string): string | undefined {
  // The tag is a header parameter: after the closing '>' when there is one.
  const gt = value.lastIndexOf('>');
  const tail = gt >= 0 ? value.slice(gt + 1) : value;
  const m = /;[ \t]*tag[ \t]*=[ \t]*([^;, \t]+)/i.exec(tail);
  return m ? m[1] : undefined;
}
