import { headerKey } from './header-names.js';
import { ownString } from './own-string.js';
import { headerField, SipRequest, SipResponse, type HeaderField } from './sip-message.js';

export type ParseResult =
  | { ok: true; message: SipRequest | SipResponse }
  | {
      ok: false;
      /** Reason-phrase-ready text: what is wrong. */
      error: string;
      /** Present when enough of a request was read to answer it statelessly. */
      partial?: SipRequest;
    };

export interface ParseOptions {
  /** Messages larger than this are refused (default 64 KiB). */
  maxSize?: number;
}

export const DEFAULT_MAX_MESSAGE_SIZE = 65536;

const TOKEN = /^[A-Za-z0-9.!%*_+`'~-]+$/;
const VERSION = /^SIP\/\d+\.\d+$/i;

/**
 * Header names already checked against TOKEN, with their keys: the same few dozen
 * spellings arrive in every message. Bounded, since names are the peer's choice.
 */
const TOKEN_KEYS = new Map<string, string>();
const TOKEN_KEYS_MAX = 2048;

/** A header name as spelt on the wire, checked, with its key. */
interface SeenName {
  readonly name: string;
  readonly key: string;
  readonly first: number;
}
/**
 * The same names again, by length, matched in the datagram's text where they
 * stand: a name of its own sliced out of each header line was a string to
 * allocate and hash, about ten a datagram. A few spellings a length are plenty
 * (To and Via, From and CSeq, Call-ID and Contact); others take the TOKEN_KEYS way.
 */
const SEEN_BY_LENGTH: SeenName[][] = Array.from({ length: 24 }, () => []);
const SEEN_PER_LENGTH = 8;

function seenName(text: string, at: number, length: number): SeenName | undefined {
  const list = SEEN_BY_LENGTH[length];
  if (list === undefined) return undefined;
  const first = text.charCodeAt(at);
  for (const n of list) if (n.first === first && text.startsWith(n.name, at)) return n;
  return undefined;
}

function learnName(name: string, key: string): void {
  const list = SEEN_BY_LENGTH[name.length];
  if (list && list.length < SEEN_PER_LENGTH) list.push({ name, key, first: name.charCodeAt(0) });
}

// The spellings of RFC 3261's examples come first, whatever a peer sends before them.
for (const name of [
  'Via',
  'From',
  'To',
  'Call-ID',
  'CSeq',
  'Contact',
  'Max-Forwards',
  'Content-Length',
  'Content-Type',
  'Record-Route',
  'Route',
  'v',
  'f',
  't',
  'i',
  'm',
  'l',
  'c',
])
  learnName(name, headerKey(name));

/** Where the header section ends: the index of the empty line and the body's start. */
export function findHeaderEnd(
  data: Buffer,
  from = 0,
): { end: number; bodyStart: number } | undefined {
  // The first line end followed by an empty line: "\n\r\n" (CRLF CRLF) or "\n\n"
  // (bare LF, as in RFC 5118's files). Buffer.indexOf searches natively.
  const crlf = data.indexOf(LF_CRLF, from);
  const lf = data.indexOf(LF_LF, from);
  if (crlf < 0 && lf < 0) return undefined;
  if (lf < 0 || (crlf >= 0 && crlf < lf)) return { end: crlf + 1, bodyStart: crlf + 3 };
  return { end: lf + 1, bodyStart: lf + 2 };
}

const LF_CRLF = Buffer.from('\n\r\n', 'latin1');
const LF_LF = Buffer.from('\n\n', 'latin1');

/**
 * The Content-Length values of a header section, for framing: undefined when
 * there is none, NaN when the values are malformed or conflict (RFC 4475 ncl,
 * mcl01).
 */
export function contentLengthOf(headers: readonly HeaderField[]): number | undefined {
  let value: number | undefined;
  for (const h of headers) {
    if (h.key !== 'content-length') continue;
    const t = h.value.trim();
    if (!/^\d{1,10}$/.test(t)) return NaN;
    const n = Number(t);
    if (value !== undefined && value !== n) return NaN;
    value = n;
  }
  return value;
}

/**
 * Parses one complete SIP message: a UDP datagram, or one message the stream
 * framer cut out. Never throws. Header values are parsed lazily by the model;
 * here only the start line, the header lines and Content-Length are checked.
 */
export function parseMessage(data: Buffer, opts: ParseOptions = {}): ParseResult {
  try {
    return parse(data, opts.maxSize ?? DEFAULT_MAX_MESSAGE_SIZE);
  } catch (err) {
    return {
      ok: false,
      error: `Malformed message (${err instanceof Error ? err.message : 'error'})`,
    };
  }
}

function parse(data: Buffer, maxSize: number): ParseResult {
  if (data.length > maxSize) return { ok: false, error: 'Message Too Large' };
  // RFC 3261 7.5: CRLFs before the start line are ignored.
  let start = 0;
  while (start < data.length && (data[start] === 0x0d || data[start] === 0x0a)) start++;
  if (start >= data.length) return { ok: false, error: 'Empty message' };
  // The whole datagram as text, body included (latin1: a character a byte): the
  // line loop below finds the end of the header section on its way, where two
  // native searches of the buffer for it cost more than the rest of the framing.
  const text = data.toString('latin1', start);
  // Lines end in CRLF or bare LF; each line's CR (if any) is left out.
  let firstEnd = text.indexOf('\n');
  if (firstEnd < 0) firstEnd = text.length;
  const startLine = text.slice(0, lineEnd(text, 0, firstEnd));

  let message: SipRequest | SipResponse;
  let startError: string | undefined;
  if (startLine.startsWith('SIP/')) {
    const code = sip20Status(startLine);
    const m = code < 0 ? STATUS_LINE.exec(startLine) : null;
    if (code < 0 && !m) return { ok: false, error: 'Bad Status-Line' };
    const status = m ? Number(m[2]) : code;
    if (status < 100 || status > 699) return { ok: false, error: 'Bad Status-Code' };
    message = m
      ? new SipResponse(status, m[3]!, m[1]!.toUpperCase())
      : new SipResponse(status, startLine.slice(12), 'SIP/2.0');
  } else {
    const parts = startLine.split(' ');
    if (parts.length !== 3 || !TOKEN.test(parts[0]!) || !VERSION.test(parts[2]!)) {
      startError = 'Bad Request-Line';
      const loose = startLine.trim().split(/\s+/);
      message = new SipRequest(loose[0] ?? '', loose[1] ?? '', loose[2] ?? 'SIP/2.0');
    } else if (!parts[1] || parts[1].startsWith('<')) {
      startError = 'Bad Request-URI';
      message = new SipRequest(parts[0]!, parts[1]!, parts[2]!.toUpperCase());
    } else {
      message = new SipRequest(parts[0]!, parts[1]!, parts[2]!.toUpperCase());
    }
  }

  const headers: HeaderField[] = [];
  let headerError: string | undefined;
  /** Where the body starts in text, after the empty line; -1 while none was found. */
  let bodyStart = -1;
  // One pass over the header lines, slicing names and values straight from the
  // text (no array of lines, no trimmed copies): every datagram comes through here.
  for (let pos = firstEnd + 1; pos < text.length;) {
    let nl = text.indexOf('\n', pos);
    if (nl < 0) nl = text.length;
    const ls = pos;
    const le = lineEnd(text, ls, nl);
    pos = nl + 1;
    if (le === ls) {
      // The empty line ends the header section (RFC 3261 7), with CRLF or a bare LF.
      if (nl < text.length) bodyStart = pos;
      break;
    }
    const c0 = text.charCodeAt(ls);
    if (c0 === 0x20 || c0 === 0x09) {
      // RFC 3261 7.3.1: a continuation line folds into the previous header value.
      const prev = headers[headers.length - 1];
      if (!prev) {
        headerError ??= 'Bad header folding';
        continue;
      }
      const more = trimmed(text, ls, le);
      prev.value = prev.value ? `${prev.value} ${more}` : more;
      continue;
    }
    const colon = text.indexOf(':', ls);
    let nameEnd = colon < 0 || colon >= le ? ls - 1 : colon;
    while (nameEnd > ls && (text[nameEnd - 1] === ' ' || text[nameEnd - 1] === '\t')) nameEnd--;
    const seen = nameEnd > ls ? seenName(text, ls, nameEnd - ls) : undefined;
    if (seen) {
      headers.push(headerField(seen.name, seen.key, trimmed(text, colon + 1, le)));
      continue;
    }
    const name = nameEnd > ls ? text.slice(ls, nameEnd) : '';
    let key = TOKEN_KEYS.get(name);
    if (key === undefined) {
      if (!name || !TOKEN.test(name)) {
        headerError ??= 'Bad header line';
        continue;
      }
      key = headerKey(name);
      if (TOKEN_KEYS.size < TOKEN_KEYS_MAX) TOKEN_KEYS.set(name, key);
      // A name of its own, not a slice holding this datagram's text.
      learnName(ownString(name), key);
    }
    headers.push(headerField(name, key, trimmed(text, colon + 1, le)));
  }
  message.headers = headers;

  const fail = (error: string): ParseResult => ({
    ok: false,
    error,
    partial: message instanceof SipRequest && canAnswer(message) ? message : undefined,
  });
  if (bodyStart < 0) return fail('Missing end of header section');
  if (startError) return fail(startError);
  if (headerError) return fail(headerError);

  const cl = contentLengthOf(headers);
  const available = text.length - bodyStart;
  const bodyAt = start + bodyStart;
  if (cl === undefined) {
    // RFC 3261 18.3: on a datagram without Content-Length the body is the rest of it.
    if (available > 0) message.body = data.subarray(bodyAt);
  } else if (Number.isNaN(cl)) {
    return fail('Bad Content-Length');
  } else if (cl > available) {
    return fail('Content-Length Larger Than Message');
  } else {
    // Octets after the body are discarded (RFC 3261 18.3, RFC 4475 dblreq). An empty
    // body stays the shared one: a view of length 0 would still hold the datagram.
    if (cl > 0) message.body = data.subarray(bodyAt, bodyAt + cl);
  }
  return { ok: true, message };
}

const STATUS_LINE = /^(SIP\/\d+\.\d+) (\d{3}) (.*)$/i;

/**
 * The status code of a "SIP/2.0 NNN reason" line that STATUS_LINE would read the
 * same way (no CR in the reason, which its "." refuses), or -1: every response
 * but an odd one is read without the expression's match and its three strings.
 */
function sip20Status(line: string): number {
  if (line.length < 12 || !line.startsWith('SIP/2.0 ') || line.charCodeAt(11) !== 0x20) return -1;
  let code = 0;
  for (let i = 8; i < 11; i++) {
    const d = line.charCodeAt(i) - 0x30;
    if (d < 0 || d > 9) return -1;
    code = code * 10 + d;
  }
  return line.includes('\r', 12) ? -1 : code;
}

/** Where the line from `ls` to the LF at `nl` ends, its CR left out. */
function lineEnd(text: string, ls: number, nl: number): number {
  return nl > ls && text.charCodeAt(nl - 1) === 0x0d ? nl - 1 : nl;
}

/**
 * text.slice(from, to).trim() with one slice: the characters String.trim()
 * removes that latin1 can hold (HT, LF, VT, FF, CR, SP, NBSP), so values come
 * out exactly as before.
 */
function trimmed(text: string, from: number, to: number): string {
  while (from < to && isTrimmed(text.charCodeAt(from))) from++;
  while (to > from && isTrimmed(text.charCodeAt(to - 1))) to--;
  return text.slice(from, to);
}

function isTrimmed(c: number): boolean {
  return (c >= 0x09 && c <= 0x0d) || c === 0x20 || c === 0xa0;
}

/** A stateless response needs Via, From, To, Call-ID and CSeq to be addressed. */
function canAnswer(req: SipRequest): boolean {
  return (
    req.method !== '' &&
    req.method !== 'ACK' &&
    req.has('via') &&
    req.has('from') &&
    req.has('to') &&
    req.has('call-id') &&
    req.has('cseq')
  );
}
