// A stand-in for your messaging platform: one conversation between a consumer
// (in the brand's messaging window) and an agent (in the agent's desktop).
// Real platforms differ in names, not in shape: each participant sends events
// into the conversation and gets every event of it, its own included, a moment
// later. Besides chat text, events carry structured content of a declared
// type; call signaling travels as such content (see calls.mjs).

/**
 * @typedef {{ from: string, at: number } & (
 *   | { type: 'text', text: string }
 *   | { type: 'typing' }
 *   | { type: 'structured', contentType: string, content: string }
 *   | { type: 'system', text: string }
 * )} ConversationEvent
 */

/** The conversation on the platform's side: it stores events and fans them out. */
export class Conversation {
  /** @type {ConversationEvent[]} every event, in order */
  events = [];
  #listeners = new Set();

  /** A participant's view of the conversation: what the messaging window or the agent's desktop uses. */
  join(participant) {
    return new MessagingWindow(this, participant);
  }

  /** @param {ConversationEvent} event */
  post(event) {
    this.events.push(event);
    // Delivered asynchronously, to everyone, the sender included.
    for (const listener of this.#listeners) setTimeout(() => listener(event), 0);
  }

  subscribe(listener) {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
}

/** One participant's API to the conversation. */
export class MessagingWindow {
  /** Chat lines as the window shows them: text and system messages, never structured content. */
  transcript = [];

  constructor(conversation, participant) {
    this.conversation = conversation;
    this.participant = participant;
    this.stop = conversation.subscribe((event) => {
      if (event.type === 'text') this.transcript.push(`${event.from}: ${event.text}`);
      if (event.type === 'system' && event.from === participant)
        this.transcript.push(`— ${event.text}`);
    });
  }

  sendText(text) {
    this.#send({ type: 'text', text });
  }

  sendTyping() {
    this.#send({ type: 'typing' });
  }

  /** Structured content of `contentType`: the platform carries it, the window does not show it. */
  sendStructured(contentType, content) {
    this.#send({ type: 'structured', contentType, content });
  }

  /** A line the window shows for this participant only ("Video call started"). */
  addSystemMessage(text) {
    this.#send({ type: 'system', text });
  }

  /** Every event of the conversation from now on; returns the function that stops. */
  onEvent(listener) {
    return this.conversation.subscribe(listener);
  }

  close() {
    this.stop();
  }

  #send(event) {
    this.conversation.post({ ...event, from: this.participant, at: Date.now() });
  }
}
