import { afterEach, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Scene, failoverTable, DIALLED, SCENARIOS } from './harness/scene.js';
import { renderScenario } from './harness/sipp.js';
import { startRedis, type RedisServer } from './harness/redis.js';

// Issue 8, secrets: API tokens and the Redis password never show in logs,
// metrics, explain, health or error messages.

const CLI = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));
const TOKEN = 'tok-9f2c71e0d4b8a6';
const PASSWORD = 'pw-5e8d2a7c1b9f43';
/** A provider's digest password (issue 15): used on the wire, shown nowhere. */
const PROVIDER_PASSWORD = 'pw-prov-8b3e61d0a9';

const scene = new Scene();
let redis: RedisServer | undefined;
afterEach(async () => {
  await scene.stopAll();
  await redis?.stop();
});

describe('secrets stay secret', () => {
  it('tokens, the Redis password and provider passwords appear in no log line, API answer or error message', async () => {
    redis = await startRedis({ password: PASSWORD });
    const a = await scene.provider('a', { reject: 503 }, { calls: 1000 });
    // b challenges and connects only for its credentials (SIPp's verifyauth).
    const challenge = renderScenario(join(SCENARIOS, 'provider-auth-challenge.xml'), {
      status: 401,
      reason: 'Unauthorized',
      challenge_header: 'WWW-Authenticate',
      credentials_header: 'Authorization',
      realm: 'trunk.example',
      nonce: 'n[pid]x[call_number]',
      qop: ', qop="auth", algorithm=MD5',
      check: `<verifyauth assign_to="authvalid" username="trunk" password="${PROVIDER_PASSWORD}"/>`,
    });
    const b = await scene.provider('b', { scenario: challenge });
    const auth = { username: 'trunk', password: PROVIDER_PASSWORD };
    const table = failoverTable([a, { ...b, extra: { auth } }]);
    const tr = await scene.trunkroute(table, {
      api: { tokens: [TOKEN] },
      redis: { url: redis.url },
      // Redis-held table (seeded from the file): API edits are validated, not refused as read-only.
      routes: { source: 'redis' },
    });
    expect((await scene.call(tr)).successfulCalls).toBe(1);
    const [rec] = await tr.waitForRecords(1);
    // The password was used: b challenged and took the answer.
    expect(rec!.attempts[1]).toMatchObject({ provider: 'b', status: 200, challenged: 401 });

    const api = (path: string, token?: string): Promise<Response> =>
      fetch(`http://127.0.0.1:${tr.apiPort}${path}`, {
        headers: token ? { authorization: `Bearer ${token}` } : {},
      });
    const answers: string[] = [];
    for (const [path, token] of [
      [`/v1.0/explain?destination=${encodeURIComponent(DIALLED)}&source=127.0.0.1`, TOKEN],
      [`/v1.0/routes?token=${TOKEN}`, undefined],
      ['/v1.0/providers', `${TOKEN}x`],
      ['/v1.0/providers', TOKEN],
      ['/v1.0/providers/b', TOKEN],
      ['/healthz', undefined],
      ['/metrics', undefined],
      ['/v1.0/routes/nope', TOKEN],
    ] as Array<[string, string | undefined]>) {
      const res = await api(path, token);
      // What the API said (the request itself carried the token, so it is not kept).
      answers.push(`${path.split('?')[0]} ${res.status} ${await res.text()}`);
    }
    // A refused edit answers with the field, never the secrets.
    const bad = await fetch(`http://127.0.0.1:${tr.apiPort}/v1.0/routes?token=${TOKEN}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ id: 'x', name: 'x', provider_id: 'nope', priority: 1 }),
    });
    answers.push(await bad.text());
    expect(bad.status).toBe(400);
    // A refused provider edit carrying the password names the field, not the value.
    const badProvider = await fetch(
      `http://127.0.0.1:${tr.apiPort}/v1.0/providers/b?token=${TOKEN}`,
      {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          gateways: [{ uri: 'sip:127.0.0.1:1;transport=carrier-pigeon' }],
          auth: { username: 'trunk', password: PROVIDER_PASSWORD, realm: 7 },
        }),
      },
    );
    answers.push(await badProvider.text());
    expect(badProvider.status).toBe(400);
    expect(answers.some((x) => x.includes('"password_set":true'))).toBe(true);
    // The CLI's explain of the same table.
    const routes = join(scene.tempDir(), 'routes.json');
    writeFileSync(routes, JSON.stringify(table));
    const explain = spawnSync(
      process.execPath,
      [CLI, 'explain', '--routes', routes, '--destination', DIALLED, '--source', '127.0.0.1'],
      { encoding: 'utf8' },
    );
    expect(explain.status).toBe(0);
    expect(explain.stdout).toContain('attempt');
    answers.push(explain.stdout + explain.stderr);
    // A route file refused by check-config.
    const badRoutes = join(scene.tempDir(), 'bad-routes.json');
    writeFileSync(
      badRoutes,
      JSON.stringify({ providers: [{ id: 'x', gateways: [{ uri: 'nope' }], auth }] }),
    );
    const checked = spawnSync(process.execPath, [CLI, 'check-config', '--routes', badRoutes], {
      encoding: 'utf8',
    });
    expect(checked.status).toBe(1);
    expect(checked.stdout + checked.stderr).toContain('providers[0].gateways[0].uri');
    answers.push(checked.stdout + checked.stderr);
    expect(answers.some((x) => x.startsWith('/v1.0/providers 401'))).toBe(true);
    expect(answers.some((x) => x.includes('trunkroute_calls_total'))).toBe(true);

    await tr.stop();
    const everything = [...answers, JSON.stringify(tr.logs), tr.stderr()].join('\n');
    expect(everything).not.toContain(TOKEN);
    expect(everything).not.toContain(PASSWORD);
    expect(everything).not.toContain(PROVIDER_PASSWORD);
  });

  it('check-config names the bad setting without printing the tokens or the Redis URL password', () => {
    const dir = scene.tempDir();
    const config = join(dir, 'bad.json');
    writeFileSync(
      config,
      JSON.stringify({
        api: { tokens: [TOKEN], port: 'not-a-port' },
        redis: { url: `redis://:${PASSWORD}@127.0.0.1:1` },
      }),
    );
    const r = spawnSync(process.execPath, [CLI, 'check-config', '--config', config], {
      encoding: 'utf8',
    });
    expect(r.status).toBe(1);
    expect(r.stdout + r.stderr).toContain('api.port');
    expect(r.stdout + r.stderr).not.toContain(TOKEN);
    expect(r.stdout + r.stderr).not.toContain(PASSWORD);
  });
});
