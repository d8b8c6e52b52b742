import { describe, expect, it } from 'vitest';
import type { CallContextDeps } from '../../../src/proxy/call-context.js';
import { ProxyIdentity } from '../../../src/proxy/proxy-identity.js';
import type { SipTransport } from '../../../src/sip/transport/types.js';
import type { Attempt } from '../../../src/routing/index.js';
import { attempt, setupCallContext } from './call-context-harness.js';

const setup = (attempts: Attempt[], over: Partial<CallContextDeps> = {}) =>
  setupCallContext(attempts, over, { headers: [['X-Trunkroute-Customer', 'acme']] });

describe('CallContext (failover driver)', () => {
  it('fails over on 503 and 404 and relays the 200 of the third attempt', () => {
    const t = setup([attempt(0), attempt(1), attempt(2)]);
    t.ctx.start();
    expect(t.sent).toHaveLength(1);
    t.answer(0, 503);
    expect(t.sent).toHaveLength(2);
    t.answer(1, 404);
    expect(t.sent).toHaveLength(3);
    t.answer(2, 180);
    t.answer(2, 200);
    expect(t.upstream.map((r) => r.status)).toEqual([180, 200]);
    expect(t.records[0]!.outcome).toBe('connected');
    expect(t.records[0]!.attempts.map((a) => a.status)).toEqual([503, 404, 200]);
  });

  it('forwards each attempt with its own Request-URI, Via branch, Record-Route and Max-Forwards 69', () => {
    const t = setup([attempt(0), attempt(1)]);
    t.ctx.start();
    t.answer(0, 503);
    const [a, b] = t.sent;
    expect(a!.req.uri).toBe('sip:+34911234567@127.0.0.1:5061');
    expect(b!.req.uri).toBe('sip:+34911234567@127.0.0.1:5062');
    expect(a!.req.first('via')).not.toBe(b!.req.first('via'));
    expect(a!.req.first('via')).toMatch(/^SIP\/2\.0\/UDP 127\.0\.0\.1:5060;branch=z9hG4bKtr/);
    expect(a!.req.getAll('via')).toHaveLength(2);
    expect(a!.req.get('max-forwards')).toBe('69');
    expect(a!.req.getAll('record-route')).toEqual([
      expect.stringMatching(/^<sip:127\.0\.0\.1:5060;transport=udp;tr=[\w-]{22};lr>$/),
    ]);
    // The customer header is ours and never reaches a provider.
    expect(a!.req.get('x-trunkroute-customer')).toBeUndefined();
  });

  it('relays a final outside the trigger set (486) and tries nothing more', () => {
    const t = setup([attempt(0), attempt(1)]);
    t.ctx.start();
    t.answer(0, 486);
    expect(t.sent).toHaveLength(1);
    expect(t.upstream.map((r) => r.status)).toEqual([486]);
    // Our Via is gone from what the caller sees.
    expect(t.upstream[0]!.getAll('via')).toEqual([
      'SIP/2.0/UDP 127.0.0.1:5090;branch=z9hG4bK-caller;rport=5090',
    ]);
  });

  it('moves on after trying_timeout when no 1xx came, and holds the CANCEL', () => {
    const t = setup([attempt(0), attempt(1)]);
    t.ctx.start();
    t.clock.advance(1999);
    expect(t.sent).toHaveLength(1);
    t.clock.advance(1);
    expect(t.sent).toHaveLength(2);
    expect(t.sent[0]!.tx.cancelled).toBe(1);
    t.answer(1, 200);
    expect(t.records[0]!.attempts[0]).toMatchObject({
      reason: 'trying_timeout',
      duration_ms: 2000,
    });
  });

  it('a 1xx stops the trying timeout', () => {
    const t = setup([attempt(0), attempt(1)]);
    t.ctx.start();
    t.answer(0, 100);
    t.clock.advance(10_000);
    expect(t.sent).toHaveLength(1);
    expect(t.upstream).toHaveLength(0); // 100 is not relayed
  });

  it('exhausted plan: the best response (404 over 503s), with every attempt recorded', () => {
    const t = setup([attempt(0), attempt(1), attempt(2)]);
    t.ctx.start();
    t.answer(0, 503);
    t.answer(1, 503);
    t.answer(2, 404);
    expect(t.upstream.map((r) => r.status)).toEqual([404]);
    expect(t.records[0]!.outcome).toBe('failed');
  });

  it('only 503s: the caller gets 500 (RFC 3261 16.7 step 6)', () => {
    const t = setup([attempt(0), attempt(1)]);
    t.ctx.start();
    t.answer(0, 503, [['Retry-After', '5']]);
    t.answer(1, 503);
    expect(t.upstream.map((r) => r.status)).toEqual([500]);
  });

  it('CANCEL from the caller while an attempt rings: 487 upstream, attempt cancelled, nothing more tried', () => {
    const t = setup([attempt(0), attempt(1)]);
    t.ctx.start();
    t.answer(0, 180);
    t.ctx.cancelByCaller();
    expect(t.upstream.map((r) => r.status)).toEqual([180, 487]);
    expect(t.sent[0]!.tx.cancelled).toBe(1);
    t.answer(0, 487);
    expect(t.sent).toHaveLength(1);
    expect(t.records[0]!.outcome).toBe('cancelled');
  });

  it('a 2xx racing the CANCEL is still forwarded upstream (statelessly)', () => {
    const t = setup([attempt(0)]);
    t.ctx.start();
    t.answer(0, 180);
    t.ctx.cancelByCaller();
    t.answer(0, 200);
    expect(t.stateless.map((r) => r.status)).toEqual([200]);
  });

  it('parallel tier: both INVITEd at once; first 2xx wins and the other is cancelled', () => {
    const t = setup([
      attempt(0, { tier: 0, fork: 'parallel' }),
      attempt(1, { tier: 0, fork: 'parallel' }),
      attempt(2, { tier: 1 }),
    ]);
    t.ctx.start();
    expect(t.sent).toHaveLength(2);
    t.answer(1, 180);
    t.answer(0, 200);
    expect(t.sent[1]!.tx.cancelled).toBe(1);
    expect(t.sent).toHaveLength(2);
    expect(t.records[0]!.outcome).toBe('connected');
  });

  it('parallel tier that fails as a whole moves to the next tier only when every branch is done', () => {
    const t = setup([
      attempt(0, { tier: 0, fork: 'parallel' }),
      attempt(1, { tier: 0, fork: 'parallel' }),
      attempt(2, { tier: 1 }),
    ]);
    t.ctx.start();
    t.answer(0, 503);
    expect(t.sent).toHaveLength(2);
    t.answer(1, 500);
    expect(t.sent).toHaveLength(3);
  });

  it('Timer B (timeout) and transport errors fail over; the caller then gets 408, the best of 408/503', () => {
    const t = setup([attempt(0), attempt(1)]);
    t.ctx.start();
    t.answer(0, 100);
    t.sent[0]!.handler.onTimeout(t.sent[0]!.tx);
    expect(t.sent).toHaveLength(2);
    t.sent[1]!.handler.onTransportError(t.sent[1]!.tx, new Error('ECONNREFUSED'));
    expect(t.upstream.map((r) => r.status)).toEqual([408]);
    expect(t.records[0]!.attempts.map((a) => a.reason)).toEqual(['timeout', 'transport_error']);
  });

  describe('provider slots (max_calls, max_cps)', () => {
    function slots(refuse: Set<string>, async = false) {
      const held = new Set<string>();
      const log: string[] = [];
      const deps: Partial<CallContextDeps> = {
        admitAttempt: (a, holder) => {
          const r = refuse.has(a.providerId)
            ? ({ ok: false, refusal: 'max_calls' } as const)
            : ({ ok: true } as const);
          if (r.ok) held.add(holder);
          log.push(`admit ${a.providerId} ${r.ok ? 'ok' : 'refused'}`);
          return async ? Promise.resolve(r) : r;
        },
        releaseAttempt: (a, holder) => {
          held.delete(holder);
          log.push(`release ${a.providerId}`);
        },
      };
      return { held, log, deps };
    }

    it('skips a provider at its limit without sending to it, and moves on', () => {
      const s = slots(new Set(['p0']));
      const t = setup([attempt(0), attempt(1)], s.deps);
      t.ctx.start();
      expect(t.sent.map((x) => x.dest.port)).toEqual([5062]);
      t.answer(0, 200);
      expect(t.records[0]!.attempts.map((a) => a.reason ?? a.status)).toEqual([
        'provider_limit',
        200,
      ]);
      // The answered attempt keeps its slot for the call; the refused one never had one.
      expect([...s.held]).toEqual(['st1#1']);
      expect(t.ctx.connectedAttempt?.providerId).toBe('p1');
    });

    it('gives back the slot of every failed attempt, keeps the one that answered', () => {
      const s = slots(new Set());
      const t = setup([attempt(0), attempt(1)], s.deps);
      t.ctx.start();
      t.answer(0, 503);
      t.answer(1, 200);
      expect(s.log).toEqual(['admit p0 ok', 'release p0', 'admit p1 ok']);
      expect([...s.held]).toEqual(['st1#1']);
    });

    it('every provider at its limit: 503 with Retry-After, nothing sent', () => {
      const s = slots(new Set(['p0', 'p1']));
      const t = setup([attempt(0), attempt(1)], s.deps);
      t.ctx.start();
      expect(t.sent).toHaveLength(0);
      expect(t.upstream.map((r) => r.status)).toEqual([503]);
      expect(t.upstream[0]!.get('retry-after')).toBe('1');
      expect(t.records[0]!.outcome).toBe('failed');
    });

    it('a limit skip moves on even where the failover policy would stop', () => {
      const s = slots(new Set(['p0']));
      const t = setup(
        [attempt(0, { failover: { shouldFailover: () => false, triggers: [] } }), attempt(1)],
        s.deps,
      );
      t.ctx.start();
      expect(t.sent).toHaveLength(1);
      t.answer(0, 200);
      expect(t.records[0]!.outcome).toBe('connected');
    });

    it('a slot that arrives after the caller cancelled is given back and nothing is sent', async () => {
      const s = slots(new Set(), true);
      const t = setup([attempt(0)], s.deps);
      t.ctx.start();
      t.ctx.cancelByCaller();
      await Promise.resolve();
      await Promise.resolve();
      expect(t.sent).toHaveLength(0);
      expect(s.held.size).toBe(0);
      expect(t.upstream.map((r) => r.status)).toEqual([487]);
    });

    it('a slot taken asynchronously (shared counter) then sends the attempt', async () => {
      const s = slots(new Set(['p0']), true);
      const t = setup([attempt(0), attempt(1)], s.deps);
      t.ctx.start();
      expect(t.sent).toHaveLength(0);
      await new Promise((r) => setTimeout(r, 0));
      expect(t.sent.map((x) => x.dest.port)).toEqual([5062]);
    });
  });

  it('records the post-dial delay: time to the first 18x relayed', () => {
    const t = setup([attempt(0), attempt(1)]);
    t.ctx.start();
    t.clock.advance(40);
    t.answer(0, 503);
    t.clock.advance(60);
    t.answer(1, 100);
    t.clock.advance(150);
    t.answer(1, 180);
    t.clock.advance(1000);
    t.answer(1, 200);
    expect(t.records[0]!.pdd_ms).toBe(250);
    expect(t.records[0]!.setup_ms).toBe(1250);
  });

  it('the setup record of an answered call carries answered_at; its end is filled in later', () => {
    const t = setup([attempt(0)]);
    t.ctx.start();
    t.clock.advance(800);
    t.answer(0, 200);
    const r = t.records[0]!;
    expect(r.answered_at).toBe(new Date(t.clock.wallNow()).toISOString());
    expect(r).toMatchObject({ billable_ms: 0, ended_at: r.answered_at });
    expect(r.hangup).toBeUndefined();
  });

  it('a call never answered: ended_at is the end of setup, nothing billed, no answered_at or hangup', () => {
    const t = setup([attempt(0)]);
    t.ctx.start();
    t.clock.advance(300);
    t.answer(0, 486);
    const r = t.records[0]!;
    expect(Date.parse(r.ended_at) - Date.parse(r.started_at)).toBe(300);
    expect(r).toMatchObject({ setup_ms: 300, billable_ms: 0 });
    expect(r.answered_at).toBeUndefined();
    expect(r.hangup).toBeUndefined();
  });
});

describe('signed Record-Route', () => {
  it('every attempt Record-Routes with a token that only this key makes for this Call-ID', () => {
    const t = setup([attempt(0)]);
    t.ctx.start();
    const rr = t.sent[0]!.req.getAll('record-route');
    const token = /;tr=([A-Za-z0-9_-]+);/.exec(rr[0] ?? '')?.[1];
    expect(token).toBeDefined();
    const transport: SipTransport = {
      send: async () => {},
      onMessage: () => {},
      localEndpoint: (protocol) => ({ protocol, address: '127.0.0.1', port: 5060 }),
      isReliable: () => false,
      close: async () => {},
    };
    const keyed = new ProxyIdentity(transport, '', 'shared-key');
    const same = new ProxyIdentity(transport, '', 'shared-key');
    const other = new ProxyIdentity(transport, '', 'another-key');
    const tok = keyed.dialogToken('call-1');
    expect(same.validDialogToken('call-1', tok)).toBe(true);
    expect(same.validDialogToken('call-2', tok)).toBe(false);
    expect(other.validDialogToken('call-1', tok)).toBe(false);
    expect(same.validDialogToken('call-1', `${tok.slice(0, -1)}x`)).toBe(false);
    // Against the token issued to the call (kept for its ACK and BYE): the same answers.
    expect(same.validDialogToken('call-1', tok, tok)).toBe(true);
    expect(same.validDialogToken('call-1', `${tok.slice(0, -1)}x`, tok)).toBe(false);
    expect(same.validDialogToken('call-1', tok.slice(0, -1), tok)).toBe(false);
  });
});
