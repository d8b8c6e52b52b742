import { compileTable, validateTable, type ValidationError } from '../routing/index.js';
import type { RawTable, Snapshot, StoreStatus } from './route-store.js';

/**
 * The part every store shares: the current snapshot, swapped atomically (one
 * assignment) when a valid table arrives, the change listeners and the status.
 */
export class SnapshotHolder {
  private current: Snapshot;
  private readonly listeners: Array<(s: Snapshot) => void> = [];
  private readonly refusalListeners: Array<(message: string) => void> = [];
  lastReloadAt?: string;
  lastError?: StoreStatus['lastError'];

  constructor(initial: Snapshot) {
    this.current = initial;
  }

  get snapshot(): Snapshot {
    return this.current;
  }

  onChange(cb: (s: Snapshot) => void): void {
    this.listeners.push(cb);
  }

  onRefuse(cb: (message: string) => void): void {
    this.refusalListeners.push(cb);
  }

  /** Validates and compiles; returns the errors instead when the table is not valid. */
  static build(
    raw: RawTable,
    version: number,
  ): { ok: true; snapshot: Snapshot } | { ok: false; errors: ValidationError[] } {
    const v = validateTable(raw);
    if (!v.ok) return v;
    return {
      ok: true,
      snapshot: { version, raw, table: v.table, compiled: compileTable(v.table, version) },
    };
  }

  swap(next: Snapshot): void {
    this.current = next;
    this.lastReloadAt = new Date().toISOString();
    this.lastError = undefined;
    for (const cb of this.listeners) cb(next);
  }

  refuse(message: string, errors: ValidationError[]): void {
    this.lastError = { at: new Date().toISOString(), message, errors };
    for (const cb of this.refusalListeners) cb(message);
  }
}

export const EMPTY_TABLE: RawTable = { providers: [], routes: [] };

export function emptySnapshot(): Snapshot {
  const built = SnapshotHolder.build(EMPTY_TABLE, 0);
  if (!built.ok) throw new Error('the empty table must be valid');
  return built.snapshot;
}

/** What every store does the same way: hold the snapshot, tell listeners, report status. */
export abstract class HeldStore {
  protected readonly holder = new SnapshotHolder(emptySnapshot());

  snapshot(): Snapshot {
    return this.holder.snapshot;
  }

  onChange(cb: (s: Snapshot) => void): void {
    this.holder.onChange(cb);
  }

  onRefuse(cb: (message: string) => void): void {
    this.holder.onRefuse(cb);
  }

  protected baseStatus(source: StoreStatus['source']): StoreStatus {
    return {
      source,
      version: this.holder.snapshot.version,
      lastReloadAt: this.holder.lastReloadAt,
      lastError: this.holder.lastError,
    };
  }
}
