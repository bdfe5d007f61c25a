import type { IceCandidate } from '../protocol/messages';

/**
 * The protocol's form of a candidate. Read field by field rather than with
 * toJSON(), which not every implementation has.
 */
export function candidateToJSON(candidate: RTCIceCandidate | RTCIceCandidateInit): IceCandidate {
  const json: IceCandidate = { candidate: candidate.candidate ?? '' };
  if (candidate.sdpMid !== undefined) json.sdpMid = candidate.sdpMid;
  if (candidate.sdpMLineIndex !== undefined) json.sdpMLineIndex = candidate.sdpMLineIndex;
  if (candidate.usernameFragment !== undefined) json.usernameFragment = candidate.usernameFragment;
  return json;
}

/** The candidate type (host, srflx, prflx, relay) from a candidate line, if present. */
export function candidateType(candidate: string): string | undefined {
  return / typ ([a-z]+)/.exec(candidate)?.[1];
}

/** The RTCConfiguration of a call. */
export function rtcConfiguration(
  iceServers: RTCIceServer[] | undefined,
  forceRelay: boolean,
): RTCConfiguration {
  return {
    iceServers: iceServers ?? [],
    iceTransportPolicy: forceRelay ? 'relay' : 'all',
    bundlePolicy: 'max-bundle',
    rtcpMuxPolicy: 'require',
  };
}
