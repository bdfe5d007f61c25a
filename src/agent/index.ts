export { AgentCall, DEFAULT_AGENT_TIMEOUTS } from './AgentCall';
export type {
  AgentCallEvents,
  AgentCallOptions,
  AgentCallState,
  AgentEndReason,
  AgentEndedEvent,
  AgentTimeouts,
} from './AgentCall';
