import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisStore } from '../../src/store/redis-store.js';
import { startRedis, type RedisServer } from './harness/redis.js';
import { within } from '../fakes/within.js';

// The shared route table on a real redis-server (no mock): two instances follow
// each other's writes, keep routing while Redis is away, and follow again after.

const log = { info: () => {}, warn: () => {}, error: () => {} };
const seed = {
  providers: [{ id: 'telnyx', gateways: [{ uri: 'sip:198.51.100.10' }] }],
  routes: [{ id: 'a', provider_id: 'telnyx' }],
};

let redis: RedisServer;
const stores: RedisStore[] = [];
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  for (const s of stores) await s.stop();
  await redis.stop();
});

function instance(): RedisStore {
  const s = new RedisStore({ url: redis.url, keyPrefix: 'test:', pollIntervalMs: 500, log, seed });
  stores.push(s);
  return s;
}

describe('RedisStore with a real redis-server', () => {
  it('a write through one instance is in the other within 1 s; Redis down keeps the table; back up, writes flow again', async () => {
    const one = instance();
    const two = instance();
    await one.start();
    await two.start();
    expect(one.snapshot().table.routes.map((r) => r.id)).toEqual(['a']);
    expect(two.snapshot().version).toBe(one.snapshot().version);

    const w = await one.mutate((raw) => {
      (raw.routes as object[]).push({ id: 'b', provider_id: 'telnyx', priority: 2 });
    });
    expect(w.ok).toBe(true);
    expect(await within(1000, () => two.snapshot().table.routes.length === 2)).toBe(true);

    // A write that would leave a route without its provider is refused whole.
    const bad = await two.mutate((raw) => {
      raw.providers = [];
    });
    expect(bad).toMatchObject({ ok: false, status: 400 });
    expect(two.snapshot().table.providers).toHaveLength(1);

    await redis.stop();
    await new Promise((r) => setTimeout(r, 700));
    expect(one.status().connected).toBe(false);
    expect(one.snapshot().table.routes.map((r) => r.id)).toEqual(['a', 'b']);
    expect(two.snapshot().table.routes.map((r) => r.id)).toEqual(['a', 'b']);

    // A fresh Redis (nothing persisted): the next write starts again at version 1 and the
    // other instance follows it, though its own version was higher.
    await redis.restart();
    expect(
      await within(5000, () => one.status().connected === true && two.status().connected === true),
    ).toBe(true);
    const again = await one.mutate(() => ({
      ...seed,
      routes: [...seed.routes, { id: 'c', provider_id: 'telnyx' }],
    }));
    expect(again.ok).toBe(true);
    expect(await within(3000, () => two.snapshot().table.routes.some((r) => r.id === 'c'))).toBe(
      true,
    );
  });
});
