import { createHash, randomBytes } from 'node:crypto';

/**
 * The To tag of every stateless 503 the overload guard sends. Workers derive the
 * same one from their shared key, so whichever reads the ACK can absorb it
 * unparsed (ack-for-tag.ts); a single process makes its own. Derived, not the
 * key itself: the tag is on the wire, the key authenticates relays between
 * workers. 48 bits: no peer's tag is this by chance.
 */
export function shedTag(workerKey?: string): string {
  const secret = workerKey ?? randomBytes(16).toString('hex');
  return `s${createHash('sha256').update(`trunkroute shed tag ${secret}`).digest('hex').slice(0, 12)}`;
}
