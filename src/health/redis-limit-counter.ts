import type { Redis } from 'ioredis';
import {
  LocalLimitCounter,
  OK,
  type AcquireResult,
  type LimitCounter,
  type LimitScope,
  type Limits,
} from './limit-counter.js';

// One call slot per member of a sorted set whose score is the slot's expiry on
// Redis's own clock: a crashed instance stops refreshing its members and they
// fall out after the lease, so no counter is ever stuck. CPS is one counter per
// Redis second. Everything happens in one script, so two instances can never
// both take the last slot.
const ACQUIRE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local maxCalls = tonumber(ARGV[2])
local maxCps = tonumber(ARGV[3])
local lease = tonumber(ARGV[4])
local n = 0
if maxCalls > 0 then
  redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
  n = redis.call('ZCARD', KEYS[1])
  if n >= maxCalls then return {0, n} end
end
if maxCps > 0 then
  local sec = KEYS[2] .. ':' .. t[1]
  local c = redis.call('INCR', sec)
  if c == 1 then redis.call('PEXPIRE', sec, 2000) end
  if c > maxCps then
    redis.call('DECR', sec)
    return {-1, n}
  end
end
if maxCalls > 0 then
  redis.call('ZADD', KEYS[1], now + lease, ARGV[1])
  redis.call('PEXPIRE', KEYS[1], lease)
  n = n + 1
end
return {1, n}
`;

const REFRESH = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local lease = tonumber(ARGV[1])
for i = 2, #ARGV do redis.call('ZADD', KEYS[1], 'XX', now + lease, ARGV[i]) end
redis.call('PEXPIRE', KEYS[1], lease)
return 1
`;

const HINT_TTL_MS = 1000;

type ScriptCall = (...args: Array<string | number>) => Promise<unknown>;

export interface RedisLimitOptions {
  redis: Redis;
  keyPrefix: string;
  /** This instance's id: members are `${instanceId}|${holder}`. */
  instanceId: string;
  /** A slot not refreshed for this long is freed (the crashed-instance bound). */
  leaseMs: number;
  now: () => number;
  log?: (event: string, detail: Record<string, unknown>) => void;
}

/**
 * max_calls and max_cps shared by every instance on one Redis. While Redis is
 * unreachable each instance falls back to counting its own calls, so a Redis
 * outage never blocks calls.
 */
export class RedisLimitCounter implements LimitCounter {
  private readonly local: LocalLimitCounter;
  /** Totals across instances as the last script run saw them, and when (the planner's hint). */
  private readonly totals = new Map<string, { n: number; at: number }>();
  /** Members this instance holds in Redis, by key: what it refreshes and removes. */
  private readonly shared = new Map<string, Set<string>>();
  private readonly refresher: NodeJS.Timeout;
  private readonly script: { acquire: ScriptCall; refresh: ScriptCall };

  constructor(private readonly o: RedisLimitOptions) {
    this.local = new LocalLimitCounter(o.now);
    o.redis.defineCommand('trAcquire', { numberOfKeys: 2, lua: ACQUIRE });
    o.redis.defineCommand('trRefresh', { numberOfKeys: 1, lua: REFRESH });
    // defineCommand adds methods ioredis's types cannot know about.
    const defined = o.redis as unknown as Record<'trAcquire' | 'trRefresh', ScriptCall>;
    this.script = {
      acquire: defined.trAcquire.bind(o.redis),
      refresh: defined.trRefresh.bind(o.redis),
    };
    // Refresh three times per lease so one lost refresh does not free live slots.
    this.refresher = setInterval(() => void this.refresh(), Math.max(100, o.leaseMs / 3));
    this.refresher.unref();
  }

  private key(scope: LimitScope, id: string): string {
    return `${this.o.keyPrefix}calls:${scope}:${id}`;
  }

  acquire(
    scope: LimitScope,
    id: string,
    holder: string,
    limits: Limits,
  ): AcquireResult | Promise<AcquireResult> {
    if (limits.maxCalls === undefined && limits.maxCps === undefined) {
      // Nothing to share: keep the local count for metrics only.
      return this.local.acquire(scope, id, holder, {});
    }
    const key = this.key(scope, id);
    return this.script
      .acquire(
        key,
        `${this.o.keyPrefix}cps:${scope}:${id}`,
        `${this.o.instanceId}|${holder}`,
        limits.maxCalls ?? 0,
        limits.maxCps ?? 0,
        this.o.leaseMs,
      )
      .then((res) => {
        const [code, total] = res as [number, number];
        this.totals.set(key, { n: total, at: this.o.now() });
        if (code === 0) return { ok: false, refusal: 'max_calls' } as const;
        if (code === -1) return { ok: false, refusal: 'max_cps' } as const;
        this.local.acquire(scope, id, holder, {});
        if (limits.maxCalls !== undefined) {
          let set = this.shared.get(key);
          if (!set) this.shared.set(key, (set = new Set()));
          set.add(`${this.o.instanceId}|${holder}`);
        }
        return OK;
      })
      .catch((err: unknown) => {
        this.o.log?.('limits: redis unavailable, counting locally', { error: String(err) });
        return this.local.acquire(scope, id, holder, limits);
      });
  }

  release(scope: LimitScope, id: string, holder: string): void {
    this.local.release(scope, id, holder);
    const key = this.key(scope, id);
    const member = `${this.o.instanceId}|${holder}`;
    const set = this.shared.get(key);
    if (!set?.delete(member)) return;
    if (set.size === 0) this.shared.delete(key);
    this.o.redis.zrem(key, member).then(
      () => {
        const t = this.totals.get(key);
        if (t) t.n = Math.max(0, t.n - 1);
      },
      () => {},
    );
  }

  active(scope: LimitScope, id: string): number {
    return this.local.active(scope, id);
  }

  lastKnownTotal(scope: LimitScope, id: string): number {
    // A total older than a second is no hint: other instances' calls end, and
    // slots of a dead instance expire, without this one hearing of it.
    const t = this.totals.get(this.key(scope, id));
    const shared = t && this.o.now() - t.at < HINT_TTL_MS ? t.n : 0;
    return Math.max(shared, this.local.active(scope, id));
  }

  private async refresh(): Promise<void> {
    for (const [key, members] of this.shared) {
      await this.script.refresh(key, this.o.leaseMs, ...members).catch(() => {});
    }
  }

  close(): Promise<void> {
    clearInterval(this.refresher);
    return Promise.resolve();
  }
}
