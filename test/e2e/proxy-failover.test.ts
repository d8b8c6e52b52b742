import { afterEach, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  DIALLED as NUMBER,
  Scene,
  expectNeverReached as expectNeverTried,
  routeTable,
  type ProviderTrunk as Provider,
} from './harness/scene.js';
import type { SippResult } from './harness/sipp.js';
import { tempDir } from '../temp-dir.js';

// The proxy's end-to-end suite (issue 4): real SIPp callers and providers, a real
// trunkroute process, all on loopback. Each test asserts SIPp's statistics and
// trunkroute's per-call attempt records.

const scene = new Scene();
afterEach(() => scene.stopAll());

const provider = scene.provider.bind(scene);
const trunkroute = scene.trunkroute.bind(scene);
const call = scene.call.bind(scene);
const providerResult = (p: Provider): Promise<SippResult> => p.sipp!.done;

describe('failover through provider trunks (real SIPp)', () => {
  it('1. A=503, B=404, C=200: connects through C; A and B each get one INVITE and one ACK', async () => {
    const a = await provider('a', { reject: 503 });
    const b = await provider('b', { reject: 404 });
    const c = await provider('c', { answer: true });
    const tr = await trunkroute(routeTable([a, b, c]));
    const caller = await call(tr);
    expect(caller.successfulCalls).toBe(1);
    expect(caller.failedCalls).toBe(0);
    // provider-reject completes only after INVITE then ACK; provider-answer only after ACK and BYE.
    expect((await providerResult(a)).successfulCalls).toBe(1);
    expect((await providerResult(b)).successfulCalls).toBe(1);
    expect((await providerResult(c)).successfulCalls).toBe(1);
    const [rec] = await tr.waitForRecords(1);
    expect(rec!.outcome).toBe('connected');
    expect(rec!.attempts.map((x) => [x.provider, x.status])).toEqual([
      ['a', 503],
      ['b', 404],
      ['c', 200],
    ]);
  });

  it.each([486, 401, 407])(
    '2. A=%i is relayed to the caller and B is never tried',
    async (status) => {
      const a = await provider('a', { reject: status });
      const b = await provider('b', { answer: true });
      const tr = await trunkroute(routeTable([a, b]));
      const caller = await call(tr, { expect: status });
      expect(caller.successfulCalls).toBe(1);
      const [rec] = await tr.waitForRecords(1);
      expect(rec!.status).toBe(status);
      expect(rec!.attempts.map((x) => x.provider)).toEqual(['a']);
      await expectNeverTried(b);
    },
  );

  it.each([603, 500])('3. A=%i fails over to B (default triggers)', async (status) => {
    const a = await provider('a', { reject: status });
    const b = await provider('b', { answer: true });
    const tr = await trunkroute(routeTable([a, b]));
    const caller = await call(tr);
    expect(caller.successfulCalls).toBe(1);
    const [rec] = await tr.waitForRecords(1);
    expect(rec!.attempts.map((x) => [x.provider, x.status])).toEqual([
      ['a', status],
      ['b', 200],
    ]);
  });

  it('3. a route whose triggers are [503] relays a 500 from A instead of failing over', async () => {
    const a = await provider('a', { reject: 500 });
    const b = await provider('b', { answer: true });
    const tr = await trunkroute(
      routeTable([a, b], {
        routes: [
          { id: 'ra', name: 'A', provider_id: 'a', priority: 1, failover: { on: [503] } },
          { id: 'rb', name: 'B', provider_id: 'b', priority: 2 },
        ],
      }),
    );
    const caller = await call(tr, { expect: 500 });
    expect(caller.successfulCalls).toBe(1);
    const [rec] = await tr.waitForRecords(1);
    expect(rec!.attempts.map((x) => x.provider)).toEqual(['a']);
  });

  it('4. A silent: B is tried after trying_timeout and the call connects well before Timer B', async () => {
    const a = await provider('a', { silent: true });
    const b = await provider('b', { answer: true });
    const tr = await trunkroute(
      routeTable([a, b], { settings: { default_trying_timeout_ms: 1500 } }),
    );
    const caller = await call(tr);
    expect(caller.successfulCalls).toBe(1);
    const [rec] = await tr.waitForRecords(1);
    expect(rec!.attempts[0]).toMatchObject({ provider: 'a', reason: 'trying_timeout' });
    expect(rec!.attempts[0]!.duration_ms).toBeGreaterThanOrEqual(1400);
    expect(rec!.attempts[0]!.duration_ms).toBeLessThan(3000);
    expect(rec!.attempts[1]).toMatchObject({ provider: 'b', status: 200 });
    // The whole setup took about one trying_timeout, not the 32 s of Timer B.
    expect(rec!.setup_ms).toBeLessThan(5000);
  });

  it('5. every provider fails (503, 503, 404): the caller gets 404, the best response', async () => {
    const a = await provider('a', { reject: 503 });
    const b = await provider('b', { reject: 503 });
    const c = await provider('c', { reject: 404 });
    const tr = await trunkroute(routeTable([a, b, c]));
    const caller = await call(tr, { expect: 404 });
    expect(caller.successfulCalls).toBe(1);
    const [rec] = await tr.waitForRecords(1);
    expect(rec!.outcome).toBe('failed');
    expect(rec!.status).toBe(404);
    expect(rec!.attempts).toHaveLength(3);
  });

  it('6. CANCEL while B rings: 487 to the caller, B cancelled, C never tried', async () => {
    const a = await provider('a', { reject: 503 });
    const b = await provider('b', { ring: true });
    const c = await provider('c', { answer: true });
    const tr = await trunkroute(routeTable([a, b, c]));
    const caller = await call(tr, { scenario: 'caller-cancel.xml' });
    expect(caller.successfulCalls).toBe(1);
    // provider-ring completes only when it got the CANCEL and the ACK for its 487.
    expect((await providerResult(b)).successfulCalls).toBe(1);
    const [rec] = await tr.waitForRecords(1);
    expect(rec!.outcome).toBe('cancelled');
    expect(rec!.status).toBe(487);
    expect(rec!.attempts.map((x) => x.provider)).toEqual(['a', 'b']);
    await expectNeverTried(c);
  });

  it('7. metric 1:2 between two answering providers splits 600 calls about 33/67', async () => {
    const a = await provider('a', { answer: true }, { calls: 600 });
    const b = await provider('b', { answer: true }, { calls: 600 });
    const tr = await trunkroute(
      routeTable([a, b], {
        routes: [
          { id: 'ra', name: 'A', provider_id: 'a', priority: 1, metric: 1 },
          { id: 'rb', name: 'B', provider_id: 'b', priority: 1, metric: 2 },
        ],
      }),
    );
    const caller = await call(tr, { calls: 600, rate: 150 });
    expect(caller.successfulCalls).toBe(600);
    const recs = await tr.waitForRecords(600, 30_000);
    const first = recs.map((r) => r.attempts.at(-1)!.provider);
    const shareA = first.filter((p) => p === 'a').length / 600;
    expect(shareA).toBeGreaterThan(0.33 - 0.06);
    expect(shareA).toBeLessThan(0.33 + 0.06);
  });

  it('8. redirect mode: 302 with the Contacts in plan order, q descending, no INVITE to any provider', async () => {
    const a = await provider('a', { answer: true });
    const b = await provider('b', { answer: true });
    const tr = await trunkroute(routeTable([a, b]), { proxy: { mode: 'redirect' } });
    const dir = tempDir('trunkroute-msg-');
    const trace = join(dir, 'messages.log');
    const caller = await call(tr, {
      expect: 302,
      extraArgs: ['-trace_msg', '-message_file', trace],
    });
    expect(caller.successfulCalls).toBe(1);
    const log = readFileSync(trace, 'latin1');
    const contacts = [...log.matchAll(/^Contact:\s*(.*)$/gim)]
      .map((m) => m[1]!.trim())
      .filter((v) => v.includes(`sip:${NUMBER}@`));
    expect(contacts).toEqual([
      `<sip:${NUMBER}@127.0.0.1:${a.port}>;q=1`,
      `<sip:${NUMBER}@127.0.0.1:${b.port}>;q=0.5`,
    ]);
    const [rec] = await tr.waitForRecords(1);
    expect(rec!.outcome).toBe('redirected');
    await expectNeverTried(a);
    await expectNeverTried(b);
  });

  it.each([
    ['tcp', 'udp'],
    ['udp', 'tcp'],
  ] as const)('9. caller on %s, providers on %s', async (callerT, providerT) => {
    const a = await provider('a', { reject: 503 }, { transport: providerT, calls: 5 });
    const b = await provider('b', { answer: true }, { transport: providerT, calls: 5 });
    const tr = await trunkroute(routeTable([a, b]));
    const caller = await call(tr, { transport: callerT, calls: 5, rate: 5 });
    expect(caller.successfulCalls).toBe(5);
    const recs = await tr.waitForRecords(5);
    for (const r of recs) expect(r.attempts.map((x) => x.status)).toEqual([503, 200]);
  });

  it('10. INVITE retransmissions from the caller create no second attempt', async () => {
    const a = await provider('a', { answer: true, delayMs: 2000 });
    const tr = await trunkroute(routeTable([a]));
    const caller = await call(tr, { scenario: 'caller-retransmit.xml' });
    expect(caller.successfulCalls).toBe(1);
    expect((await providerResult(a)).successfulCalls).toBe(1);
    const recs = await tr.waitForRecords(1);
    expect(recs).toHaveLength(1);
    expect(recs[0]!.attempts).toHaveLength(1);
  });

  it('11. parallel tier: the ringing branch is cancelled when the other answers after 1 s', async () => {
    const a = await provider('a', { answer: true, delayMs: 1000 });
    const b = await provider('b', { ring: true });
    const tr = await trunkroute(
      routeTable([a, b], {
        routes: [
          { id: 'ra', name: 'A', provider_id: 'a', priority: 1, fork: 'parallel' },
          { id: 'rb', name: 'B', provider_id: 'b', priority: 1, fork: 'parallel' },
        ],
      }),
    );
    const caller = await call(tr);
    expect(caller.successfulCalls).toBe(1);
    expect((await providerResult(a)).successfulCalls).toBe(1);
    // provider-ring completes only after CANCEL, 487 and its ACK.
    expect((await providerResult(b)).successfulCalls).toBe(1);
    const [rec] = await tr.waitForRecords(1);
    expect(rec!.outcome).toBe('connected');
    const byProvider = Object.fromEntries(rec!.attempts.map((x) => [x.provider, x]));
    expect(byProvider.a).toMatchObject({ status: 200 });
    expect(byProvider.b).toMatchObject({ reason: 'cancelled' });
  });
});
