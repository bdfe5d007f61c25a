export { AgentCall } from './AgentCall';
export { DEFAULT_AGENT_TIMEOUTS } from './types';
export type {
  AgentCallEvents,
  AgentCallOptions,
  AgentCallState,
  AgentEndReason,
  AgentEndedEvent,
  AgentTimeouts,
} from './types';
