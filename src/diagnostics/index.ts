// messaging-calls/diagnostics: checks before a call, the verification code
// during one, and a console logger. Kept out of the core entry: a page that
// does not use them does not download them.
export { preflight } from './preflight';
export type {
  PreflightOptions,
  PreflightReport,
  ServerCheck,
  PermissionStateLike,
} from './preflight';
export { verificationCode, codeOf as verificationCodeOf } from '../peer/verification';
export { consoleLogger } from '../foundation/log';
