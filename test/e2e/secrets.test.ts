import { afterEach, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Scene, failoverTable, DIALLED } from './harness/scene.js';
import { startRedis, type RedisServer } from './harness/redis.js';

// Issue 8, secrets: API tokens and the Redis password never show in logs,
// metrics, explain, health or error messages.

const CLI = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));
const TOKEN = 'tok-9f2c71e0d4b8a6';
const PASSWORD = 'pw-5e8d2a7c1b9f43';

const scene = new Scene();
let redis: RedisServer | undefined;
afterEach(async () => {
  await scene.stopAll();
  await redis?.stop();
});

describe('secrets stay secret', () => {
  it('tokens and the Redis password appear in no log line, API answer or error message', async () => {
    redis = await startRedis({ password: PASSWORD });
    const a = await scene.provider('a', { reject: 503 }, { calls: 1000 });
    const b = await scene.provider('b', { answer: true }, { calls: 1000 });
    const tr = await scene.trunkroute(failoverTable([a, b]), {
      api: { tokens: [TOKEN] },
      redis: { url: redis.url },
      // Redis-held table (seeded from the file): API edits are validated, not refused as read-only.
      routes: { source: 'redis' },
    });
    expect((await scene.call(tr)).successfulCalls).toBe(1);
    await tr.waitForRecords(1);

    const api = (path: string, token?: string): Promise<Response> =>
      fetch(`http://127.0.0.1:${tr.apiPort}${path}`, {
        headers: token ? { authorization: `Bearer ${token}` } : {},
      });
    const answers: string[] = [];
    for (const [path, token] of [
      [`/v1.0/explain?destination=${encodeURIComponent(DIALLED)}&source=127.0.0.1`, TOKEN],
      [`/v1.0/routes?token=${TOKEN}`, undefined],
      ['/v1.0/providers', `${TOKEN}x`],
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
    expect(answers.some((x) => x.startsWith('/v1.0/providers 401'))).toBe(true);
    expect(answers.some((x) => x.includes('trunkroute_calls_total'))).toBe(true);

    await tr.stop();
    const everything = [...answers, JSON.stringify(tr.logs), tr.stderr()].join('\n');
    expect(everything).not.toContain(TOKEN);
    expect(everything).not.toContain(PASSWORD);
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
