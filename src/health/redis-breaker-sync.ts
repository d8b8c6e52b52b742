import type { Redis } from 'ioredis';

export type RemoteBreakerEvent =
  | { gateway: string; state: 'open'; ms: number; reason: string }
  | { gateway: string; state: 'closed' };

export interface RedisBreakerSyncOptions {
  cmd: Redis;
  sub: Redis;
  keyPrefix: string;
  instanceId: string;
  /** Backstop to pub/sub: how often the open breakers are read back. */
  pollMs: number;
  /** The gateways of the current table (polled). */
  gateways: () => Iterable<string>;
  onRemote: (event: RemoteBreakerEvent) => void;
}

/**
 * Shares breaker state between instances: an open breaker is a key that
 * expires when the breaker would close (so a crashed instance leaves nothing
 * behind) plus a message on a channel, so the others open theirs at once; a
 * poll of the keys catches what a lost message missed.
 */
export class RedisBreakerSync {
  private readonly channel: string;
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly o: RedisBreakerSyncOptions) {
    this.channel = `${o.keyPrefix}breakers`;
    o.sub.on('message', (ch: string, text: string) => {
      if (ch !== this.channel) return;
      try {
        const m = JSON.parse(text) as RemoteBreakerEvent & { from: string };
        if (m.from === o.instanceId) return;
        o.onRemote(m);
      } catch {
        // Not ours to understand: ignore.
      }
    });
    const subscribe = (): void => void o.sub.subscribe(this.channel).catch(() => {});
    o.sub.on('ready', subscribe);
    if (o.sub.status === 'ready') subscribe();
    this.timer = setInterval(() => void this.poll(), o.pollMs);
    this.timer.unref();
  }

  private key(gateway: string): string {
    return `${this.o.keyPrefix}breaker:${gateway}`;
  }

  opened(gateway: string, ms: number, reason: string): void {
    const msg = JSON.stringify({ gateway, state: 'open', ms, reason, from: this.o.instanceId });
    this.o.cmd
      .multi()
      .set(this.key(gateway), reason, 'PX', Math.max(1, Math.round(ms)))
      .publish(this.channel, msg)
      .exec()
      .catch(() => {});
  }

  closed(gateway: string): void {
    const msg = JSON.stringify({ gateway, state: 'closed', from: this.o.instanceId });
    this.o.cmd
      .multi()
      .del(this.key(gateway))
      .publish(this.channel, msg)
      .exec()
      .catch(() => {});
  }

  private async poll(): Promise<void> {
    const gws = [...this.o.gateways()];
    if (gws.length === 0 || this.o.cmd.status !== 'ready') return;
    const p = this.o.cmd.pipeline();
    for (const g of gws) p.pttl(this.key(g)).get(this.key(g));
    const res = await p.exec().catch(() => null);
    if (!res) return;
    gws.forEach((gateway, i) => {
      const ttl = res[2 * i]?.[1];
      const reason = res[2 * i + 1]?.[1];
      if (typeof ttl === 'number' && ttl > 0) {
        this.o.onRemote({ gateway, state: 'open', ms: ttl, reason: String(reason ?? 'shared') });
      }
    });
  }

  close(): void {
    clearInterval(this.timer);
  }
}
