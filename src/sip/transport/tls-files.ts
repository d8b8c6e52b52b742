import { readFileSync, unwatchFile, watchFile, type Stats } from 'node:fs';
import { createSecureContext, type SecureContext } from 'node:tls';

/** The listener's certificate: PEM files, re-read when they change. */
export interface TlsServerFiles {
  certFile: string;
  keyFile: string;
  /** How often the files are checked for a change (fs.watchFile's stat poll). */
  reloadIntervalMs?: number;
}

/** Reads a certificate and key and checks that they make a context (throws naming the file). */
export function loadServerContext(files: TlsServerFiles): {
  cert: Buffer;
  key: Buffer;
  context: SecureContext;
} {
  const cert = readPem(files.certFile, 'sip.tls.cert_file');
  const key = readPem(files.keyFile, 'sip.tls.key_file');
  try {
    return { cert, key, context: createSecureContext({ cert, key }) };
  } catch (err) {
    throw new Error(
      `sip.tls.cert_file / sip.tls.key_file: ${files.certFile} and ${files.keyFile} do not make a certificate and key (${(err as Error).message})`,
    );
  }
}

function readPem(path: string, setting: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new Error(`${setting}: cannot read ${path} (${(err as Error).message})`);
  }
}

/**
 * Calls `onChange` when any of the files changes. A stat poll rather than
 * fs.watch: a certificate renewed by rename (certbot, Kubernetes secrets) swaps
 * the inode, and fs.watch stops following the old one; the poll is bounded by
 * its interval and does not keep the process alive. Returns the stop function.
 */
export function watchFiles(paths: string[], intervalMs: number, onChange: () => void): () => void {
  const listener = (curr: Stats, prev: Stats): void => {
    if (curr.mtimeMs !== prev.mtimeMs || curr.size !== prev.size || curr.ino !== prev.ino)
      onChange();
  };
  for (const p of paths) watchFile(p, { interval: intervalMs, persistent: false }, listener);
  return () => {
    for (const p of paths) unwatchFile(p, listener);
  };
}

/**
 * CA bundles named by providers (tls.ca_file), read once and kept until the file
 * changes, so the hot path does not touch the disk: only the first connection
 * after a change reads it again.
 */
export class CaFileCache {
  private readonly cache = new Map<string, { pem: Buffer; stop: () => void }>();

  constructor(private readonly intervalMs = 1000) {}

  get(path: string): Buffer {
    const hit = this.cache.get(path);
    if (hit) return hit.pem;
    const pem = readFileSync(path);
    const stop = watchFiles([path], this.intervalMs, () => {
      this.cache.get(path)?.stop();
      this.cache.delete(path);
    });
    this.cache.set(path, { pem, stop });
    return pem;
  }

  close(): void {
    for (const e of this.cache.values()) e.stop();
    this.cache.clear();
  }
}
