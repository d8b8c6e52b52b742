import { randomBytes } from 'node:crypto';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createServer, connect, isIP, type Server, type Socket } from 'node:net';
import {
  checkServerIdentity,
  connect as tlsConnect,
  createServer as createTlsServer,
  rootCertificates,
  type ConnectionOptions,
  type Server as TlsServer,
} from 'node:tls';
import { createResponse } from '../message/create-response.js';
import { parseMessage } from '../message/parse-message.js';
import { serializeMessage } from '../message/serialize.js';
import type { SipMessage, SipRequest, SipResponse } from '../message/sip-message.js';
import { StreamFramer } from '../message/stream-framer.js';
import { responseProblem } from '../message/validate-request.js';
import { formatVia } from '../message/via.js';
import type { Endpoint, Inbound, SipTransport, TransportProtocol } from './types.js';
import { CaFileCache, loadServerContext, watchFiles, type TlsServerFiles } from './tls-files.js';
import { callIdOwner } from './call-id-owner.js';
import { WorkerLink } from './worker-link.js';
import { literalLookup } from './literal-lookup.js';
import { isAckForTag } from './ack-for-tag.js';
import { QueueDelays, QueueProbe } from './queue-probe.js';
import { ListenerHold } from './listener-hold.js';

export interface ListenSpec {
  protocol: TransportProtocol;
  address: string;
  port: number;
}

export interface TransportOptions {
  /** Messages (and TCP header sections) larger than this are refused. */
  maxMessageSize?: number;
  /** A TCP connection idle this long is closed; 0 = never. */
  tcpIdleTimeoutMs?: number;
  /**
   * SO_RCVBUF and SO_SNDBUF of the UDP sockets (default 4 MiB; the kernel caps
   * them at net.core.rmem_max / wmem_max). The Linux default (~208 KB) holds only
   * a few hundred datagrams, so a burst from a scanner also drops the legitimate
   * requests queued behind it.
   */
  udpBufferBytes?: number;
  /** How long an outgoing TCP connect may take. */
  connectTimeoutMs?: number;
  /**
   * How long a TCP peer may take to complete a message once it has started one.
   * The idle timeout restarts on every byte, so without this a peer trickling a
   * header one byte at a time would hold the connection (and its buffer) forever.
   */
  tcpMessageTimeoutMs?: number;
  /** The clock for that deadline (injected for tests). */
  now?: () => number;
  /**
   * Set when this process is one of several workers sharing the UDP listeners
   * (workers.count > 1; docs/workers.md). The public sockets are then shared with
   * the other workers: a datagram whose Call-ID another worker owns is relayed to
   * it (requests we send leave from the socket of requestPort, so the responses
   * to them come straight back here).
   */
  worker?: { index: number; count: number; key: string };
  /**
   * The To tag of the stateless 503s the load shedder sends (proxy-core.ts): an
   * ACK that carries it is absorbed as it is read from a listener, before it is
   * parsed or relayed to another worker (ack-for-tag.ts).
   */
  shedTag?: string;
  /**
   * Set: requests we send over UDP leave from a socket of their own on each UDP
   * listener's address, bound to this port (0 = chosen by the system). Its
   * responses, and the in-dialog requests our Record-Route sends there, then
   * wait in a queue of their own, not behind new INVITEs (docs/proxy.md,
   * Overload). Required in worker mode.
   */
  requestPort?: number;
  /**
   * With a request socket: while it has more queued than one turn reads, the
   * listeners' datagrams wait for at most this long (ms; listener-hold.ts), so
   * the calls in progress are served before new ones. 0 or unset: no waiting.
   */
  listenerHoldMs?: number;
  /** The certificate of the tls: listeners (required when there is one). */
  tlsServer?: TlsServerFiles;
  /**
   * A PEM bundle trusted for outgoing TLS in addition to Node's default CA store,
   * for peers that do not pin their own (Endpoint.tls.caFile).
   */
  tlsCaFile?: string;
  /** How often CA files in use are checked for a change (default 1 s). */
  tlsReloadIntervalMs?: number;
  log?: (event: string, detail: Record<string, unknown>) => void;
}

/** Plain counters; the metrics layer reads them. */
export interface TransportCounters {
  received: number;
  sent: number;
  droppedMalformed: number;
  badRequestsAnswered: number;
  tcpConnections: number;
  /** Datagrams read here and relayed to the worker owning their Call-ID. */
  relayedToWorker: number;
  /** ACKs of shed INVITEs' 503s, dropped unparsed (TransportOptions.shedTag). */
  absorbedShedAcks: number;
}

interface Connection {
  id: string;
  /** tcp, or tls: the same framing and reuse over a TLS socket. */
  protocol: 'tcp' | 'tls';
  socket: Socket;
  framer: StreamFramer;
  keys: Set<string>;
  /** When bytes of a message not yet complete first arrived (undefined: between messages). */
  partialSince?: number;
}

/** Connection reuse key: a TLS destination never reuses a plain TCP connection. */
const keyOf = (protocol: TransportProtocol, address: string, port: number): string =>
  `${protocol}|${address}|${port}`;

/**
 * The connection id of a datagram that came to a worker's own UDP socket rather
 * than the shared listener: its responses are sent from the same socket.
 */
const OWN_UDP_SOCKET = 'udp:own';

/** Queue delays of the request sockets are kept under this plus the listener's index. */
const REQUEST_SOCKET_PROBE = 1000;

/**
 * RFC 3261 §18 over UDP, TCP and TLS (26.2), IPv4 and IPv6: parses what arrives, stamps
 * received/rport (RFC 3581), answers unparseable requests with a stateless 400,
 * reuses TCP connections both ways, and never lets a bad peer crash the process.
 */
export class TransportLayer implements SipTransport {
  readonly counters: TransportCounters = {
    received: 0,
    sent: 0,
    droppedMalformed: 0,
    badRequestsAnswered: 0,
    tcpConnections: 0,
    relayedToWorker: 0,
    absorbedShedAcks: 0,
  };
  private handler?: (inbound: Inbound) => void;
  private readonly udp: Array<{ socket: UdpSocket; local: Endpoint; family: 4 | 6 }> = [];
  /** Worker mode: where our requests leave from (one per UDP listener). */
  private readonly udpRequest: Array<{ socket: UdpSocket; local: Endpoint; family: 4 | 6 }> = [];
  private link?: WorkerLink;
  /** Measures the UDP sockets' queue delay for the load shedder (queue-probe.ts). */
  private readonly probe: QueueProbe;
  private readonly shedTag?: Buffer;
  private readonly delays = new QueueDelays();
  /** Listener datagrams wait while a request socket is behind (listener-hold.ts). */
  private readonly hold: ListenerHold;
  /** tcp: and tls: listeners; a TLS server is a net.Server whose sockets are TLS. */
  private readonly tcp: Array<{ server: Server | TlsServer; local: Endpoint; family: 4 | 6 }> = [];
  private readonly caFiles: CaFileCache;
  private stopWatching?: () => void;
  private readonly connections = new Map<string, Connection>();
  private readonly byKey = new Map<string, Connection>();
  private readonly connecting = new Map<string, Promise<Connection>>();
  private nextId = 0;
  private readonly maxSize: number;
  private readonly log: (event: string, detail: Record<string, unknown>) => void;
  private closed = false;

  constructor(
    private readonly specs: ListenSpec[],
    private readonly opts: TransportOptions = {},
  ) {
    this.maxSize = opts.maxMessageSize ?? 65536;
    this.caFiles = new CaFileCache(opts.tlsReloadIntervalMs ?? 1000);
    this.log = opts.log ?? (() => {});
    if (opts.shedTag) this.shedTag = Buffer.from(opts.shedTag, 'latin1');
    // Workers share the key, so a probe read by a sibling is known as ours.
    this.probe = new QueueProbe(
      opts.worker?.key ?? randomBytes(16).toString('hex'),
      opts.worker?.index ?? 0,
    );
    this.hold = new ListenerHold({
      maxHoldMs: opts.listenerHoldMs ?? 0,
      now: opts.now ?? Date.now,
      defer: (fn) => setImmediate(fn),
    });
  }

  async start(): Promise<void> {
    for (const spec of this.specs) {
      const family = isIP(spec.address) === 6 ? 6 : 4;
      if (spec.protocol === 'udp') {
        const listener = this.udp.length;
        // In a cluster worker a non-exclusive bind shares the primary's socket
        // with the other workers (node:cluster); the kernel hands each datagram
        // to one of them.
        const socket = await this.bindUdp(family, spec.address, spec.port, false);
        const local: Endpoint = {
          protocol: 'udp',
          address: spec.address,
          port: socket.address().port,
        };
        const worker = this.opts.worker;
        const shedTag = this.shedTag;
        socket.on('message', (data, rinfo) => {
          if (QueueProbe.isProbe(data)) {
            this.hold.listenerRead(() => this.onProbe(data, rinfo, listener));
            return;
          }
          if (shedTag && isAckForTag(data, shedTag)) {
            this.counters.absorbedShedAcks++;
            return;
          }
          if (worker) {
            const owner = callIdOwner(data, worker.count);
            if (owner !== undefined && owner !== worker.index) {
              // Relayed to its owner; while the owner's relay port is not known yet
              // (start-up) it is dropped, and the sender's retransmission finds it.
              if (this.link?.relay(owner, data, rinfo, listener)) this.counters.relayedToWorker++;
              return;
            }
          }
          this.hold.listenerRead(() =>
            this.onData(data, { protocol: 'udp', address: rinfo.address, port: rinfo.port }, local),
          );
        });
        this.udp.push({ socket, local, family });
        if (this.opts.requestPort !== undefined) {
          const own = await this.bindUdp(family, spec.address, this.opts.requestPort, true);
          const ownLocal: Endpoint = {
            protocol: 'udp',
            address: spec.address,
            port: own.address().port,
          };
          // Our Record-Route names this socket (proxy-identity.ts), so a dialog's
          // ACK, BYE and re-INVITEs come straight here, not through the listener's
          // queue (and in worker mode not through a relay); their responses leave
          // from here (RFC 3581 4).
          const probeId = REQUEST_SOCKET_PROBE + listener;
          own.on('message', (data, rinfo) => {
            this.hold.requestRead(listener);
            if (QueueProbe.isProbe(data)) {
              this.onProbe(data, rinfo, probeId);
              return;
            }
            this.onData(
              data,
              { protocol: 'udp', address: rinfo.address, port: rinfo.port },
              ownLocal,
              undefined,
              OWN_UDP_SOCKET,
            );
          });
          this.udpRequest.push({ socket: own, local: ownLocal, family });
        }
      } else {
        const protocol = spec.protocol;
        const server =
          protocol === 'tls' ? this.tlsServer() : createServer((socket) => this.adopt(socket));
        await new Promise<void>((resolve, reject) => {
          server.once('error', reject);
          server.listen({ port: spec.port, host: spec.address, ipv6Only: family === 6 }, () => {
            server.off('error', reject);
            resolve();
          });
        });
        server.on('error', (err) => this.log('tcp server error', { error: String(err) }));
        const addr = server.address();
        const port = typeof addr === 'object' && addr ? addr.port : spec.port;
        this.tcp.push({ server, local: { protocol, address: spec.address, port }, family });
      }
    }
    this.watchCertificate();
    const worker = this.opts.worker;
    if (worker) {
      this.link = new WorkerLink(
        worker.count,
        worker.key,
        (data, source, l) => {
          const u = this.udp[l];
          if (QueueProbe.isProbe(data)) this.hold.listenerRead(() => this.onProbe(data, source, l));
          else if (u)
            this.hold.listenerRead(() =>
              this.onData(data, { protocol: 'udp', ...source }, u.local),
            );
        },
        // Not from a sibling worker: counted with what could not be parsed.
        () => this.counters.droppedMalformed++,
      );
      await this.link.start();
    }
  }

  /** A tls: listener: the TCP listener's code path behind a TLS handshake (RFC 3261 26.2). */
  private tlsServer(): TlsServer {
    const files = this.opts.tlsServer;
    if (!files) throw new Error('sip.tls.cert_file: a tls: listener needs a certificate and key');
    const { cert, key } = loadServerContext(files);
    const server = createTlsServer(
      // The handshake is bounded like a connect; a peer that never finishes it is dropped.
      { cert, key, handshakeTimeout: this.opts.connectTimeoutMs ?? 5000 },
      (socket) => this.adopt(socket, 'tls'),
    );
    server.on('tlsClientError', (err, socket) =>
      this.log('tls handshake failed', {
        error: String(err),
        peer: `${normalise(socket.remoteAddress)}:${socket.remotePort ?? 0}`,
      }),
    );
    return server;
  }

  /**
   * New connections get a renewed certificate without a restart; a file that
   * does not load is logged and the certificate in use stays.
   */
  private watchCertificate(): void {
    const files = this.opts.tlsServer;
    const servers = this.tcp.filter((t) => t.local.protocol === 'tls');
    if (!files || !servers.length) return;
    let pending: NodeJS.Timeout | undefined;
    const reload = (): void => {
      try {
        const { cert, key } = loadServerContext(files);
        for (const s of servers) (s.server as TlsServer).setSecureContext({ cert, key });
        this.log('tls certificate reloaded', { cert_file: files.certFile });
      } catch (err) {
        this.log('tls certificate reload failed', { error: (err as Error).message });
      }
    };
    const stop = watchFiles([files.certFile, files.keyFile], files.reloadIntervalMs ?? 1000, () => {
      // Cert and key are usually written one after the other: load once both settled.
      clearTimeout(pending);
      pending = setTimeout(reload, 100);
      pending.unref();
    });
    this.stopWatching = () => {
      stop();
      clearTimeout(pending);
    };
  }

  /**
   * Sends one queue probe to each UDP socket we read, from the socket itself,
   * so that it queues behind whatever waits there (the load shedder calls this
   * once a sample): the listeners, where new INVITEs wait, and the request
   * sockets, where the providers' answers and the dialogs' requests wait. The
   * latter is the one that falls behind first past the ceiling: each new call
   * read brings about seven datagrams there, and libuv reads at most 32 a turn
   * from each socket. A wildcard address is probed on loopback.
   */
  probeQueues(): void {
    const sockets = [
      ...this.udp.map((u, i) => ({ u, id: i, own: !this.opts.worker })),
      // A request socket is this process's own in worker mode too.
      ...this.udpRequest.map((u, i) => ({ u, id: REQUEST_SOCKET_PROBE + i, own: true })),
    ];
    for (const { u, id, own } of sockets) {
      const wildcard = u.local.address === '0.0.0.0' || u.local.address === '::';
      const to = wildcard ? (u.family === 6 ? '::1' : '127.0.0.1') : u.local.address;
      const at = this.probe.stampNow();
      const packet = this.probe.packet(at);
      // A listener shared by workers may hand the probe to a sibling, which relays
      // it back: its wait is known only once it is read.
      if (own) this.delays.sent(id, at);
      u.socket.send(packet, u.local.port, to, (err) => {
        // A probe that cannot be sent leaves no reading; the shedder then goes by the loop.
        if (err && own) this.delays.forget(id, at);
      });
    }
  }

  /** The longest wait over our sockets (QueueDelays.latest, ms); undefined: no reading. */
  queueDelayMs(maxAgeMs: number): number | undefined {
    return this.delays.latest(maxAgeMs);
  }

  /**
   * A probe read from one of our sockets (a listener's index, or a request
   * socket's REQUEST_SOCKET_PROBE + index), or relayed by a sibling worker: its
   * delay is recorded by the worker that sent it. Only a listener is shared, so
   * only a listener's probe can reach a sibling.
   */
  private onProbe(data: Buffer, source: { address: string; port: number }, socket: number): void {
    const reading = this.probe.read(data);
    if (!reading) {
      this.counters.droppedMalformed++;
      return;
    }
    const worker = this.opts.worker;
    if (worker && reading.sender !== worker.index && socket < REQUEST_SOCKET_PROBE) {
      this.link?.relay(reading.sender, data, source, socket);
      return;
    }
    this.delays.record(socket, reading);
  }

  /** Worker mode: the port the other workers relay this worker's datagrams to. */
  get relayPort(): number | undefined {
    return this.link?.port;
  }

  /** Worker mode: every worker's relay port, by index (sent by the primary). */
  setWorkerPeers(ports: number[]): void {
    this.link?.setPeers({ ports });
  }

  private async bindUdp(
    family: 4 | 6,
    address: string,
    port: number,
    exclusive: boolean,
  ): Promise<UdpSocket> {
    const socket = createSocket({
      type: family === 6 ? 'udp6' : 'udp4',
      ipv6Only: family === 6,
      // Destinations are IP literals: answer dgram's lookup at once instead of
      // through dns.lookup, which defers every send to a later tick.
      lookup: literalLookup,
      // A burst that arrives while the event loop is busy (GC, a slow tick) waits
      // in the kernel instead of being dropped and retransmitted 500 ms later.
      // The kernel caps these at net.core.rmem_max / wmem_max.
      recvBufferSize: this.opts.udpBufferBytes ?? 4 * 1024 * 1024,
      sendBufferSize: this.opts.udpBufferBytes ?? 4 * 1024 * 1024,
    });
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind({ port, address, exclusive }, () => {
        socket.off('error', reject);
        resolve();
      });
    });
    socket.on('error', (err) => this.log('udp socket error', { error: String(err) }));
    return socket;
  }

  onMessage(handler: (inbound: Inbound) => void): void {
    this.handler = handler;
  }

  localEndpoint(protocol: TransportProtocol, family?: 4 | 6): Endpoint | undefined {
    const list =
      protocol === 'udp' ? this.udp : this.tcp.filter((l) => l.local.protocol === protocol);
    const hit = list.find((l) => family === undefined || l.family === family) ?? list[0];
    return hit?.local;
  }

  /**
   * Where requests we send leave from: the own UDP socket when there is one (its
   * Via names it, so responses return to it, and in worker mode to this worker);
   * otherwise the listener.
   */
  requestEndpoint(protocol: TransportProtocol, family?: 4 | 6): Endpoint | undefined {
    if (protocol === 'udp' && this.udpRequest.length) {
      const hit =
        this.udpRequest.find((l) => family === undefined || l.family === family) ??
        this.udpRequest[0];
      return hit?.local;
    }
    return this.localEndpoint(protocol, family);
  }

  isReliable(protocol: TransportProtocol): boolean {
    return protocol !== 'udp';
  }

  async send(message: SipMessage, destination: Endpoint, connectionId?: string): Promise<void> {
    const data = serializeMessage(message);
    if (destination.protocol === 'udp')
      return this.sendUdp(data, destination, message.isRequest || connectionId === OWN_UDP_SOCKET);
    const conn =
      (connectionId ? this.connections.get(connectionId) : undefined) ??
      this.byKey.get(keyOf(destination.protocol, destination.address, destination.port)) ??
      (await this.connectTo(destination));
    await new Promise<void>((resolve, reject) => {
      conn.socket.write(data, (err) => (err ? reject(err) : resolve()));
    });
    this.counters.sent++;
  }

  async close(): Promise<void> {
    this.closed = true;
    // Held datagrams were read but not yet handled: a closed transport drops them.
    this.hold.clear();
    this.stopWatching?.();
    this.caFiles.close();
    for (const c of this.connections.values()) c.socket.destroy();
    await this.link?.close();
    await Promise.all([
      ...this.udpRequest.map((u) => new Promise<void>((r) => u.socket.close(() => r()))),
      ...this.udp.map((u) => new Promise<void>((r) => u.socket.close(() => r()))),
      ...this.tcp.map((t) => new Promise<void>((r) => t.server.close(() => r()))),
    ]);
    this.udp.length = 0;
    this.udpRequest.length = 0;
    this.tcp.length = 0;
  }

  private sendUdp(data: Buffer, dest: Endpoint, fromOwn = false): Promise<void> {
    const family = isIP(dest.address) === 6 ? 6 : 4;
    // Requests leave from the worker's own socket; responses from the socket the
    // request came to (RFC 3581 section 4), which is the own one for in-dialog requests.
    const list = fromOwn && this.udpRequest.length ? this.udpRequest : this.udp;
    const u = list.find((x) => x.family === family) ?? list[0];
    if (!u) return Promise.reject(new Error('no UDP listener'));
    return new Promise<void>((resolve, reject) => {
      u.socket.send(data, dest.port, dest.address, (err) => {
        if (err) reject(err);
        else {
          this.counters.sent++;
          resolve();
        }
      });
    });
  }

  private connectTo(dest: Endpoint): Promise<Connection> {
    const key = keyOf(dest.protocol, dest.address, dest.port);
    let pending = this.connecting.get(key);
    if (pending) return pending;
    pending = new Promise<Connection>((resolve, reject) => {
      if (this.closed) {
        reject(new Error('transport closed'));
        return;
      }
      const tls = dest.protocol === 'tls';
      let socket: Socket;
      try {
        socket = tls
          ? tlsConnect(this.tlsClientOptions(dest))
          : connect({ host: dest.address, port: dest.port });
      } catch (err) {
        // An unreadable CA file: this attempt fails like a refused connection.
        reject(err instanceof Error ? err : new Error(String(err)));
        return;
      }
      // For TLS the deadline covers the handshake too.
      const timer = setTimeout(() => {
        socket.destroy(new Error(`connect to ${dest.address}:${dest.port} timed out`));
      }, this.opts.connectTimeoutMs ?? 5000);
      // A certificate that does not verify is an 'error' before secureConnect
      // (rejectUnauthorized): the same transport error as a refused connect.
      socket.once(tls ? 'secureConnect' : 'connect', () => {
        clearTimeout(timer);
        resolve(this.adopt(socket, tls ? 'tls' : 'tcp', key));
      });
      socket.once('error', (err) => {
        clearTimeout(timer);
        // Why a TLS attempt failed (a certificate that does not verify) is worth a line.
        if (tls) this.log('tls connect failed', { error: String(err), peer: dest });
        reject(err);
      });
    }).finally(() => this.connecting.delete(key));
    this.connecting.set(key, pending);
    return pending;
  }

  /**
   * RFC 5922 / RFC 5630: the peer's certificate must name the host we meant
   * (Node's checkServerIdentity checks DNS and IP subjectAltNames); the trust
   * anchors are the provider's pinned CA, else Node's store plus sip.tls.ca_file.
   */
  private tlsClientOptions(dest: Endpoint): ConnectionOptions {
    const o = dest.tls ?? {};
    const serverName = o.serverName ?? dest.address;
    const ca = o.caFile
      ? this.caFiles.get(o.caFile)
      : this.opts.tlsCaFile
        ? [...rootCertificates, this.caFiles.get(this.opts.tlsCaFile).toString()]
        : undefined;
    return {
      host: dest.address,
      port: dest.port,
      // RFC 6066: SNI carries names only, never an IP literal.
      servername: isIP(serverName) ? undefined : serverName,
      ca,
      rejectUnauthorized: o.verify !== false,
      checkServerIdentity: (_host, cert) => checkServerIdentity(serverName, cert),
    };
  }

  /** Registers a TCP or TLS connection (accepted or opened) and reads SIP from it. */
  private adopt(socket: Socket, protocol: 'tcp' | 'tls' = 'tcp', key?: string): Connection {
    const conn: Connection = {
      id: `${protocol}${this.nextId++}`,
      protocol,
      socket,
      framer: new StreamFramer({ maxSize: this.maxSize }),
      keys: new Set(),
    };
    this.connections.set(conn.id, conn);
    this.counters.tcpConnections++;
    this.alias(
      conn,
      key ?? keyOf(protocol, normalise(socket.remoteAddress), socket.remotePort ?? 0),
    );
    const local: Endpoint = {
      protocol,
      address: normalise(socket.localAddress),
      port: socket.localPort ?? 0,
    };
    const source: Endpoint = {
      protocol,
      address: normalise(socket.remoteAddress),
      port: socket.remotePort ?? 0,
    };
    socket.setNoDelay(true);
    if (this.opts.tcpIdleTimeoutMs) {
      socket.setTimeout(this.opts.tcpIdleTimeoutMs, () => socket.destroy());
    }
    socket.on('data', (chunk) => {
      const events = conn.framer.push(chunk);
      if (this.tooSlow(conn, events.length > 0)) {
        this.counters.droppedMalformed++;
        this.log('tcp message too slow', { peer: source });
        socket.destroy();
        return;
      }
      for (const ev of events) {
        if (ev.type === 'message') this.onData(ev.data, source, local, conn);
        else if (ev.type === 'error') {
          // RFC 3261 18.3: framing cannot be recovered on a stream; close it.
          this.counters.droppedMalformed++;
          this.log('tcp framing error', { error: ev.error, peer: source });
          socket.destroy();
          return;
        }
      }
    });
    socket.on('error', (err) =>
      this.log('tcp connection error', { error: String(err), peer: source }),
    );
    socket.on('close', () => {
      this.connections.delete(conn.id);
      for (const k of conn.keys) if (this.byKey.get(k) === conn) this.byKey.delete(k);
      this.counters.tcpConnections--;
    });
    return conn;
  }

  /**
   * A chunk that completed a message (or a keep-alive) resets the clock; one that
   * did not starts it. True once a message has been in progress too long.
   */
  private tooSlow(conn: Connection, completedSomething: boolean): boolean {
    if (completedSomething) {
      conn.partialSince = undefined;
      return false;
    }
    const now = (this.opts.now ?? Date.now)();
    conn.partialSince ??= now;
    return now - conn.partialSince > (this.opts.tcpMessageTimeoutMs ?? 32_000);
  }

  private alias(conn: Connection, key: string): void {
    conn.keys.add(key);
    this.byKey.set(key, conn);
  }

  private onData(
    data: Buffer,
    source: Endpoint,
    local: Endpoint,
    conn?: Connection,
    connectionId = conn?.id,
  ): void {
    this.counters.received++;
    try {
      const parsed = parseMessage(data, { maxSize: this.maxSize });
      if (!parsed.ok) {
        if (parsed.partial) this.answerBadRequest(parsed.partial, parsed.error, source, conn);
        else this.counters.droppedMalformed++;
        return;
      }
      const m = parsed.message;
      if (m.isRequest) {
        if (!this.stampVia(m as SipRequest, source, conn)) {
          this.answerBadRequest(m as SipRequest, 'Bad Via header', source, conn);
          return;
        }
      } else if (responseProblem(m as SipResponse)) {
        this.counters.droppedMalformed++;
        return;
      }
      this.handler?.({ message: m, source, local, connectionId });
    } catch (err) {
      // A defect in a handler must not take the listener down with it.
      this.log('inbound handler error', { error: err instanceof Error ? err.stack : String(err) });
    }
  }

  /**
   * RFC 3261 18.2.1 and RFC 3581: received= when the sender is not where its
   * Via says (always, when it asked with rport), rport= filled with its port.
   */
  private stampVia(req: SipRequest, source: Endpoint, conn?: Connection): boolean {
    const via = req.topVia();
    if (!via) return false;
    const wantsRport = via.params.has('rport');
    if (wantsRport || via.host !== source.address) {
      // The parse is the message's own (shared): the stamped Via is a copy.
      const params = new Map(via.params);
      params.set('received', source.address);
      if (wantsRport && params.get('rport') === null) params.set('rport', String(source.port));
      req.removeFirstValue('via');
      req.prepend('Via', formatVia({ ...via, params }));
    }
    // Responses and requests sent "to the Via" over TCP or TLS find this connection
    // too. A plain TCP connection is never aliased as TLS, whatever its Via says; a
    // TLS one whose Via says TCP (a client behind a TLS tunnel) serves both.
    if (conn) {
      const port = via.port ?? (conn.protocol === 'tls' ? 5061 : 5060);
      if (conn.protocol === 'tls') this.alias(conn, keyOf('tls', via.host, port));
      if (conn.protocol === 'tcp' || via.transport !== 'TLS')
        this.alias(conn, keyOf('tcp', via.host, via.port ?? 5060));
    }
    return true;
  }

  private answerBadRequest(
    req: SipRequest,
    reason: string,
    source: Endpoint,
    conn?: Connection,
  ): void {
    if (req.method === 'ACK') {
      this.counters.droppedMalformed++;
      return;
    }
    this.counters.badRequestsAnswered++;
    const res = createResponse(req, 400, reason);
    // Straight back to the sender: its Via may be what is broken.
    this.send(res, source, conn?.id).catch((err: unknown) =>
      this.log('400 send failed', { error: String(err) }),
    );
  }
}

/** Node reports IPv4 peers on dual-stack sockets as ::ffff:a.b.c.d. */
function normalise(address: string | undefined): string {
  if (!address) return '';
  return address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
}
