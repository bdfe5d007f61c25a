import type { Message, Role } from '../protocol/messages';
import { parseMessage } from '../protocol/validate';
import type { WarningCode } from './events';

/**
 * The first step of every received message, on either side: validated
 * against the protocol (a bad one is a warning, never an exception) and
 * from the other side's role. Returns the clean message, or null.
 */
export function readMessage(
  data: unknown,
  from: Role,
  warn: (code: WarningCode, message: string) => void,
): Message | null {
  const parsed = parseMessage(data);
  if (!parsed.ok) {
    warn('invalid-message', `signaling message dropped: ${parsed.reason}`);
    return null;
  }
  const message = parsed.message;
  if (message.from !== from) {
    warn('unexpected-message', `ignored a ${message.type} sent as ${message.from}`);
    return null;
  }
  return message;
}
