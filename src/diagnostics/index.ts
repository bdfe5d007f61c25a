/**
 * Checks before a call ({@link preflight}), the verification code during one
 * ({@link verificationCode}), and a console logger. Kept out of the core
 * entry: a page that does not use them does not download them.
 *
 * @module messaging-calls/diagnostics
 */
export { preflight } from './preflight';
export type {
  PreflightOptions,
  PreflightReport,
  ServerCheck,
  PermissionStateLike,
} from './preflight';
export { verificationCode, codeOf as verificationCodeOf } from '../peer/verification';
export { consoleLogger } from '../foundation/log';
