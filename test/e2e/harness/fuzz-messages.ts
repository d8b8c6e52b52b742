import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Where the shared RFC 4475 / RFC 5118 torture messages live: `shared/` beside the
 * repository (read at test time, never copied).
 */
export const CONFORMANCE_DIR = fileURLToPath(
  new URL('../../../../shared/conformance/', import.meta.url),
);

/** A small seeded PRNG (mulberry32): the same seed gives the same messages, so a failure replays. */
export class SeededRng {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)]!;
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
}

/** Every torture message of the shared corpus, as bytes. */
export function loadConformanceCorpus(dir = CONFORMANCE_DIR): Buffer[] {
  const out: Buffer[] = [];
  for (const sub of ['rfc4475', 'rfc5118']) {
    for (const f of readdirSync(join(dir, sub)).sort()) {
      if (f.endsWith('.dat')) out.push(readFileSync(join(dir, sub, f)));
    }
  }
  return out;
}

export interface FuzzTarget {
  /** trunkroute's SIP address, written into Request-URIs. */
  host: string;
  port: number;
  /** Where responses must come back: the fuzzer's own socket (Via sent-by, with rport). */
  replyHost: string;
  replyPort: number;
  transport: 'UDP' | 'TCP';
}

const NUMBERS = ['+34911234567', '+442071234567', '0034911234567', '911', '+1', '', '*#06#'];
const METHODS = [
  'INVITE',
  'ACK',
  'BYE',
  'CANCEL',
  'OPTIONS',
  'REGISTER',
  'INFO',
  'UPDATE',
  'PRACK',
];
const NASTY = [
  '',
  ' ',
  '\0',
  '\r',
  '\n',
  '\r\n\r\n',
  ';;;',
  '<>',
  '<sip:>',
  'sip:@:0',
  '%00',
  '"unterminated',
  '\\',
  '99999999999999999999',
  '-1',
  '4294967296',
  'SIP/3.0',
  'z9hG4bK',
  '[::1',
  '\u00ff\u00fe',
  'a'.repeat(300),
  ',,,,',
];
const HEADER_NAMES = [
  'Via',
  'v',
  'From',
  'f',
  'To',
  't',
  'Call-ID',
  'i',
  'CSeq',
  'Max-Forwards',
  'Content-Length',
  'l',
  'Content-Type',
  'Route',
  'Record-Route',
  'Contact',
  'm',
  'Proxy-Require',
  'Require',
  'Expires',
  'X-Anything',
];

/**
 * A valid INVITE of the kind SIPp's callers send (the shape of caller-call.xml),
 * unique per index, with the fuzzer as Via sent-by and rport so answers come back.
 */
export function sippLikeInvite(rng: SeededRng, t: FuzzTarget, index: number): string {
  const number = rng.pick(NUMBERS);
  const sdp = [
    'v=0',
    `o=caller 53655765 2353687637 IN IP4 ${t.replyHost}`,
    's=-',
    `c=IN IP4 ${t.replyHost}`,
    't=0 0',
    `m=audio ${6000 + (index % 1000)} RTP/AVP 0`,
    'a=rtpmap:0 PCMU/8000',
    '',
  ].join('\r\n');
  const method = rng.chance(0.8) ? 'INVITE' : rng.pick(METHODS);
  return [
    `${method} sip:${number}@${t.host}:${t.port} SIP/2.0`,
    `Via: SIP/2.0/${t.transport} ${t.replyHost}:${t.replyPort};rport;branch=z9hG4bK-fz-${index}`,
    `From: "caller" <sip:caller@${t.replyHost}:${t.replyPort}>;tag=fz${index}`,
    `To: <sip:${number}@${t.host}:${t.port}>${rng.chance(0.2) ? `;tag=to${index}` : ''}`,
    `Call-ID: fz-${index}@${t.replyHost}`,
    `CSeq: ${1 + rng.int(5)} ${method}`,
    `Contact: <sip:caller@${t.replyHost}:${t.replyPort};transport=${t.transport.toLowerCase()}>`,
    'Max-Forwards: 70',
    'Content-Type: application/sdp',
    `Content-Length: ${Buffer.byteLength(sdp)}`,
    '',
    sdp,
  ].join('\r\n');
}

/**
 * A corpus message made to answer to the fuzzer: each Via sent-by becomes the
 * fuzzer's address (with rport) so that nothing trunkroute answers leaves loopback
 * or lands on someone else's port. The rest of the torture is kept as it is.
 */
export function readdress(msg: Buffer, t: FuzzTarget): Buffer {
  const text = msg.toString('latin1');
  const fixed = text.replace(
    /^((?:Via|v)[ \t]*:[ \t]*SIP[ \t]*\/[ \t]*2\.0[ \t]*\/[ \t]*)(\w+)([ \t]+)([^;,\r\n]+)/gim,
    (_m, head: string, _proto: string, sp: string) =>
      `${head}${t.transport}${sp}${t.replyHost}:${t.replyPort};rport`,
  );
  return Buffer.from(fixed, 'latin1');
}

/** One to four random edits: byte flips, cuts, insertions, repeated or swapped lines, nasty values. */
export function mutate(rng: SeededRng, input: Buffer, maxSize: number): Buffer {
  let b: Buffer = Buffer.from(input);
  const edits = 1 + rng.int(4);
  for (let e = 0; e < edits; e++) {
    const at = b.length ? rng.int(b.length) : 0;
    switch (rng.int(11)) {
      case 0: // flip bits in a few bytes
        for (let i = 0; i < 1 + rng.int(4) && b.length; i++)
          b[rng.int(b.length)]! ^= 1 << rng.int(8);
        break;
      case 1: // cut a range
        b = Buffer.concat([b.subarray(0, at), b.subarray(at + rng.int(64))]);
        break;
      case 2: // insert random bytes
        b = Buffer.concat([b.subarray(0, at), randomBytes(rng, 1 + rng.int(32)), b.subarray(at)]);
        break;
      case 3: // truncate
        b = b.subarray(0, at);
        break;
      case 4: // repeat a range
        {
          const len = rng.int(200);
          const part = b.subarray(at, at + len);
          const times = 1 + rng.int(rng.chance(0.1) ? 200 : 4);
          b = Buffer.concat([
            b.subarray(0, at),
            ...Array<Buffer>(times).fill(part),
            b.subarray(at),
          ]);
        }
        break;
      case 5: // a header value replaced by a nasty one
        b = editLines(b, (lines) => {
          const i = 1 + rng.int(Math.max(1, lines.length - 1));
          const line = lines[i] ?? '';
          const colon = line.indexOf(':');
          if (colon > 0) lines[i] = `${line.slice(0, colon + 1)} ${rng.pick(NASTY)}`;
        });
        break;
      case 6: // a header added (often a duplicate of a single-valued one)
        b = editLines(b, (lines) => {
          const end = Math.max(1, lines.indexOf(''));
          lines.splice(1 + rng.int(end), 0, `${rng.pick(HEADER_NAMES)}: ${rng.pick(NASTY)}`);
        });
        break;
      case 7: // a line removed, or two swapped
        b = editLines(b, (lines) => {
          const i = rng.int(lines.length);
          const j = rng.int(lines.length);
          if (rng.chance(0.5)) lines.splice(i, 1);
          else [lines[i], lines[j]] = [lines[j]!, lines[i]!];
        });
        break;
      case 8: // line endings changed (bare LF, bare CR, none)
        b = Buffer.from(
          b.toString('latin1').replace(/\r\n/g, () => rng.pick(['\n', '\r', '\r\n', '', '\r\n '])),
          'latin1',
        );
        break;
      case 9: // Content-Length lies
        b = Buffer.from(
          b
            .toString('latin1')
            .replace(
              /^(Content-Length|l)[ \t]*:.*$/im,
              `$1: ${rng.pick(['0', '99999', '-5', '1e3', '', String(rng.int(5000))])}`,
            ),
          'latin1',
        );
        break;
      default: // the start line broken
        b = editLines(b, (lines) => {
          lines[0] = rng.chance(0.5)
            ? `${rng.pick(METHODS)} ${rng.pick(NASTY)} ${rng.pick(['SIP/2.0', 'SIP/2.1', 'HTTP/1.1', ''])}`
            : `SIP/2.0 ${rng.pick(['200', '99', '1000', 'abc', '180', '503'])} ${rng.pick(NASTY)}`;
        });
    }
  }
  return b.length > maxSize ? b.subarray(0, maxSize) : b;
}

/** Bytes with no structure at all, or SIP-looking tokens in a random order. */
export function randomMessage(rng: SeededRng, maxSize: number): Buffer {
  if (rng.chance(0.5)) return randomBytes(rng, rng.int(Math.min(maxSize, 2048)));
  const lines: string[] = [`${rng.pick(METHODS)} sip:${rng.pick(NASTY)} SIP/2.0`];
  for (let i = 0; i < rng.int(20); i++) lines.push(`${rng.pick(HEADER_NAMES)}: ${rng.pick(NASTY)}`);
  return Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1');
}

function randomBytes(rng: SeededRng, n: number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = rng.int(256);
  return b;
}

function editLines(b: Buffer, edit: (lines: string[]) => void): Buffer {
  const lines = b.toString('latin1').split('\r\n');
  edit(lines);
  return Buffer.from(lines.join('\r\n'), 'latin1');
}

/**
 * The fuzz stream: message i of a seed is always the same. About 40% mutated
 * corpus messages, 40% mutated SIPp-like INVITEs, 10% intact INVITEs (so the
 * proxy path runs too) and 10% random bytes or token soup.
 */
export class FuzzStream {
  private readonly rng: SeededRng;
  private index = 0;
  constructor(
    seed: number,
    private readonly corpus: Buffer[],
    private readonly target: FuzzTarget,
    private readonly maxSize: number,
    /**
     * For streams: 24 messages in 25 get a true Content-Length, so the framer cuts them
     * and the parser sees them; every 25th keeps its mutated framing (it may end the connection).
     */
    private readonly framed = false,
  ) {
    this.rng = new SeededRng(seed);
  }
  next(): Buffer {
    const i = this.index;
    const m = this.make();
    return this.framed && i % 25 !== 24 ? withTrueLength(m) : m;
  }
  private make(): Buffer {
    const i = this.index++;
    const r = this.rng.next();
    if (r < 0.4)
      return mutate(this.rng, readdress(this.rng.pick(this.corpus), this.target), this.maxSize);
    const invite = Buffer.from(sippLikeInvite(this.rng, this.target, i), 'latin1');
    if (r < 0.8) return mutate(this.rng, invite, this.maxSize);
    if (r < 0.9) return invite;
    return randomMessage(this.rng, this.maxSize);
  }
}

/** The message with its Content-Length set to its real body length (header section as mutated). */
export function withTrueLength(b: Buffer): Buffer {
  const text = b.toString('latin1');
  const end = text.indexOf('\r\n\r\n');
  const head = (end >= 0 ? text.slice(0, end) : text.replace(/[\r\n]+$/, ''))
    .split('\r\n')
    .filter((l) => !/^(content-length|l)[ \t]*:/i.test(l))
    .join('\r\n');
  const body = end >= 0 ? text.slice(end + 4) : '';
  return Buffer.from(`${head}\r\nContent-Length: ${body.length}\r\n\r\n${body}`, 'latin1');
}
