/** Polls `cond` every 20 ms until it holds or `ms` have passed; returns its last value. */
export async function within(ms: number, cond: () => boolean): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (cond()) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return cond();
}
