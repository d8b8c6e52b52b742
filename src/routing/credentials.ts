/**
 * A provider's (or gateway's) digest credentials. The password is a private
 * field with no enumerable trace: JSON (logs, explain, the API) and
 * util.inspect show only `{ username, realm, password_set: true }`.
 */
export class Credentials {
  readonly #password: string;

  constructor(
    readonly username: string,
    password: string,
    /** Given: only challenges for this realm are answered. */
    readonly realm?: string,
  ) {
    this.#password = password;
  }

  get password(): string {
    return this.#password;
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
