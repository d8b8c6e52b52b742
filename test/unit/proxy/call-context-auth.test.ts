import { describe, expect, it } from 'vitest';
import type { CallContextDeps } from '../../../src/proxy/call-context.js';
import { Credentials, type Attempt } from '../../../src/routing/index.js';
import { digestAuthorization, parseChallenge } from '../../../src/sip/message/digest-auth.js';
import { attempt as baseAttempt, setupCallContext } from './call-context-harness.js';

// Digest authentication towards providers (RFC 3261 22.2): a 401/407 from a gateway
// with credentials is answered once on a new transaction; the caller never notices.

const CREDS = new Credentials('trunk', 'pw-call-context', undefined);
const CHALLENGE =
  'Digest realm="sip.example", nonce="abc123", opaque="op-9", qop="auth", algorithm=MD5';

/** An attempt whose gateway has credentials unless `over` says otherwise. */
const attempt = (i: number, over: Partial<Attempt> = {}): Attempt =>
  baseAttempt(i, { auth: CREDS, ...over });

const setup = (attempts: Attempt[], over: Partial<CallContextDeps> = {}) =>
  setupCallContext(
    attempts,
    { stripHeaders: [], cnonce: () => 'fixed-cnonce', ...over },
    { cseq: 7, echo: ['record-route'], secret: 'unit-secret' },
  );

describe('CallContext: digest authentication towards providers', () => {
  it('answers a 401 once: new branch, CSeq + 1, same Call-ID and From, Authorization; the caller sees its own CSeq', () => {
    const t = setup([attempt(0), attempt(1)]);
    t.ctx.start();
    t.answer(0, 401, [['WWW-Authenticate', CHALLENGE]]);
    expect(t.sent).toHaveLength(2);
    const [first, retry] = t.sent;
    expect(retry!.dest).toEqual(first!.dest);
    expect(retry!.req.uri).toBe(first!.req.uri);
    expect(retry!.req.first('via')).not.toBe(first!.req.first('via'));
    expect(retry!.req.get('cseq')).toBe('8 INVITE');
    expect(retry!.req.get('call-id')).toBe('call-1');
    expect(retry!.req.get('from')).toBe(first!.req.get('from'));
    expect(retry!.req.get('authorization')).toBe(
      digestAuthorization(parseChallenge(CHALLENGE)!, {
        username: 'trunk',
        password: 'pw-call-context',
        method: 'INVITE',
        uri: 'sip:+34911234567@127.0.0.1:5061',
        cnonce: 'fixed-cnonce',
      }),
    );
    expect(retry!.req.get('authorization')).toContain('opaque="op-9"');
    expect(first!.req.get('authorization')).toBeUndefined();
    // The dialog's Record-Route carries the signed offset for the caller's later requests.
    const rr = retry!.req.first('record-route')!;
    const mark = /;cs=([^;>]+)/.exec(rr)![1]!;
    expect(t.identity.cseqOffset('call-1', 'c1', mark)).toBe(1);
    expect(t.identity.cseqOffset('call-1', 'provider-tag', mark)).toBe(0);
    expect(first!.req.first('record-route')).not.toContain(';cs=');

    t.answer(1, 180);
    t.answer(1, 200);
    expect(t.upstream.map((r) => [r.status, r.get('cseq')])).toEqual([
      [180, '7 INVITE'],
      [200, '7 INVITE'],
    ]);
    expect(t.records[0]!.outcome).toBe('connected');
    expect(t.records[0]!.attempts).toEqual([
      expect.objectContaining({ index: 1, provider: 'p0', status: 200, challenged: 401 }),
    ]);
  });

  it('record-routes the authenticated INVITE even when Record-Route is off (the CSeq needs us)', () => {
    const t = setup([attempt(0)], { recordRoute: false });
    t.ctx.start();
    expect(t.sent[0]!.req.has('record-route')).toBe(false);
    t.answer(0, 401, [['WWW-Authenticate', CHALLENGE]]);
    expect(t.sent[1]!.req.first('record-route')).toMatch(/;tr=[\w-]{22};cs=1\.[\w-]{16};lr>$/);
  });

  it('answers a 407 with Proxy-Authorization', () => {
    const t = setup([attempt(0)]);
    t.ctx.start();
    t.answer(0, 407, [['Proxy-Authenticate', CHALLENGE]]);
    expect(t.sent[1]!.req.get('proxy-authorization')).toMatch(/^Digest username="trunk"/);
    expect(t.sent[1]!.req.get('authorization')).toBeUndefined();
    t.answer(1, 200);
    expect(t.records[0]!.attempts[0]).toMatchObject({ status: 200, challenged: 407 });
  });

  it('a second challenge fails the attempt over, once; the caller never gets the challenge', () => {
    const t = setup([attempt(0), attempt(1)]);
    t.ctx.start();
    t.answer(0, 401, [['WWW-Authenticate', CHALLENGE]]);
    t.answer(1, 401, [['WWW-Authenticate', CHALLENGE]]);
    expect(t.sent).toHaveLength(3);
    expect(t.sent[2]!.req.uri).toBe('sip:+34911234567@127.0.0.1:5062');
    expect(t.sent[2]!.req.get('cseq')).toBe('7 INVITE');
    t.answer(2, 401, [['WWW-Authenticate', CHALLENGE]]);
    t.answer(3, 403);
    // 403 to our credentials: refused too; nothing left: counted as 503, which goes up as 500
    // (RFC 3261 16.7 step 6), never a provider's challenge.
    expect(t.sent).toHaveLength(4);
    expect(t.upstream.map((r) => r.status)).toEqual([500]);
    expect(t.records[0]!.attempts).toEqual([
      expect.objectContaining({ index: 1, status: 401, challenged: 401, reason: 'auth_rejected' }),
      expect.objectContaining({ index: 2, status: 403, challenged: 401, reason: 'auth_rejected' }),
    ]);
  });

  it('a 403 to the credentials moves on as well', () => {
    const t = setup([attempt(0), attempt(1)]);
    t.ctx.start();
    t.answer(0, 401, [['WWW-Authenticate', CHALLENGE]]);
    t.answer(1, 403);
    expect(t.sent).toHaveLength(3);
    t.answer(2, 200);
    expect(t.records[0]!.attempts.map((a) => a.reason ?? a.status)).toEqual(['auth_rejected', 200]);
  });

  it('without credentials, or for another realm, or with an unsupported challenge, the 401 is relayed as before', () => {
    for (const [auth, challenge] of [
      [undefined, CHALLENGE],
      [new Credentials('trunk', 'pw', 'other.example'), CHALLENGE],
      [CREDS, 'Digest realm="sip.example", nonce="n", qop="auth-int"'],
    ] as const) {
      const t = setup([attempt(0, { auth }), attempt(1)]);
      t.ctx.start();
      t.answer(0, 401, [['WWW-Authenticate', challenge]]);
      expect(t.sent).toHaveLength(1);
      expect(t.upstream.map((r) => r.status)).toEqual([401]);
      // As written (the log line and the stream leave undefined fields out).
      const written = JSON.parse(JSON.stringify(t.records[0]!.attempts[0])) as object;
      expect(written).not.toHaveProperty('challenged');
      expect(written).toHaveProperty('status', 401);
    }
  });

  it('the realm given in the credentials is answered', () => {
    const t = setup([attempt(0, { auth: new Credentials('u', 'p', 'sip.example') })]);
    t.ctx.start();
    t.answer(0, 401, [['WWW-Authenticate', CHALLENGE]]);
    expect(t.sent).toHaveLength(2);
  });

  it('CANCEL from the caller cancels the authenticated transaction, not the challenged one', () => {
    const t = setup([attempt(0), attempt(1)]);
    t.ctx.start();
    t.answer(0, 401, [['WWW-Authenticate', CHALLENGE]]);
    t.answer(1, 180);
    t.ctx.cancelByCaller();
    expect(t.sent[0]!.tx.cancelled).toBe(0);
    expect(t.sent[1]!.tx.cancelled).toBe(1);
    expect(t.upstream.map((r) => r.status)).toEqual([180, 487]);
    expect(t.sent).toHaveLength(2);
  });

  it('the trying timeout runs again for the authenticated INVITE', () => {
    const t = setup([attempt(0), attempt(1)]);
    t.ctx.start();
    t.clock.advance(1500);
    t.answer(0, 401, [['WWW-Authenticate', CHALLENGE]]);
    t.clock.advance(1999);
    expect(t.sent).toHaveLength(2);
    t.clock.advance(1);
    expect(t.sent).toHaveLength(3);
    expect(t.sent[1]!.tx.cancelled).toBe(1);
    expect(t.records).toHaveLength(0);
    t.answer(2, 200);
    expect(t.records[0]!.attempts[0]).toMatchObject({
      challenged: 401,
      reason: 'trying_timeout',
      duration_ms: 3500,
    });
  });

  it('a late event of the challenged transaction does not end the authenticated one', () => {
    const t = setup([attempt(0), attempt(1)]);
    t.ctx.start();
    t.answer(0, 401, [['WWW-Authenticate', CHALLENGE]]);
    t.sent[0]!.handler.onTransportError(t.sent[0]!.tx, new Error('ICMP'));
    expect(t.sent).toHaveLength(2);
    t.answer(1, 200);
    expect(t.records[0]!.attempts).toHaveLength(1);
    expect(t.records[0]!.outcome).toBe('connected');
  });
});
