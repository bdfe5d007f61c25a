// messaging-calls/diagnostics: checks before a call and the verification
// code during one. Kept out of the core entry: a page that does not show
// them does not download them.
export { preflight } from './env/preflight';
export type {
  PreflightOptions,
  PreflightReport,
  ServerCheck,
  PermissionStateLike,
} from './env/preflight';
export { verificationCode } from './peer/verification';
