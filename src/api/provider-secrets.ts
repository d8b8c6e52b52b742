/**
 * Provider passwords are write-only in the API (docs/api.md): answers carry
 * `auth: { username, realm, password_set: true }`, and an edit whose `auth`
 * has no password keeps the one stored for the same provider (or the same
 * gateway, matched by URI), so a GET-modify-PUT round trip does not lose it.
 */
type Item = Record<string, unknown>;

function isObj(v: unknown): v is Item {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function redactAuth(auth: unknown): unknown {
  if (!isObj(auth)) return auth;
  const { password, password_set: _ignored, ...rest } = auth;
  return { ...rest, password_set: typeof password === 'string' && password !== '' };
}

/** A provider as the API shows it: every password replaced by `password_set`. */
export function redactProvider(item: Item): Item {
  const out: Item = { ...item };
  if ('auth' in out) out.auth = redactAuth(out.auth);
  if (Array.isArray(out.gateways)) {
    out.gateways = out.gateways.map((g: unknown) =>
      isObj(g) && 'auth' in g ? { ...g, auth: redactAuth(g.auth) } : g,
    );
  }
  return out;
}

function mergeAuth(incoming: unknown, stored: unknown): unknown {
  if (!isObj(incoming)) return incoming;
  const { password_set: _readOnly, ...auth } = incoming;
  if (auth.password === undefined && isObj(stored) && typeof stored.password === 'string') {
    auth.password = stored.password;
  }
  return auth;
}

/** The provider to store: `password_set` dropped, a missing password taken from `stored`. */
export function mergeProviderSecrets(incoming: Item, stored: Item | undefined): Item {
  const out: Item = { ...incoming };
  if ('auth' in out) out.auth = mergeAuth(out.auth, stored?.auth);
  if (Array.isArray(out.gateways)) {
    const old = Array.isArray(stored?.gateways) ? (stored.gateways as unknown[]) : [];
    out.gateways = out.gateways.map((g: unknown) => {
      if (!isObj(g) || !('auth' in g)) return g;
      const same = old.find((o) => isObj(o) && o.uri === g.uri);
      return { ...g, auth: mergeAuth(g.auth, isObj(same) ? same.auth : undefined) };
    });
  }
  return out;
}
