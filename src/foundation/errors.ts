export type CallErrorCode =
  /** A method was called in a state that does not allow it. */
  | 'invalid-state'
  /** The client was destroyed. */
  | 'destroyed'
  /** An argument is not one the method accepts. */
  | 'invalid-argument'
  /** The user or the browser refused the camera or microphone. */
  | 'permission-denied'
  /** No device of the kind needed, or it could not be opened. */
  | 'no-device'
  /** This browser or page cannot run a call. */
  | 'unsupported'
  /** The WebRTC session could not be negotiated. */
  | 'negotiation-failed';

/**
 * The one error type of the SDK. `code` is stable and meant for programs;
 * `message` is for people; `cause` keeps the underlying error, if any.
 */
export class CallError extends Error {
  override readonly name = 'CallError';
  readonly code: CallErrorCode;
  override readonly cause?: unknown;

  constructor(code: CallErrorCode, message: string, cause?: unknown) {
    super(message);
    this.code = code;
    if (cause !== undefined) this.cause = cause;
    // Keeps `instanceof` working when compiled to ES5-style classes.
    Object.setPrototypeOf(this, new.target.prototype);
  }
}
