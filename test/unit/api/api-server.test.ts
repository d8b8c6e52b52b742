import { describe, expect, it } from 'vitest';
import { createApiServer } from '../../../src/api/api-server.js';
import { MemoryStore } from '../../../src/store/memory-store.js';

// The admin API through fastify's inject: CRUD, auth, field-named 400s, 409 on a
// delete that would leave a route without its provider.

const log = { info: () => {}, warn: () => {}, error: () => {} };

async function api(tokens: string[] = ['s3cret']) {
  const store = new MemoryStore(undefined, log);
  await store.start();
  const server = createApiServer({
    config: { enabled: true, address: '127.0.0.1', port: 0, tokens },
    store,
    explain: (destination) => ({ destination }),
    health: () => ({ ok: true, details: store.status() as unknown as Record<string, unknown> }),
  });
  return { store, inject: server.inject };
}

const auth = { authorization: 'Bearer s3cret' };

describe('admin API', () => {
  it('401 without a token and with a wrong one; ?token= and Bearer both work; /healthz is open', async () => {
    const { inject } = await api();
    expect((await inject({ method: 'GET', url: '/v1.0/routes' })).statusCode).toBe(401);
    expect((await inject({ method: 'GET', url: '/v1.0/routes?token=nope' })).statusCode).toBe(401);
    expect((await inject({ method: 'GET', url: '/v1.0/routes?token=s3cret' })).statusCode).toBe(
      200,
    );
    expect((await inject({ method: 'GET', url: '/v1.0/routes', headers: auth })).statusCode).toBe(
      200,
    );
    expect((await inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
  });

  it('CRUD with VoIPBIN field names; every write bumps the version', async () => {
    const { inject, store } = await api();
    const p = await inject({
      method: 'POST',
      url: '/v1.0/providers',
      headers: auth,
      payload: { id: 'telnyx', name: 'Telnyx', gateways: [{ uri: 'sip:198.51.100.10' }] },
    });
    expect(p.statusCode).toBe(201);
    const r = await inject({
      method: 'POST',
      url: '/v1.0/routes',
      headers: auth,
      payload: {
        name: 'US Primary Route',
        provider_id: 'telnyx',
        priority: 1,
        detail: 'Primary route for US outbound calls',
      },
    });
    expect(r.statusCode).toBe(201);
    const id = (r.json() as { id: string }).id;
    expect(
      (await inject({ method: 'GET', url: `/v1.0/routes/${id}`, headers: auth })).json(),
    ).toMatchObject({
      name: 'US Primary Route',
      provider_id: 'telnyx',
    });
    const u = await inject({
      method: 'PUT',
      url: `/v1.0/routes/${id}`,
      headers: auth,
      payload: { name: 'US Primary', provider_id: 'telnyx', priority: 2 },
    });
    expect(u.statusCode).toBe(200);
    expect(store.snapshot().table.routes[0]!.priority).toBe(2);
    expect(
      (await inject({ method: 'GET', url: '/v1.0/routes', headers: auth })).json(),
    ).toMatchObject({
      result: [{ id, priority: 2 }],
    });
    expect(
      (await inject({ method: 'DELETE', url: `/v1.0/routes/${id}`, headers: auth })).statusCode,
    ).toBe(200);
    expect(
      (await inject({ method: 'GET', url: `/v1.0/routes/${id}`, headers: auth })).statusCode,
    ).toBe(404);
    expect(store.snapshot().version).toBe(5);
  });

  it('400 with the field path for a bad body (shape, then whole table); nothing changes', async () => {
    const { inject, store } = await api();
    const shape = await inject({
      method: 'POST',
      url: '/v1.0/routes',
      headers: auth,
      payload: { id: 'r', priority: -1 },
    });
    expect(shape.statusCode).toBe(400);
    const shapePaths = (shape.json() as { errors: Array<{ path: string }> }).errors.map(
      (e) => e.path,
    );
    expect(shapePaths).toEqual(expect.arrayContaining(['body.priority', 'body.provider_id']));
    const table = await inject({
      method: 'POST',
      url: '/v1.0/routes',
      headers: auth,
      payload: { id: 'r', provider_id: 'telnx' },
    });
    expect(table.statusCode).toBe(400);
    expect((table.json() as { message: string }).message).toContain(
      'routes[0].provider_id: unknown provider "telnx"',
    );
    expect(store.snapshot().version).toBe(1);
  });

  it('serves an OpenAPI 3.0 document whose references all resolve and whose operations all have responses', async () => {
    const { inject } = await api();
    const doc = (await inject({ method: 'GET', url: '/openapi.json' })).json() as {
      openapi: string;
      info: { title: string; version: string };
      paths: Record<string, Record<string, { responses?: Record<string, unknown> }>>;
      components: { schemas: Record<string, unknown> };
    };
    expect(doc.openapi).toMatch(/^3\.0\.\d$/);
    expect(doc.info.title).toBeTruthy();
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/v1.0/routes', '/v1.0/routes/{id}', '/v1.0/explain']),
    );
    for (const ops of Object.values(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        expect(['get', 'post', 'put', 'delete']).toContain(method);
        expect(Object.keys(op.responses ?? {}).length).toBeGreaterThan(0);
      }
    }
    const refs = [
      ...JSON.stringify(doc).matchAll(/"\$ref":"#\/components\/schemas\/([^"]+)"/g),
    ].map((m) => m[1]!);
    expect(refs.length).toBeGreaterThan(0);
    for (const r of refs) expect(doc.components.schemas).toHaveProperty(r);
  });

  it('409 for deleting a provider a route still uses; the provider stays', async () => {
    const { inject, store } = await api();
    await inject({
      method: 'POST',
      url: '/v1.0/providers',
      headers: auth,
      payload: { id: 'a', gateways: [{ uri: 'sip:198.51.100.10' }] },
    });
    await inject({
      method: 'POST',
      url: '/v1.0/routes',
      headers: auth,
      payload: { id: 'r', provider_id: 'a' },
    });
    const d = await inject({ method: 'DELETE', url: '/v1.0/providers/a', headers: auth });
    expect(d.statusCode).toBe(409);
    expect((d.json() as { message: string }).message).toContain(
      'routes[0].provider_id: unknown provider "a"',
    );
    expect(store.snapshot().table.providers.map((p) => p.id)).toEqual(['a']);
  });

  it('provider passwords are write-only; a PUT without one keeps the stored password', async () => {
    const { inject, store } = await api();
    const secret = 'pw-unit-7c1b9f';
    const created = await inject({
      method: 'POST',
      url: '/v1.0/providers',
      headers: auth,
      payload: {
        id: 'a',
        auth: { username: 'trunk', password: secret, realm: 'sip.example' },
        gateways: [
          { uri: 'sip:198.51.100.10' },
          { uri: 'sip:198.51.100.11', auth: { username: 'gw2', password: `${secret}2` } },
        ],
      },
    });
    expect(created.statusCode).toBe(201);
    expect(created.body).not.toContain(secret);
    const got = await inject({ method: 'GET', url: '/v1.0/providers/a', headers: auth });
    expect(got.json()).toMatchObject({
      auth: { username: 'trunk', realm: 'sip.example', password_set: true },
      gateways: [{ uri: 'sip:198.51.100.10' }, { auth: { username: 'gw2', password_set: true } }],
    });
    const list = await inject({ method: 'GET', url: '/v1.0/providers', headers: auth });
    expect(list.body).not.toContain(secret);
    // GET, change the name, PUT back: the passwords survive.
    const put = await inject({
      method: 'PUT',
      url: '/v1.0/providers/a',
      headers: auth,
      payload: { ...(got.json() as object), name: 'Renamed' },
    });
    expect(put.statusCode).toBe(200);
    expect(put.body).not.toContain(secret);
    const p = store.snapshot().table.providers[0]!;
    expect(p.name).toBe('Renamed');
    expect(p.auth?.password).toBe(secret);
    expect(p.gateways[1]!.auth?.password).toBe(`${secret}2`);
    // A new provider must bring its password.
    const bad = await inject({
      method: 'POST',
      url: '/v1.0/providers',
      headers: auth,
      payload: { id: 'b', auth: { username: 'x' }, gateways: [{ uri: 'sip:198.51.100.12' }] },
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toContain('providers[1].auth.password: is required');
  });

  it('refuses to start on a non-loopback address without tokens', async () => {
    const store = new MemoryStore(undefined, log);
    await store.start();
    const server = createApiServer({
      config: { enabled: true, address: '0.0.0.0', port: 0, tokens: [] },
      store,
      explain: () => ({}),
      health: () => ({ ok: true, details: {} }),
    });
    await expect(server.start()).rejects.toThrow(/not loopback: set api.tokens/);
  });
});
