import { afterEach, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { freePort } from './harness/ports.js';
import {
  DIALLED,
  SCENARIOS,
  Scene,
  expectNeverReached,
  routeTable,
  type ProviderTrunk,
} from './harness/scene.js';
import { renderScenario } from './harness/sipp.js';

// Issue 15, digest authentication towards providers: real SIPp providers that
// challenge with 401/407 and check the answer with SIPp's own verifyauth.

const scene = new Scene();
afterEach(() => scene.stopAll());

const USER = 'trunk-user';
const PASSWORD = 'pw-e2e-3f9a1c';

const CHALLENGES = {
  401: { reason: 'Unauthorized', challenge: 'WWW-Authenticate', credentials: 'Authorization' },
  407: {
    reason: 'Proxy Authentication Required',
    challenge: 'Proxy-Authenticate',
    credentials: 'Proxy-Authorization',
  },
} as const;

const REALM = 'trunk.example';
const md5 = (s: string): string => createHash('md5').update(s).digest('hex');

/**
 * A SIPp provider that challenges, then connects the call only for USER / PASSWORD.
 * 401: qop=auth, checked by SIPp's own verifyauth. 407: SIPp's verifyauth reads only
 * Authorization, so the challenge is the RFC 2069 form (no qop, a fixed nonce) and the
 * scenario matches the one response those credentials give, computed here.
 */
async function challenging(
  id: string,
  status: 401 | 407,
  opts: { scenario?: string; messages?: string } = {},
): Promise<ProviderTrunk> {
  const c = CHALLENGES[status];
  const port = await freePort('both');
  const nonce = 'nonce-407-e2e';
  const expected = md5(
    `${md5(`${USER}:${REALM}:${PASSWORD}`)}:${nonce}:${md5(`INVITE:sip:${DIALLED}@127.0.0.1:${port}`)}`,
  );
  const scenario = renderScenario(join(SCENARIOS, opts.scenario ?? 'provider-auth-challenge.xml'), {
    status,
    reason: c.reason,
    challenge_header: c.challenge,
    credentials_header: c.credentials,
    realm: REALM,
    ...(status === 401
      ? {
          nonce: 'n[pid]x[call_number]',
          qop: ', qop="auth", algorithm=MD5',
          check: `<verifyauth assign_to="authvalid" username="${USER}" password="${PASSWORD}"/>`,
        }
      : {
          nonce,
          qop: '',
          check: `<ereg regexp="response=\\"${expected}\\"" search_in="hdr" header="Proxy-Authorization:" assign_to="authvalid"/>`,
        }),
  });
  return scene.provider(
    id,
    { scenario },
    {
      port,
      ...(opts.messages ? { extraArgs: ['-trace_msg', '-message_file', opts.messages] } : {}),
    },
  );
}

/** INVITEs a SIPp process received, from its -trace_msg file. */
function invitesReceived(messageFile: string): number {
  return (readFileSync(messageFile, 'utf8').match(/message received[^\n]*\n+INVITE /g) ?? [])
    .length;
}

describe('digest authentication towards providers (real SIPp)', () => {
  it.each([401, 407] as const)(
    'a provider challenging with %i connects the call with the configured credentials',
    async (status) => {
      const a = await challenging('a', status);
      const b = await scene.provider('b', { answer: true });
      const tr = await scene.trunkroute(
        routeTable([a, b], {
          providerFields: { a: { auth: { username: USER, password: PASSWORD } } },
        }),
      );
      const caller = await scene.call(tr, { scenario: 'caller-call-cseq.xml' });
      expect(caller.successfulCalls).toBe(1);
      // The provider's scenario completes only if verifyauth accepted the credentials and the
      // ACK and BYE came with the provider's CSeq numbers (2 and 3).
      const pa = await a.sipp!.done;
      expect(pa.successfulCalls).toBe(1);
      expect(pa.failedCalls).toBe(0);
      const [rec] = await tr.waitForRecords(1);
      expect(rec!.outcome).toBe('connected');
      expect(rec!.attempts).toEqual([
        expect.objectContaining({ provider: 'a', status: 200, challenged: status }),
      ]);
      await expectNeverReached(b);
    },
  );

  it.each([401, 407] as const)(
    'wrong credentials (%i): exactly one retry, then the next provider connects',
    async (status) => {
      const messages = join(scene.tempDir(), 'a-messages.log');
      const a = await challenging('a', status, { messages });
      const b = await scene.provider('b', { answer: true });
      const tr = await scene.trunkroute(
        routeTable([a, b], {
          providerFields: { a: { auth: { username: USER, password: 'not-the-password' } } },
        }),
      );
      expect((await scene.call(tr)).successfulCalls).toBe(1);
      const [rec] = await tr.waitForRecords(1);
      expect(rec!.outcome).toBe('connected');
      expect(rec!.attempts.map((x) => [x.provider, x.status, x.challenged, x.reason])).toEqual([
        ['a', status, status, 'auth_rejected'],
        ['b', 200, undefined, undefined],
      ]);
      // The challenging provider's scenario went through its wrong-credentials branch.
      const pa = await a.sipp!.done;
      expect(pa.successfulCalls).toBe(1);
      expect(invitesReceived(messages)).toBe(2);
      expect((await b.sipp!.done).successfulCalls).toBe(1);
    },
  );

  it('the provider’s own BYE in an authenticated dialog reaches the caller in its own numbering', async () => {
    const a = await challenging('a', 401, { scenario: 'provider-auth-hangup.xml' });
    const tr = await scene.trunkroute(
      routeTable([a], { providerFields: { a: { auth: { username: USER, password: PASSWORD } } } }),
    );
    // caller-call-await-bye.xml checks CSeq 1 INVITE on the 200 and 1 BYE on the provider's BYE;
    // provider-auth-hangup.xml checks CSeq 2 ACK and 1 BYE on the 200 for its BYE.
    expect((await scene.call(tr, { scenario: 'caller-call-await-bye.xml' })).successfulCalls).toBe(
      1,
    );
    const pa = await a.sipp!.done;
    expect(pa.successfulCalls).toBe(1);
    expect(pa.failedCalls).toBe(0);
    const [rec] = await tr.waitForRecords(1);
    expect(rec!.attempts).toEqual([expect.objectContaining({ status: 200, challenged: 401 })]);
  });

  it('a provider without auth still has its 401 relayed to the caller', async () => {
    const a = await challenging('a', 401);
    const b = await scene.provider('b', { answer: true });
    const tr = await scene.trunkroute(routeTable([a, b]));
    expect((await scene.call(tr, { expect: 401 })).successfulCalls).toBe(1);
    const [rec] = await tr.waitForRecords(1);
    expect(rec!.status).toBe(401);
    expect(rec!.attempts).toEqual([expect.objectContaining({ provider: 'a', status: 401 })]);
    expect(rec!.attempts[0]).not.toHaveProperty('challenged');
    await expectNeverReached(b);
  });

  it('CANCEL while the authenticated INVITE rings reaches the provider on that transaction', async () => {
    const a = await challenging('a', 401, { scenario: 'provider-auth-ring.xml' });
    const b = await scene.provider('b', { answer: true });
    const tr = await scene.trunkroute(
      routeTable([a, b], {
        providerFields: { a: { auth: { username: USER, password: PASSWORD } } },
      }),
    );
    const caller = await scene.call(tr, { scenario: 'caller-cancel.xml' });
    // caller-cancel.xml completes only on 200 (CANCEL) and 487 (INVITE).
    expect(caller.successfulCalls).toBe(1);
    // provider-auth-ring.xml completes only if the CANCEL matched the authenticated INVITE.
    expect((await a.sipp!.done).successfulCalls).toBe(1);
    const [rec] = await tr.waitForRecords(1);
    expect(rec!.outcome).toBe('cancelled');
    expect(rec!.status).toBe(487);
    expect(rec!.attempts).toEqual([
      expect.objectContaining({ provider: 'a', challenged: 401, reason: 'cancelled' }),
    ]);
    await expectNeverReached(b);
  });
});
