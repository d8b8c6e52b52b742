import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from './harness/ports.js';
import { renderScenario, runSipp } from './harness/sipp.js';
import { startTrunkroute } from './harness/trunkroute.js';

// SIGTERM: calls in setup finish (bounded), new calls get 503, then the process exits.

const SCENARIOS = fileURLToPath(new URL('../../sipp-scenarios/', import.meta.url));
const cleanup: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

describe('SIGTERM mid-call', () => {
  it('a call that is ringing still connects; a new call gets 503; the process exits 0', async () => {
    const port = await freePort('both');
    const provider = runSipp({
      scenario: join(SCENARIOS, 'provider-answer.xml'),
      localPort: port,
      calls: 1,
      pauseMs: 2000,
      timeoutSeconds: 30,
    });
    cleanup.push(async () => provider.kill());
    await provider.ready;
    const tr = await startTrunkroute({
      routes: {
        providers: [{ id: 'a', gateways: [{ uri: `sip:127.0.0.1:${port}` }] }],
        customers: [{ id: 'pbx', sources: ['127.0.0.0/8'] }],
        routes: [{ id: 'r', provider_id: 'a' }],
      },
    });
    cleanup.push(() => tr.stop());
    const ringing = runSipp({
      scenario: join(SCENARIOS, 'caller-call.xml'),
      remote: `127.0.0.1:${tr.sipPort}`,
      localPort: await freePort('both'),
      calls: 1,
      service: '+34911234567',
      timeoutSeconds: 30,
    });
    cleanup.push(async () => ringing.kill());
    await new Promise((r) => setTimeout(r, 700)); // the provider is now ringing (answers after 2 s)
    process.kill(tr.pid, 'SIGTERM');
    await tr.waitForLog((l) => l.msg === 'draining');
    const late = await runSipp({
      scenario: renderScenario(join(SCENARIOS, 'caller-expect-final.xml'), { expect: 503 }),
      remote: `127.0.0.1:${tr.sipPort}`,
      localPort: await freePort('both'),
      calls: 1,
      service: '+34911234567',
      timeoutSeconds: 30,
    }).done;
    expect(late.successfulCalls).toBe(1);
    expect((await ringing.done).successfulCalls).toBe(1);
    expect(await tr.exited).toBe(0);
    const [rec] = tr.records();
    expect(rec!.outcome).toBe('connected');
  });
});
