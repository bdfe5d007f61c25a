import type { PartialPlatform } from '../env/platform';
import { PeerSession } from '../peer/PeerSession';
import type { PeerConnectionState } from '../peer/PeerSession';
import { errorName } from '../foundation/log';
import type { CallSession } from './session';
import type { WarningCode } from './events';

export interface PeerHooks {
  configuration: RTCConfiguration;
  /** Perfect negotiation: the agent is polite, the consumer is not. */
  polite: boolean;
  onRemoteStream(stream: MediaStream): void;
  onState(state: PeerConnectionState): void;
  /** The call cannot go on: negotiation failed before it ever connected. */
  onFailure(detail: string, error: unknown): void;
  onWarning(code: WarningCode, message: string, cause?: unknown): void;
  onNoCandidates?(detail: string): void;
  beforeAnswer?(pc: RTCPeerConnection): Promise<void> | void;
}

/**
 * The one way either side builds its peer: a PeerSession that signals
 * through the call's session (so nothing goes out after the call's end),
 * reports nothing once the call is closed, and is the call's only
 * candidate buffer. The connection itself is made by `peer.open()`.
 *
 * A description the other side sent that cannot be applied ends a call that
 * never connected (there is nothing to keep); a connected call keeps its
 * connection as it was and goes on, with a `negotiation` warning.
 */
export function createPeer(
  session: CallSession,
  platform: PartialPlatform,
  hooks: PeerHooks,
): PeerSession {
  // The session closes its peer: nothing below is reported after the call's end.
  const peer = new PeerSession({
    RTCPeerConnection: platform.RTCPeerConnection,
    MediaStream: platform.MediaStream,
    configuration: hooks.configuration,
    polite: hooks.polite,
    signal: (m) =>
      session.send(
        'description' in m
          ? { type: 'sdp', description: m.description }
          : { type: 'ice', candidate: m.candidate },
      ),
    onRemoteStream: (stream) => hooks.onRemoteStream(stream),
    onConnectionState: (state) => hooks.onState(state),
    onError: (error) => hooks.onFailure('the connection could not be negotiated', error),
    onRemoteDescriptionError: (error) => {
      if (session.connectedAt === undefined) {
        hooks.onFailure('the connection could not be negotiated', error);
      } else {
        hooks.onWarning('negotiation', 'a description could not be applied; the call goes on', {
          name: errorName(error),
        });
      }
    },
    onWarning: (code, message, cause) =>
      hooks.onWarning(code, message, cause === undefined ? undefined : { name: errorName(cause) }),
    onNoCandidates: (detail) => hooks.onNoCandidates?.(detail),
    beforeAnswer: (pc) => hooks.beforeAnswer?.(pc),
  });
  session.peer = peer;
  return peer;
}
