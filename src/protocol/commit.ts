/**
 * The commitment scheme of resume (protocol 1.1): the consumer keeps
 * `secret = base64url(B)` for 32 random bytes B and sends only
 * `commit = base64url(SHA-256(B))`; a resume reveals the secret of the last
 * commitment and commits to a fresh one.
 */

import type { CryptoLike } from '../foundation/crypto';

export type { CryptoLike };

/** Canonical base64url of bytes (RFC 4648 §5, no padding). */
export function toBase64Url(bytes: Uint8Array): string {
  let binary = '';
  for (let i = 0; i < bytes.length; i++) binary += String.fromCharCode(bytes[i] as number);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** The bytes of a base64url text (already validated as canonical). */
export function fromBase64Url(text: string): Uint8Array {
  const binary = atob(text.replace(/-/g, '+').replace(/_/g, '/'));
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/** The commitment of a secret: base64url(SHA-256(its 32 bytes)). */
export async function commitOf(crypto: CryptoLike, secret: string): Promise<string> {
  return toBase64Url(new Uint8Array(await crypto.subtle.digest('SHA-256', fromBase64Url(secret))));
}

/** A fresh secret and its commitment. */
export async function newSecret(crypto: CryptoLike): Promise<{ secret: string; commit: string }> {
  const secret = toBase64Url(crypto.getRandomValues(new Uint8Array(32)));
  return { secret, commit: await commitOf(crypto, secret) };
}
