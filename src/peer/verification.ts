/**
 * A short code both sides of a call can read to each other to prove that no
 * one in the signaling path swapped the DTLS keys (a man in the middle needs
 * two DTLS sessions with different certificates, so the two sides would see
 * different pairs of fingerprints and different codes).
 *
 * Derivation: take the `a=fingerprint` of each side's description
 * (algorithm and hex, upper case, colons removed), sort the two strings, join
 * them with a line feed, hash with SHA-256, read the first four bytes as an
 * unsigned big-endian integer, reduce modulo 1,000,000 and write it as six
 * digits in two groups: "042 917".
 */

/** The first `a=fingerprint` of an SDP, normalized; null if there is none. */
export function fingerprintOf(sdp: string): string | null {
  const match = /^a=fingerprint:(\S+) ([0-9A-Fa-f:]+)\s*$/m.exec(sdp);
  if (!match?.[1] || !match[2]) return null;
  return `${match[1].toLowerCase()} ${match[2].replace(/:/g, '').toUpperCase()}`;
}

/** The six-digit code of two fingerprints; the order of the arguments does not matter. */
export async function verificationCode(a: string, b: string): Promise<string> {
  const subtle = (globalThis as { crypto?: Crypto }).crypto?.subtle;
  if (!subtle) throw new Error('no WebCrypto (crypto.subtle) here');
  const [first, second] = a < b ? [a, b] : [b, a];
  const digest = new Uint8Array(
    await subtle.digest('SHA-256', new TextEncoder().encode(`${first}\n${second}`)),
  );
  const value =
    (((digest[0] ?? 0) << 24) >>> 0) +
    ((digest[1] ?? 0) << 16) +
    ((digest[2] ?? 0) << 8) +
    (digest[3] ?? 0);
  const digits = String(value % 1_000_000).padStart(6, '0');
  return `${digits.slice(0, 3)} ${digits.slice(3)}`;
}
