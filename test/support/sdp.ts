import { normalizeFingerprint } from '../../src/peer/verification';

/**
 * The first `a=fingerprint` of an SDP, normalized as the verification code
 * writes fingerprints. For tests: the SDK itself reads the fingerprints of
 * the certificates DTLS used, from getStats.
 */
export function fingerprintOf(sdp: string): string | null {
  const match = /^a=fingerprint:(\S+) ([0-9A-Fa-f:]+)\s*$/m.exec(sdp);
  if (!match?.[1] || !match[2]) return null;
  return normalizeFingerprint(match[1], match[2]);
}
