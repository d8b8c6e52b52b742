import { timingSafeEqual } from 'node:crypto';

/**
 * A probe datagram starts with NUL: no SIP message does (RFC 3261 25.1: a
 * message starts with a method or "SIP/"), so one byte tells it apart before
 * any parsing.
 */
const MARK = 0x00;
const TAG = 'trunkroute-queue-probe';

/** A monotonic clock every process on the host shares (CLOCK_MONOTONIC), in ms. */
export const monotonicMs = (): number => Number(process.hrtime.bigint()) / 1e6;

/** What a probe datagram says once its key checked out. */
export interface ProbeReading {
  /** The worker that sent it (0 for a single process). */
  sender: number;
  /** When it was sent (monotonic ms). */
  sentAt: number;
  /** How long it waited between its send and its read (ms). */
  delayMs: number;
}

/**
 * How long a datagram waits in a UDP socket's receive queue before trunkroute
 * reads it. The event loop's utilization cannot tell that: a loop descheduled
 * on a shared machine reads as busy while it keeps up, and a loop that does keep
 * up at 97 % has no queue. So every sample the load shedder has each socket we
 * read send itself one small datagram, stamped with the monotonic clock; when
 * it is read, the time it spent in the queue is the wait every datagram read
 * beside it had (the queue is first in, first out). Its key (random per start,
 * shared by the workers of one server) keeps anything else on the host from
 * feeding the shedder a made-up delay.
 *
 * Datagram: NUL, `trunkroute-queue-probe <key> <sender> <sent at ms>`.
 */
export class QueueProbe {
  private readonly head: string;
  private readonly keyBytes: Buffer;

  constructor(
    key: string,
    private readonly sender = 0,
    private readonly now: () => number = monotonicMs,
  ) {
    this.head = `${TAG} ${key} `;
    this.keyBytes = Buffer.from(key, 'latin1');
  }

  /** Whether a datagram is a probe (valid or not): it is never a SIP message. */
  static isProbe(data: Buffer): boolean {
    return data.length > 0 && data[0] === MARK;
  }

  /** A probe datagram stamped `at` (monotonic ms; now by default, to the microsecond). */
  packet(at = this.stampNow()): Buffer {
    const text = `${this.head}${this.sender} ${at.toFixed(3)}`;
    const out = Buffer.allocUnsafe(1 + text.length);
    out[0] = MARK;
    out.write(text, 1, 'latin1');
    return out;
  }

  /** Now, as a probe carries it (to the microsecond, so a reading's sentAt equals it). */
  stampNow(): number {
    return Math.round(this.now() * 1000) / 1000;
  }

  /** The reading of one of our probes; undefined for anything else (a forged or foreign one). */
  read(data: Buffer): ProbeReading | undefined {
    if (!QueueProbe.isProbe(data)) return undefined;
    const keyAt = 1 + TAG.length + 1;
    const k = this.keyBytes.length;
    if (data.length < keyAt + k + 4) return undefined;
    if (data.toString('latin1', 1, keyAt) !== `${TAG} `) return undefined;
    if (!timingSafeEqual(data.subarray(keyAt, keyAt + k), this.keyBytes)) return undefined;
    if (data[keyAt + k] !== 0x20) return undefined;
    const fields = data.toString('latin1', keyAt + k + 1).split(' ');
    if (fields.length !== 2 || !fields[0] || !fields[1]) return undefined;
    const s = Number(fields[0]);
    const t = Number(fields[1]);
    if (!Number.isInteger(s) || s < 0 || !Number.isFinite(t)) return undefined;
    return { sender: s, sentAt: t, delayMs: Math.max(0, this.now() - t) };
  }
}

/** Unread probes older than this are taken as lost (a full queue drops them). */
const LOST_AFTER_MS = 2000;

/**
 * The latest queue delay each socket's probe measured, and when. A reading
 * older than the caller allows is no reading (a probe lost, or probing
 * stopped), and the shedder then goes by the loop alone. Where the prober
 * reads its own probes back, a probe still unread also counts: it has waited
 * at least that long, so a queue that keeps growing is seen as it grows, not
 * only when its oldest probe surfaces.
 */
export class QueueDelays {
  private readonly last = new Map<number, { delayMs: number; at: number }>();
  private readonly unread = new Map<number, number[]>();

  constructor(private readonly now: () => number = monotonicMs) {}

  /** A probe sent to a socket that will read it back itself. */
  sent(socket: number, at: number): void {
    const list = this.unread.get(socket) ?? [];
    list.push(at);
    while (list.length > 0 && at - (list[0] ?? at) > LOST_AFTER_MS) list.shift();
    this.unread.set(socket, list);
  }

  record(socket: number, reading: { sentAt: number; delayMs: number }): void {
    this.last.set(socket, { delayMs: reading.delayMs, at: this.now() });
    // First in, first out: every probe sent before this one has been read too.
    const list = this.unread.get(socket);
    while (list && list.length > 0 && (list[0] ?? 0) <= reading.sentAt) list.shift();
  }

  /** A probe that could not be sent: it will not come back. */
  forget(socket: number, at: number): void {
    const list = this.unread.get(socket);
    const i = list?.indexOf(at) ?? -1;
    if (list && i >= 0) list.splice(i, 1);
  }

  /**
   * The longest delay over the sockets: a reading within maxAgeMs, or the age
   * of a probe still unread, whichever is longer. Undefined when no socket has
   * either (then the shedder goes by the loop alone).
   */
  latest(maxAgeMs: number): number | undefined {
    const now = this.now();
    let worst: number | undefined;
    for (const socket of new Set([...this.last.keys(), ...this.unread.keys()])) {
      const r = this.last.get(socket);
      const fresh = r !== undefined && now - r.at <= maxAgeMs ? r.delayMs : undefined;
      const oldest = this.unread.get(socket)?.[0];
      const waited = oldest === undefined ? undefined : now - oldest;
      if (fresh === undefined && waited === undefined) continue;
      const d = Math.max(fresh ?? 0, waited ?? 0);
      worst = worst === undefined ? d : Math.max(worst, d);
    }
    return worst;
  }
}
