import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkConfig } from '../../../src/config/check-config.js';
import { formatError, parseRouteFile, validateTable } from '../../../src/routing/index.js';
import { tempDir } from '../../temp-dir.js';

// Each validation error class with its exact message; an invalid table yields no table.

const gw = [{ uri: 'sip:198.51.100.10:5060' }];

function errorsOf(raw: object): string[] {
  const v = validateTable(raw);
  expect(v.ok).toBe(false);
  return v.ok ? [] : v.errors.map(formatError);
}

describe('route table validation', () => {
  it.each([
    [
      { providers: [{ id: 'a', gateways: gw, probe: { alive_codes: ['2xx', '2yy'] } }] },
      'providers[0].probe.alive_codes[1]: "2yy" is not a status (200) or a class (2xx)',
    ],
    [
      { providers: [{ id: 'a', gateways: gw, probe: { interval_ms: 10 } }] },
      'providers[0].probe.interval_ms: must be between 100 and 3600000 (got 10)',
    ],
    [
      { providers: [{ id: 'a', gateways: gw, breaker: { failures: -1 } }] },
      'providers[0].breaker.failures: must be between 0 and 1000 (got -1)',
    ],
    [
      { providers: [{ id: 'a', gateways: gw, auth: { password: 'pw-never-shown' } }] },
      'providers[0].auth.username: is required',
    ],
    [
      { providers: [{ id: 'a', gateways: gw, auth: { username: 'u', password: '' } }] },
      'providers[0].auth.password: must not be empty',
    ],
    [
      {
        providers: [
          { id: 'a', gateways: [{ uri: 'sip:198.51.100.10', auth: { username: 'u', pass: 'x' } }] },
        ],
      },
      'providers[0].gateways[0].auth.pass: unknown field "pass"',
    ],
    [
      { providers: [{ id: 'a', gateways: gw, auth: { username: 'u', password: 7 } }] },
      'providers[0].auth.password: must be a string',
    ],
    [
      { providers: [{ id: 'a', gateways: gw, breaker: { cooldown: 5 } }] },
      'providers[0].breaker.cooldown: unknown field "cooldown"',
    ],
    [
      {
        providers: [{ id: 'a', gateways: gw }],
        routes: [{ id: 'r', provider_id: 'a', destination: { pattern: 'spane' } }],
      },
      'routes[0].destination.pattern: unknown pattern "spane"',
    ],
    [
      {
        providers: [{ id: 'a', gateways: gw }],
        routes: [{ id: 'r', provider_id: 'a', destination: { group: 'eu' } }],
      },
      'routes[0].destination.group: unknown group "eu"',
    ],
    [
      {
        providers: [{ id: 'a', gateways: gw }],
        routes: [{ id: 'r', provider_id: 'a', customer_id: 'acme' }],
      },
      'routes[0].customer_id: unknown customer "acme"',
    ],
    [
      { groups: [{ id: 'g', patterns: ['nope'] }] },
      'groups[0].patterns[0]: unknown pattern "nope"',
    ],
    [
      { providers: [{ id: 'a', gateways: [{ uri: 'http://x' }] }] },
      'providers[0].gateways[0].uri: "http://x" is not a gateway URI (sip:host[:port][;transport=udp|tcp|tls] or sips:host[:port])',
    ],
    [
      { providers: [{ id: 'a', gateways: [{ uri: 'sip:198.51.100.1;transport=sctp' }] }] },
      'providers[0].gateways[0].uri: transport "sctp" is not supported (udp, tcp or tls)',
    ],
    [
      { providers: [{ id: 'a', gateways: [{ uri: 'sips:198.51.100.1;transport=udp' }] }] },
      'providers[0].gateways[0].uri: transport "udp" contradicts sips: (always TLS)',
    ],
    [
      { providers: [{ id: 'a', gateways: [{ uri: 'sips:h.example' }], tls: { ca: 'x' } }] },
      'providers[0].tls.ca: unknown field "ca"',
    ],
    [
      { providers: [{ id: 'a', gateways: [{ uri: 'sips:h.example' }], tls: { verify: 'no' } }] },
      'providers[0].tls.verify: must be true or false',
    ],
    [
      {
        providers: [
          {
            id: 'a',
            gateways: [{ uri: 'sips:h.example' }],
            tls: { verify: false, ca_file: '/ca.pem' },
          },
        ],
      },
      'providers[0].tls.verify: false contradicts ca_file (a pinned CA is only used to verify)',
    ],
    [
      {
        providers: [
          { id: 'a', gateways: [{ uri: 'sips:h.example' }], tls: { server_name: 'a b' } },
        ],
      },
      'providers[0].tls.server_name: "a b" is not a host name or address',
    ],
    [
      { providers: [{ id: 'a', gateways: gw, tls: { ca_file: '/ca.pem' } }] },
      'providers[0].tls: the provider has no TLS gateway (transport=tls or sips:)',
    ],
    [
      { providers: [{ id: 'a', gateways: gw, failover: { on: ['5xx', 'sometimes'] } }] },
      'providers[0].failover.on[1]: "sometimes" is not a trigger (a status 300-699, 3xx/4xx/5xx/6xx, trying_timeout, timeout, transport_error)',
    ],
    [
      {
        providers: [{ id: 'a', gateways: gw }],
        routes: [{ id: 'r', provider_id: 'a', schedule: { from: '25:00' } }],
      },
      'routes[0].schedule.from: "25:00" is not HH:MM',
    ],
    [
      { patterns: [{ id: 'p', prefixes: ['+34abc'] }] },
      'patterns[0].prefixes[0]: "+34abc" is not a dialling prefix (digits, optional leading +)',
    ],
    [{ providers: [{ id: 'a' }] }, 'providers[0].gateways: is required'],
    [{ routes: [{ id: 'r' }] }, 'routes[0].provider_id: is required'],
    [
      { customers: [{ id: 'c', sources: ['not-an-ip'] }] },
      'customers[0].sources[0]: "not-an-ip" is not an IP address or CIDR',
    ],
    [{ routs: [] }, 'routs: unknown field "routs"'],
  ])('%#: %s', (raw, message) => {
    expect(errorsOf(raw)).toContain(message);
  });

  it('a YAML syntax error names the file, line and column', () => {
    const r = parseRouteFile('routes:\n  - id: a\n   bad: [\n', 'routes.yaml');
    expect(r.ok).toBe(false);
    if (!r.ok)
      expect(formatError(r.errors[0]!)).toMatch(/^routes\.yaml:\d+:\d+: YAML syntax error/);
  });

  it('check-config prints every problem in a route file with three different errors', () => {
    const dir = tempDir('trunkroute-check-');
    const file = join(dir, 'routes.yaml');
    writeFileSync(
      file,
      [
        'providers:',
        '  - id: telnyx',
        '    gateways: [{ uri: "sip:198.51.100.10" }]',
        'routes:',
        '  - { id: a, provider_id: telnx }',
        '  - { id: b, provider_id: telnyx, metric: 0 }',
        '  - { id: c, provider_id: telnyx, priorty: 2 }',
      ].join('\n'),
    );
    const r = checkConfig({ routesFile: file, env: {} });
    expect(r.ok).toBe(false);
    expect(r.problems).toEqual([
      `${file}: routes[0].provider_id: unknown provider "telnx"`,
      `${file}: routes[1].metric: must be greater than 0 (got 0)`,
      `${file}: routes[2].priorty: unknown field "priorty"`,
    ]);
  });

  it('check-config: a pinned CA file that cannot be read, and TLS gateways without a tls: listener', () => {
    const dir = tempDir('trunkroute-tls-');
    const file = join(dir, 'routes.yaml');
    writeFileSync(
      file,
      [
        'providers:',
        '  - id: plain',
        '    gateways: [{ uri: "sip:198.51.100.10" }]',
        '  - id: carrier',
        '    gateways: [{ uri: "sips:198.51.100.11" }]',
        `    tls: { ca_file: ${join(dir, 'missing-ca.pem')} }`,
      ].join('\n'),
    );
    const r = checkConfig({
      routesFile: file,
      env: { TRUNKROUTE_SIP_LISTEN: 'udp:127.0.0.1:5060' },
    });
    expect(r.problems).toEqual([
      `${file}: providers[1].tls.ca_file: cannot read ${join(dir, 'missing-ca.pem')}`,
      `config: sip.listen: ${file} has TLS gateways (providers[1].gateways[0]) but no tls: listener for their in-dialog requests to come back to`,
    ]);
  });
});

describe('provider credentials', () => {
  it('a gateway uses its own auth, else its provider’s; JSON never shows the password', async () => {
    const { compileTable, planCall } = await import('../../../src/routing/index.js');
    const v = validateTable({
      providers: [
        {
          id: 'a',
          auth: { username: 'prov', password: 'pw-provider-1', realm: 'r.example' },
          gateways: [
            { uri: 'sip:198.51.100.10' },
            { uri: 'sip:198.51.100.11', auth: { username: 'gw', password: 'pw-gateway-2' } },
          ],
        },
      ],
      routes: [{ id: 'r', provider_id: 'a' }],
      settings: { allow_unknown_sources: true },
    });
    expect(v.ok).toBe(true);
    if (!v.ok) return;
    const plan = planCall(
      compileTable(v.table),
      { destination: '+34911234567', sourceAddress: '127.0.0.1', trace: true },
      () => 0,
      0,
    );
    const byUri = new Map(plan.attempts.map((a) => [a.gateway.host, a.auth]));
    expect(byUri.get('198.51.100.10')).toMatchObject({ username: 'prov', realm: 'r.example' });
    expect(byUri.get('198.51.100.10')?.password).toBe('pw-provider-1');
    expect(byUri.get('198.51.100.11')?.password).toBe('pw-gateway-2');
    expect(byUri.get('198.51.100.11')?.answers('any realm')).toBe(true);
    expect(byUri.get('198.51.100.10')?.answers('other.example')).toBe(false);
    const json = JSON.stringify({ table: v.table, plan });
    expect(json).not.toContain('pw-provider-1');
    expect(json).not.toContain('pw-gateway-2');
    expect(json).toContain('"password_set":true');
    const { inspect } = await import('node:util');
    expect(inspect(plan, { depth: 10 })).not.toContain('pw-provider-1');
  });
});
