import { existsSync } from 'node:fs';
import { formatError } from '../routing/index.js';
import { readRouteFile } from './read-route-file.js';
import type { MutateResult, RawTable, RouteStore, StoreLog, StoreStatus } from './route-store.js';
import { EMPTY_TABLE, HeldStore, SnapshotHolder } from './snapshot-holder.js';

/**
 * The embedded default: the table lives in this process, seeded from the route
 * file when there is one, changed through the API.
 */
export class MemoryStore extends HeldStore implements RouteStore {
  constructor(
    private readonly seedFile: string | undefined,
    private readonly log: StoreLog,
  ) {
    super();
  }

  async start(): Promise<void> {
    let raw: RawTable = EMPTY_TABLE;
    if (this.seedFile && existsSync(this.seedFile)) {
      const read = readRouteFile(this.seedFile);
      if (!read.ok) throw new Error(read.errors.map(formatError).join('\n'));
      raw = read.raw;
    }
    const built = SnapshotHolder.build(raw, 1);
    if (!built.ok) {
      throw new Error(built.errors.map((e) => `${this.seedFile}: ${formatError(e)}`).join('\n'));
    }
    this.holder.swap(built.snapshot);
    this.log.info({ version: 1, file: this.seedFile }, 'routes loaded');
  }

  async stop(): Promise<void> {}

  status(): StoreStatus {
    return {
      ...this.baseStatus('memory'),
    };
  }

  async mutate(fn: (raw: RawTable) => RawTable | void): Promise<MutateResult> {
    const current = this.holder.snapshot;
    const draft = structuredClone(current.raw);
    const next = fn(draft) ?? draft;
    const built = SnapshotHolder.build(next, current.version + 1);
    if (!built.ok) return { ok: false, status: 400, errors: built.errors };
    this.holder.swap(built.snapshot);
    return { ok: true, version: built.snapshot.version };
  }
}
