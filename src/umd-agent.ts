// The agent's side for a browser page (global MessagingCallsAgent): demos,
// an agent workspace prototype, tests. AgentCall, the transports and the
// verification code.
export * from './agent/index';
export * from './transport/index';
export { verificationCode, codeOf as verificationCodeOf } from './peer/verification';
export { VERSION } from './version';
