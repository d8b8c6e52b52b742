import type { FileStore } from './file-store.js';
import type { RedisStore } from './redis-store.js';
import type { MutateResult, RouteStore, Snapshot, StoreLog, StoreStatus } from './route-store.js';

/**
 * Source `file` with a Redis URL: this instance routes from the file, and every
 * valid version of it is published into Redis so that instances with source
 * `redis` follow the file (DESIGN §5).
 */
export class PublishingFileStore implements RouteStore {
  constructor(
    private readonly file: FileStore,
    private readonly redis: RedisStore,
    private readonly log: StoreLog,
  ) {}

  async start(): Promise<void> {
    await this.file.start();
    await this.redis.start();
    await this.publish(this.file.snapshot());
    this.file.onChange((s) => void this.publish(s));
  }

  async stop(): Promise<void> {
    await this.file.stop();
    await this.redis.stop();
  }

  snapshot(): Snapshot {
    return this.file.snapshot();
  }

  onChange(cb: (s: Snapshot) => void): void {
    this.file.onChange(cb);
  }

  onRefuse(cb: (message: string) => void): void {
    this.file.onRefuse(cb);
  }

  status(): StoreStatus {
    return { ...this.file.status(), connected: this.redis.status().connected };
  }

  mutate(): Promise<MutateResult> {
    return this.file.mutate();
  }

  private async publish(s: Snapshot): Promise<void> {
    try {
      const r = await this.redis.mutate(() => structuredClone(s.raw));
      if (r.ok) this.log.info({ redis_version: r.version }, 'route file published to redis');
    } catch (err) {
      this.log.warn(
        { error: String(err) },
        'could not publish the route file to redis; will on the next edit',
      );
    }
  }
}
