import { contentLengthOf, DEFAULT_MAX_MESSAGE_SIZE, findHeaderEnd } from './parse-message.js';
import { headerKey } from './header-names.js';

export type FramerEvent =
  { type: 'message'; data: Buffer } | { type: 'keepalive' } | { type: 'error'; error: string };

/**
 * Cuts a TCP byte stream into SIP messages by Content-Length (RFC 3261 18.3):
 * split and pipelined messages, CRLF keep-alives between messages (RFC 5626
 * 3.5.1). A missing or bad Content-Length, or a header section longer than the
 * size limit, is an error after which the connection must be closed: the
 * framer stays errored.
 */
export class StreamFramer {
  private buf: Buffer = Buffer.alloc(0);
  private failed = false;
  private readonly maxSize: number;

  constructor(opts: { maxSize?: number } = {}) {
    this.maxSize = opts.maxSize ?? DEFAULT_MAX_MESSAGE_SIZE;
  }

  push(chunk: Buffer): FramerEvent[] {
    if (this.failed) return [{ type: 'error', error: 'stream already failed' }];
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    const out: FramerEvent[] = [];
    for (;;) {
      // Keep-alives: CRLF (pong) or CRLFCRLF (ping) between messages.
      let skip = 0;
      while (skip < this.buf.length && (this.buf[skip] === 0x0d || this.buf[skip] === 0x0a)) skip++;
      if (skip > 0) {
        out.push({ type: 'keepalive' });
        this.buf = this.buf.subarray(skip);
      }
      if (this.buf.length === 0) break;
      const he = findHeaderEnd(this.buf);
      if (!he) {
        if (this.buf.length > this.maxSize) return this.fail(out, 'Header section too large');
        break;
      }
      if (he.bodyStart > this.maxSize) return this.fail(out, 'Header section too large');
      const cl = contentLengthOf(headerFields(this.buf.toString('latin1', 0, he.end)));
      if (cl === undefined) return this.fail(out, 'Missing Content-Length on a stream');
      if (Number.isNaN(cl)) return this.fail(out, 'Bad Content-Length');
      const total = he.bodyStart + cl;
      if (total > this.maxSize) return this.fail(out, 'Message Too Large');
      if (this.buf.length < total) break;
      out.push({ type: 'message', data: Buffer.from(this.buf.subarray(0, total)) });
      this.buf = this.buf.subarray(total);
    }
    return out;
  }

  private fail(out: FramerEvent[], error: string): FramerEvent[] {
    this.failed = true;
    this.buf = Buffer.alloc(0);
    out.push({ type: 'error', error });
    return out;
  }
}

/** Just the header lines the framer needs (Content-Length), folding ignored. */
function headerFields(head: string): Array<{ name: string; key: string; value: string }> {
  const out: Array<{ name: string; key: string; value: string }> = [];
  for (const line of head.split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon <= 0 || line[0] === ' ' || line[0] === '\t') continue;
    const name = line.slice(0, colon).trim();
    const key = headerKey(name);
    if (key === 'content-length') out.push({ name, key, value: line.slice(colon + 1) });
  }
  return out;
}
