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

  it('400 with the field path for a bad body; nothing changes', async () => {
    const { inject, store } = await api();
    const bad = await inject({
      method: 'POST',
      url: '/v1.0/routes',
      headers: auth,
      payload: { id: 'r', provider_id: 'telnx', priority: -1 },
    });
    expect(bad.statusCode).toBe(400);
    const paths = (bad.json() as { errors: Array<{ path: string }> }).errors.map((e) => e.path);
    expect(paths).toEqual(expect.arrayContaining(['routes[0].provider_id', 'routes[0].priority']));
    expect(store.snapshot().version).toBe(1);
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
