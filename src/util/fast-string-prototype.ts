/**
 * Puts String.prototype back into V8's fast-properties mode, where a dependency
 * that subclasses String left it in dictionary mode: ioredis defines
 * `VerbatimString extends String` for RESP3 and never makes one under RESP2, and
 * V8 turns a class's prototype chain fast again only once an instance of it
 * takes a property. With String.prototype in dictionary mode, optimized code
 * cannot fold `s.slice`, `s.charCodeAt`, `s.trim`, `s.toLowerCase` and the like
 * into direct calls: every one became a generic property lookup (V8's LoadIC
 * builtin), 6-7 % of trunkroute's CPU under load, spread over the parser and
 * every header access (perf and --print-opt-code, issue 14; docs/performance.md).
 *
 * So: an instance of a String subclass of our own takes a property, which makes
 * V8 turn that instance's prototype chain, String.prototype included, fast. Call
 * it once every module is loaded. It relies on V8's behaviour, not on an API: a
 * unit test checks it on the Node in use, and if it ever stops working only the
 * speed is lost.
 */
export function keepStringMethodsFast(): void {
  const s = new FastenedString('');
  s.fastened = true;
}

class FastenedString extends String {
  fastened?: boolean;
}
