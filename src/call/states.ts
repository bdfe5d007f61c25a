import { contains } from '../util/list';

/**
 * The consumer's call states and the one table of allowed transitions.
 * CallClient changes state only through this table.
 */
export const CALL_STATES = [
  'idle',
  'invited',
  'accepted',
  'media-permission',
  'connecting',
  'connected',
  'reconnecting',
  /** The call of the previous page is being taken back (protocol 1.1 resume). */
  'resuming',
  'ended',
] as const;
export type CallState = (typeof CALL_STATES)[number];

export const TRANSITIONS: ReadonlyMap<CallState, readonly CallState[]> = new Map<
  CallState,
  readonly CallState[]
>([
  ['idle', ['invited', 'resuming']],
  ['invited', ['accepted', 'ended']],
  ['accepted', ['media-permission', 'ended']],
  // A page back from the back/forward cache resumes the call it suspended.
  ['media-permission', ['connecting', 'ended', 'resuming']],
  ['connecting', ['connected', 'ended', 'resuming']],
  ['connected', ['reconnecting', 'ended', 'resuming']],
  ['reconnecting', ['connected', 'ended', 'resuming']],
  ['resuming', ['connected', 'ended']],
  // A new invitation starts the next call.
  ['ended', ['invited']],
]);

/** From accepted to the end: the states of a call that has media. */
export const IN_CALL: readonly CallState[] = [
  'accepted',
  'media-permission',
  'connecting',
  'connected',
  'reconnecting',
  'resuming',
];

export function canTransition(from: CallState, to: CallState): boolean {
  const allowed = TRANSITIONS.get(from);
  return allowed !== undefined && contains(allowed, to);
}

/** States in which a call exists and has not ended. */
export function isActive(state: CallState): boolean {
  return state !== 'idle' && state !== 'ended';
}

/** States after the consumer accepted and before the call ended. */
export function isAccepted(state: CallState): boolean {
  return isActive(state) && state !== 'invited';
}
