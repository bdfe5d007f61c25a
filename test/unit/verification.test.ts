/**
 * @jest-environment node
 */
// WebCrypto (crypto.subtle) is the platform's: Node here, the browser in a page; jsdom has none.
import { codeOf, verificationCode } from '../../src/peer/verification';
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
    expect(await codeOf(A, B)).toMatch(/^\d{3} \d{3}$/);
  });
  test('does not depend on which side computes it', async () => {
    expect(await codeOf(A, B)).toBe(await codeOf(B, A));
  });
  test('changes when either fingerprint changes', async () => {
    const C = B.replace('FF00', 'FF01');
    expect(await codeOf(A, C)).not.toBe(await codeOf(A, B));
  });
  test('follows the documented derivation', async () => {
    // SHA-256 of the sorted pair joined by a line feed; first four bytes, mod 10^6.
    const { createHash } = await import('node:crypto');
    const digest = createHash('sha256').update(`${A}\n${B}`).digest();
    const expected = String(digest.readUInt32BE(0) % 1_000_000).padStart(6, '0');
    expect(await codeOf(B, A)).toBe(`${expected.slice(0, 3)} ${expected.slice(3)}`);
  });
});

describe('verificationCode(call)', () => {
  /** A stats report with one DTLS transport and its two certificates. */
  const report = (local: string | null, remote: string | null) => {
    const entries: Record<string, unknown>[] = [
      { id: 'T', type: 'transport', localCertificateId: 'L', remoteCertificateId: 'R' },
    ];
    if (local)
      entries.push({
        id: 'L',
        type: 'certificate',
        fingerprintAlgorithm: 'sha-256',
        fingerprint: local,
      });
    if (remote)
      entries.push({
        id: 'R',
        type: 'certificate',
        fingerprintAlgorithm: 'sha-256',
        fingerprint: remote,
      });
    return {
      forEach: (fn: (v: unknown) => void) => entries.forEach(fn),
    } as unknown as RTCStatsReport;
  };
  const call = (r: RTCStatsReport | null) => ({ getStats: () => Promise.resolve(r) });

  test('is the code of the two certificates DTLS used, the same from either side', async () => {
    const hexA = '1a:a2:b3:c4';
    const hexB = 'ff:00:ee:11';
    const mine = await verificationCode(call(report(hexA, hexB)));
    expect(mine).toBe(await codeOf('sha-256 1AA2B3C4', 'sha-256 FF00EE11'));
    expect(await verificationCode(call(report(hexB, hexA)))).toBe(mine);
  });
  test('is null without a connection, and before DTLS has both certificates', async () => {
    expect(await verificationCode(call(null))).toBeNull();
    expect(await verificationCode(call(report('1a:a2', null)))).toBeNull();
  });
});
