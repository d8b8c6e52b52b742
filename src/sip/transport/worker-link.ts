import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { timingSafeEqual } from 'node:crypto';
import { literalLookup } from './literal-lookup.js';

/** What a worker needs to know of the others (the primary sends it once all are up). */
export interface WorkerPeers {
  /** Internal relay port of each worker, by index. */
  ports: number[];
}

const LF = 0x0a;

/**
 * A relay datagram carries at most this many bytes (IPv4's UDP payload limit is
 * 65,507); a batch that would pass it is sent first. A single datagram larger
 * than what is left still goes, alone.
 */
const MAX_BATCH_BYTES = 60_000;

interface Pending {
  parts: Buffer[];
  bytes: number;
  count: number;
}

/**
 * The loopback path between workers that share the public UDP socket. A
 * datagram read by a worker that does not own its Call-ID is relayed here, in an
 * envelope naming the original sender and the listener it arrived on, to the
 * owner, which handles it as if it had read it itself. The envelope starts with
 * a key shared by the workers of one server (random per start), so nothing else
 * on the host can inject a message with a made-up source address.
 *
 * The datagrams one worker reads for an owner in one poll of the event loop go
 * in one envelope, sent when the loop moves on (setImmediate): past the ceiling
 * a worker reads dozens at a time, and each relay costs a send, a receive and
 * the owner's wake-up, more than a shed INVITE's own work (issue 14). Alone, a
 * datagram still leaves in the same turn of the loop.
 *
 * Envelope: `<key hex> <count>\n`, then for each datagram
 * `<listener index> <source port> <source address> <length>\n<datagram>`.
 */
export class WorkerLink {
  private socket?: UdpSocket;
  private peers: number[] = [];
  private readonly keyBytes: Buffer;
  /** Datagrams waiting for the end of this poll, by owner. */
  private readonly pending: Array<Pending | undefined> = [];
  private flushing?: NodeJS.Immediate;

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
      lookup: literalLookup,
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

  /**
   * Relays a datagram to its owner, with the others read in this poll of the
   * event loop. False when the owner is unknown (handle it here).
   */
  relay(
    owner: number,
    data: Buffer,
    source: { address: string; port: number },
    listener: number,
  ): boolean {
    if (!this.socket || this.peers[owner] === undefined) return false;
    const head = Buffer.from(
      `${listener} ${source.port} ${source.address} ${data.length}\n`,
      'latin1',
    );
    let batch = this.pending[owner];
    if (batch && batch.bytes + head.length + data.length > MAX_BATCH_BYTES) {
      this.send(owner, batch);
      batch = undefined;
    }
    if (!batch) {
      batch = { parts: [], bytes: this.keyBytes.length + 8, count: 0 };
      this.pending[owner] = batch;
    }
    batch.parts.push(head, data);
    batch.bytes += head.length + data.length;
    batch.count++;
    this.flushing ??= setImmediate(() => this.flush());
    return true;
  }

  /** Sends every batch waiting (the end of a poll, or close). */
  private flush(): void {
    this.flushing = undefined;
    for (let owner = 0; owner < this.pending.length; owner++) {
      const batch = this.pending[owner];
      if (batch) this.send(owner, batch);
    }
  }

  private send(owner: number, batch: Pending): void {
    this.pending[owner] = undefined;
    const port = this.peers[owner];
    if (!this.socket || port === undefined) return;
    const head = Buffer.from(`${this.key} ${batch.count}\n`, 'latin1');
    this.socket.send([head, ...batch.parts], port, '127.0.0.1');
  }

  close(): Promise<void> {
    if (this.flushing) clearImmediate(this.flushing);
    this.flush();
    const s = this.socket;
    this.socket = undefined;
    return s ? new Promise((r) => s.close(() => r())) : Promise.resolve();
  }

  /**
   * Hands on each datagram of a valid envelope in order. An envelope that does
   * not carry the key is dropped whole; one whose framing goes wrong part way
   * hands on what came before (a sibling never sends such a thing).
   */
  private receive(data: Buffer): void {
    const k = this.keyBytes.length;
    let end = data.indexOf(LF);
    if (end === -1 || end < k + 2 || data[k] !== 0x20) {
      this.onRejected();
      return;
    }
    if (!timingSafeEqual(data.subarray(0, k), this.keyBytes)) {
      this.onRejected();
      return;
    }
    const count = Number(data.toString('latin1', k + 1, end));
    if (!Number.isInteger(count) || count < 1) {
      this.onRejected();
      return;
    }
    let at = end + 1;
    for (let i = 0; i < count; i++) {
      end = data.indexOf(LF, at);
      if (end === -1) {
        this.onRejected();
        return;
      }
      const [listener, port, address, length] = data.toString('latin1', at, end).split(' ');
      const l = Number(listener);
      const p = Number(port);
      const n = Number(length);
      const stop = end + 1 + n;
      if (
        !address ||
        !Number.isInteger(l) ||
        !Number.isInteger(p) ||
        !Number.isInteger(n) ||
        n < 0 ||
        stop > data.length
      ) {
        this.onRejected();
        return;
      }
      this.onRelayed(data.subarray(end + 1, stop), { address, port: p }, l);
      at = stop;
    }
  }
}
