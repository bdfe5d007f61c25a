import { PROTOCOL_VERSION } from './messages';
import type { Message, MessageBody, Role } from './messages';
import { newId } from './ids';

/** Wraps a message body in the envelope: version, a fresh id, the call and the sender's role. */
export function envelope(body: MessageBody, callId: string, from: Role): Message {
  return { ...body, v: PROTOCOL_VERSION, id: newId(), callId, from };
}
