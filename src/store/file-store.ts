import { watch, statSync, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';
import { formatError } from '../routing/index.js';
import { readRouteFile } from './read-route-file.js';
import type { MutateResult, RouteStore, StoreLog, StoreStatus } from './route-store.js';
import { HeldStore, SnapshotHolder } from './snapshot-holder.js';

/**
 * The route file, watched: a valid edit is live within a second, an invalid
 * one is refused (logged with the file, entry and field) and the old table
 * stays. Editors replace files by rename, so the directory is watched, with a
 * stat poll as a backstop.
 */
export class FileStore extends HeldStore implements RouteStore {
  private watcher?: FSWatcher;
  private poll?: NodeJS.Timeout;
  private debounce?: NodeJS.Timeout;
  private lastText = '';
  private lastStat = '';

  constructor(
    private readonly file: string,
    private readonly opts: { watch: boolean; log: StoreLog; pollMs?: number },
  ) {
    super();
  }

  async start(): Promise<void> {
    const read = readRouteFile(this.file);
    if (!read.ok) throw new Error(read.errors.map(formatError).join('\n'));
    const built = SnapshotHolder.build(read.raw, 1);
    if (!built.ok)
      throw new Error(built.errors.map((e) => `${this.file}: ${formatError(e)}`).join('\n'));
    this.lastText = read.text;
    this.lastStat = this.statKey();
    this.holder.swap(built.snapshot);
    this.opts.log.info({ version: 1, file: this.file }, 'routes loaded');
    if (!this.opts.watch) return;
    try {
      this.watcher = watch(dirname(this.file), (_event, name) => {
        if (!name || name.toString() === basename(this.file)) this.schedule();
      });
      this.watcher.on('error', () => {});
    } catch (err) {
      this.opts.log.warn({ error: String(err) }, 'cannot watch the route file; polling only');
    }
    this.poll = setInterval(() => {
      if (this.statKey() !== this.lastStat) this.schedule();
    }, this.opts.pollMs ?? 500);
    this.poll.unref();
  }

  async stop(): Promise<void> {
    this.watcher?.close();
    if (this.poll) clearInterval(this.poll);
    if (this.debounce) clearTimeout(this.debounce);
  }

  status(): StoreStatus {
    return {
      ...this.baseStatus('file'),
    };
  }

  async mutate(): Promise<MutateResult> {
    return {
      ok: false,
      status: 409,
      errors: [
        { path: '', message: `routes are managed in the file ${this.file}; edit it instead` },
      ],
    };
  }

  /** Re-reads the file now (the watcher calls this, debounced). */
  reload(): void {
    this.lastStat = this.statKey();
    const read = readRouteFile(this.file);
    if (read.ok && read.text === this.lastText) return;
    if (!read.ok) {
      this.refuse(read.errors);
      return;
    }
    const version = this.holder.snapshot.version + 1;
    const built = SnapshotHolder.build(read.raw, version);
    if (!built.ok) {
      this.refuse(
        built.errors.map((e) => ({ path: `${this.file}: ${e.path}`, message: e.message })),
      );
      return;
    }
    this.lastText = read.text;
    this.holder.swap(built.snapshot);
    this.opts.log.info({ version, file: this.file }, 'routes reloaded');
  }

  private refuse(errors: Array<{ path: string; message: string }>): void {
    const message = errors.map(formatError).join('; ');
    this.holder.refuse(message, errors);
    this.opts.log.warn(
      { file: this.file, errors: errors.map(formatError), version: this.holder.snapshot.version },
      'route file edit refused; the previous table stays in force',
    );
  }

  private schedule(): void {
    if (this.debounce) clearTimeout(this.debounce);
    this.debounce = setTimeout(() => this.reload(), 100);
    this.debounce.unref();
  }

  private statKey(): string {
    try {
      const s = statSync(this.file);
      return `${s.mtimeMs}:${s.size}:${s.ino}`;
    } catch {
      return 'missing';
    }
  }
}
