import { timingSafeEqual } from 'node:crypto';
import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyError, type FastifyReply, type FastifyRequest } from 'fastify';
import type { ServerConfig } from '../config/schema.js';
import { formatError } from '../routing/index.js';
import type { RawTable, RouteStore } from '../store/route-store.js';
import { COLLECTION_SCHEMA, ENTITY_SCHEMAS, openApiDocument } from './entity-schemas.js';
import { mergeProviderSecrets, redactProvider } from './provider-secrets.js';

export interface ApiOptions {
  config: ServerConfig['api'];
  store: RouteStore;
  log?: { warn(obj: object, msg: string): void };
  explain: (destination: string, source: string, customer?: string) => unknown;
  health: () => { ok: boolean; details: Record<string, unknown> };
  metrics?: () => Promise<string>;
}

/** The collections of the route table the API manages, by URL name. */
const COLLECTIONS = ['routes', 'providers', 'patterns', 'groups', 'customers'] as const;
type Collection = (typeof COLLECTIONS)[number];

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

/**
 * The admin API (DESIGN §6): CRUD on every collection of the route table with
 * VoIPBIN's route field names, explain, health. Writes are validated as a whole
 * table by the store; a refused write changes nothing.
 */
export function createApiServer(opts: ApiOptions): {
  start(): Promise<{ address: string; port: number }>;
  stop(): Promise<void>;
  inject: ReturnType<typeof Fastify>['inject'];
} {
  const { config, store } = opts;
  const app = Fastify({
    logger: false,
    // Bodies are checked as sent: no type coercion, nothing removed.
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, allErrors: true } },
  });
  app.setErrorHandler((err: FastifyError, _req, reply) => {
    const v = (
      err as {
        validation?: Array<{
          instancePath: string;
          message?: string;
          params?: { missingProperty?: string };
        }>;
      }
    ).validation;
    if (v) {
      const errors = v.map((e) => {
        const path = [
          'body',
          ...e.instancePath.split('/').filter(Boolean),
          ...(e.params?.missingProperty ? [e.params.missingProperty] : []),
        ].join('.');
        return { path, message: e.message ?? 'is invalid' };
      });
      void reply.code(400).send({
        error: 'bad request',
        message: errors.map((e) => `${e.path}: ${e.message}`).join('; '),
        errors,
      });
      return;
    }
    void reply.code(err.statusCode ?? 500).send({ error: err.name, message: err.message });
  });
  const tokens = config.tokens.map((t) => Buffer.from(t));

  const authorised = (req: FastifyRequest): boolean => {
    if (tokens.length === 0) return true;
    const q = (req.query as Record<string, unknown>)?.token;
    const h = req.headers.authorization;
    const given = typeof q === 'string' ? q : h?.startsWith('Bearer ') ? h.slice(7) : undefined;
    if (!given) return false;
    const g = Buffer.from(given);
    return tokens.some((t) => t.length === g.length && timingSafeEqual(t, g));
  };

  app.addHook('onRequest', async (req, reply) => {
    const path = req.url.split('?')[0];
    if (path === '/healthz' || path === '/metrics' || path === '/openapi.json') return;
    if (!authorised(req)) {
      await reply.code(401).send({ error: 'unauthorized', message: 'a valid token is required' });
    }
  });

  app.get('/healthz', async (_req, reply) => {
    const h = opts.health();
    const st = store.status();
    const status = st.lastError ? 'degraded' : 'ok';
    return reply.code(h.ok ? 200 : 503).send({ status, ...h.details });
  });

  if (opts.metrics) {
    const metrics = opts.metrics;
    app.get('/metrics', async (_req, reply) =>
      reply.type('text/plain; version=0.0.4').send(await metrics()),
    );
  }

  app.get('/openapi.json', async () => openApiDocument());

  app.get('/v1.0/explain', async (req, reply) => {
    const q = req.query as Record<string, string | undefined>;
    if (!q.destination) return reply.code(400).send(badRequest('query.destination', 'is required'));
    return opts.explain(q.destination, q.source ?? '127.0.0.1', q.customer);
  });

  for (const name of COLLECTIONS) {
    const list = (raw: RawTable): Array<Record<string, unknown>> =>
      Array.isArray(raw[name]) ? (raw[name] as Array<Record<string, unknown>>) : [];

    // Provider passwords are write-only: never in an answer (provider-secrets.ts).
    const shown = name === 'providers' ? redactProvider : (x: Record<string, unknown>) => x;
    const stored =
      name === 'providers'
        ? (x: Record<string, unknown>, old: Record<string, unknown> | undefined) =>
            mergeProviderSecrets(x, old)
        : (x: Record<string, unknown>) => x;

    app.get(`/v1.0/${name}`, async () => ({ result: list(store.snapshot().raw).map(shown) }));

    app.get(`/v1.0/${name}/:id`, async (req, reply) => {
      const { id } = req.params as { id: string };
      const item = list(store.snapshot().raw).find((x) => x.id === id);
      return item ? shown(item) : reply.code(404).send(notFound(name, id));
    });

    const bodySchema = { schema: { body: ENTITY_SCHEMAS[COLLECTION_SCHEMA[name]!] } };

    app.post(`/v1.0/${name}`, bodySchema, async (req, reply) => {
      const body = objectBody(req, reply);
      if (!body) return reply;
      const item = stored(
        { ...body, id: typeof body.id === 'string' ? body.id : randomUUID() },
        undefined,
      );
      if (list(store.snapshot().raw).some((x) => x.id === item.id)) {
        return reply.code(409).send({
          error: 'conflict',
          errors: [{ path: 'body.id', message: `${singular(name)} "${item.id}" already exists` }],
        });
      }
      return write(reply, name, 201, item, (raw) => {
        raw[name] = [...list(raw), item];
      });
    });

    app.put(`/v1.0/${name}/:id`, bodySchema, async (req, reply) => {
      const { id } = req.params as { id: string };
      const body = objectBody(req, reply);
      if (!body) return reply;
      const old = list(store.snapshot().raw).find((x) => x.id === id);
      if (!old) return reply.code(404).send(notFound(name, id));
      const item = stored({ ...body, id }, old);
      return write(reply, name, 200, item, (raw) => {
        raw[name] = list(raw).map((x) => (x.id === id ? stored({ ...body, id }, x) : x));
      });
    });

    app.delete(`/v1.0/${name}/:id`, async (req, reply) => {
      const { id } = req.params as { id: string };
      const item = list(store.snapshot().raw).find((x) => x.id === id);
      if (!item) return reply.code(404).send(notFound(name, id));
      return write(
        reply,
        name,
        200,
        item,
        (raw) => {
          raw[name] = list(raw).filter((x) => x.id !== id);
        },
        true,
      );
    });
  }

  async function write(
    reply: FastifyReply,
    name: Collection,
    okStatus: number,
    item: Record<string, unknown>,
    change: (raw: RawTable) => void,
    isDelete = false,
  ): Promise<FastifyReply> {
    const result = await store.mutate(change);
    if (result.ok) {
      const shown = name === 'providers' ? redactProvider(item) : item;
      return reply.code(okStatus).send({ ...shown, version: result.version });
    }
    // A delete that leaves references dangling is a conflict with the rest of the table.
    const status = isDelete && result.status === 400 ? 409 : result.status;
    return reply.code(status).send({
      error: status === 409 ? 'conflict' : 'bad request',
      message: result.errors.map(formatError).join('; '),
      errors: result.errors,
      collection: name,
    });
  }

  return {
    inject: app.inject.bind(app),
    async start() {
      if (tokens.length === 0 && !LOOPBACK.has(config.address)) {
        throw new Error(
          `api.address ${config.address} is not loopback: set api.tokens before exposing the admin API`,
        );
      }
      await app.listen({ host: config.address, port: config.port });
      const addr = app.server.address();
      return {
        address: config.address,
        port: typeof addr === 'object' && addr ? addr.port : config.port,
      };
    },
    async stop() {
      await app.close();
    },
  };
}

function objectBody(req: FastifyRequest, reply: FastifyReply): Record<string, unknown> | undefined {
  const b = req.body;
  if (b && typeof b === 'object' && !Array.isArray(b)) return b as Record<string, unknown>;
  void reply.code(400).send(badRequest('body', 'must be a JSON object'));
  return undefined;
}

function badRequest(path: string, message: string): object {
  return { error: 'bad request', message: `${path}: ${message}`, errors: [{ path, message }] };
}

function notFound(name: string, id: string): object {
  return { error: 'not found', message: `no ${singular(name)} "${id}"` };
}

function singular(name: string): string {
  return name.endsWith('s') ? name.slice(0, -1) : name;
}
