import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DIALLED, SCENARIOS, Scene, expectNeverReached, routeTable } from './harness/scene.js';

// Issue 8, access: trunkroute must never be an open relay. Real SIPp callers and
// providers, a real trunkroute process; "reached no provider" is read from the
// provider SIPp's own statistics (TotalCallCreated = 0).

const scene = new Scene();
afterEach(() => scene.stopAll());

describe('access control (real SIPp)', () => {
  it('an INVITE from a source that belongs to no customer gets 403 and reaches no provider', async () => {
    const a = await scene.provider('a', { answer: true });
    const b = await scene.provider('b', { answer: true });
    // The only customer is on TEST-NET-1; the SIPp caller sends from 127.0.0.1.
    const tr = await scene.trunkroute(
      routeTable([a, b], {
        customers: [{ id: 'pbx', name: 'Remote PBX', sources: ['192.0.2.0/24'] }],
      }),
    );
    const caller = await scene.call(tr, { expect: 403, calls: 5, rate: 5 });
    expect(caller.successfulCalls).toBe(5);
    const recs = await tr.waitForRecords(5);
    for (const r of recs) {
      expect(r.outcome).toBe('forbidden');
      expect(r.status).toBe(403);
      expect(r.attempts).toEqual([]);
    }
    await expectNeverReached(a);
    await expectNeverReached(b);
  });

  it.each([
    ['the provider alone', (evil: number) => `<sip:127.0.0.1:${evil};lr>`],
    [
      'trunkroute first, then the provider',
      (evil: number, us: number) => `<sip:127.0.0.1:${us};lr>, <sip:127.0.0.1:${evil};lr>`,
    ],
  ])(
    'a new INVITE with a forged Route (%s) is routed by the table; the forged target sees nothing',
    async (_label, forged) => {
      const evil = await scene.provider('evil', { answer: true });
      const good = await scene.provider('good', { answer: true });
      // Only "good" has a route; "evil" is a provider trunkroute knows but must not be steered to.
      const tr = await scene.trunkroute(
        routeTable([good, evil], {
          routes: [{ id: 'r-good', name: 'Good', provider_id: 'good', priority: 1 }],
        }),
      );
      const caller = await scene.call(tr, {
        scenario: 'caller-forged-route.xml',
        keys: { forged_route: forged(evil.port, tr.sipPort) },
      });
      expect(caller.successfulCalls).toBe(1);
      expect((await good.sipp!.done).successfulCalls).toBe(1);
      const [rec] = await tr.waitForRecords(1);
      expect(rec!.outcome).toBe('connected');
      expect(rec!.attempts.map((x) => x.provider)).toEqual(['good']);
      await expectNeverReached(evil);
    },
  );

  it('in-dialog requests for a dialog trunkroute never record-routed get 403, with or without a Route', async () => {
    const evil = await scene.provider('evil', { scenario: join(SCENARIOS, 'provider-bye.xml') });
    const tr = await scene.trunkroute(routeTable([evil]));
    const caller = await scene.call(tr, {
      scenario: 'caller-forged-in-dialog.xml',
      keys: { forged_target: `127.0.0.1:${evil.port}` },
    });
    // The scenario passes only when both BYEs got 403.
    expect(caller.successfulCalls).toBe(1);
    expect(caller.failedCalls).toBe(0);
    await expectNeverReached(evil);
  });

  it("a customer's deny_prefixes give 403 before any attempt; its other numbers still connect", async () => {
    const a = await scene.provider('a', { answer: true });
    const tr = await scene.trunkroute(
      routeTable([a], {
        customers: [
          {
            id: 'pbx',
            name: 'Test PBX',
            sources: ['127.0.0.0/8'],
            deny_prefixes: ['+34905', '+3480'],
          },
        ],
      }),
    );
    for (const number of ['+34905123456', '+34803123456']) {
      const denied = await scene.call(tr, { expect: 403, service: number });
      expect(denied.successfulCalls).toBe(1);
    }
    const recs = await tr.waitForRecords(2);
    for (const r of recs) {
      expect(r).toMatchObject({ outcome: 'forbidden', status: 403, customer: 'pbx' });
      expect(r.attempts).toEqual([]);
    }
    // Nothing reached the provider: its one-call scenario is still waiting, so the
    // allowed call below is the first INVITE it sees, and it completes.
    const allowed = await scene.call(tr, { service: DIALLED });
    expect(allowed.successfulCalls).toBe(1);
    const provider = await a.sipp!.done;
    expect(provider.createdCalls).toBe(1);
    expect(provider.successfulCalls).toBe(1);
  });

  it('out-of-dialog requests other than INVITE and OPTIONS get 405 and reach no provider', async () => {
    const a = await scene.provider('a', { answer: true });
    const tr = await scene.trunkroute(routeTable([a]));
    const caller = await scene.call(tr, {
      scenario: 'caller-out-of-dialog-message.xml',
    });
    expect(caller.successfulCalls).toBe(1);
    await expectNeverReached(a);
  });
});
