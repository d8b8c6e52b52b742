import { parseCSeq } from './cseq.js';
import { parseNameAddr } from './name-addr.js';
import type { SipRequest, SipResponse } from './sip-message.js';
import { parseVia } from './via.js';

export interface RequestProblem {
  status: number;
  reason: string;
}

const KNOWN_METHODS = new Set([
  'INVITE',
  'ACK',
  'BYE',
  'CANCEL',
  'OPTIONS',
  'REGISTER',
  'PRACK',
  'SUBSCRIBE',
  'NOTIFY',
  'PUBLISH',
  'INFO',
  'REFER',
  'MESSAGE',
  'UPDATE',
]);

const MANDATORY: Array<[string, string]> = [
  ['via', 'Via'],
  ['from', 'From'],
  ['to', 'To'],
  ['call-id', 'Call-ID'],
  ['cseq', 'CSeq'],
];

const SINGLE: Array<[string, string]> = [
  ['call-id', 'Call-ID'],
  ['from', 'From'],
  ['to', 'To'],
  ['cseq', 'CSeq'],
  ['max-forwards', 'Max-Forwards'],
  ['content-length', 'Content-Length'],
];

/** The lines requestProblem counts, each with its slot in LINE_COUNTS. */
const COUNTED = new Map<string, number>();
for (const [key] of [...MANDATORY, ...SINGLE])
  if (!COUNTED.has(key)) COUNTED.set(key, COUNTED.size);
const LINE_COUNTS = new Uint32Array(COUNTED.size);
const MANDATORY_SLOTS = MANDATORY.map(([key, name]) => [COUNTED.get(key)!, name] as const);
const SINGLE_SLOTS = SINGLE.map(([key, name]) => [COUNTED.get(key)!, name] as const);

/**
 * The checks an element makes before acting on a request that parsed (RFC 3261
 * 8.2, 16.3 step 1), each answered with a reason phrase that says what is wrong.
 */
export function requestProblem(req: SipRequest): RequestProblem | undefined {
  if (req.version !== 'SIP/2.0') return { status: 505, reason: 'Version Not Supported' };
  // One pass over the lines for the presence and the count checks below (every
  // request comes through here), instead of a scan of them for each header.
  LINE_COUNTS.fill(0);
  for (const h of req.headers) {
    const slot = COUNTED.get(h.key);
    if (slot !== undefined) LINE_COUNTS[slot]!++;
  }
  for (const [slot, name] of MANDATORY_SLOTS) {
    if (LINE_COUNTS[slot] === 0) return { status: 400, reason: `Missing ${name} header` };
  }
  for (const [slot, name] of SINGLE_SLOTS) {
    if (LINE_COUNTS[slot]! > 1) return { status: 400, reason: `Multiple ${name} headers` };
  }
  const cseq = parseCSeq(req.get('cseq')!);
  if (!cseq) return { status: 400, reason: 'Bad CSeq header' };
  if (cseq.method !== req.method) {
    // RFC 4475 3.1.2.17/18: 501 is the better answer for a method we do not know.
    return KNOWN_METHODS.has(req.method)
      ? { status: 400, reason: 'CSeq method does not match the request' }
      : { status: 501, reason: 'Not Implemented' };
  }
  const mf = req.get('max-forwards');
  if (mf !== undefined && (!/^\d{1,10}$/.test(mf.trim()) || Number(mf) > 255)) {
    return { status: 400, reason: 'Bad Max-Forwards header' };
  }
  if (!parseNameAddr(req.get('from')!)) return { status: 400, reason: 'Bad From header' };
  if (!parseNameAddr(req.get('to')!)) return { status: 400, reason: 'Bad To header' };
  // The top Via's parse is the message's own, kept for the layers after this one;
  // when there is one, it is the parse of the first value here.
  const topParsed = req.topVia() !== undefined;
  const vias = req.getAll('via');
  for (let i = topParsed ? 1 : 0; i < vias.length; i++) {
    if (!parseVia(vias[i]!)) return { status: 400, reason: 'Bad Via header' };
  }
  for (const v of req.getAll('contact')) {
    if (v !== '*' && !parseNameAddr(v)) return { status: 400, reason: 'Bad Contact header' };
  }
  const uri = req.requestUri();
  if (!uri) return { status: 400, reason: 'Bad Request-URI' };
  // RFC 4475 escruri: headers in a Request-URI are not forwarded nor turned into fields.
  if (uri.headers !== undefined) return { status: 400, reason: 'Request-URI with headers' };
  const date = req.get('date');
  if (date !== undefined && !/GMT\s*$/.test(date))
    return { status: 400, reason: 'Bad Date header' };
  return undefined;
}

/** A response to drop rather than act on (RFC 3261 18.1.2; RFC 4475 scalarlg, bigcode). */
export function responseProblem(res: SipResponse): string | undefined {
  if (res.version !== 'SIP/2.0') return 'Version Not Supported';
  if (res.status < 100 || res.status > 699) return 'Bad Status-Code';
  for (const [key, name] of [
    ['via', 'Via'],
    ['cseq', 'CSeq'],
    ['call-id', 'Call-ID'],
    ['from', 'From'],
    ['to', 'To'],
  ] as const) {
    if (!res.has(key)) return `Missing ${name} header`;
  }
  if (!parseCSeq(res.get('cseq')!)) return 'Bad CSeq header';
  // A Via line of only commas is present (has) but holds no value (first is undefined).
  if (!res.topVia()) return 'Bad Via header';
  const ra = res.get('retry-after');
  if (ra !== undefined && !/^\s*\d{1,10}\b/.test(ra)) return 'Bad Retry-After header';
  if (ra !== undefined && Number(/\d+/.exec(ra)![0]) > 0xffffffff) return 'Bad Retry-After header';
  for (const w of res.getAll('warning')) {
    if (!/^\d{3}\s/.test(w)) return 'Bad Warning header';
  }
  return undefined;
}
