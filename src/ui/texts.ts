/**
 * Every visible string and accessible name of the default UI, and the
 * transcript's system messages, by key. The order of the keys is the order
 * of the translated tables in locales.ts. `{name}`-style placeholders are
 * filled from the call; values are inserted as text, never as markup.
 */
export const EN = {
  // The invitation.
  accept: 'Accept',
  decline: 'Decline',
  inviteVideo: '{name} invites you to a video call',
  inviteVoice: '{name} invites you to a voice call',
  agent: 'Support',
  expiresIn: 'Expires in {seconds} s',
  // While the browser asks, and how to allow it again.
  permissionVideo: 'Allow the camera and microphone when your browser asks.',
  permissionVoice: 'Allow the microphone when your browser asks.',
  helpDesktop: 'Click the icon left of the address to change the permissions.',
  helpSafari: 'Open Safari > Settings for This Website.',
  helpAndroid: 'Tap the icon left of the address, then Permissions.',
  helpIos: 'Tap aA in the address bar, then Website Settings.',
  // The call window.
  connecting: 'Connecting…',
  callWith: 'Call with {name}',
  reconnecting: 'Reconnecting…',
  agentMuted: '{name} is muted',
  agentCameraOff: '{name} turned the camera off',
  qualityGood: 'Good connection',
  qualityFair: 'Fair connection',
  qualityPoor: 'Poor connection',
  mute: 'Mute',
  stopVideo: 'Stop video',
  switchCamera: 'Switch camera',
  endCall: 'End call',
  enableSound: 'Enable sound',
  devices: 'Devices',
  microphone: 'Microphone',
  camera: 'Camera',
  speaker: 'Speaker',
  minimize: 'Minimize',
  restore: 'Open call',
  move: 'Move (arrow keys)',
  close: 'Close',
  // How a call ended, and what to do.
  endedNormal: 'The call has ended.',
  endedDeclined: 'You declined the call.',
  endedCancelled: 'The agent cancelled the call.',
  endedExpired: 'The invitation expired.',
  endedPermission: 'The camera or microphone was blocked.',
  endedNoDevice: 'No camera or microphone could be used.',
  endedNetwork: 'The connection was lost.',
  endedTimeout: 'The call could not connect.',
  endedUnsupported: 'Calls need the latest Chrome, Edge, Firefox or Safari.',
  endedDisabled: 'This call is not available here.',
  endedError: 'Something went wrong.',
  endedElsewhere: 'The call was answered in another window.',
  callAgain: 'Ask the agent to call again.',
  // The transcript's system messages.
  sentVideo: 'Video call invitation sent',
  sentVoice: 'Voice call invitation sent',
  startedVideo: 'Video call started',
  startedVoice: 'Voice call started',
  declined: 'Call declined',
  missed: 'Missed call',
  endedVideo: 'Video call ended after {duration}',
  endedVoice: 'Voice call ended after {duration}',
  // Screen share on the agent's request.
  shareAsk: '{name} asks to see your screen',
  shareScreen: 'Share screen',
  notNow: 'Not now',
  sharing: 'You are sharing your screen',
  stopSharing: 'Stop sharing',
};

export type TextKey = keyof typeof EN;
export type Texts = Record<TextKey, string>;

/** Fills `{placeholders}` from `values`; an unknown one is left empty. */
export function fill(template: string, values: Record<string, string | number> = {}): string {
  return template.replace(/\{(\w+)\}/g, (_, key: string) => String(values[key] ?? ''));
}
