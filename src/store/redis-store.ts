import { Redis } from 'ioredis';
import { formatError } from '../routing/index.js';
import type { MutateResult, RawTable, RouteStore, StoreLog, StoreStatus } from './route-store.js';
import { HeldStore, SnapshotHolder } from './snapshot-holder.js';

export interface RedisStoreOptions {
  url: string;
  keyPrefix: string;
  pollIntervalMs: number;
  log: StoreLog;
  /** A table to put into Redis when it holds none yet (the route file). */
  seed?: RawTable;
}

/**
 * The shared, versioned route table (DESIGN §5). The table is one JSON value
 * and a version number; every write bumps the version atomically (WATCH/MULTI,
 * so two instances' writes never overwrite each other) and publishes it; every
 * instance follows by pub/sub, with a version poll as the backstop, and keeps
 * its last good snapshot while Redis is away.
 */
export class RedisStore extends HeldStore implements RouteStore {
  private readonly cmd: Redis;
  private readonly sub: Redis;
  private poll?: NodeJS.Timeout;
  private connected = false;
  private readonly k: { table: string; version: string; channel: string };

  constructor(private readonly opts: RedisStoreOptions) {
    super();
    const common = {
      lazyConnect: true,
      maxRetriesPerRequest: 1,
      enableOfflineQueue: false,
      // Reconnect for ever, backing off to 2 s: routing goes on meanwhile.
      retryStrategy: (times: number) => Math.min(100 * times, 2000),
    };
    this.cmd = new Redis(opts.url, common);
    this.sub = new Redis(opts.url, common);
    this.k = {
      table: `${opts.keyPrefix}table`,
      version: `${opts.keyPrefix}version`,
      channel: `${opts.keyPrefix}changes`,
    };
    // Log connection changes once per change, not once per retry.
    this.cmd.on('ready', () => {
      if (!this.connected) opts.log.info({ url: redactUrl(opts.url) }, 'redis connected');
      this.connected = true;
      void this.refresh();
    });
    this.cmd.on('end', () => this.down());
    this.cmd.on('close', () => this.down());
    this.cmd.on('error', () => {});
    this.sub.on('error', () => {});
    this.sub.on('message', () => void this.refresh());
    this.sub.on('ready', () => void this.sub.subscribe(this.k.channel).catch(() => {}));
  }

  async start(): Promise<void> {
    await this.cmd.connect();
    await this.sub.connect();
    if (this.opts.seed) {
      const built = SnapshotHolder.build(this.opts.seed, 1);
      if (!built.ok) throw new Error(built.errors.map(formatError).join('\n'));
      // Only the first instance seeds: SET NX on the table.
      const set = await this.cmd.set(this.k.table, JSON.stringify(this.opts.seed), 'NX');
      if (set === 'OK') {
        await this.cmd.incr(this.k.version);
        await this.cmd.publish(this.k.channel, 'seed');
      }
    }
    await this.refresh();
    this.poll = setInterval(() => void this.refresh(), this.opts.pollIntervalMs);
    this.poll.unref();
  }

  async stop(): Promise<void> {
    if (this.poll) clearInterval(this.poll);
    this.cmd.disconnect();
    this.sub.disconnect();
  }

  status(): StoreStatus {
    return {
      ...this.baseStatus('redis'),
      connected: this.connected,
    };
  }

  async mutate(fn: (raw: RawTable) => RawTable | void): Promise<MutateResult> {
    for (let attempt = 0; attempt < 10; attempt++) {
      await this.cmd.watch(this.k.table, this.k.version);
      const [text, v] = await Promise.all([
        this.cmd.get(this.k.table),
        this.cmd.get(this.k.version),
      ]);
      // Redis lost its table (restarted empty): rebuild from our last good one.
      const draft = text
        ? (JSON.parse(text) as RawTable)
        : structuredClone(this.holder.snapshot.raw);
      const next = fn(draft) ?? draft;
      const version = Number(v ?? 0) + 1;
      const built = SnapshotHolder.build(next, version);
      if (!built.ok) {
        await this.cmd.unwatch();
        return { ok: false, status: 400, errors: built.errors };
      }
      const res = await this.cmd
        .multi()
        .set(this.k.table, JSON.stringify(next))
        .set(this.k.version, String(version))
        .exec();
      if (res === null) continue; // another instance wrote in between: read again
      await this.cmd.publish(this.k.channel, String(version));
      this.holder.swap(built.snapshot);
      return { ok: true, version };
    }
    return {
      ok: false,
      status: 409,
      errors: [{ path: '', message: 'too many concurrent writes; try again' }],
    };
  }

  /** Fetches the table when Redis has a newer version than ours. */
  private async refresh(): Promise<void> {
    try {
      const v = Number((await this.cmd.get(this.k.version)) ?? 0);
      // Any other version counts: after Redis lost its data, versions start again from 1.
      if (v === this.holder.snapshot.version) return;
      const text = await this.cmd.get(this.k.table);
      if (!text) return;
      const built = SnapshotHolder.build(JSON.parse(text) as RawTable, v);
      if (!built.ok) {
        this.holder.refuse(`version ${v} in Redis is invalid`, built.errors);
        this.opts.log.warn(
          { version: v, errors: built.errors.map(formatError) },
          'route table in Redis refused',
        );
        return;
      }
      this.holder.swap(built.snapshot);
      this.opts.log.info({ version: v }, 'routes reloaded from redis');
    } catch {
      // Redis away: the last good table stays; the poll tries again.
    }
  }

  private down(): void {
    if (this.connected)
      this.opts.log.warn(
        { url: redactUrl(this.opts.url) },
        'redis unreachable; routing with the last table',
      );
    this.connected = false;
  }
}

/** Redis URLs may carry a password. */
function redactUrl(url: string): string {
  return url.replace(/\/\/[^@/]*@/, '//[redacted]@');
}
