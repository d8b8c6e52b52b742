/**
 * Splits a header value on commas that separate list elements: commas inside
 * double quotes (with backslash escapes) or angle brackets do not count.
 * Empty elements are kept out; surrounding whitespace is trimmed.
 */
export function splitList(value: string): string[] {
  const out: string[] = [];
  for (let start = 0; start <= value.length;) {
    const end = elementEnd(value, start);
    const part = value.slice(start, end).trim();
    if (part) out.push(part);
    start = end + 1;
  }
  return out;
}

/** splitList(value)[0] without splitting the rest: the top Via or Route of a line. */
export function firstListValue(value: string): string | undefined {
  for (let start = 0; start <= value.length;) {
    const end = elementEnd(value, start);
    const part = value.slice(start, end).trim();
    if (part) return part;
    start = end + 1;
  }
  return undefined;
}

/** The index of the comma that ends the element starting at `start`, or the length. */
function elementEnd(value: string, start: number): number {
  let inQuote = false;
  let inAngle = false;
  for (let i = start; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (inQuote) {
      if (c === 0x5c /* \ */) i++;
      else if (c === 0x22 /* " */) inQuote = false;
    } else if (c === 0x22) inQuote = true;
    else if (c === 0x3c /* < */) inAngle = true;
    else if (c === 0x3e /* > */) inAngle = false;
    else if (c === 0x2c /* , */ && !inAngle) return i;
  }
  return value.length;
}
