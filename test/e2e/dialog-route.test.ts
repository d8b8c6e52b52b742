import { afterEach, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { Scene, failoverTable, DIALLED, SCENARIOS } from './harness/scene.js';
import { freePort } from './harness/ports.js';
import { renderScenario, runSipp } from './harness/sipp.js';
import type { TrunkrouteProcess } from './harness/trunkroute.js';

// Issue 8, access: a Route naming trunkroute is not enough to reach a provider
// in a dialog; only our signed Record-Route is, or a customer/provider address.

const scene = new Scene();
afterEach(() => scene.stopAll());

async function forged(tr: TrunkrouteProcess, from: string, providerPort: number, expect: number) {
  const sipp = runSipp({
    scenario: renderScenario(join(SCENARIOS, 'caller-forged-dialog.xml'), { expect }),
    remote: `127.0.0.1:${tr.sipPort}`,
    localPort: await freePort('both'),
    calls: 1,
    service: DIALLED,
    keys: { provider_port: String(providerPort) },
    extraArgs: ['-i', from],
    timeoutSeconds: 20,
  });
  return sipp.done;
}

describe('in-dialog requests along a forged Route (real SIPp)', () => {
  it('from an unknown source: 403, the provider sees nothing', async () => {
    const a = await scene.provider('a', { reject: 481 }, { calls: 1000 });
    const tr = await scene.trunkroute(failoverTable([a], {}, { sources: ['127.0.0.1/32'] }));
    const r = await forged(tr, '127.0.0.2', a.port, 403);
    expect(r.successfulCalls).toBe(1);
    a.sipp!.kill();
    const ra = await a.sipp!.done;
    expect(ra.stats).toHaveProperty('TotalCallCreated');
    expect(ra.createdCalls).toBe(0);
  });

  it('from a customer source (a dialog from before a restart): carried to the provider', async () => {
    const a = await scene.provider(
      'a',
      { reject: 481, reason: 'Call Does Not Exist' },
      { calls: 1000 },
    );
    const tr = await scene.trunkroute(failoverTable([a], {}, { sources: ['127.0.0.1/32'] }));
    const r = await forged(tr, '127.0.0.1', a.port, 481);
    expect(r.successfulCalls).toBe(1);
    a.sipp!.kill();
    expect((await a.sipp!.done).createdCalls).toBe(1);
  });
});
