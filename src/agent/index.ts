/**
 * The agent's side of the protocol ({@link AgentCall}), for tests, bots,
 * demos and Node agents.
 *
 * @module messaging-calls/agent
 */
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
