import { afterEach, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { Scene, failoverTable, DIALLED, SCENARIOS } from './harness/scene.js';
import { freePort } from './harness/ports.js';
import { runSipp } from './harness/sipp.js';
import type { TrunkrouteProcess } from './harness/trunkroute.js';

// Issue 8, overload: a flood from one source must not cost the other customers
// their calls, and memory stays bounded.

const scene = new Scene();
afterEach(() => scene.stopAll());

/** The heap bound this test states (and docs/hardening.md repeats). */
const HEAP_BOUND_MB = 150;

async function health(tr: TrunkrouteProcess): Promise<{
  memory: { heapUsed: number; rss: number };
  transactions: { clients: number; servers: number };
}> {
  const res = await fetch(`http://127.0.0.1:${tr.apiPort}/healthz`);
  return (await res.json()) as never;
}

describe('overload (real SIPp)', () => {
  it('5,000 INVITEs/s from one source for 10 s: another customer keeps ≥ 99 % of its calls; the heap stays bounded', async () => {
    const a = await scene.provider('a', { answer: true }, { calls: 5000 });
    // Only 127.0.0.1 is a customer; the flood comes from 127.0.0.2.
    const table = failoverTable([a], {}, { sources: ['127.0.0.1/32'] });
    const tr = await scene.trunkroute(table, { proxy: { source_invite_rate: 1000 } });

    const flood = runSipp({
      scenario: join(SCENARIOS, 'caller-flood.xml'),
      remote: `127.0.0.1:${tr.sipPort}`,
      localPort: await freePort('both'),
      calls: 50_000,
      rate: 5000,
      limit: 20_000,
      service: DIALLED,
      extraArgs: ['-i', '127.0.0.2'],
      timeoutSeconds: 40,
    });
    await flood.ready;
    await new Promise((r) => setTimeout(r, 500));
    const legit = await scene.call(tr, { calls: 200, rate: 20, limit: 100 });
    const flooded = await flood.done;
    const peak = await health(tr);

    const legitRecords = tr.records().filter((r) => r.customer === 'pbx');
    console.log(
      `flood: ${flooded.createdCalls} INVITEs sent, ${flooded.successfulCalls} answered; legit ${legit.successfulCalls}/200 (${legitRecords.length} records, outcomes ${JSON.stringify(countBy(legitRecords.map((r) => `${r.outcome} ${r.status}`)))}); heap ${Math.round(peak.memory.heapUsed / 2 ** 20)} MB, rss ${Math.round(peak.memory.rss / 2 ** 20)} MB, transactions ${JSON.stringify(peak.transactions)}`,
    );
    if (legit.successfulCalls < 198) console.log(`legit caller errors:\n${legit.errors}`);
    // Connected as trunkroute saw it (the 200 went to the caller) and as the caller saw it.
    expect(legitRecords.filter((r) => r.outcome === 'connected').length).toBeGreaterThanOrEqual(
      198,
    );
    expect(legit.successfulCalls).toBeGreaterThanOrEqual(198);
    // The flood really ran: most of its INVITEs were sent and answered (403 or 503).
    expect(flooded.createdCalls).toBeGreaterThan(30_000);
    expect(flooded.successfulCalls).toBeGreaterThan(0.95 * flooded.createdCalls);
    expect(peak.memory.heapUsed / 2 ** 20).toBeLessThan(HEAP_BOUND_MB);

    const metrics = await (await fetch(`http://127.0.0.1:${tr.apiPort}/metrics`)).text();
    const rejected = Number(
      /trunkroute_overload_rejections_total\{reason="source_rate"\} (\d+)/.exec(metrics)?.[1] ?? 0,
    );
    expect(rejected).toBeGreaterThan(10_000);
  });
});

function countBy(xs: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const x of xs) out[x] = (out[x] ?? 0) + 1;
  return out;
}
