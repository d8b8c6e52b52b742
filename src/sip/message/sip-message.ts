import { headerKey, UNSPLITTABLE } from './header-names.js';
import { firstListValue, splitList } from './split-list.js';
import { parseUri, type SipUri } from './sip-uri.js';
import { parseVia, type Via } from './via.js';

/**
 * One header line as it will be written: `name` as received (or as set), `value`
 * with folding undone. Values are kept as latin1 strings so that every byte of an
 * unknown header survives a round trip unchanged.
 */
export interface HeaderField {
  name: string;
  /** headerKey(name): lower-case long form, for lookups. */
  key: string;
  value: string;
}

class Field implements HeaderField {
  constructor(
    public name: string,
    public key: string,
    public value: string,
  ) {}
}

/**
 * Every header line the stack makes goes through here: one constructor, one
 * hidden class, so the loops over headers (get, first, the parser, the
 * serialiser) stay monomorphic. Object literals and spread copies made at
 * different places had different hidden classes, and those loads went through
 * V8's generic inline-cache handler (about 7 % of the call path's CPU).
 */
export function headerField(name: string, key: string, value: string): HeaderField {
  return new Field(name, key, value);
}

/** A parse kept by the message and handed to every caller: read it, do not change it. */
export type SharedVia = Readonly<Omit<Via, 'params'>> & {
  readonly params: ReadonlyMap<string, string | null>;
};

/** The same for the Request-URI (SipRequest.requestUri()). */
export type SharedUri = Readonly<Omit<SipUri, 'params'>> & {
  readonly params: ReadonlyMap<string, string | null>;
};

/** Shared by every message without a body: a Buffer per message was one allocation more per datagram. */
export const NO_BODY = Buffer.alloc(0);

/**
 * The message model shared by the whole stack. Header values are stored raw and
 * parsed only when somebody asks (lazy parsing: a proxy reads Via, Route,
 * Max-Forwards, CSeq and little else).
 */
export abstract class SipMessage {
  headers: HeaderField[] = [];
  body: Buffer = NO_BODY;
  /** The top Via's parse and the line it was read from (topVia()). */
  private viaLine: HeaderField | undefined = undefined;
  private viaText: string | undefined = undefined;
  private viaParsed: Via | undefined = undefined;

  abstract readonly isRequest: boolean;

  /** The value of the first line with this name (compact and long forms match). */
  get(name: string): string | undefined {
    const key = headerKey(name);
    for (const h of this.headers) if (h.key === key) return h.value;
    return undefined;
  }

  has(name: string): boolean {
    return this.get(name) !== undefined;
  }

  /**
   * Every value of this header, across lines, split on commas outside quotes and
   * angle brackets (RFC 3261 7.3.1) unless the header is not a list.
   */
  getAll(name: string): string[] {
    const key = headerKey(name);
    const out: string[] = [];
    for (const h of this.headers) {
      if (h.key !== key) continue;
      if (UNSPLITTABLE.has(key)) out.push(h.value.trim());
      else for (const v of splitList(h.value)) out.push(v);
    }
    return out;
  }

  /** Number of lines with this name. */
  count(name: string): number {
    const key = headerKey(name);
    let n = 0;
    for (const h of this.headers) if (h.key === key) n++;
    return n;
  }

  /** Replaces every line with this name by one line (appended where the first one stood, else at the end). */
  set(name: string, value: string): void {
    const key = headerKey(name);
    const i = this.headers.findIndex((h) => h.key === key);
    const field = headerField(name, key, value);
    if (i < 0) {
      this.headers.push(field);
      return;
    }
    this.headers = this.headers.filter((h, j) => j === i || h.key !== key);
    this.headers[i] = field;
  }

  /** Adds a line after every other line. */
  append(name: string, value: string): void {
    this.headers.push(headerField(name, headerKey(name), value));
  }

  /** Adds a line before the first line with this name (or at the top), as Via and Record-Route need. */
  prepend(name: string, value: string): void {
    const key = headerKey(name);
    const i = this.headers.findIndex((h) => h.key === key);
    const field = headerField(name, key, value);
    if (i < 0) this.headers.unshift(field);
    else this.headers.splice(i, 0, field);
  }

  /** Removes every line with this name. */
  remove(name: string): void {
    const key = headerKey(name);
    this.headers = this.headers.filter((h) => h.key !== key);
  }

  /**
   * Removes the first value of a list header (the top Via, the top Route), even
   * when it shares a line with others. Returns it, or undefined if there was none.
   */
  removeFirstValue(name: string): string | undefined {
    const key = headerKey(name);
    const i = this.headers.findIndex((h) => h.key === key);
    if (i < 0) return undefined;
    const field = this.headers[i]!;
    const values = splitList(field.value);
    const first = values.shift();
    if (values.length === 0) this.headers.splice(i, 1);
    else this.headers[i] = headerField(field.name, field.key, values.join(', '));
    return first;
  }

  /** The first value of a list header (for example the top Via). */
  first(name: string): string | undefined {
    const key = headerKey(name);
    for (const h of this.headers) {
      if (h.key !== key) continue;
      // Only the first line counts: a line of only commas holds no value.
      if (UNSPLITTABLE.has(key)) return h.value.trim();
      return firstListValue(h.value);
    }
    return undefined;
  }

  /**
   * The top Via, parsed (undefined when missing or malformed). Every layer asks
   * for it (validation, transaction matching, response routing, the proxy), so
   * the parse is kept until the line it came from changes. The result is shared:
   * copy it before changing it.
   */
  topVia(): SharedVia | undefined {
    let line: HeaderField | undefined;
    for (const h of this.headers) {
      if (h.key === 'via') {
        line = h;
        break;
      }
    }
    if (line === undefined) return undefined;
    if (line === this.viaLine && line.value === this.viaText) return this.viaParsed;
    const top = firstListValue(line.value);
    this.viaParsed = top === undefined ? undefined : parseVia(top);
    this.viaLine = line;
    this.viaText = line.value;
    return this.viaParsed;
  }

  abstract clone(): SipMessage;

  protected copyInto<T extends SipMessage>(m: T): T {
    m.headers = this.headers.map((h) => headerField(h.name, h.key, h.value));
    m.body = this.body;
    return m;
  }
}

export class SipRequest extends SipMessage {
  readonly isRequest = true;
  /** The Request-URI's parse and the text it was read from (requestUri()). */
  private uriText: string | undefined = undefined;
  private uriParsed: SharedUri | undefined = undefined;

  constructor(
    public method: string,
    /** The Request-URI as written (raw text). */
    public uri: string,
    public version = 'SIP/2.0',
  ) {
    super();
  }

  /**
   * The Request-URI, parsed (undefined when malformed). Validation, the proxy's
   * checks and routing each read it; the parse is kept until uri changes, and
   * shared like topVia()'s.
   */
  requestUri(): SharedUri | undefined {
    if (this.uriText !== this.uri) {
      this.uriParsed = parseUri(this.uri);
      this.uriText = this.uri;
    }
    return this.uriParsed;
  }

  clone(): SipRequest {
    return this.copyInto(new SipRequest(this.method, this.uri, this.version));
  }
}

export class SipResponse extends SipMessage {
  readonly isRequest = false;

  constructor(
    public status: number,
    public reason: string,
    public version = 'SIP/2.0',
  ) {
    super();
  }

  clone(): SipResponse {
    return this.copyInto(new SipResponse(this.status, this.reason, this.version));
  }
}

export function isRequest(m: SipMessage): m is SipRequest {
  return m.isRequest;
}
