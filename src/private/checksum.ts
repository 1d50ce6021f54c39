import { createHash } from 'crypto';

/** A stable sha256 of some text, used in pod-template annotations so that a config change rolls the pods. */
export function checksum(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
