import type { ServerConfig } from '../config/schema.js';
import { FileStore } from './file-store.js';
import { MemoryStore } from './memory-store.js';
import type { RouteStore, StoreLog } from './route-store.js';

/** The store the configuration asks for. */
export function createRouteStore(config: ServerConfig, log: StoreLog): RouteStore {
  switch (config.routes.source) {
    case 'file':
      return new FileStore(config.routes.file, { watch: config.routes.watch, log });
    case 'memory':
      return new MemoryStore(config.routes.file, log);
    case 'redis':
      throw new Error(
        'routes.source "redis" is not available in this build yet; use file or memory',
      );
  }
}
