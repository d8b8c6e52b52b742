/**
 * JSON schemas of the API's bodies: fastify validates request bodies with them
 * and /openapi.json is generated from them, so the two never disagree. They
 * check shape; the route engine then validates the whole table (references,
 * duplicates, CIDRs, time zones).
 */
type JsonSchema = Record<string, unknown>;

const id = { type: 'string', minLength: 1, maxLength: 128 };
const str = { type: 'string' };
const int = { type: 'integer' };
const failover = {
  type: 'object',
  properties: {
    on: { type: 'array', items: { anyOf: [{ type: 'integer' }, { type: 'string' }] } },
  },
  required: ['on'],
};
/**
 * Digest credentials. The password is write-only: answers show `password_set`
 * instead, and a PUT whose auth has no password keeps the stored one.
 */
const auth = {
  type: 'object',
  properties: {
    username: { type: 'string', minLength: 1 },
    password: { type: 'string', minLength: 1, writeOnly: true },
    realm: str,
    password_set: { type: 'boolean', readOnly: true },
  },
  required: ['username'],
};

export const ENTITY_SCHEMAS: Record<string, JsonSchema> = {
  Route: {
    type: 'object',
    description:
      "A route: VoIPBIN's name, provider_id, priority, detail, plus trunkroute's fields.",
    properties: {
      id,
      name: str,
      detail: str,
      provider_id: id,
      priority: { type: 'integer', minimum: 0 },
      metric: { type: 'integer', minimum: 1 },
      customer_id: id,
      destination: {
        type: 'object',
        properties: { prefix: str, pattern: id, group: id },
      },
      schedule: {
        type: 'object',
        properties: {
          days: {
            type: 'array',
            items: { type: 'string', enum: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] },
          },
          from: str,
          to: str,
          time_zone: str,
        },
      },
      cost: { type: 'number', minimum: 0 },
      fallthrough: { type: 'boolean' },
      failover,
      fork: { type: 'string', enum: ['serial', 'parallel'] },
      enabled: { type: 'boolean' },
    },
    required: ['provider_id'],
  },
  Provider: {
    type: 'object',
    properties: {
      id,
      name: str,
      gateways: {
        type: 'array',
        minItems: 1,
        items: {
          type: 'object',
          properties: { uri: str, weight: { type: 'integer', minimum: 1 }, auth },
          required: ['uri'],
        },
      },
      strip: { type: 'integer', minimum: 0 },
      prefix: str,
      trying_timeout_ms: int,
      failover,
      max_calls: int,
      max_cps: int,
      auth,
      tls: {
        type: 'object',
        description: 'Certificate checks for the TLS gateways (docs/tls.md).',
        properties: {
          ca_file: { type: 'string', description: 'PEM CA bundle trusted alone (pinned).' },
          server_name: { type: 'string', description: 'Name the certificate must carry.' },
          verify: { type: 'boolean', description: 'false: no verification (lab only).' },
        },
      },
      enabled: { type: 'boolean' },
    },
    required: ['gateways'],
  },
  Pattern: {
    type: 'object',
    properties: { id, name: str, prefixes: { type: 'array', minItems: 1, items: str } },
    required: ['prefixes'],
  },
  Group: {
    type: 'object',
    properties: { id, name: str, patterns: { type: 'array', items: id } },
    required: ['patterns'],
  },
  Customer: {
    type: 'object',
    properties: {
      id,
      name: str,
      sources: { type: 'array', items: str },
      mode: { type: 'string', enum: ['proxy', 'redirect'] },
      deny_prefixes: { type: 'array', items: str },
      max_calls: int,
      max_cps: int,
    },
  },
};

/** URL collection → schema name. */
export const COLLECTION_SCHEMA: Record<string, string> = {
  routes: 'Route',
  providers: 'Provider',
  patterns: 'Pattern',
  groups: 'Group',
  customers: 'Customer',
};

const ERROR = {
  type: 'object',
  properties: {
    error: str,
    message: str,
    errors: { type: 'array', items: { type: 'object', properties: { path: str, message: str } } },
  },
};

/** The OpenAPI 3.0 document of the admin API, from the same schemas. */
export function openApiDocument(): JsonSchema {
  const paths: Record<string, unknown> = {};
  const err = (d: string) => ({
    description: d,
    content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
  });
  const security = [{ bearer: [] }, { token: [] }];
  for (const [collection, name] of Object.entries(COLLECTION_SCHEMA)) {
    const ref = { $ref: `#/components/schemas/${name}` };
    const body = { required: true, content: { 'application/json': { schema: ref } } };
    const one = {
      description: `the ${name.toLowerCase()}`,
      content: { 'application/json': { schema: ref } },
    };
    paths[`/v1.0/${collection}`] = {
      get: {
        summary: `List ${collection}`,
        security,
        responses: {
          '200': {
            description: 'the list',
            content: {
              'application/json': {
                schema: { type: 'object', properties: { result: { type: 'array', items: ref } } },
              },
            },
          },
          '401': err('no or wrong token'),
        },
      },
      post: {
        summary: `Create a ${name.toLowerCase()}`,
        security,
        requestBody: body,
        responses: {
          '201': one,
          '400': err('invalid body or table'),
          '401': err('no or wrong token'),
          '409': err('the id exists'),
        },
      },
    };
    const idParam = [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }];
    paths[`/v1.0/${collection}/{id}`] = {
      get: {
        summary: `Get a ${name.toLowerCase()}`,
        security,
        parameters: idParam,
        responses: { '200': one, '401': err('no or wrong token'), '404': err('no such id') },
      },
      put: {
        summary: `Replace a ${name.toLowerCase()}`,
        security,
        parameters: idParam,
        requestBody: body,
        responses: {
          '200': one,
          '400': err('invalid body or table'),
          '401': err('no or wrong token'),
          '404': err('no such id'),
        },
      },
      delete: {
        summary: `Delete a ${name.toLowerCase()}`,
        security,
        parameters: idParam,
        responses: {
          '200': one,
          '401': err('no or wrong token'),
          '404': err('no such id'),
          '409': err('still referenced'),
        },
      },
    };
  }
  paths['/v1.0/explain'] = {
    get: {
      summary: 'The attempts a call would get, and why',
      security,
      parameters: [
        { name: 'destination', in: 'query', required: true, schema: { type: 'string' } },
        { name: 'source', in: 'query', required: false, schema: { type: 'string' } },
        { name: 'customer', in: 'query', required: false, schema: { type: 'string' } },
      ],
      responses: {
        '200': {
          description: 'the plan and its trace',
          content: { 'application/json': { schema: { type: 'object' } } },
        },
        '400': err('no destination'),
      },
    },
  };
  paths['/healthz'] = {
    get: {
      summary: 'Health',
      responses: {
        '200': { description: 'ok or degraded' },
        '503': { description: 'no usable route table' },
      },
    },
  };
  return {
    openapi: '3.0.3',
    info: { title: 'trunkroute admin API', version: '1.0' },
    paths,
    components: {
      schemas: { ...ENTITY_SCHEMAS, Error: ERROR },
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer' },
        token: { type: 'apiKey', in: 'query', name: 'token' },
      },
    },
  };
}
