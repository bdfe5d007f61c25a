/**
 * @jest-environment node
 */
// WebCrypto (crypto.subtle) is the platform's: Node here, the browser in a page; jsdom has none.
import { verificationCode } from '../../src/peer/verification';
import { fingerprintOf } from '../support/sdp';

const A = 'sha-256 1AA2B3C4D5E6F708192A3B4C5D6E7F8091A2B3C4D5E6F708192A3B4C5D6E7F80';
const B = 'sha-256 FF00EE11DD22CC33BB44AA5599668877FF00EE11DD22CC33BB44AA5599668877';

describe('fingerprintOf', () => {
  test('reads the fingerprint line, normalized: lower-case algorithm, upper-case hex, no colons', () => {
    const sdp =
      'v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\na=fingerprint:SHA-256 1a:a2:b3:C4\r\na=setup:actpass\r\n';
    expect(fingerprintOf(sdp)).toBe('sha-256 1AA2B3C4');
  });
  test('is null for an SDP without one', () => {
    expect(fingerprintOf('v=0\r\n')).toBeNull();
  });
});

describe('verificationCode', () => {
  test('is six digits in two groups', async () => {
    expect(await verificationCode(A, B)).toMatch(/^\d{3} \d{3}$/);
  });
  test('does not depend on which side computes it', async () => {
    expect(await verificationCode(A, B)).toBe(await verificationCode(B, A));
  });
  test('changes when either fingerprint changes', async () => {
    const C = B.replace('FF00', 'FF01');
    expect(await verificationCode(A, C)).not.toBe(await verificationCode(A, B));
  });
  test('follows the documented derivation', async () => {
    // SHA-256 of the sorted pair joined by a line feed; first four bytes, mod 10^6.
    const { createHash } = await import('node:crypto');
    const digest = createHash('sha256').update(`${A}\n${B}`).digest();
    const expected = String(digest.readUInt32BE(0) % 1_000_000).padStart(6, '0');
    expect(await verificationCode(B, A)).toBe(`${expected.slice(0, 3)} ${expected.slice(3)}`);
  });
});
