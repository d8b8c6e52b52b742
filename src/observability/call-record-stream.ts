import type { Redis } from 'ioredis';
import type { CallRecord } from './call-record.js';

/**
 * Call records for CDR consumers: one entry per call on a capped Redis stream
 * (XADD with an approximate MAXLEN, so trimming stays cheap). A Redis outage
 * loses stream entries, never calls: the log line stays.
 */
export class CallRecordStream {
  constructor(
    private readonly redis: Redis,
    private readonly key: string,
    private readonly maxLen: number,
  ) {}

  append(r: CallRecord): void {
    if (this.redis.status !== 'ready') return;
    this.redis
      .xadd(this.key, 'MAXLEN', '~', String(this.maxLen), '*', ...streamFields(r))
      .catch(() => {});
  }
}

/**
 * The record as flat stream fields: every field of the log line's record, no
 * more and no fewer, so the two can never drift apart. Numbers and strings as
 * their text, `attempts` as its JSON array (docs/observability.md).
 */
export function streamFields(r: CallRecord): string[] {
  const fields: string[] = [];
  for (const [k, v] of Object.entries(r) as Array<[string, unknown]>) {
    if (v === undefined) continue;
    fields.push(k, typeof v === 'object' ? JSON.stringify(v) : String(v));
  }
  return fields;
}
