import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { caAndLeaf, certDir, selfSigned, type CertFiles } from './harness/certs.js';
import { freePort } from './harness/ports.js';
import { DIALLED, SCENARIOS, Scene, type ProviderTrunk } from './harness/scene.js';
import { runSipp, type SippProcess, type SippResult } from './harness/sipp.js';
import { startStunnel, type StunnelProcess } from './harness/stunnel.js';
import { startTrunkroute, type TrunkrouteProcess } from './harness/trunkroute.js';

// Issue 15, TLS (RFC 3261 26): tls: listeners, transport=tls gateways, certificate
// verification with failover, a pinned CA, Record-Route across transports.
//
// Why stunnel: Debian's SIPp (sip-tester) is built without OpenSSL (`sipp -t l1`
// refuses: "To use a TLS transport you must compile SIPp with OpenSSL"). So SIPp
// speaks TCP and a real stunnel does the TLS leg: caller SIPp (TCP) -> stunnel
// client -> trunkroute tls: listener, and trunkroute TLS -> stunnel server (with
// the test's certificate) -> provider SIPp (TCP). Everything TLS is trunkroute's
// own Node tls code against a real OpenSSL peer. Certificates come from openssl,
// made fresh in a temp dir (docs/tls.md).

const scene = new Scene();
afterEach(() => scene.stopAll());

let certs: { trunkroute: CertFiles; signed: { ca: CertFiles; leaf: CertFiles }; self: CertFiles };
beforeAll(() => {
  const dir = certDir();
  certs = {
    trunkroute: selfSigned(dir, 'trunkroute'),
    signed: caAndLeaf(dir, 'provider'),
    self: selfSigned(dir, 'self'),
  };
});

async function stunnel(o: Parameters<typeof startStunnel>[0]): Promise<StunnelProcess> {
  const s = await startStunnel(o);
  scene.onStop(() => s.stop());
  return s;
}

/**
 * A provider reached over TLS: SIPp on TCP behind a stunnel server presenting
 * `cert`. Its Contact names the TLS side (as a real TLS trunk's would), and its
 * INVITE must match `recordRoute` (an extended regexp over the whole message;
 * SIPp fails the call otherwise).
 */
async function tlsProvider(
  id: string,
  cert: CertFiles,
  recordRoute = 'transport=tls',
  scenarioFile = 'provider-answer.xml',
): Promise<ProviderTrunk & { tunnel: StunnelProcess; sipp: SippProcess }> {
  const sippPort = await freePort('both');
  const port = await freePort('tcp');
  const check = `<ereg regexp="${xmlAttr(recordRoute)}" search_in="msg" check_it="true" assign_to="rr"/>`;
  const base = readFileSync(join(SCENARIOS, scenarioFile), 'latin1')
    .split('[local_ip]:[local_port];transport=[transport]')
    .join(`127.0.0.1:${port};transport=tls`);
  const xml = (
    base.includes('<recv request="INVITE" crlf="true"/>')
      ? base.replace(
          '<recv request="INVITE" crlf="true"/>',
          `<recv request="INVITE" crlf="true"><action>${check}</action></recv>`,
        )
      : base.replace('<action>', `<action>${check}`)
  )
    // SIPp refuses a variable it never reads: this says the check is all it is for.
    .replace('</scenario>', '<Reference variables="rr"/>\n</scenario>');
  const scenario = join(scene.tempDir(), 'provider-tls.xml');
  writeFileSync(scenario, xml, 'latin1');
  const sipp = runSipp({
    scenario,
    localPort: sippPort,
    transport: 'tcp',
    calls: 1,
    timeoutSeconds: 60,
  });
  scene.onStop(async () => sipp.kill());
  await sipp.ready;
  const tunnel = await stunnel({
    mode: 'server',
    accept: port,
    connect: `127.0.0.1:${sippPort}`,
    cert,
  });
  return { id, port, transport: 'tcp', key: `tls:127.0.0.1:${port}`, sipp, tunnel };
}

const xmlAttr = (v: string): string =>
  v.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/"/g, '&quot;');

function table(providers: Array<{ id: string; uri: string; tls?: object }>): object {
  return {
    settings: { default_trying_timeout_ms: 2000 },
    providers: providers.map((p) => ({
      id: p.id,
      name: `Provider ${p.id}`,
      gateways: [{ uri: p.uri }],
      ...(p.tls ? { tls: p.tls } : {}),
    })),
    customers: [{ id: 'pbx', name: 'Test PBX', sources: ['127.0.0.0/8'] }],
    routes: providers.map((p, i) => ({ id: `route-${p.id}`, provider_id: p.id, priority: i + 1 })),
  };
}

/** trunkroute with UDP and TLS listeners and the test's server certificate. */
async function trunkroute(
  routes: object,
  sipTls: Record<string, unknown> = {},
  tlsPort?: number,
  udpPort?: number,
  requestPort?: number,
): Promise<TrunkrouteProcess & { tlsPort: number }> {
  const sipPort = udpPort ?? (await freePort('both'));
  const port = tlsPort ?? (await freePort('tcp'));
  const tr = await startTrunkroute({
    routes,
    sipPort,
    config: {
      sip: {
        listen: [`udp:127.0.0.1:${sipPort}`, `tls:127.0.0.1:${port}`],
        tls: { cert_file: certs.trunkroute.cert, key_file: certs.trunkroute.key, ...sipTls },
      },
      ...(requestPort ? { workers: { request_port_base: requestPort } } : {}),
    },
  });
  scene.onStop(() => tr.stop());
  return Object.assign(tr, { tlsPort: port });
}

/**
 * A TLS provider (pinned self-signed certificate) behind trunkroute's UDP and TLS
 * listeners; the provider's SIPp checks that the INVITE carries one Record-Route
 * entry per side: the TLS listener towards it, then the UDP one towards the caller.
 */
async function udpToTls(scenario?: string) {
  const sipPort = await freePort('both');
  const tlsPort = await freePort('tcp');
  // The UDP entry names the socket our requests leave from (sip.udp_request_socket),
  // fixed here through workers.request_port_base so the pattern can name it.
  const requestPort = await freePort('both');
  const a = await tlsProvider(
    'a',
    certs.self,
    `Record-Route: <sip:127\\.0\\.0\\.1:${tlsPort};transport=tls;tr=[^>]*>[[:space:]]+Record-Route: <sip:127\\.0\\.0\\.1:${requestPort};transport=udp;`,
    scenario,
  );
  const tr = await trunkroute(
    table([
      { id: 'a', uri: `sip:127.0.0.1:${a.port};transport=tls`, tls: { ca_file: certs.self.cert } },
    ]),
    {},
    tlsPort,
    sipPort,
    requestPort,
  );
  return { a, tr };
}

/** A SIPp caller over TCP through a stunnel client into trunkroute's tls: listener. */
async function tlsCall(tr: { tlsPort: number }): Promise<SippResult> {
  const port = await freePort('tcp');
  await stunnel({ mode: 'client', accept: port, connect: `127.0.0.1:${tr.tlsPort}` });
  const sipp = runSipp({
    scenario: join(SCENARIOS, 'caller-call.xml'),
    remote: `127.0.0.1:${port}`,
    localPort: await freePort('both'),
    transport: 'tcp',
    calls: 1,
    service: DIALLED,
    timeoutSeconds: 30,
  });
  scene.onStop(async () => sipp.kill());
  return report(await sipp.done);
}

function report(r: SippResult): SippResult {
  if (r.exitCode !== 0)
    console.error(`caller sipp exit ${r.exitCode}: ${r.errors}\n${r.stdout.slice(-3000)}`);
  return r;
}

async function providerResult(p: { sipp: SippProcess }): Promise<SippResult> {
  p.sipp.kill();
  const r = await p.sipp.done;
  if (r.aborts.length || r.failedCalls) console.error(`provider sipp: ${r.errors}`);
  return r;
}

describe('TLS transport (real SIPp through stunnel)', () => {
  it('caller over TLS, provider over TLS (verified through sip.tls.ca_file): the call connects, ACK and BYE go through', async () => {
    const tlsPort = await freePort('tcp');
    // Both sides TLS: one Record-Route, naming the TLS listener.
    const a = await tlsProvider(
      'a',
      certs.signed.leaf,
      `<sip:127\\.0\\.0\\.1:${tlsPort};transport=tls;tr=[^>]*>`,
    );
    const tr = await trunkroute(
      table([{ id: 'a', uri: `sip:127.0.0.1:${a.port};transport=tls` }]),
      { ca_file: certs.signed.ca.cert },
      tlsPort,
    );
    const caller = await tlsCall(tr);
    expect(caller.successfulCalls).toBe(1);
    expect(caller.failedCalls).toBe(0);
    expect(caller.aborts).toEqual([]);
    const [rec] = await tr.waitForRecords(1);
    expect(rec!.outcome).toBe('connected');
    expect(rec!.source).toMatch(/^tls:127\.0\.0\.1:/);
    expect(rec!.attempts.map((x) => [x.gateway, x.status])).toEqual([[a.key, 200]]);
    const provider = await providerResult(a);
    expect(provider.successfulCalls).toBe(1);
    expect(provider.aborts).toEqual([]);
  });

  it('UDP caller to a TLS provider: Record-Route gives each side its own transport; ACK and BYE go through', async () => {
    const { a, tr } = await udpToTls();
    const caller = await scene.call(tr, { transport: 'udp' });
    expect(caller.successfulCalls).toBe(1);
    expect(caller.aborts).toEqual([]);
    const [rec] = await tr.waitForRecords(1);
    expect(rec!.attempts.map((x) => [x.gateway, x.status])).toEqual([[a.key, 200]]);
    const provider = await providerResult(a);
    // It saw the ACK and the BYE (provider-answer.xml waits for both), over TLS.
    expect(provider.successfulCalls).toBe(1);
    expect(provider.aborts).toEqual([]);
  });

  it('a TLS provider that hangs up: its BYE reaches the UDP caller along the two Record-Route entries', async () => {
    const { a, tr } = await udpToTls('provider-answer-bye.xml');
    const caller = await scene.call(tr, { scenario: 'caller-await-bye.xml' });
    // The caller's scenario ends only after the provider's BYE reached it and it answered.
    expect(caller.successfulCalls).toBe(1);
    expect(caller.aborts).toEqual([]);
    const provider = await providerResult(a);
    // The provider got the 200 to its BYE back over its TLS connection.
    expect(provider.successfulCalls).toBe(1);
    expect(provider.aborts).toEqual([]);
  });

  it('a provider whose certificate does not verify is a transport error: the call fails over to the next provider', async () => {
    const a = await tlsProvider('a', certs.self);
    const b = await scene.provider('b', { answer: true });
    const tr = await trunkroute(
      table([
        { id: 'a', uri: `sip:127.0.0.1:${a.port};transport=tls` },
        { id: 'b', uri: `sip:127.0.0.1:${b.port};transport=udp` },
      ]),
    );
    const caller = await scene.call(tr, { transport: 'udp' });
    expect(caller.successfulCalls).toBe(1);
    const [rec] = await tr.waitForRecords(1);
    expect(rec!.outcome).toBe('connected');
    expect(rec!.attempts.map((x) => [x.gateway, x.reason ?? x.status])).toEqual([
      [a.key, 'transport_error'],
      [b.key, 200],
    ]);
    // The handshake was refused: the provider behind the tunnel never saw the INVITE.
    const provider = await providerResult(a);
    expect(provider.stats).toHaveProperty('TotalCallCreated');
    expect(provider.createdCalls).toBe(0);
    expect(tr.logs.some((l) => l.msg === 'tls connect failed')).toBe(true);
  });

  it('the same self-signed provider with its certificate pinned (tls.ca_file) verifies and connects', async () => {
    const tlsPort = await freePort('tcp');
    // RFC 3261 16.6 step 4: a sips Request-URI gets a sips Record-Route.
    const a = await tlsProvider('a', certs.self, `<sips:127\\.0\\.0\\.1:${tlsPort};tr=`);
    const tr = await trunkroute(
      table([{ id: 'a', uri: `sips:127.0.0.1:${a.port}`, tls: { ca_file: certs.self.cert } }]),
      {},
      tlsPort,
    );
    const caller = await tlsCall(tr);
    expect(caller.successfulCalls).toBe(1);
    expect(caller.aborts).toEqual([]);
    const [rec] = await tr.waitForRecords(1);
    expect(rec!.attempts.map((x) => [x.gateway, x.request_uri, x.status])).toEqual([
      [a.key, `sips:${DIALLED}@127.0.0.1:${a.port}`, 200],
    ]);
    const provider = await providerResult(a);
    expect(provider.successfulCalls).toBe(1);
  });
});
