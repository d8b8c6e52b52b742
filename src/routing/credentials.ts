/**
 * A provider's (or gateway's) digest credentials. The password is a
 * non-enumerable property and toJSON leaves it out: JSON (logs, explain, the
 * API) and util.inspect show only `{ username, realm, password_set: true }`.
 * (A plain data property, not a getter or a #private field, so the logger's
 * redaction can read and restore it like any other.)
 */
export class Credentials {
  declare readonly password: string;

  constructor(
    readonly username: string,
    password: string,
    /** Given: only challenges for this realm are answered. */
    readonly realm?: string,
  ) {
    Object.defineProperty(this, 'password', { value: password, enumerable: false, writable: true });
  }

  /** True when a challenge for `realm` may be answered with these credentials. */
  answers(realm: string): boolean {
    return this.realm === undefined || this.realm === realm;
  }

  toJSON(): { username: string; realm?: string; password_set: true } {
    return {
      username: this.username,
      ...(this.realm !== undefined ? { realm: this.realm } : {}),
      password_set: true,
    };
  }
}
