/**
 * A short code both sides of a call can read to each other to detect a man
 * in the middle on the signaling path: one needs two DTLS sessions with
 * certificates of its own, so each side would see a different pair of
 * certificates and, almost always, a different code (docs/SECURITY.md says
 * what it does and does not prove).
 *
 * The fingerprints are those of the certificates DTLS actually used, read
 * from getStats — not from the SDP, where a session-level fingerprint line
 * can differ from the media-level one DTLS checks.
 *
 * Derivation: each fingerprint as `<algorithm lower case> <hex upper case,
 * no colons>`, the two sorted, joined with a line feed, hashed with SHA-256;
 * the first four bytes as an unsigned big-endian integer, modulo 1,000,000,
 * written as six digits in two groups: "042 917".
 */

/** `sha-256 AB12…` from an algorithm and a colon-separated hex fingerprint. */
export function normalizeFingerprint(algorithm: string, hex: string): string {
  return `${algorithm.toLowerCase()} ${hex.replace(/:/g, '').toUpperCase()}`;
}

type StatsLike = { forEach(fn: (value: unknown) => void): void };
type Entry = Record<string, unknown>;

/**
 * The local and remote certificate fingerprints of the DTLS transport in
 * use, from a stats report; null until DTLS has negotiated.
 */
export function certificateFingerprints(report: StatsLike): [string, string] | null {
  const byId = new Map<unknown, Entry>();
  const transports: Entry[] = [];
  report.forEach((value) => {
    const e = value as Entry;
    byId.set(e.id, e);
    if (e.type === 'transport') transports[transports.length] = e;
  });
  for (const t of transports) {
    const local = byId.get(t.localCertificateId);
    const remote = byId.get(t.remoteCertificateId);
    const pick = (c: Entry | undefined) =>
      c && typeof c.fingerprint === 'string'
        ? normalizeFingerprint(
            typeof c.fingerprintAlgorithm === 'string' ? c.fingerprintAlgorithm : 'sha-256',
            c.fingerprint,
          )
        : null;
    const l = pick(local);
    const r = pick(remote);
    if (l && r) return [l, r];
  }
  return null;
}

/** The six-digit code of two fingerprints; the order of the arguments does not matter. */
export async function codeOf(a: string, b: string): Promise<string> {
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

/**
 * The verification code of a call (a `CallClient` or an `AgentCall`), or
 * null while it has no connection or DTLS has not negotiated yet.
 *
 * @example
 * const code = await verificationCode(client); // "042 917"
 */
export async function verificationCode(call: {
  getStats(): Promise<RTCStatsReport | null>;
}): Promise<string | null> {
  const report = await call.getStats();
  const pair = report && certificateFingerprints(report);
  return pair ? codeOf(pair[0], pair[1]) : null;
}
