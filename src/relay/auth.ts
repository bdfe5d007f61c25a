import { createHmac } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type * as JoseModule from 'jose';
import type { JWK } from 'jose';
import type { RelayCallMedia, RelayIdentity, RelayRole, RelayVerifier } from './types';
import { urlOf } from './url';

/** A conversation id: 1–128 characters of `[A-Za-z0-9_.:@-]`. */
export const CONVERSATION_PATTERN = /^[A-Za-z0-9_.:@-]{1,128}$/;

const MEDIA: readonly RelayCallMedia[] = ['voice', 'video'];

export const isRole = (value: unknown): value is RelayRole =>
  value === 'agent' || value === 'consumer';

/** The token a request carries: the `token` query parameter, else `Authorization: Bearer`. */
export function tokenFrom(request: IncomingMessage): string | null {
  const query = urlOf(request.url).searchParams.get('token');
  if (query) return query;
  const header = request.headers.authorization;
  const match = typeof header === 'string' ? /^Bearer\s+(\S+)$/i.exec(header) : null;
  return match?.[1] ?? null;
}

/** The identity a token's claims give, or null when they do not name one. */
export function identityFromClaims(claims: Record<string, unknown>): RelayIdentity | null {
  const { conversation, role, calls } = claims;
  if (typeof conversation !== 'string' || !CONVERSATION_PATTERN.test(conversation)) return null;
  if (!isRole(role)) return null;
  if (calls === undefined) return { conversation, role };
  if (!Array.isArray(calls)) return null;
  const list: RelayCallMedia[] = [];
  for (const media of calls as unknown[]) {
    if (!MEDIA.includes(media as RelayCallMedia)) return null;
    list.push(media as RelayCallMedia);
  }
  return { conversation, role, calls: list };
}

/** Options of {@link jwtVerifier}: a secret, a public key, or both (either may have signed). */
export interface JwtVerifierOptions {
  /** HS256 secret. */
  secret?: string;
  /** ES256 public key: PEM (SPKI) or JWK (object or JSON text). */
  publicKey?: string | Record<string, unknown>;
  /** Seconds of clock difference tolerated on `exp` (default 5). */
  clockToleranceSeconds?: number;
}

type Jose = typeof JoseModule;
let jose: Promise<Jose> | null = null;
/** jose is loaded on first use: the relay without authentication does not need it. */
const loadJose = (): Promise<Jose> => (jose ??= import('jose'));

/** Loads jose now, so that a relay with tokens and without jose fails at start, saying why. */
export async function requireJose(): Promise<void> {
  try {
    await loadJose();
  } catch {
    jose = null;
    throw new Error('the relay needs the `jose` package to verify tokens: npm install jose');
  }
}

/**
 * A verifier of signed JWTs (HS256 with a secret, ES256 with a public key)
 * carried as the `token` query parameter or `Authorization: Bearer`. The
 * claims `conversation`, `role` and `exp` are required; `calls` (an array
 * of `voice`, `video`) is optional. A missing, malformed, forged or expired
 * token, or one without those claims, resolves with null.
 */
export function jwtVerifier(options: JwtVerifierOptions): RelayVerifier {
  const { secret, publicKey, clockToleranceSeconds = 5 } = options;
  if (!secret && !publicKey) throw new TypeError('jwtVerifier needs a secret or a public key');
  const algorithms = [...(secret ? ['HS256'] : []), ...(publicKey ? ['ES256'] : [])];
  let esKey: Promise<CryptoKey | Uint8Array> | null = null;
  const hsKey = secret ? new TextEncoder().encode(secret) : null;

  const ecKey = async (lib: Jose): Promise<CryptoKey | Uint8Array> => {
    const key = publicKey as string | Record<string, unknown>;
    if (typeof key === 'string' && key.trimStart().startsWith('-----')) {
      return lib.importSPKI(key, 'ES256');
    }
    const jwk = (typeof key === 'string' ? JSON.parse(key) : key) as JWK;
    return lib.importJWK(jwk, 'ES256');
  };

  return async (request) => {
    const token = tokenFrom(request);
    if (!token) return null;
    try {
      const lib = await loadJose();
      const { payload } = await lib.jwtVerify(
        token,
        async (header) => {
          if (header.alg === 'HS256' && hsKey) return hsKey;
          if (header.alg === 'ES256' && publicKey) return (esKey ??= ecKey(lib));
          throw new Error('algorithm not accepted');
        },
        { algorithms, requiredClaims: ['exp'], clockTolerance: clockToleranceSeconds },
      );
      return identityFromClaims(payload);
    } catch {
      return null;
    }
  };
}

/** Options of {@link signToken}. */
export interface SignTokenOptions {
  /** The HS256 secret the relay verifies with (`authSecret`). */
  secret: string;
  conversation: string;
  role: RelayRole;
  /** For an agent: the media it may start (absent: any). */
  calls?: RelayCallMedia[];
  /** Validity in seconds (default 3,600). */
  expiresIn?: number;
  /** The current time in ms (default `Date.now()`). */
  now?: number;
}

const base64url = (data: string | Buffer): string => Buffer.from(data).toString('base64url');

/**
 * A signed HS256 token for one socket of one conversation: what a backend
 * hands to a page (consumer) or an agent's workspace before it connects.
 */
export function signToken({
  secret,
  conversation,
  role,
  calls,
  expiresIn = 3600,
  now = Date.now(),
}: SignTokenOptions): string {
  if (typeof secret !== 'string' || !secret) throw new TypeError('signToken needs a secret');
  if (!CONVERSATION_PATTERN.test(conversation)) {
    throw new TypeError('conversation must be 1–128 characters of [A-Za-z0-9_.:@-]');
  }
  if (!isRole(role)) throw new TypeError('role must be "agent" or "consumer"');
  if (!(Number.isFinite(expiresIn) && expiresIn > 0)) {
    throw new TypeError('expiresIn must be a positive number of seconds');
  }
  const iat = Math.floor(now / 1000);
  const claims = {
    conversation,
    role,
    ...(calls ? { calls: [...calls] } : {}),
    iat,
    exp: iat + Math.floor(expiresIn),
  };
  const input = `${base64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }))}.${base64url(JSON.stringify(claims))}`;
  const signature = createHmac('sha256', secret).update(input).digest('base64url');
  return `${input}.${signature}`;
}

const unmapped = (address: string | undefined): string =>
  (address ?? '').replace(/^::ffff:/i, '').toLowerCase();

/** Whether a remote address is this machine (127.0.0.0/8, ::1). */
export function isLoopback(address: string | undefined): boolean {
  const a = unmapped(address);
  return a === '::1' || /^127\./.test(a);
}

/**
 * Whether a request's `Origin` may connect. Without an allow-list every
 * origin may; with one, a request that names an origin must name a listed
 * one (requests without `Origin` are not from a browser page).
 */
export function originAllowed(origin: string | undefined, allowed: readonly string[] | undefined) {
  if (!allowed || !allowed.length || origin === undefined) return true;
  const normalized = origin.toLowerCase().replace(/\/$/, '');
  for (const entry of allowed) {
    if (entry === '*' || entry.toLowerCase().replace(/\/$/, '') === normalized) return true;
  }
  return false;
}

/** Whether an `Origin` is a page of this machine (`http://localhost:3000`, `http://127.0.0.1`). */
export function isLoopbackOrigin(origin: string): boolean {
  try {
    const host = new URL(origin).hostname.toLowerCase();
    return host === 'localhost' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host);
  } catch {
    return false;
  }
}
