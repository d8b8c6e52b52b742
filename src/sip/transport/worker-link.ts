import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { timingSafeEqual } from 'node:crypto';

/** What a worker needs to know of the others (the primary sends it once all are up). */
export interface WorkerPeers {
  /** Internal relay port of each worker, by index. */
  ports: number[];
}

const SEP = 0x0a; // the envelope header ends at the first LF

/**
 * The loopback path between workers that share the public UDP socket. A
 * datagram read by a worker that does not own its Call-ID is relayed here, in an
 * envelope naming the original sender and the listener it arrived on, to the
 * owner, which handles it as if it had read it itself. The envelope starts with
 * a key shared by the workers of one server (random per start), so nothing else
 * on the host can inject a message with a made-up source address.
 *
 * Envelope: `<key hex> <listener index> <source port> <source address>\n<datagram>`.
 */
export class WorkerLink {
  private socket?: UdpSocket;
  private peers: number[] = [];
  private readonly keyBytes: Buffer;

  constructor(
    private readonly count: number,
    /** Shared by all workers of one server; hex. */
    private readonly key: string,
    private readonly onRelayed: (
      data: Buffer,
      source: { address: string; port: number },
      listener: number,
    ) => void,
    /** A datagram on the relay port without a valid envelope (dropped). */
    private readonly onRejected: () => void,
  ) {
    this.keyBytes = Buffer.from(key, 'latin1');
  }

  /** The relay socket's port (after start). */
  get port(): number | undefined {
    return this.socket?.address().port;
  }

  /** Binds the relay socket on loopback. */
  async start(): Promise<void> {
    const socket = createSocket({
      type: 'udp4',
      recvBufferSize: 4 * 1024 * 1024,
      sendBufferSize: 4 * 1024 * 1024,
    });
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      // exclusive: each worker's own port, not one shared through the cluster primary.
      socket.bind({ port: 0, address: '127.0.0.1', exclusive: true }, () => {
        socket.off('error', reject);
        resolve();
      });
    });
    socket.on('message', (data, rinfo) => {
      if (rinfo.address !== '127.0.0.1') return;
      this.receive(data);
    });
    this.socket = socket;
  }

  setPeers(peers: WorkerPeers): void {
    if (peers.ports.length === this.count) this.peers = peers.ports;
  }

  /** Relays a datagram to its owner. False when the owner is unknown (handle it here). */
  relay(
    owner: number,
    data: Buffer,
    source: { address: string; port: number },
    listener: number,
  ): boolean {
    const port = this.peers[owner];
    if (!this.socket || port === undefined) return false;
    const head = Buffer.from(
      `${this.key} ${listener} ${source.port} ${source.address}\n`,
      'latin1',
    );
    this.socket.send([head, data], port, '127.0.0.1');
    return true;
  }

  close(): Promise<void> {
    const s = this.socket;
    this.socket = undefined;
    return s ? new Promise((r) => s.close(() => r())) : Promise.resolve();
  }

  private receive(data: Buffer): void {
    const end = data.indexOf(SEP);
    const k = this.keyBytes.length;
    if (end === -1 || end < k + 6 || data[k] !== 0x20) {
      this.onRejected();
      return;
    }
    if (!timingSafeEqual(data.subarray(0, k), this.keyBytes)) {
      this.onRejected();
      return;
    }
    const [listener, port, address] = data.toString('latin1', k + 1, end).split(' ');
    const l = Number(listener);
    const p = Number(port);
    if (!address || !Number.isInteger(l) || !Number.isInteger(p)) {
      this.onRejected();
      return;
    }
    this.onRelayed(data.subarray(end + 1), { address, port: p }, l);
  }
}
