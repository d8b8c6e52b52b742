import { existsSync } from 'node:fs';
import type { ServerConfig } from '../config/schema.js';
import { formatError } from '../routing/index.js';
import { FileStore } from './file-store.js';
import { MemoryStore } from './memory-store.js';
import { PublishingFileStore } from './publishing-file-store.js';
import { readRouteFile } from './read-route-file.js';
import { RedisStore } from './redis-store.js';
import type { RouteStore, StoreLog } from './route-store.js';

/** The store the configuration asks for. */
export function createRouteStore(config: ServerConfig, log: StoreLog): RouteStore {
  switch (config.routes.source) {
    case 'file': {
      const file = new FileStore(config.routes.file, { watch: config.routes.watch, log });
      if (!config.redis.url) return file;
      const redis = new RedisStore({
        url: config.redis.url,
        keyPrefix: config.redis.key_prefix,
        pollIntervalMs: config.routes.poll_interval_ms,
        log,
      });
      return new PublishingFileStore(file, redis, log);
    }
    case 'memory':
      return new MemoryStore(config.routes.file, log);
    case 'redis': {
      if (!config.redis.url) throw new Error('routes.source is redis but redis.url is empty');
      let seed;
      if (config.routes.file && existsSync(config.routes.file)) {
        const read = readRouteFile(config.routes.file);
        if (!read.ok) throw new Error(read.errors.map(formatError).join('\n'));
        seed = read.raw;
      }
      return new RedisStore({
        url: config.redis.url,
        keyPrefix: config.redis.key_prefix,
        pollIntervalMs: config.routes.poll_interval_ms,
        log,
        seed,
      });
    }
  }
}
