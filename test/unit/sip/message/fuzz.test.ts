import { readdirSync, readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseMessage } from '../../../../src/sip/message/parse-message.js';
import { serializeMessage } from '../../../../src/sip/message/serialize.js';
import { SipRequest } from '../../../../src/sip/message/sip-message.js';
import { StreamFramer } from '../../../../src/sip/message/stream-framer.js';
import { requestProblem, responseProblem } from '../../../../src/sip/message/validate-request.js';
import { SipResponse } from '../../../../src/sip/message/sip-message.js';

// Random and mutated messages must never throw past the stack's boundary: each
// input either parses (and then validates to a verdict) or is rejected.

const DIR = new URL('../../../../../shared/conformance/', import.meta.url);
const corpus: Buffer[] = ['rfc4475', 'rfc5118'].flatMap((d) =>
  readdirSync(new URL(`${d}/`, DIR)).map((f) => readFileSync(new URL(`${d}/${f}`, DIR))),
);

const NASTY = [0x0d, 0x0a, 0x00, 0x3a, 0x2c, 0x3c, 0x3e, 0x22, 0x3b, 0x20, 0x5b, 0x5d, 0x40];

const mutation = fc.oneof(
  fc.record({
    kind: fc.constant('flip' as const),
    at: fc.nat(),
    byte: fc.integer({ min: 0, max: 255 }),
  }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({
    kind: fc.constant('insert' as const),
    at: fc.nat(),
    byte: fc.constantFrom(...NASTY),
  }),
  fc.record({
    kind: fc.constant('duplicate' as const),
    at: fc.nat(),
    len: fc.integer({ min: 1, max: 200 }),
  }),
);

function mutate(
  input: Buffer,
  ms: Array<{ kind: string; at: number; byte?: number; len?: number }>,
): Buffer {
  let b = Buffer.from(input);
  for (const m of ms) {
    const at = b.length ? m.at % b.length : 0;
    if (m.kind === 'flip') b[at] = m.byte!;
    else if (m.kind === 'truncate') b = b.subarray(0, at);
    else if (m.kind === 'insert')
      b = Buffer.concat([b.subarray(0, at), Buffer.from([m.byte!]), b.subarray(at)]);
    else b = Buffer.concat([b.subarray(0, at), b.subarray(at, at + m.len!), b.subarray(at)]);
  }
  return b;
}

function verdict(data: Buffer): 'parsed' | 'rejected' {
  const r = parseMessage(data);
  if (!r.ok) {
    expect(typeof r.error).toBe('string');
    return 'rejected';
  }
  // A parsed message always gets a verdict from the checks and serialises.
  if (r.message instanceof SipRequest) requestProblem(r.message);
  else if (r.message instanceof SipResponse) responseProblem(r.message);
  expect(serializeMessage(r.message).length).toBeGreaterThan(0);
  return 'parsed';
}

describe('parser and framer under random input', () => {
  it('mutated torture messages: parsed or rejected, never thrown', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...corpus),
        fc.array(mutation, { minLength: 1, maxLength: 6 }),
        (msg, ms) => {
          expect(['parsed', 'rejected']).toContain(verdict(mutate(msg, ms)));
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('random bytes: parsed or rejected, never thrown', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2000 }), (bytes) => {
        expect(['parsed', 'rejected']).toContain(verdict(Buffer.from(bytes)));
      }),
      { numRuns: 2000 },
    );
  });

  it('the TCP framer cuts the same messages whatever the chunking, and never throws', () => {
    const valid = corpus.filter((b) => {
      const r = parseMessage(b);
      return r.ok && r.message.has('content-length');
    });
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom(...valid), { minLength: 1, maxLength: 4 }),
        fc.array(fc.integer({ min: 1, max: 300 }), { minLength: 1, maxLength: 20 }),
        (msgs, cuts) => {
          const stream = Buffer.concat(
            msgs.flatMap((m) => [
              serializeMessage((parseMessage(m) as { message: SipRequest }).message),
              Buffer.from('\r\n'),
            ]),
          );
          const framer = new StreamFramer();
          const out: Buffer[] = [];
          let pos = 0;
          let i = 0;
          while (pos < stream.length) {
            const n = cuts[i++ % cuts.length]!;
            for (const ev of framer.push(stream.subarray(pos, pos + n))) {
              expect(ev.type).not.toBe('error');
              if (ev.type === 'message') out.push(ev.data);
            }
            pos += n;
          }
          expect(out).toHaveLength(msgs.length);
          for (const m of out) expect(parseMessage(m).ok).toBe(true);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('the TCP framer survives mutated streams: messages, keep-alives or one error, never a throw', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...corpus),
        fc.array(mutation, { maxLength: 6 }),
        fc.integer({ min: 1, max: 64 }),
        (msg, ms, chunk) => {
          const data = mutate(msg, ms);
          const framer = new StreamFramer({ maxSize: 4096 });
          for (let p = 0; p < data.length; p += chunk) {
            for (const ev of framer.push(data.subarray(p, p + chunk))) {
              if (ev.type === 'message') verdict(ev.data);
            }
          }
        },
      ),
      { numRuns: 2000 },
    );
  });
});
