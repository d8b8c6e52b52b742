import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load-config.js';

function file(name: string, text: string): string {
  const f = join(mkdtempSync(join(tmpdir(), 'trunkroute-cfg-')), name);
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
});
