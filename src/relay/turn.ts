import { createHmac } from 'node:crypto';

/** Options of {@link mintTurnCredentials}. */
export interface TurnCredentialOptions {
  /** coturn's `static-auth-secret`, shared by every TURN server of the fleet. */
  secret: string;
  /** The TURN URLs (`turn:…`, `turns:…`). */
  urls: string | string[];
  /** Who the credentials are for, without `:` (default `messaging-calls`). */
  user?: string;
  /** Validity in seconds (default 86,400: a day). */
  ttlSeconds?: number;
  /** The current time in ms (default `Date.now()`). */
  now?: number;
}

/** An `RTCIceServer` with time-limited TURN credentials. */
export interface TurnCredentials {
  urls: string | string[];
  username: string;
  credential: string;
}

/**
 * Time-limited TURN credentials for coturn's `use-auth-secret` mode (the TURN
 * REST API scheme): `username` is `"<expiry>:<user>"` (expiry in Unix
 * seconds) and `credential` is `base64(HMAC-SHA1(secret, username))`. Any
 * TURN server holding the same secret accepts them until the expiry.
 */
export function mintTurnCredentials({
  secret,
  urls,
  user = 'messaging-calls',
  ttlSeconds = 86_400,
  now = Date.now(),
}: TurnCredentialOptions): TurnCredentials {
  if (typeof secret !== 'string' || !secret) {
    throw new TypeError('mintTurnCredentials needs the TURN servers’ shared secret');
  }
  if (String(user).includes(':')) throw new TypeError('the TURN user may not contain ":"');
  if (!(Number.isFinite(ttlSeconds) && ttlSeconds > 0)) {
    throw new TypeError('ttlSeconds must be a positive number');
  }
  const expiry = Math.floor(now / 1000) + Math.floor(ttlSeconds);
  const username = `${expiry}:${user}`;
  const credential = createHmac('sha1', secret).update(username).digest('base64');
  return { urls: Array.isArray(urls) ? [...urls] : urls, username, credential };
}
