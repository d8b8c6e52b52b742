import type { Redis } from 'ioredis';
import type { CallRecord } from './call-record.js';

/**
 * Call records for CDR consumers: one entry per call on a capped Redis stream
 * (XADD with an approximate MAXLEN, so trimming stays cheap). Fields are flat
 * strings; `attempts` is the JSON array of the record (docs/call-records.md).
 * A Redis outage loses stream entries, never calls: the log line stays.
 */
export class CallRecordStream {
  constructor(
    private readonly redis: Redis,
    private readonly key: string,
    private readonly maxLen: number,
  ) {}

  append(r: CallRecord): void {
    if (this.redis.status !== 'ready') return;
    const fields: string[] = [
      'call_id',
      r.call_id,
      'outcome',
      r.outcome,
      'status',
      String(r.status),
      'source',
      r.source,
      'destination',
      r.destination,
      'started_at',
      r.started_at,
      'duration_ms',
      String(r.duration_ms),
      'attempts',
      JSON.stringify(r.attempts),
    ];
    if (r.customer !== undefined) fields.push('customer', r.customer);
    if (r.pdd_ms !== undefined) fields.push('pdd_ms', String(r.pdd_ms));
    if (r.instance !== undefined) fields.push('instance', r.instance);
    this.redis.xadd(this.key, 'MAXLEN', '~', String(this.maxLen), '*', ...fields).catch(() => {});
  }
}
