import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { callRecordLogger, createLogger } from '../../../src/observability/logger.js';
import { Credentials } from '../../../src/routing/index.js';
import { tempDir } from '../../temp-dir.js';

// Provider digest passwords never reach a log line, raw or validated.

describe('logger redaction', () => {
  it('redacts provider auth passwords wherever a table or provider is logged', () => {
    const file = join(tempDir('log-'), 'out.log');
    const log = createLogger('info', { destination: file, sync: true });
    const provider = {
      id: 'a',
      auth: { username: 'u', password: 'pw-raw-1' },
      gateways: [{ uri: 'sip:198.51.100.1', auth: { username: 'g', password: 'pw-raw-2' } }],
    };
    log.info({ provider }, 'one provider');
    log.info({ table: { providers: [provider] } }, 'a table');
    log.info(provider, 'provider at the top');
    log.info({ attempt: { auth: new Credentials('u', 'pw-class-3') } }, 'an attempt');
    const out = readFileSync(file, 'utf8');
    expect(out.split('\n').filter(Boolean)).toHaveLength(4);
    for (const pw of ['pw-raw-1', 'pw-raw-2', 'pw-class-3']) expect(out).not.toContain(pw);
    expect(out).toContain('"username":"u"');
  });
});

describe('call record logger', () => {
  it('writes the record whole, in the process log line format', () => {
    const file = join(tempDir('log-'), 'out.log');
    const log = createLogger('info', { destination: file, sync: true });
    const record = { call_id: 'c1', outcome: 'connected', status: 200, attempts: [{ index: 1 }] };
    callRecordLogger(log).info({ call: record }, 'call');
    log.info({ other: 1 }, 'plain');
    const [line, plain] = readFileSync(file, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(line).toMatchObject({ level: 30, name: 'trunkroute', msg: 'call', call: record });
    expect(Object.keys(line!).sort()).toEqual(
      Object.keys(plain!)
        .map((k) => (k === 'other' ? 'call' : k))
        .sort(),
    );
  });
});

describe('asynchronous logger', () => {
  it('writes the lines of a moment together, in order, without being flushed', async () => {
    const file = join(tempDir('log-'), 'out.log');
    const log = createLogger('info', { destination: file });
    // The destination is opened asynchronously: until it is, there is no file.
    const read = (): string => {
      try {
        return readFileSync(file, 'utf8');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return '';
        throw err;
      }
    };
    for (let i = 0; i < 3; i++) log.info({ i }, 'line');
    // Collected, not yet handed to the file.
    expect(read()).toBe('');
    const deadline = Date.now() + 2000;
    let lines: string[] = [];
    while (Date.now() < deadline) {
      lines = read().split('\n').filter(Boolean);
      if (lines.length === 3) break;
      await new Promise((r) => setTimeout(r, 10));
    }
    expect(lines.map((l) => (JSON.parse(l) as { i: number }).i)).toEqual([0, 1, 2]);
  });
});
