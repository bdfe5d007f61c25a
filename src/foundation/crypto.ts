/** The part of `crypto` the SDK uses: random bytes and SHA-256 (the browser's, or Node's webcrypto). */
export interface CryptoLike {
  getRandomValues<T extends Uint8Array>(array: T): T;
  subtle: { digest(algorithm: string, data: Uint8Array): Promise<ArrayBuffer> };
}
