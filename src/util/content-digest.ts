import { createHash, type Hash } from 'node:crypto';
import { codeUnitOrder } from './order.js';

/**
 * Digest of a folder's files (name inside the folder, content), in any
 * order: what the marker records and what a later run checks the folder's
 * files against.
 */
export function contentDigest(files: readonly (readonly [string, string | Buffer])[]): string {
  const hash = createHash('sha256');
  for (const [name, content] of [...files].sort(([a], [b]) => codeUnitOrder(a, b)))
    hash.update(`${name}\0${Buffer.byteLength(content)}\0`).update(content);
  return shortDigest(hash);
}

/** The first 128 bits of a hash, in base64url: short enough for a line per folder, long enough never to collide. */
export function shortDigest(hash: Hash): string {
  return hash.digest().subarray(0, 16).toString('base64url');
}
