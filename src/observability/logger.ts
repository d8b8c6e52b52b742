import pino, { type Logger } from 'pino';

export type { Logger };

/**
 * The process logger: pino JSON on stdout. Asynchronous destination so that a
 * log line on the call path costs a buffer append, not a write(2).
 * Secrets (tokens, passwords) are redacted wherever they appear in logged objects.
 */
export function createLogger(level: string, opts: { sync?: boolean } = {}): Logger {
  const destination = pino.destination({ dest: 1, sync: opts.sync ?? false, minLength: 0 });
  return pino(
    {
      level,
      base: { name: 'trunkroute' },
      redact: {
        paths: [
          '*.token',
          '*.tokens',
          '*.password',
          '*.record_route_secret',
          'config.api.tokens',
          'headers.authorization',
        ],
        censor: '[redacted]',
      },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination,
  );
}
