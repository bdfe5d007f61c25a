/**
 * The signaling relay (`messaging-calls/relay`, Node only): one WebSocket per
 * participant, each text frame of one role forwarded to the other role's
 * sockets of the same conversation, on one instance or a fleet sharing
 * Redis. docs/RELAY.md describes it.
 *
 * @packageDocumentation
 */
export { startRelay } from './server';
export { createRelay, RelayCloseCode } from './relay';
export { jwtVerifier, signToken } from './auth';
export type { JwtVerifierOptions, SignTokenOptions } from './auth';
export { mintTurnCredentials } from './turn';
export type { TurnCredentialOptions, TurnCredentials } from './turn';
export { DEFAULT_LIMITS } from './limits';
export type {
  Relay,
  RelayCallMedia,
  RelayHandler,
  RelayHandlerOptions,
  RelayIdentity,
  RelayLimits,
  RelayOptions,
  RelayRole,
  RelaySocketInfo,
  RelayTurnOptions,
  RelayVerifier,
} from './types';
export type { Logger, LogLevel } from '../foundation/log';
