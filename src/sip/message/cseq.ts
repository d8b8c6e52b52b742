const CSEQ = /^[ \t]*(\d{1,10})[ \t]+([A-Za-z0-9.!%*_+`'~-]+)[ \t]*$/;

/** CSeq (RFC 3261 20.16): a 32-bit sequence number and a method. */
export function parseCSeq(value: string): { seq: number; method: string } | undefined {
  const m = CSEQ.exec(value);
  if (!m) return undefined;
  const seq = Number(m[1]);
  if (seq > 0xffffffff) return undefined;
  return { seq, method: m[2]! };
}
