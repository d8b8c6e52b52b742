import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load-config.js';
import { certDir, selfSigned } from '../../e2e/harness/certs.js';
import { tempDir } from '../../temp-dir.js';

function file(name: string, text: string): string {
  const f = join(tempDir('trunkroute-cfg-'), name);
  writeFileSync(f, text);
  return f;
}

describe('loadConfig', () => {
  it('defaults < file (YAML) < environment < overrides', () => {
    const f = file('c.yaml', 'proxy:\n  max_forwards: 20\n  mode: redirect\napi:\n  port: 9000\n');
    const r = loadConfig({
      file: f,
      env: {
        TRUNKROUTE_API_PORT: '9100',
        TRUNKROUTE_SIP_LISTEN: 'udp:127.0.0.1:5070,tcp:[::1]:5070',
      },
      overrides: { 'proxy.max_forwards': 30 },
    });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.config.proxy.mode).toBe('redirect'); // file over default
    expect(r.config.api.port).toBe(9100); // environment over file
    expect(r.config.proxy.max_forwards).toBe(30); // flag over file
    expect(r.config.sip.listen).toEqual(['udp:127.0.0.1:5070', 'tcp:[::1]:5070']);
    expect(r.config.sip.t1_ms).toBe(500); // default
  });

  it('lists every problem: unknown key, bad value, bad listen entry', () => {
    const f = file(
      'c.json',
      JSON.stringify({
        proxy: { mode: 'sideways', max_forwardz: 1 },
        sip: { listen: ['sctp:1.2.3.4:5060'] },
      }),
    );
    const r = loadConfig({ file: f, env: {} });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    const all = r.errors.join('\n');
    expect(all).toContain('proxy.mode');
    expect(all).toContain('max_forwardz');
    expect(all).toContain('sctp:1.2.3.4:5060');
  });

  it('a tls: listener without a certificate and key is refused, naming both settings', () => {
    const r = loadConfig({
      env: { TRUNKROUTE_SIP_LISTEN: 'udp:127.0.0.1:5060,tls:127.0.0.1:5061' },
    });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors).toContain('sip.tls.cert_file: a tls: listener in sip.listen needs it');
    expect(r.errors).toContain('sip.tls.key_file: a tls: listener in sip.listen needs it');
  });

  it('a certificate file that cannot be read or does not match its key is refused, naming the setting', () => {
    const dir = certDir();
    const a = selfSigned(dir, 'a');
    const b = selfSigned(dir, 'b');
    const listen = { TRUNKROUTE_SIP_LISTEN: 'tls:127.0.0.1:5061' };
    const missing = loadConfig({
      env: {
        ...listen,
        TRUNKROUTE_SIP_TLS_CERT_FILE: `${dir}/nope.pem`,
        TRUNKROUTE_SIP_TLS_KEY_FILE: a.key,
      },
    });
    expect(missing.ok).toBe(false);
    if (!missing.ok)
      expect(missing.errors.join('\n')).toMatch(/^sip\.tls\.cert_file: cannot read .*nope\.pem/);
    const mismatched = loadConfig({
      env: { ...listen, TRUNKROUTE_SIP_TLS_CERT_FILE: a.cert, TRUNKROUTE_SIP_TLS_KEY_FILE: b.key },
    });
    expect(mismatched.ok).toBe(false);
    if (!mismatched.ok)
      expect(mismatched.errors.join('\n')).toContain('sip.tls.cert_file / sip.tls.key_file');
    const good = loadConfig({
      env: { ...listen, TRUNKROUTE_SIP_TLS_CERT_FILE: a.cert, TRUNKROUTE_SIP_TLS_KEY_FILE: a.key },
    });
    expect(good.ok).toBe(true);
  });

  it('several workers cannot serve a tls: listener: refused naming workers.count', () => {
    const dir = certDir();
    const a = selfSigned(dir, 'a');
    const r = loadConfig({
      env: {
        TRUNKROUTE_SIP_LISTEN: 'udp:127.0.0.1:5060,tls:127.0.0.1:5061',
        TRUNKROUTE_SIP_TLS_CERT_FILE: a.cert,
        TRUNKROUTE_SIP_TLS_KEY_FILE: a.key,
        TRUNKROUTE_WORKERS_COUNT: '2',
        TRUNKROUTE_REDIS_URL: 'redis://127.0.0.1:1',
        TRUNKROUTE_ROUTES_SOURCE: 'redis',
      },
    });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors).toContain(
      'workers.count: 2 workers serve UDP listeners only; remove the tls: entries from sip.listen or set workers.count to 1',
    );
  });
});
