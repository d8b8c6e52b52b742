/** RFC 3261 25.1 token characters, by code (latin1 text: none over 127). */
const TOKEN_CHAR = new Uint8Array(256);
for (const c of "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789.!%*_+`'~-")
  TOKEN_CHAR[c.charCodeAt(0)] = 1;

/** Whether a character code is a token character (the scans that stand in for token expressions). */
export function isTokenChar(c: number): boolean {
  return TOKEN_CHAR[c] === 1;
}
