/** The part of HTMLMediaElement used to play a stream. */
export interface MediaElementLike {
  srcObject: MediaProvider | MediaStream | null;
  play(): Promise<void>;
  /** True while not playing; read to replay the element when the page is shown again. */
  readonly paused?: boolean;
  setSinkId?(sinkId: string): Promise<void>;
}

/**
 * Plays `stream` in `element` on the chosen speaker. Resolves `blocked` when
 * the browser's autoplay policy refused to play with sound: the page should
 * offer a control that calls `element.play()` (a user gesture unblocks it).
 */
export async function playStream(
  element: MediaElementLike,
  stream: MediaStream,
  sinkId?: string,
): Promise<'playing' | 'blocked' | 'failed'> {
  if (element.srcObject !== stream) element.srcObject = stream;
  if (sinkId !== undefined && typeof element.setSinkId === 'function') {
    await element.setSinkId(sinkId).catch(() => undefined);
  }
  try {
    await element.play();
    return 'playing';
  } catch (error) {
    // NotAllowedError: autoplay policy. AbortError: a newer load replaced this one.
    return (error as { name?: string } | null)?.name === 'NotAllowedError' ? 'blocked' : 'failed';
  }
}
