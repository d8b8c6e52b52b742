import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../../temp-dir.js';

/** A certificate and its key, as PEM files. */
export interface CertFiles {
  cert: string;
  key: string;
}

const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2'];
const SAN = 'subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost';

function openssl(args: string[]): void {
  execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'], timeout: 20_000 });
}

/** A fresh temp dir for one test's certificates. */
export function certDir(): string {
  return tempDir('trunkroute-certs-');
}

/** A self-signed certificate for localhost / 127.0.0.1 / ::1 (trusted by no one unless pinned). */
export function selfSigned(dir: string, name: string, cn = 'localhost'): CertFiles {
  const f = { cert: join(dir, `${name}.pem`), key: join(dir, `${name}.key`) };
  openssl([
    'req',
    '-x509',
    ...EC,
    '-subj',
    `/CN=${cn}`,
    '-addext',
    SAN,
    '-keyout',
    f.key,
    '-out',
    f.cert,
  ]);
  return f;
}

/** A test CA and a localhost leaf certificate it signed. */
export function caAndLeaf(dir: string, name: string): { ca: CertFiles; leaf: CertFiles } {
  const ca = { cert: join(dir, `${name}-ca.pem`), key: join(dir, `${name}-ca.key`) };
  openssl([
    'req',
    '-x509',
    ...EC,
    '-subj',
    `/CN=trunkroute test CA ${name}`,
    '-keyout',
    ca.key,
    '-out',
    ca.cert,
  ]);
  const leaf = { cert: join(dir, `${name}.pem`), key: join(dir, `${name}.key`) };
  const csr = join(dir, `${name}.csr`);
  openssl([
    'req',
    ...EC.filter((a) => a !== '-days' && a !== '2'),
    '-subj',
    '/CN=localhost',
    '-keyout',
    leaf.key,
    '-out',
    csr,
  ]);
  const ext = join(dir, `${name}.ext`);
  writeFileSync(ext, `${SAN}\nbasicConstraints=CA:FALSE\n`);
  openssl([
    'x509',
    '-req',
    '-in',
    csr,
    '-CA',
    ca.cert,
    '-CAkey',
    ca.key,
    '-CAcreateserial',
    '-days',
    '2',
    '-extfile',
    ext,
    '-out',
    leaf.cert,
  ]);
  return { ca, leaf };
}
