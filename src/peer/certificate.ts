/**
 * A call's DTLS certificate, kept in IndexedDB across the pages of a tab so
 * that a resumed call has the same fingerprint, and with it the same
 * verification code. An RTCCertificate is stored as itself (structured
 * clone); its private key cannot be extracted. Every step is best effort:
 * where something is missing or refused, the browser makes a certificate
 * of its own, as it does for any call.
 */

const STORE = 'certificates';

type Generate = (algorithm: { name: string; namedCurve: string }) => Promise<RTCCertificate>;

/** Runs one request on the store; resolves with its result, or undefined on any failure. */
function request<T>(
  idb: IDBFactory,
  mode: IDBTransactionMode,
  make: (store: IDBObjectStore) => IDBRequest,
): Promise<T | undefined> {
  return new Promise((resolve) => {
    // A database that never answers (blocked, or a browser's bug) must not hold the call.
    setTimeout(() => resolve(undefined), 1_500);
    try {
      const open = idb.open('messaging-calls', 1);
      open.onblocked = () => resolve(undefined);
      open.onupgradeneeded = () => open.result.createObjectStore(STORE);
      open.onerror = () => resolve(undefined);
      open.onsuccess = () => {
        const db = open.result;
        try {
          const req = make(db.transaction(STORE, mode).objectStore(STORE));
          req.onsuccess = () => resolve(req.result as T);
          req.onerror = () => resolve(undefined);
        } catch {
          resolve(undefined);
        } finally {
          db.close();
        }
      };
    } catch {
      resolve(undefined);
    }
  });
}

/** A new certificate (ECDSA P-256) kept under `key`; undefined where the browser cannot. */
export async function newCertificate(
  idb: IDBFactory | undefined,
  Pc: unknown,
  key: string,
): Promise<RTCCertificate | undefined> {
  const generate = (Pc as { generateCertificate?: Generate } | undefined)?.generateCertificate;
  if (!idb || !generate) return undefined;
  try {
    const certificate = await generate.call(Pc, { name: 'ECDSA', namedCurve: 'P-256' });
    await request(idb, 'readwrite', (store) => store.put(certificate, key));
    return certificate;
  } catch {
    return undefined;
  }
}

/** The certificate kept under `key`, if any. */
export function keptCertificate(
  idb: IDBFactory | undefined,
  key: string,
): Promise<RTCCertificate | undefined> {
  return idb ? request(idb, 'readonly', (store) => store.get(key)) : Promise.resolve(undefined);
}

/** Forgets the certificate kept under `key`. */
export function dropCertificate(idb: IDBFactory | undefined, key: string): void {
  if (idb) void request(idb, 'readwrite', (store) => store.delete(key));
}
