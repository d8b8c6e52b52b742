import { spawn, type ChildProcess } from 'node:child_process';
import { createConnection } from 'node:net';
import { freePort } from './ports.js';

export interface RedisServer {
  port: number;
  url: string;
  pid(): number | undefined;
  /** Stops it by its PID and waits for the exit. */
  stop(): Promise<void>;
  /** Starts it again on the same port. */
  restart(): Promise<void>;
}

async function ping(port: number, password?: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createConnection(port, '127.0.0.1');
    s.once('error', () => resolve(false));
    s.once('connect', () => s.write(`${password ? `AUTH ${password}\r\n` : ''}PING\r\n`));
    let text = '';
    s.on('data', (d) => {
      text += d.toString();
      if (!text.includes('PONG') && !text.includes('-')) return;
      s.destroy();
      resolve(text.includes('+PONG'));
    });
  });
}

/** A real redis-server of our own on a free loopback port, with nothing persisted. */
export async function startRedis(opts: { password?: string } = {}): Promise<RedisServer> {
  const port = await freePort('tcp');
  let child: ChildProcess | undefined;
  const launch = async (): Promise<void> => {
    child = spawn(
      'redis-server',
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--appendonly',
        'no',
        ...(opts.password ? ['--requirepass', opts.password] : []),
      ],
      { stdio: 'ignore' },
    );
    for (let i = 0; i < 200; i++) {
      if (await ping(port, opts.password)) return;
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error(`redis-server did not answer on ${port}`);
  };
  await launch();
  const server: RedisServer = {
    port,
    url: `redis://${opts.password ? `:${opts.password}@` : ''}127.0.0.1:${port}`,
    pid: () => child?.pid,
    async stop() {
      const c = child;
      if (!c || c.exitCode !== null) return;
      const exited = new Promise<void>((r) => c.once('exit', () => r()));
      c.kill('SIGTERM');
      await exited;
    },
    restart: launch,
  };
  process.once('exit', () => child?.kill('SIGKILL'));
  return server;
}
