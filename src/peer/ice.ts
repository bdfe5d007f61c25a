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

/** True when one of the server's URLs has a scheme matching `scheme` (e.g. /^turns?:/i). */
export function serverHasScheme(server: RTCIceServer, scheme: RegExp): boolean {
  const urls = typeof server.urls === 'string' ? [server.urls] : server.urls;
  for (let i = 0; i < urls.length; i++) if (scheme.test(urls[i] as string)) return true;
  return false;
}

/**
 * An ICE candidate error in words: no address, no URL, no credential (a URL
 * may name the server's host).
 */
export function iceErrorText(event: RTCPeerConnectionIceErrorEvent): string {
  return event.errorCode === 401
    ? 'the TURN server refused the credentials (401)'
    : `the STUN/TURN server answered ${event.errorCode} ${event.errorText ?? ''}`.trim();
}
