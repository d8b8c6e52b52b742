import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseMessage } from '../../src/sip/message/parse-message.js';
import { serializeMessage } from '../../src/sip/message/serialize.js';
import { SipRequest, SipResponse } from '../../src/sip/message/sip-message.js';
import { parseUri } from '../../src/sip/message/sip-uri.js';
import { requestProblem, responseProblem } from '../../src/sip/message/validate-request.js';
import { parseVia } from '../../src/sip/message/via.js';

// Every message of RFC 4475 and RFC 5118 (read from ../shared/conformance, never
// copied) gets the verdict its manifest names. None is skipped.

const DIR = new URL('../../../shared/conformance/', import.meta.url);

interface Case {
  file: string;
  verdict: 'valid' | 'invalid' | 'valid-app-reject';
  expect: string;
  note?: string;
}

const manifest = JSON.parse(readFileSync(new URL('manifest.json', DIR), 'utf8')) as Case[];

/**
 * The wire bytes of a case. The RFC 5118 archive uses bare LF and has framing
 * slips the manifest documents (no empty line after the headers; a declared
 * Content-Length that does not match the archived body): those are the
 * archive's, not the message's, so they are repaired as the manifest says.
 */
function wire(c: Case): Buffer {
  const raw = readFileSync(new URL(c.file, DIR));
  if (!c.file.startsWith('rfc5118/')) return raw;
  let text = raw.toString('latin1').replace(/\r?\n/g, '\r\n');
  if (!text.includes('\r\n\r\n')) text = `${text.replace(/(\r\n)?$/, '')}\r\n\r\n`;
  const sep = text.indexOf('\r\n\r\n');
  const bodyLen = Buffer.byteLength(text.slice(sep + 4), 'latin1');
  text = text.replace(/^(Content-Length|l)[ \t]*:[ \t]*\d+/im, `Content-Length: ${bodyLen}`);
  return Buffer.from(text, 'latin1');
}

/** Per-file facts for the valid messages: method, Request-URI host, top Via host. */
const VALID_FACTS: Record<
  string,
  { method?: string; uriHost?: string; viaHost?: string; status?: number }
> = {
  'rfc4475/wsinv.dat': {
    method: 'INVITE',
    uriHost: 'chair-dnrc.example.com',
    viaHost: '192.0.2.2',
  },
  'rfc4475/intmeth.dat': {
    method: "!interesting-Method0123456789_*+`.%indeed'~",
    uriHost: 'example.com',
    viaHost: 'host1.example.com',
  },
  'rfc4475/esc01.dat': { method: 'INVITE', uriHost: 'example.net' },
  'rfc4475/escnull.dat': { method: 'REGISTER', uriHost: 'example.com' },
  'rfc4475/esc02.dat': { method: 'RE%47IST%45R' },
  'rfc4475/lwsdisp.dat': { method: 'OPTIONS' },
  'rfc4475/longreq.dat': { method: 'INVITE' },
  'rfc4475/dblreq.dat': { method: 'REGISTER' },
  'rfc4475/semiuri.dat': { method: 'OPTIONS', uriHost: 'example.com' },
  'rfc4475/transports.dat': { method: 'OPTIONS' },
  'rfc4475/mpart01.dat': { method: 'MESSAGE' },
  'rfc4475/unreason.dat': { status: 200 },
  'rfc4475/noreason.dat': { status: 100 },
  'rfc4475/badbranch.dat': { method: 'OPTIONS' },
  'rfc4475/regaut01.dat': { method: 'REGISTER' },
  'rfc4475/zeromf.dat': { method: 'OPTIONS' },
  'rfc4475/cparam01.dat': { method: 'REGISTER' },
  'rfc4475/cparam02.dat': { method: 'REGISTER' },
  'rfc4475/regescrt.dat': { method: 'REGISTER' },
  'rfc4475/inv2543.dat': { method: 'INVITE' },
  'rfc5118/ipv6-good.dat': { method: 'REGISTER', uriHost: '2001:db8::10' },
  'rfc5118/port-ambiguous.dat': { method: 'REGISTER', uriHost: '2001:db8::10:5070' },
  'rfc5118/port-unambiguous.dat': { method: 'REGISTER', uriHost: '2001:db8::10' },
  'rfc5118/via-received-param-with-delim.dat': { method: 'BYE', viaHost: '2001:db8::9:1' },
  'rfc5118/via-received-param-no-delim.dat': { method: 'OPTIONS', viaHost: '2001:db8::9:1' },
  'rfc5118/ipv6-in-sdp.dat': { method: 'INVITE' },
  'rfc5118/mult-ip-in-header.dat': { method: 'BYE' },
  'rfc5118/mult-ip-in-sdp.dat': { method: 'INVITE' },
  'rfc5118/ipv4-mapped-ipv6.dat': { method: 'INVITE', viaHost: '::ffff:192.0.2.10' },
  'rfc5118/ipv6-bug-abnf-3-colons.dat': { method: 'OPTIONS' },
  'rfc5118/ipv6-correct-abnf-2-colons.dat': { method: 'OPTIONS' },
};

/** The status an invalid request must get (requests), or 'drop' (responses and framing). */
const INVALID_STATUS: Record<string, number | 'drop'> = {
  'rfc4475/badvers.dat': 505,
  'rfc4475/mismatch02.dat': 501,
  'rfc4475/scalarlg.dat': 'drop',
  'rfc4475/bigcode.dat': 'drop',
};

/** For app-level rejects: the status our element gives, and how it knows. */
const APP_REJECT: Record<string, (m: SipRequest | SipResponse) => void> = {
  'rfc4475/insuf.dat': (m) => expect(requestProblem(m as SipRequest)?.status).toBe(400),
  'rfc4475/multi01.dat': (m) => expect(requestProblem(m as SipRequest)?.status).toBe(400),
  // 416: the proxy refuses any scheme but sip/sips/tel (src/proxy/request-checks.ts).
  'rfc4475/unkscm.dat': (m) =>
    expect(parseUri((m as SipRequest).uri)?.scheme).toBe('nobodyknowsthisscheme'),
  'rfc4475/novelsc.dat': (m) => expect(parseUri((m as SipRequest).uri)?.scheme).toBe('soap.beep'),
  // A proxy treats unksm2 and invut like any request: they must simply be clean.
  'rfc4475/unksm2.dat': (m) => expect(requestProblem(m as SipRequest)).toBeUndefined(),
  'rfc4475/invut.dat': (m) => expect(requestProblem(m as SipRequest)).toBeUndefined(),
  'rfc4475/sdp01.dat': (m) => expect(requestProblem(m as SipRequest)).toBeUndefined(),
  // 420: the proxy checks Proxy-Require against what it supports.
  'rfc4475/bext01.dat': (m) =>
    expect(m.getAll('proxy-require')).toEqual([
      'noProxiesSupportThis',
      'norDoAnyProxiesSupportThis',
    ]),
  // A proxy drops this response rather than forward it towards 255.255.255.255.
  'rfc4475/bcast.dat': (m) =>
    expect(m.getAll('via').map((v) => parseVia(v)?.host)).toContain('255.255.255.255'),
};

describe('RFC 4475 / RFC 5118 torture messages', () => {
  it('the manifest lists 62 messages', () => {
    expect(manifest).toHaveLength(62);
  });

  for (const c of manifest) {
    it(`${c.file}: ${c.verdict}`, () => {
      const result = parseMessage(wire(c));
      if (c.verdict === 'valid') {
        expect(result.ok, result.ok ? '' : result.error).toBe(true);
        if (!result.ok) return;
        const m = result.message;
        const facts = VALID_FACTS[c.file];
        expect(facts, `no expectations written for ${c.file}`).toBeDefined();
        if (m instanceof SipRequest) {
          expect(m.method).toBe(facts!.method);
          if (facts!.uriHost) expect(parseUri(m.uri)?.host).toBe(facts!.uriHost);
          const via = parseVia(m.first('via')!);
          expect(via).toBeDefined();
          if (facts!.viaHost) expect(via!.host).toBe(facts!.viaHost);
          if (c.file !== 'rfc4475/badbranch.dat') expect(requestProblem(m)).toBeUndefined();
        } else {
          expect(m.status).toBe(facts!.status);
          expect(responseProblem(m)).toBeUndefined();
        }
        return;
      }
      if (c.verdict === 'invalid') {
        const want = INVALID_STATUS[c.file] ?? 400;
        if (!result.ok) {
          // Rejected while parsing: a request that can be answered gets a 400.
          if (want !== 'drop' && result.partial) expect(want).toBe(400);
          return;
        }
        const m = result.message;
        if (m instanceof SipResponse) {
          expect(want).toBe('drop');
          expect(responseProblem(m)).toBeDefined();
        } else {
          expect(requestProblem(m)?.status).toBe(want);
        }
        return;
      }
      // valid-app-reject
      expect(result.ok, result.ok ? '' : result.error).toBe(true);
      if (!result.ok) return;
      const check = APP_REJECT[c.file];
      expect(check, `no expectation written for ${c.file}`).toBeDefined();
      check!(result.message);
    });
  }

  it('unknown headers survive a parse and serialise byte for byte (wsinv, intmeth)', () => {
    for (const f of ['rfc4475/wsinv.dat', 'rfc4475/intmeth.dat']) {
      const raw = readFileSync(new URL(f, DIR));
      const r = parseMessage(raw);
      expect(r.ok).toBe(true);
      if (!r.ok) continue;
      const out = serializeMessage(r.message).toString('latin1');
      for (const h of r.message.headers) {
        if (h.key === 'content-length') continue;
        expect(out).toContain(`${h.name}: ${h.value}\r\n`);
      }
      const again = parseMessage(serializeMessage(r.message));
      expect(again.ok).toBe(true);
      const noCl = (hs: typeof r.message.headers) => hs.filter((h) => h.key !== 'content-length');
      if (again.ok) expect(noCl(again.message.headers)).toEqual(noCl(r.message.headers));
    }
    const intmeth = readFileSync(new URL('rfc4475/intmeth.dat', DIR)).toString('latin1');
    const r = parseMessage(readFileSync(new URL('rfc4475/intmeth.dat', DIR)));
    if (r.ok) {
      const to = r.message.get('to')!;
      expect(intmeth).toContain(to);
      expect(to).toContain('\x00');
    }
  });
});
