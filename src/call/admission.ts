import type { Message } from '../protocol/messages';
import type { PartialPlatform } from '../env/platform';
import { supportOf } from '../env/support';
import { serverHasScheme } from '../peer/ice';
import { contains, indexWhere } from '../util/list';
import type { ClientSettings } from './options';

export interface Refusal {
  reason: 'unsupported' | 'disabled';
  detail: string;
}

type AdmissionOptions = Pick<
  ClientSettings,
  'requireTopFrame' | 'browsers' | 'allowedMedia' | 'forceRelay' | 'iceServers'
>;

/**
 * Why an invitation cannot be taken on this page, or null when it can: the
 * browser and page (secure context, top frame, APIs, browser policy), the
 * media the site allows, and a forced relay without a TURN server.
 */
export function refusal(
  invite: Extract<Message, { type: 'invite' }>,
  platform: PartialPlatform,
  options: AdmissionOptions,
): Refusal | null {
  const report = supportOf(platform, {
    requireTopFrame: options.requireTopFrame,
    browsers: options.browsers,
  });
  if (!report.supported) {
    let detail = '';
    for (const r of report.reasons) detail += (detail ? '; ' : '') + r.message;
    return { reason: 'unsupported', detail };
  }
  const allowed = options.allowedMedia ?? ['voice', 'video'];
  if (!contains(allowed, invite.media)) {
    return { reason: 'disabled', detail: `${invite.media} calls are disabled on this site` };
  }
  const relay = Boolean(options.forceRelay || invite.policy?.forceRelay);
  const servers = invite.iceServers ?? options.iceServers ?? [];
  if (relay && indexWhere(servers, isTurnServer) < 0) {
    return { reason: 'unsupported', detail: 'relay is forced but no TURN server is configured' };
  }
  return null;
}

function isTurnServer(server: RTCIceServer): boolean {
  return serverHasScheme(server, /^turns?:/i);
}
