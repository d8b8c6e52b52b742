import { X509Certificate } from 'node:crypto';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { connect, type PeerCertificate } from 'node:tls';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SipRequest } from '../../../../src/sip/message/sip-message.js';
import { TransportLayer } from '../../../../src/sip/transport/transport-layer.js';
import type { Inbound } from '../../../../src/sip/transport/types.js';
import { caAndLeaf, certDir, selfSigned, type CertFiles } from '../../../e2e/harness/certs.js';
import { within } from '../../../fakes/within.js';

// The TLS transport over real loopback sockets, with certificates made by openssl.

const layers: TransportLayer[] = [];
afterEach(async () => {
  for (const l of layers.splice(0)) await l.close();
});

let dir: string;
let a: CertFiles;
let b: CertFiles;
let signed: { ca: CertFiles; leaf: CertFiles };
beforeAll(() => {
  dir = certDir();
  a = selfSigned(dir, 'a');
  b = selfSigned(dir, 'b');
  signed = caAndLeaf(dir, 'signed');
});

async function tlsLayer(
  files: CertFiles,
  extra: Partial<ConstructorParameters<typeof TransportLayer>[1]> = {},
  address = '127.0.0.1',
): Promise<{ t: TransportLayer; got: Inbound[]; port: number }> {
  const t = new TransportLayer([{ protocol: 'tls', address, port: 0 }], {
    tlsServer: { certFile: files.cert, keyFile: files.key, reloadIntervalMs: 50 },
    connectTimeoutMs: 3000,
    ...extra,
  });
  await t.start();
  layers.push(t);
  const got: Inbound[] = [];
  t.onMessage((i) => got.push(i));
  return { t, got, port: t.localEndpoint('tls')!.port };
}

/** The fingerprint of the certificate a fresh connection to the port is shown. */
function servedFingerprint(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port, rejectUnauthorized: false }, () => {
      const cert: PeerCertificate = s.getPeerCertificate();
      s.destroy();
      resolve(cert.fingerprint256);
    });
    s.once('error', reject);
  });
}

const fingerprint = (f: CertFiles): string =>
  new X509Certificate(readFileSync(f.cert)).fingerprint256;

function options(branch: string): SipRequest {
  const r = new SipRequest('OPTIONS', 'sip:ping@127.0.0.1');
  r.append('Via', `SIP/2.0/TLS 127.0.0.1:5061;branch=${branch}`);
  r.append('From', '<sip:a@example.com>;tag=1');
  r.append('To', '<sip:ping@127.0.0.1>');
  r.append('Call-ID', branch);
  r.append('CSeq', '1 OPTIONS');
  r.append('Content-Length', '0');
  return r;
}

describe('TLS transport', () => {
  it('a renewed certificate file is served on the next connection; a broken one is refused and the old stays', async () => {
    const live = { cert: `${dir}/live.pem`, key: `${dir}/live.key` };
    copyFileSync(a.cert, live.cert);
    copyFileSync(a.key, live.key);
    const events: string[] = [];
    const { port } = await tlsLayer(live, { log: (e) => events.push(e) });
    expect(await servedFingerprint(port)).toBe(fingerprint(a));

    copyFileSync(b.key, live.key);
    copyFileSync(b.cert, live.cert);
    let served = '';
    for (let i = 0; i < 200 && served !== fingerprint(b); i++) {
      served = await servedFingerprint(port);
      if (served !== fingerprint(b)) await new Promise((r) => setTimeout(r, 50));
    }
    expect(served).toBe(fingerprint(b));

    events.length = 0;
    writeFileSync(live.cert, 'not a certificate\n');
    expect(await within(10_000, () => events.includes('tls certificate reload failed'))).toBe(true);
    expect(await servedFingerprint(port)).toBe(fingerprint(b));
  });

  it('sends over TLS to a peer whose certificate verifies (pinned CA); the peer sees protocol tls', async () => {
    const server = await tlsLayer(signed.leaf);
    const client = await tlsLayer(a);
    await client.t.send(options('z9hG4bKpinned'), {
      protocol: 'tls',
      address: '127.0.0.1',
      port: server.port,
      tls: { caFile: signed.ca.cert },
    });
    expect(await within(5000, () => server.got.length === 1)).toBe(true);
    expect(server.got[0]!.source.protocol).toBe('tls');
    expect(server.got[0]!.local).toEqual({
      protocol: 'tls',
      address: '127.0.0.1',
      port: server.port,
    });
  });

  it('the extra CA of sip.tls.ca_file is trusted besides the default store', async () => {
    const server = await tlsLayer(signed.leaf);
    const client = await tlsLayer(a, { tlsCaFile: signed.ca.cert });
    await client.t.send(options('z9hG4bKextra'), {
      protocol: 'tls',
      address: '127.0.0.1',
      port: server.port,
    });
    expect(await within(5000, () => server.got.length === 1)).toBe(true);
  });

  it('refuses a certificate that does not verify, or names another host: the send fails', async () => {
    const server = await tlsLayer(a);
    const client = await tlsLayer(b);
    const dest = { protocol: 'tls' as const, address: '127.0.0.1', port: server.port };
    await expect(client.t.send(options('z9hG4bKself'), dest)).rejects.toThrow(/self[- ]signed/i);
    await expect(
      client.t.send(options('z9hG4bKname'), {
        ...dest,
        tls: { caFile: a.cert, serverName: 'sip.example.com' },
      }),
    ).rejects.toThrow(/sip\.example\.com/);
    expect(server.got).toHaveLength(0);
    // The same certificate pinned: accepted.
    await client.t.send(options('z9hG4bKpin'), { ...dest, tls: { caFile: a.cert } });
    expect(await within(5000, () => server.got.length === 1)).toBe(true);
  });

  it('a pinned CA file that changes is read again: the next connection trusts the new one', async () => {
    const pinned = `${dir}/pinned.pem`;
    copyFileSync(a.cert, pinned);
    const first = await tlsLayer(a);
    const second = await tlsLayer(b);
    const client = await tlsLayer(a, { tlsReloadIntervalMs: 50 });
    const to = (port: number) => ({
      protocol: 'tls' as const,
      address: '127.0.0.1',
      port,
      tls: { caFile: pinned },
    });
    await client.t.send(options('z9hG4bKfirst'), to(first.port));
    await expect(client.t.send(options('z9hG4bKsecond0'), to(second.port))).rejects.toThrow();
    copyFileSync(b.cert, pinned);
    let sent = false;
    for (let i = 1; i <= 100 && !sent; i++) {
      sent = await client.t.send(options(`z9hG4bKsecond${i}`), to(second.port)).then(
        () => true,
        () => false,
      );
      if (!sent) await new Promise((r) => setTimeout(r, 50));
    }
    expect(sent).toBe(true);
    expect(await within(5000, () => second.got.length === 1)).toBe(true);
  });

  it('IPv6: a tls:[::1] listener, reached over TLS at ::1 (the certificate names IP ::1)', async () => {
    const server = await tlsLayer(a, {}, '::1');
    const client = await tlsLayer(b, {}, '::1');
    await client.t.send(options('z9hG4bKsix'), {
      protocol: 'tls',
      address: '::1',
      port: server.port,
      tls: { caFile: a.cert },
    });
    expect(await within(5000, () => server.got.length === 1)).toBe(true);
    expect(server.got[0]!.source).toMatchObject({ protocol: 'tls', address: '::1' });
  });
});
