import type { CompiledTable, RouteTable, ValidationError } from '../routing/index.js';

/** A route table as written in the file or sent to the API: plain JSON. */
export type RawTable = Record<string, unknown>;

/** One version of the table: what the hot path reads per INVITE. */
export interface Snapshot {
  version: number;
  raw: RawTable;
  table: RouteTable;
  compiled: CompiledTable;
}

export interface StoreStatus {
  source: 'memory' | 'file' | 'redis';
  version: number;
  lastReloadAt?: string;
  /** The last refused change, until a good one arrives. */
  lastError?: { at: string; message: string; errors: ValidationError[] };
  /** Redis only: whether the connection is up. */
  connected?: boolean;
}

export type MutateResult =
  { ok: true; version: number } | { ok: false; status: 400 | 404 | 409; errors: ValidationError[] };

/** Where route tables come from (DESIGN §5). */
export interface RouteStore {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** The last good snapshot: a field read. */
  snapshot(): Snapshot;
  onChange(cb: (snapshot: Snapshot) => void): void;
  /** A new table was refused (invalid): the old one stays. */
  onRefuse(cb: (message: string) => void): void;
  status(): StoreStatus;
  /**
   * Applies a change to a copy of the raw table and validates the whole table
   * before anything changes: a refused change leaves the live table as it was.
   */
  mutate(fn: (raw: RawTable) => RawTable | void): Promise<MutateResult>;
}

/** A logger with pino's call shape. */
export interface StoreLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}
