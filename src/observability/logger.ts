import pino, { type DestinationStream, type Logger } from 'pino';

export type { Logger };

type Boom = ReturnType<typeof pino.destination>;

/**
 * How long log lines are collected before they go to the destination as one
 * write (ms). Each write is handed to libuv's thread pool, which wakes a thread
 * and then the loop again: written once per loop turn, two workers at 1,000
 * calls/s made about 950 writes, 2,500 futex calls and 1,800 reads a second
 * between them; collected for 20 ms, about 180, 900 and 400 (BENCHMARKS.md,
 * issue 14). A line reaches the log at most this much later.
 */
const BATCH_MS = 20;

/**
 * Collects the log lines written within BATCH_MS and hands them to the file
 * descriptor as one write. A call record then costs the call path its JSON and
 * an array push; the write(2), on libuv's thread pool, happens once per batch
 * instead of once per line.
 */
class BatchedStream implements DestinationStream {
  private pending: string[] = [];
  private timer?: NodeJS.Timeout;

  constructor(private readonly out: Boom) {}

  write(line: string): void {
    this.pending.push(line);
    this.timer ??= setTimeout(this.drain, BATCH_MS);
  }

  /** Hands everything collected so far to the destination (asynchronous write). */
  flush(cb?: (err?: Error) => void): void {
    this.drain();
    this.out.flush(cb);
  }

  /** For the exit path: everything collected, written before returning. */
  flushSync(): void {
    this.drain();
    this.out.flushSync();
  }

  private readonly drain = (): void => {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pending.length === 0) return;
    const text = this.pending.length === 1 ? this.pending[0]! : this.pending.join('');
    this.pending = [];
    this.out.write(text);
  };
}

export interface LoggerOptions {
  /** Write each line with a blocking write(2) (tests, short-lived commands). */
  sync?: boolean;
  /** File descriptor or path; stdout by default. */
  destination?: number | string;
}

/**
 * The process logger: pino JSON on stdout. Asynchronous destination, and lines
 * batched for BATCH_MS, so that logging stays off the call path.
 * Secrets (tokens, passwords) are redacted wherever they appear in logged objects.
 */
export function createLogger(level: string, opts: LoggerOptions = {}): Logger {
  const sync = opts.sync ?? false;
  // minLength 0: the destination writes whatever it is given at once (async unless sync).
  const destination = pino.destination({ dest: opts.destination ?? 1, sync, minLength: 0 });
  const stream = sync ? destination : new BatchedStream(destination);
  if (!sync) {
    // What is still collected when the process exits is written synchronously.
    process.on('exit', () => {
      try {
        (stream as BatchedStream).flushSync();
      } catch {
        // The descriptor may already be closed: nothing more can be written.
      }
    });
  }
  return pino(
    {
      level,
      base: { name: 'trunkroute' },
      redact: {
        paths: [
          '*.token',
          '*.tokens',
          '*.password',
          // Provider digest passwords in a raw route table or one entry of it (the validated
          // table's Credentials never serialise theirs).
          'auth.password',
          '*.auth.password',
          'gateways[*].auth.password',
          '*.gateways[*].auth.password',
          'providers[*].auth.password',
          'providers[*].gateways[*].auth.password',
          '*.providers[*].auth.password',
          '*.providers[*].gateways[*].auth.password',
          '*.record_route_secret',
          'config.api.tokens',
          'headers.authorization',
        ],
        censor: '[redacted]',
      },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    stream,
  );
}

/**
 * The logger a call record is written with: the process logger without its
 * redaction. A CallRecord is our own typed object with no secret in it, and
 * the redaction's wildcard paths made its selective clone cost more than the
 * rest of the line: 3 % of the busy time at 900 calls/s (BENCHMARKS.md,
 * issue 14). Same destination, same line format.
 */
export function callRecordLogger(log: Logger): Logger {
  return log.child({}, { redact: { paths: [] } });
}
