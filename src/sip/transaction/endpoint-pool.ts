import { ownString } from '../message/own-string.js';
import type { Endpoint } from '../transport/types.js';

/** Distinct peers remembered at most; past it the pool starts again (a cache, not a registry). */
const MAX_ENTRIES = 4096;

/**
 * One shared, read-only Endpoint per peer for what transactions hold. Each
 * datagram brings its own source object, and each request its response
 * destination; a call's five transactions kept six of them for their 32 s
 * (issue 14), and an address cut from the datagram's Via would keep the whole
 * datagram with it. A proxy talks to few peers (its callers' SBCs, its
 * providers): shared, they cost nothing per call. Endpoints with TLS options
 * are kept as given.
 */
export class EndpointPool {
  private readonly byKey = new Map<string, Endpoint>();

  shared(ep: Endpoint): Endpoint {
    if (ep.tls !== undefined) return ep;
    const key = `${ep.protocol}|${ep.port}|${ep.address}`;
    let out = this.byKey.get(key);
    if (out === undefined) {
      if (this.byKey.size >= MAX_ENTRIES) this.byKey.clear();
      // Not frozen: a frozen object has a shape of its own, and every reader of
      // endpoints would then see two. Nothing changes an Endpoint once made.
      out = { protocol: ep.protocol, address: ownString(ep.address), port: ep.port };
      this.byKey.set(ownString(key), out);
    }
    return out;
  }
}
