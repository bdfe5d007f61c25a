// Time-limited TURN credentials for coturn's `use-auth-secret` mode (the TURN
// REST API scheme), minted by your backend for each call and handed to the
// agent's invitation (AgentCall's `iceServers`), so no lasting TURN password
// ever reaches a browser. Runs in Node; keep it on the server with the secret.
//
//   import { turnCredentials } from './credentials.mjs';
//   const iceServers = [turnCredentials({ secret: process.env.TURN_SECRET, user: conversationId,
//     urls: ['turn:turn.example.com:3478?transport=udp', 'turns:turn.example.com:5349'] })];
import { createHmac } from 'node:crypto';

/** How long credentials stay valid by default: long enough for a call to start. */
export const DEFAULT_TTL_SECONDS = 3600;

/**
 * An RTCIceServer with coturn REST credentials:
 * `username = "<expiry>:<user>"` (expiry in Unix seconds) and
 * `credential = base64(HMAC-SHA1(secret, username))`.
 *
 * @param {object} options
 * @param {string} options.secret coturn's `static-auth-secret`
 * @param {string | string[]} options.urls the TURN URLs (turn:… and turns:…)
 * @param {string} [options.user] who the credentials are for (no ':'), e.g. the conversation id
 * @param {number} [options.ttlSeconds] validity (default one hour)
 * @param {number} [options.now] the current time in ms (default Date.now())
 * @returns {{ urls: string | string[], username: string, credential: string }}
 */
export function turnCredentials({
  secret,
  urls,
  user = 'messaging-calls',
  ttlSeconds = DEFAULT_TTL_SECONDS,
  now = Date.now(),
}) {
  if (!secret) throw new TypeError('turnCredentials needs coturn’s static-auth-secret');
  if (String(user).includes(':')) throw new TypeError('the user part may not contain ":"');
  const expiry = Math.floor(now / 1000) + Math.floor(ttlSeconds);
  const username = `${expiry}:${user}`;
  const credential = createHmac('sha1', secret).update(username).digest('base64');
  return { urls, username, credential };
}
