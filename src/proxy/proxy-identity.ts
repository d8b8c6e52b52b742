import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { networkInterfaces } from 'node:os';
import { isIP } from 'node:net';
import type { SipUri } from '../sip/message/sip-uri.js';
import type { Endpoint, SipTransport, TransportProtocol } from '../sip/transport/types.js';

/** Prefix of every branch we create: the RFC 3261 magic cookie plus our mark. */
export const OUR_BRANCH_PREFIX = 'z9hG4bKtr';

function isLoopback(address: string): boolean {
  return address.startsWith('127.') || address === '::1';
}

function isWildcard(address: string): boolean {
  return address === '0.0.0.0' || address === '::' || address === '';
}

function bracket(host: string): string {
  return isIP(host) === 6 ? `[${host}]` : host;
}

/**
 * Who we are on the wire: the sent-by we put in Via, the URI we put in
 * Record-Route, and the test "is this URI one of ours" used when Route headers
 * come back to us (RFC 3261 16.4).
 */
export class ProxyIdentity {
  private readonly ownHosts = new Set<string>();
  private readonly ownPorts = new Set<number>();

  private readonly secret: Buffer;

  constructor(
    private readonly transport: SipTransport,
    private readonly advertised = '',
    /** Signs our Record-Route entries (proxy.record_route_secret); random when empty. */
    secret = '',
  ) {
    this.secret = secret ? Buffer.from(secret) : randomBytes(32);
    for (const list of Object.values(networkInterfaces())) {
      for (const ni of list ?? []) this.ownHosts.add(ni.address);
    }
    this.ownHosts.add('127.0.0.1');
    this.ownHosts.add('::1');
    this.ownHosts.add('localhost');
    if (advertised) this.ownHosts.add(advertised);
    for (const p of ['udp', 'tcp', 'tls'] as const) {
      for (const fam of [4, 6] as const) {
        for (const ep of [transport.localEndpoint(p, fam), transport.requestEndpoint?.(p, fam)]) {
          if (!ep) continue;
          this.ownPorts.add(ep.port);
          if (!isWildcard(ep.address)) this.ownHosts.add(ep.address);
        }
      }
    }
  }

  /**
   * The local endpoint (address we are reachable at, port) for sending towards
   * `to`. `requests`: where our requests leave from (our Via), which in worker
   * mode is the worker's own socket rather than the shared listener.
   */
  local(protocol: TransportProtocol, to: Endpoint, requests = false): Endpoint {
    const fam = isIP(to.address) === 6 ? 6 : 4;
    const t = this.transport;
    const ep =
      (requests ? t.requestEndpoint?.(protocol, fam) : undefined) ??
      t.localEndpoint(protocol, fam) ??
      t.localEndpoint(protocol);
    const port = ep?.port ?? 5060;
    let address = ep?.address ?? '';
    if (isLoopback(to.address)) {
      if (isWildcard(address) || !isLoopback(address)) address = fam === 6 ? '::1' : '127.0.0.1';
    } else if (this.advertised) {
      address = this.advertised;
    } else if (isWildcard(address)) {
      address = firstExternalAddress(fam) ?? (fam === 6 ? '::1' : '127.0.0.1');
    }
    return { protocol, address, port };
  }

  /** Our Via value for a request sent to `to` (RFC 3261 16.6 step 8, RFC 3581 rport). */
  via(to: Endpoint, branch: string): string {
    const me = this.local(to.protocol, to, true);
    return `SIP/2.0/${to.protocol.toUpperCase()} ${bracket(me.address)}:${me.port};branch=${branch};rport`;
  }

  /**
   * Our Record-Route value as seen from the side at `peer` (RFC 3261 16.6 step 4).
   * `token` (dialogToken of the call) comes back in the Route of every request
   * of the dialog: the proof that we put that Route there.
   */
  recordRoute(peer: Endpoint, token?: string, cseqMark?: string, sips = false): string {
    // Towards a TLS peer the entry names our TLS listener, so the dialog's requests
    // from that side come back over TLS (RFC 5658 when the sides differ). In worker
    // mode a UDP entry names this worker's own socket, as the Via does: the
    // dialog's requests then reach the worker that owns the call without a relay.
    const me = this.local(peer.protocol, peer, true);
    const tr = token ? `;tr=${token}` : '';
    const cs = cseqMark ? `;cs=${cseqMark}` : '';
    // RFC 3261 16.6 step 4: a sips Request-URI gets a sips Record-Route; RFC 5630
    // 3.1.1: sips already means TLS, so no transport parameter.
    if (sips && peer.protocol === 'tls')
      return `<sips:${bracket(me.address)}:${me.port}${tr}${cs};lr>`;
    return `<sip:${bracket(me.address)}:${me.port};transport=${peer.protocol}${tr}${cs};lr>`;
  }

  /**
   * The `cs` Record-Route parameter of a dialog whose INVITE we re-sent with a
   * higher CSeq (digest authentication, RFC 3261 22.2): the offset, signed
   * together with the Call-ID and the caller's From tag, so the requests of
   * the caller's side of the dialog (and only those) are translated by it.
   */
  cseqMark(callId: string, callerTag: string, offset: number): string {
    return `${offset}.${this.cseqSignature(callId, callerTag, offset)}`;
  }

  /** The CSeq offset a request with this From tag gets, from a `cs` mark; 0 when not its side. */
  cseqOffset(callId: string, fromTag: string, mark: string): number {
    const m = /^(\d{1,3})\.([A-Za-z0-9_-]{16})$/.exec(mark);
    if (!m) return 0;
    const offset = Number(m[1]);
    const want = Buffer.from(this.cseqSignature(callId, fromTag, offset));
    const got = Buffer.from(m[2]!);
    return got.length === want.length && timingSafeEqual(got, want) ? offset : 0;
  }

  private cseqSignature(callId: string, tag: string, offset: number): string {
    return createHmac('sha256', this.secret)
      .update(`cseq\0${callId}\0${tag}\0${offset}`)
      .digest('base64url')
      .slice(0, 16);
  }

  /** A keyed hash of the Call-ID: only we can make it, so a Route carrying it is one of ours. */
  dialogToken(callId: string): string {
    return createHmac('sha256', this.secret).update(callId).digest('base64url').slice(0, 22);
  }

  /**
   * True when `token` is this Call-ID's (compared in constant time). `issued`:
   * the token already made for this Call-ID, when the caller kept it.
   */
  validDialogToken(callId: string, token: string, issued?: string): boolean {
    const want = Buffer.from(issued ?? this.dialogToken(callId));
    const got = Buffer.from(token);
    return got.length === want.length && timingSafeEqual(got, want);
  }

  /** True when the URI names this proxy (host one of ours and port one we listen on). */
  isOurs(uri: SipUri): boolean {
    return this.ownHosts.has(uri.host) && this.ownPorts.has(uri.port ?? 5060);
  }

  /** True when a Via sent-by is ours. */
  isOurSentBy(host: string, port: number | undefined): boolean {
    return this.ownHosts.has(host) && this.ownPorts.has(port ?? 5060);
  }
}

function firstExternalAddress(family: 4 | 6): string | undefined {
  for (const list of Object.values(networkInterfaces())) {
    for (const ni of list ?? []) {
      if (!ni.internal && ni.family === (family === 6 ? 'IPv6' : 'IPv4')) return ni.address;
    }
  }
  return undefined;
}
