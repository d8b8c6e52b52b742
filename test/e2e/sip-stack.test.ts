import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { startResponder } from './fixtures/sip-responder.js';
import { freePort } from './harness/ports.js';
import { renderScenario, runSipp } from './harness/sipp.js';

// The SIP stack on its own against real SIPp: a responder made of the transport
// and transaction layers only, over UDP and TCP.

const SCENARIOS = fileURLToPath(new URL('../../sipp-scenarios/', import.meta.url));
const stops: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const s of stops.splice(0)) await s();
});

describe.each(['udp', 'tcp'] as const)('stack responder over %s (real SIPp)', (transport) => {
  it('answers 50 OPTIONS with 200', async () => {
    const port = await freePort('both');
    const r = await startResponder(port, 200);
    stops.push(r.stop);
    const res = await runSipp({
      scenario: join(SCENARIOS, 'uac-options.xml'),
      remote: `127.0.0.1:${port}`,
      localPort: await freePort('both'),
      transport,
      calls: 50,
      rate: 50,
      service: 'ping',
      timeoutSeconds: 30,
    }).done;
    expect(res.successfulCalls).toBe(50);
    expect(res.failedCalls).toBe(0);
    expect(r.seen.OPTIONS).toBe(50);
  });

  it('completes 50 calls (INVITE, 200, ACK, BYE) with one transaction per INVITE', async () => {
    const port = await freePort('both');
    const r = await startResponder(port, 200);
    stops.push(r.stop);
    const res = await runSipp({
      scenario: join(SCENARIOS, 'caller-call.xml'),
      remote: `127.0.0.1:${port}`,
      localPort: await freePort('both'),
      transport,
      calls: 50,
      rate: 25,
      service: '+15551234567',
      timeoutSeconds: 30,
    }).done;
    expect(res.successfulCalls).toBe(50);
    expect(r.seen.INVITE).toBe(50);
    expect(r.seen.ACK).toBe(50);
    expect(r.seen.BYE).toBe(50);
  });

  it('a 486 is ACKed hop by hop: the caller sees 486 and the ACK is absorbed by the transaction', async () => {
    const port = await freePort('both');
    const r = await startResponder(port, 486);
    stops.push(r.stop);
    const res = await runSipp({
      scenario: renderScenario(join(SCENARIOS, 'caller-expect-final.xml'), { expect: 486 }),
      remote: `127.0.0.1:${port}`,
      localPort: await freePort('both'),
      transport,
      calls: 20,
      rate: 20,
      service: '+15551234567',
      timeoutSeconds: 30,
    }).done;
    expect(res.successfulCalls).toBe(20);
    expect(r.seen.INVITE).toBe(20);
    // The ACKs for the 486s matched their INVITE transactions: none reached the user.
    expect(r.seen.ACK).toBeUndefined();
  });
});
