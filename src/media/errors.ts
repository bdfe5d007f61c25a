import { CallError } from '../foundation/errors';

/**
 * Maps a getUserMedia failure to the SDK's error. Browsers name the same
 * situations differently (Chrome's legacy names, Firefox's, Safari's).
 */
export function mediaError(error: unknown): CallError {
  if (error instanceof CallError) return error;
  const name = (error as { name?: unknown } | null)?.name;
  switch (name) {
    case 'NotAllowedError':
    case 'PermissionDeniedError':
    case 'SecurityError':
      return new CallError(
        'permission-denied',
        'camera or microphone permission was denied',
        error,
      );
    case 'NotFoundError':
    case 'DevicesNotFoundError':
    case 'OverconstrainedError':
    case 'ConstraintNotSatisfiedError':
      return new CallError('no-device', 'no camera or microphone was found', error);
    case 'NotReadableError':
    case 'TrackStartError':
    case 'AbortError':
      return new CallError(
        'no-device',
        'the camera or microphone could not be started (in use?)',
        error,
      );
    default:
      return new CallError('no-device', 'the camera or microphone could not be opened', error);
  }
}
