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
  /** By port, then a short list: no key string to build and hash for each lookup. */
  private readonly byPort = new Map<number, Endpoint[]>();
  private count = 0;

  shared(ep: Endpoint): Endpoint {
    if (ep.tls !== undefined) return ep;
    let list = this.byPort.get(ep.port);
    if (list !== undefined) {
      for (const known of list) {
        if (known.address === ep.address && known.protocol === ep.protocol) return known;
      }
    }
    if (this.count >= MAX_ENTRIES) {
      this.byPort.clear();
      this.count = 0;
      list = undefined;
    }
    // Not frozen: a frozen object has a shape of its own, and every reader of
    // endpoints would then see two. Nothing changes an Endpoint once made.
    const out: Endpoint = { protocol: ep.protocol, address: ownString(ep.address), port: ep.port };
    if (list === undefined) this.byPort.set(ep.port, [out]);
    else list.push(out);
    this.count++;
    return out;
  }
}
