import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { startRedis, type RedisServer } from './harness/redis.js';
import { freePort } from './harness/ports.js';
import { runSipp, type SippProcess } from './harness/sipp.js';
import { startTrunkroute, type TrunkrouteProcess } from './harness/trunkroute.js';

// Route tables shared through a real redis-server and edited through the file,
// with real trunkroute processes and SIPp calls (issue 5).

const SCENARIOS = fileURLToPath(new URL('../../sipp-scenarios/', import.meta.url));
const cleanup: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

function table(
  port: number,
  routes: object[] = [{ id: 'a', name: 'A', provider_id: 'a', priority: 1 }],
): object {
  return {
    providers: [{ id: 'a', name: 'A', gateways: [{ uri: `sip:127.0.0.1:${port}` }] }],
    customers: [{ id: 'pbx', sources: ['127.0.0.0/8'] }],
    routes,
  };
}

async function provider(calls: number): Promise<{ port: number; sipp: SippProcess }> {
  const port = await freePort('both');
  const sipp = runSipp({
    scenario: join(SCENARIOS, 'provider-answer.xml'),
    localPort: port,
    calls,
    timeoutSeconds: 60,
  });
  cleanup.push(async () => sipp.kill());
  await sipp.ready;
  return { port, sipp };
}

async function tr(routes: object, config: Record<string, unknown>): Promise<TrunkrouteProcess> {
  const p = await startTrunkroute({ routes, config });
  cleanup.push(() => p.stop());
  return p;
}

async function api(p: TrunkrouteProcess, path: string, init?: RequestInit): Promise<Response> {
  return fetch(`http://127.0.0.1:${p.apiPort}${path}`, {
    ...init,
    headers: { 'content-type': 'application/json', ...(init?.headers ?? {}) },
  });
}

async function calls(p: TrunkrouteProcess, n: number, rate: number) {
  const sipp = runSipp({
    scenario: join(SCENARIOS, 'caller-call.xml'),
    remote: `127.0.0.1:${p.sipPort}`,
    localPort: await freePort('both'),
    calls: n,
    rate,
    service: '+34911234567',
    timeoutSeconds: 60,
  });
  cleanup.push(async () => sipp.kill());
  return sipp.done;
}

describe('shared and edited route tables', () => {
  it('two instances on Redis: a route created through instance 1 shows in instance 2 explain within 1 s; Redis stopped, calls still route; restarted, changes propagate again', async () => {
    const redis: RedisServer = await startRedis();
    cleanup.push(() => redis.stop());
    const a = await provider(2);
    const cfg = { routes: { source: 'redis', poll_interval_ms: 500 }, redis: { url: redis.url } };
    const one = await tr(table(a.port), cfg);
    const two = await tr(table(a.port), cfg);

    const created = await api(one, '/v1.0/routes', {
      method: 'POST',
      body: JSON.stringify({
        id: 'spain',
        name: 'Spain',
        provider_id: 'a',
        priority: 0,
        destination: { prefix: '+34' },
      }),
    });
    expect(created.status).toBe(201);
    const t0 = Date.now();
    let seen = false;
    while (Date.now() - t0 < 1000 && !seen) {
      const ex = (await (
        await api(two, '/v1.0/explain?destination=%2B34911234567&source=127.0.0.1')
      ).json()) as {
        attempts: Array<{ routeId: string }>;
      };
      seen = ex.attempts.some((x) => x.routeId === 'spain');
      if (!seen) await new Promise((r) => setTimeout(r, 50));
    }
    expect(seen).toBe(true);

    await redis.stop();
    for (const inst of [one, two]) {
      const res = await calls(inst, 1, 1);
      expect(res.successfulCalls).toBe(1);
    }

    await redis.restart();
    await new Promise((r) => setTimeout(r, 2500)); // both reconnect on their own
    const again = await api(two, '/v1.0/routes', {
      method: 'POST',
      body: JSON.stringify({
        id: 'uk',
        name: 'UK',
        provider_id: 'a',
        destination: { prefix: '+44' },
      }),
    });
    // Redis came back empty: the write rebuilds the table from instance 2's view plus the new route.
    expect(again.status).toBe(201);
    const t1 = Date.now();
    let ok = false;
    while (Date.now() - t1 < 2000 && !ok) {
      const list = (await (await api(one, '/v1.0/routes')).json()) as {
        result: Array<{ id: string }>;
      };
      ok = list.result.some((r) => r.id === 'uk');
      if (!ok) await new Promise((r) => setTimeout(r, 50));
    }
    expect(ok).toBe(true);
  });

  it('file source: 50 calls/s for 20 s while the file is rewritten 20 times: no call fails', async () => {
    const a = await provider(1000);
    const p = await tr(table(a.port), { routes: { source: 'file' } });
    const load = calls(p, 1000, 50);
    for (let i = 0; i < 20; i++) {
      await new Promise((r) => setTimeout(r, 900));
      writeFileSync(
        p.routesFile,
        JSON.stringify(
          table(a.port, [{ id: 'a', name: `A v${i}`, provider_id: 'a', priority: 1 + (i % 3) }]),
        ),
      );
    }
    const res = await load;
    expect(res.successfulCalls).toBe(1000);
    expect(res.failedCalls).toBe(0);
    expect(p.logs.filter((l) => l.msg === 'routes reloaded').length).toBeGreaterThanOrEqual(15);
  });

  it('file source: a broken edit is refused with the field named; calls keep routing with the old table', async () => {
    const a = await provider(1);
    const p = await tr(table(a.port), { routes: { source: 'file' } });
    writeFileSync(p.routesFile, JSON.stringify(table(a.port, [{ id: 'a', provider_id: 'telnx' }])));
    const refused = await p.waitForLog(
      (l) => l.msg === 'route file edit refused; the previous table stays in force',
    );
    expect(JSON.stringify(refused.errors)).toContain(
      'routes[0].provider_id: unknown provider \\"telnx\\"',
    );
    const health = (await (await api(p, '/healthz')).json()) as { status: string };
    expect(health.status).toBe('degraded');
    const res = await calls(p, 1, 1);
    expect(res.successfulCalls).toBe(1);
  });

  it('file source with a Redis URL publishes the file; an instance on Redis follows its edits', async () => {
    const redis: RedisServer = await startRedis();
    cleanup.push(() => redis.stop());
    const a = await provider(1);
    const writer = await tr(table(a.port), {
      routes: { source: 'file' },
      redis: { url: redis.url },
    });
    const follower = await tr(
      {},
      { routes: { source: 'redis', poll_interval_ms: 500 }, redis: { url: redis.url } },
    );
    const ids = async (): Promise<string[]> =>
      (
        (await (await api(follower, '/v1.0/routes')).json()) as { result: Array<{ id: string }> }
      ).result.map((r) => r.id);
    expect(await ids()).toEqual(['a']);
    writeFileSync(
      writer.routesFile,
      JSON.stringify(table(a.port, [{ id: 'edited', provider_id: 'a' }])),
    );
    const t0 = Date.now();
    while (Date.now() - t0 < 2000 && !(await ids()).includes('edited'))
      await new Promise((r) => setTimeout(r, 50));
    expect(await ids()).toEqual(['edited']);
  });
});
