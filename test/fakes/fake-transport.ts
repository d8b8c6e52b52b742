import { parseMessage } from '../../src/sip/message/parse-message.js';
import { serializeMessage } from '../../src/sip/message/serialize.js';
import type { SipMessage } from '../../src/sip/message/sip-message.js';
import type {
  Endpoint,
  Inbound,
  SipTransport,
  TransportProtocol,
} from '../../src/sip/transport/types.js';
import type { Clock } from '../../src/util/clock.js';

export interface SentMessage {
  /** What a peer would see: the message serialised and parsed again. */
  message: SipMessage;
  destination: Endpoint;
  at: number;
}

/**
 * An in-memory transport for tests: records every send (with the fake clock's
 * time), lets a test inject inbound messages, and can drop, delay or fail sends.
 */
export class FakeTransport implements SipTransport {
  readonly sent: SentMessage[] = [];
  private handler?: (inbound: Inbound) => void;
  private dropCount = 0;
  private failCount = 0;
  private delayMs = 0;

  constructor(
    private readonly clock: Clock,
    readonly local: Endpoint = { protocol: 'udp', address: '127.0.0.1', port: 5060 },
  ) {}

  /** The next `n` sends vanish (as if lost on the wire). */
  dropNext(n: number): void {
    this.dropCount = n;
  }

  /** The next `n` sends fail (the promise rejects, like ECONNREFUSED). */
  failNext(n: number): void {
    this.failCount = n;
  }

  /** Sends are recorded `ms` later (as if the wire were slow). */
  delay(ms: number): void {
    this.delayMs = ms;
  }

  send(message: SipMessage, destination: Endpoint): Promise<void> {
    if (this.failCount > 0) {
      this.failCount--;
      return Promise.reject(new Error('ECONNREFUSED (fake)'));
    }
    if (this.dropCount > 0) {
      this.dropCount--;
      return Promise.resolve();
    }
    const parsed = parseMessage(serializeMessage(message));
    if (!parsed.ok)
      return Promise.reject(new Error(`fake transport: unparseable send: ${parsed.error}`));
    const record = (): void => {
      this.sent.push({ message: parsed.message, destination, at: this.clock.now() });
    };
    if (this.delayMs > 0) this.clock.setTimer(this.delayMs, record);
    else record();
    return Promise.resolve();
  }

  /** Injects a message as if it arrived from `source`. */
  deliver(message: SipMessage | Buffer | string, source: Endpoint): void {
    const m =
      typeof message === 'string' || Buffer.isBuffer(message)
        ? parseMessage(Buffer.isBuffer(message) ? message : Buffer.from(message, 'latin1'))
        : { ok: true as const, message };
    if (!m.ok) throw new Error(`fake transport: cannot deliver: ${m.error}`);
    this.handler?.({ message: m.message, source, local: this.local });
  }

  onMessage(handler: (inbound: Inbound) => void): void {
    this.handler = handler;
  }

  localEndpoint(protocol: TransportProtocol): Endpoint | undefined {
    return { ...this.local, protocol };
  }

  isReliable(protocol: TransportProtocol): boolean {
    return protocol === 'tcp';
  }

  async close(): Promise<void> {}

  /** Sent messages that are requests of this method, or responses of this status. */
  sentOf(what: string | number): SentMessage[] {
    return this.sent.filter((s) =>
      typeof what === 'number'
        ? !s.message.isRequest && (s.message as { status?: number }).status === what
        : s.message.isRequest && (s.message as { method?: string }).method === what,
    );
  }
}
