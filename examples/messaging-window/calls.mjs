// The glue between your messaging window and the SDK: call signaling travels
// as structured content of the conversation the consumer already has with the
// agent, so calls need no connection of their own. The same glue serves both
// sides (the messaging window and the agent's desktop).
import { MessagingTransport } from 'messaging-calls/transports';
import { callTranscript } from 'messaging-calls/ui';

/** The content type that marks call signaling among the conversation's events. */
export const CALL_CONTENT_TYPE = 'application/vnd.messaging-calls+json';

/**
 * A transport for CallClient (or AgentCall) over one participant's messaging
 * window. Chat text, typing indicators and other content are not signaling:
 * the transport ignores them, and its own echoed messages too.
 */
export function callTransport(messagingWindow) {
  return new MessagingTransport({
    publish: (payload) => messagingWindow.sendStructured(CALL_CONTENT_TYPE, payload),
    subscribe: (handler) =>
      messagingWindow.onEvent((event) => {
        if (event.type === 'structured' && event.contentType === CALL_CONTENT_TYPE) {
          handler(event.content);
        }
      }),
  });
}

/**
 * Writes the call's system messages ("Video call started", "Video call ended
 * after 1:05", "You missed a call", …) into the consumer's transcript.
 * Returns the function that stops.
 */
export function showCallsInTranscript(client, messagingWindow, options = {}) {
  return callTranscript(client, ({ text }) => messagingWindow.addSystemMessage(text), options);
}
