import { PROTOCOL_VERSION } from './messages';
import type { Envelope, Message, MessageBody, Role } from './messages';
import { newId } from './ids';

/**
 * Wraps a message body in the envelope: version, a fresh id, the call, the
 * sender's role, and its 1.1 address (`instance` or `to`) when given.
 */
export function envelope(
  body: MessageBody,
  callId: string,
  from: Role,
  address?: Pick<Envelope, 'instance' | 'to'>,
): Message {
  return { ...body, ...address, v: PROTOCOL_VERSION, id: newId(), callId, from };
}
