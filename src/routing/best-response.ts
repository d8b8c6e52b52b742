/** Within 4xx, the responses RFC 3261 16.7 step 6 asks a proxy to prefer. */
const PREFERRED_4XX = [401, 407, 415, 420, 484];

/**
 * RFC 3261 16.7 step 6: the response a proxy sends when every branch failed.
 * A 6xx if there is one; otherwise the lowest class, preferring the 4xx codes
 * that carry information the caller can act on. A 503 is sent as 500 (a
 * downstream's overload is not ours). No response at all gives 408.
 */
export function chooseBestResponse(statuses: readonly number[]): number {
  const finals = statuses.filter((s) => s >= 300 && s < 700);
  if (finals.length === 0) return 408;
  const sixes = finals.filter((s) => s >= 600);
  let best: number;
  if (sixes.length > 0) best = sixes[0]!;
  else {
    const cls = Math.min(...finals.map((s) => Math.floor(s / 100)));
    const inClass = finals.filter((s) => Math.floor(s / 100) === cls);
    best = (cls === 4 && PREFERRED_4XX.find((p) => inClass.includes(p))) || inClass[0]!;
  }
  return best === 503 ? 500 : best;
}
