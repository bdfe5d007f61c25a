/**
 * The default call UI (mountCallUI) and the transcript's system messages
 * (callTranscript), driven through a whole call on the fake browser of
 * test/support/fakePlatform.ts. Everything is read the way a page or a test
 * of the page would: the host element, its open shadow root, its parts and
 * attributes, and what the client and the fake transport did.
 *
 * Timers are jest's fake timers: the invitation countdown, the expiry and
 * the durations follow `jest.advanceTimersByTime`, and nothing waits.
 */
import type { CallEvents, CallExtensionContext, QualitySample } from '../../src';
import { callTranscript, mountCallUI } from '../../src/ui';
import type { CallUI, CallUIOptions, SystemMessage } from '../../src/ui';
import {
  FakeMediaDevices,
  SUPPORTED_UA,
  answer,
  connectCall,
  fromAgent,
  pageHide,
  settle,
  setup,
  startCall,
} from '../support/fakePlatform';
import type { Setup } from '../support/fakePlatform';

jest.useFakeTimers();

const clients: Setup[] = [];
const uis: CallUI[] = [];
const cleanups: (() => void)[] = [];

afterEach(() => {
  for (const ui of uis.splice(0)) ui.destroy();
  for (const s of clients.splice(0)) s.client.destroy();
  for (const cleanup of cleanups.splice(0).reverse()) cleanup();
  jest.clearAllTimers();
  jest.restoreAllMocks();
  document.body.textContent = '';
  window.sessionStorage.clear();
});

/** A client on the fake platform, destroyed after the test. */
function client(...args: Parameters<typeof setup>): Setup {
  const s = setup(...args);
  clients.push(s);
  return s;
}

/** The UI of `s`, destroyed after the test. */
function mount(s: Setup, options?: CallUIOptions): CallUI {
  const ui = mountCallUI(s.client, options);
  uis.push(ui);
  return ui;
}

function rootOf(ui: CallUI): ShadowRoot {
  const root = ui.element.shadowRoot;
  if (!root) throw new Error('the UI has no open shadow root');
  return root;
}

/** The first element of the UI with `part` (`within` another part, if given). */
function part(ui: CallUI, name: string, within?: string): HTMLElement {
  const selector = within ? `[part~="${within}"] [part~="${name}"]` : `[part~="${name}"]`;
  const el = rootOf(ui).querySelector<HTMLElement>(selector);
  if (!el) throw new Error(`no part ${name}`);
  return el;
}

/** Whether the element and every ancestor up to the shadow root are shown. */
function visible(el: Element): boolean {
  for (let e: Element | null = el; e; e = e.parentElement)
    if (e.hasAttribute('hidden')) return false;
  return true;
}

/** The labels of the call window's buttons that are shown, in order. */
function shownControls(ui: CallUI): string[] {
  const buttons = Array.from(part(ui, 'controls').querySelectorAll('button'));
  return buttons.filter(visible).map((b) => b.textContent ?? '');
}

function view(ui: CallUI): { view: string | null; state: string | null } {
  return {
    view: ui.element.getAttribute('data-view'),
    state: ui.element.getAttribute('data-state'),
  };
}

/** The text of the message part, or null while it is hidden. */
function message(ui: CallUI): string | null {
  const el = part(ui, 'message');
  return visible(el) ? el.textContent : null;
}

function liveRegion(ui: CallUI): string {
  return rootOf(ui).querySelector('[aria-live]')?.textContent ?? '';
}

/** Sets what `navigator.userAgent` says for the rest of the test. */
function userAgent(ua: string): void {
  Object.defineProperty(window.navigator, 'userAgent', { value: ua, configurable: true });
  cleanups.push(() => {
    delete (window.navigator as unknown as Record<string, unknown>).userAgent;
  });
}

/** Sets `<html lang>` for the rest of the test. */
function pageLang(lang: string): void {
  document.documentElement.lang = lang;
  cleanups.push(() => document.documentElement.removeAttribute('lang'));
}

const sample = (level: QualitySample['level']): QualitySample => ({
  level,
  rttMs: 40,
  packetLoss: 0,
  jitterMs: 5,
  sendKbps: 800,
  receiveKbps: 800,
  availableSendKbps: 2_000,
  sendVideo: null,
  receiveVideo: null,
  candidateType: 'host',
  videoLimitation: 'none',
});

/** A client whose quality events the test emits, as qualityMonitor() would. */
function clientWithQuality(): { s: Setup; emitQuality: (level: QualitySample['level']) => void } {
  let context: CallExtensionContext | undefined;
  const s = client({ extensions: [(ctx) => void (context = ctx)] });
  return { s, emitQuality: (level) => context?.emit('quality', sample(level)) };
}

/** The agent ends the connected call and calls again; the new call connects. */
async function connectNextCall(s: Setup): Promise<void> {
  s.agent({ type: 'hangup', reason: 'normal' });
  s.callId = `${s.callId}-next`;
  s.agent({ type: 'invite', media: 'voice' });
  await s.client.accept();
  await answer(s);
  s.peers.at(-1)?.setConnectionState('connected');
  expect(s.client.state).toBe('connected');
}

/** Fake devices with one camera only: nothing to switch to. */
class OneCamera extends FakeMediaDevices {
  override async enumerateDevices(): Promise<MediaDeviceInfo[]> {
    return [{ kind: 'videoinput', deviceId: 'camera-user' } as MediaDeviceInfo];
  }
}

const ADA = { name: 'Ada Lovelace' };

const EVENTS: (keyof CallEvents)[] = [
  'statechange',
  'invitation',
  'localstream',
  'remotestream',
  'localmediastate',
  'remotemediastate',
  'devicechange',
  'quality',
  'bandwidth',
  'ended',
  'warning',
];

const listenerCounts = (s: Setup) => EVENTS.map((e) => [e, s.client.listenerCount(e)]);

// ---- views -----------------------------------------------------------------------

describe('views', () => {
  test('with no call the UI is idle and shows nothing', () => {
    const ui = mount(client());
    expect(view(ui)).toEqual({ view: 'idle', state: 'idle' });
    expect(visible(part(ui, 'invitation'))).toBe(false);
    expect(visible(part(ui, 'window'))).toBe(false);
    expect(ui.element.parentElement).toBe(document.body);
  });

  test('an invitation shows an alert dialog naming the agent and the media, with focus on Accept', () => {
    const s = client();
    const ui = mount(s);
    s.agent({ type: 'invite', media: 'video', agent: ADA });

    expect(view(ui)).toEqual({ view: 'invitation', state: 'invited' });
    const dialog = part(ui, 'invitation');
    expect(visible(dialog)).toBe(true);
    expect(dialog.getAttribute('role')).toBe('alertdialog');
    expect(dialog.textContent).toContain('Ada Lovelace invites you to a video call');
    expect(visible(part(ui, 'window'))).toBe(false);
    expect(rootOf(ui).activeElement).toBe(part(ui, 'accept'));
    expect(liveRegion(ui)).toBe('Ada Lovelace invites you to a video call');
  });

  test('a voice invitation says voice call; an agent without a name is Support', () => {
    const s = client();
    const ui = mount(s);
    s.agent({ type: 'invite', media: 'voice' });
    expect(part(ui, 'invitation').textContent).toContain('Support invites you to a voice call');
    expect(part(ui, 'avatar').textContent).toBe('S');
  });

  test('the invitation counts down its last 30 seconds', () => {
    const s = client();
    const ui = mount(s);
    s.agent({ type: 'invite', media: 'voice', ttlMs: 40_000 });
    const left = rootOf(ui).querySelector('#il');
    expect(left?.textContent).toBe('');
    jest.advanceTimersByTime(10_000);
    expect(left?.textContent).toBe('Expires in 30 s');
    jest.advanceTimersByTime(5_000);
    expect(left?.textContent).toBe('Expires in 25 s');
  });

  // `expiresAt` is in the client's clock (InvitationEvent): the countdown
  // follows the invitation's own length, whatever that clock says.
  test("with the client's own clock, the countdown still follows the invitation's time to live", () => {
    const offset = -3_600_000;
    const s = client({
      clock: {
        setTimeout: (fn, ms) => setTimeout(fn, ms),
        clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
        now: () => Date.now() + offset,
      },
    });
    const ui = mount(s);
    s.agent({ type: 'invite', media: 'voice', ttlMs: 40_000 });
    const left = rootOf(ui).querySelector('#il');
    expect(left?.textContent).toBe('');
    jest.advanceTimersByTime(10_000);
    expect(left?.textContent).toBe('Expires in 30 s');
  });

  test('while the browser asks, the message says to allow camera and microphone and only End call is shown', async () => {
    const s = client();
    const ui = mount(s);
    s.devices.hold = true;
    s.agent({ type: 'invite', media: 'video', agent: ADA });
    void s.client.accept();
    await settle();

    expect(view(ui)).toEqual({ view: 'permission', state: 'media-permission' });
    expect(visible(part(ui, 'invitation'))).toBe(false);
    expect(visible(part(ui, 'window'))).toBe(true);
    expect(message(ui)).toBe('Allow the camera and microphone when your browser asks.');
    expect(shownControls(ui)).toEqual(['End call']);
    expect(liveRegion(ui)).toBe('Allow the camera and microphone when your browser asks.');
  });

  test('a voice call, or a video call accepted as voice, asks for the microphone only', async () => {
    const s = client();
    const ui = mount(s);
    s.devices.hold = true;
    s.agent({ type: 'invite', media: 'video' });
    void s.client.accept({ media: 'voice' });
    await settle();
    expect(message(ui)).toBe('Allow the microphone when your browser asks.');
  });

  test('a connected video call shows Mute, Stop video, Switch camera, Devices and End call', async () => {
    const s = client();
    const ui = mount(s);
    await connectCall(s, 'video');
    await settle();

    expect(view(ui)).toEqual({ view: 'call', state: 'connected' });
    expect(s.client.canSwitchCamera).toBe(true);
    expect(shownControls(ui)).toEqual([
      'Mute',
      'Stop video',
      'Switch camera',
      'Devices',
      'End call',
    ]);
    expect(message(ui)).toBeNull();
    expect(part(ui, 'move').textContent).toBe('Call with Support');
  });

  test('with one camera there is no Switch camera', async () => {
    const s = client({}, { mediaDevices: new OneCamera() });
    const ui = mount(s);
    await connectCall(s, 'video');
    await settle();
    expect(s.client.canSwitchCamera).toBe(false);
    expect(shownControls(ui)).toEqual(['Mute', 'Stop video', 'Devices', 'End call']);
  });

  test('a voice call has no Stop video and no Switch camera', async () => {
    const s = client();
    const ui = mount(s);
    await connectCall(s, 'voice');
    await settle();
    expect(shownControls(ui)).toEqual(['Mute', 'Devices', 'End call']);
  });

  test('while connecting the stage says so, and while reconnecting the message does', async () => {
    const s = client();
    const ui = mount(s);
    await startCall(s, 'voice');
    expect(view(ui)).toEqual({ view: 'call', state: 'connecting' });
    expect(part(ui, 'status').textContent).toBe('Connecting…');

    await answer(s);
    s.pc().setConnectionState('connected');
    expect(visible(part(ui, 'status'))).toBe(false);

    s.pc().setConnectionState('failed');
    await settle();
    expect(view(ui)).toEqual({ view: 'call', state: 'reconnecting' });
    // The notice is the call's message, below the picture.
    expect(visible(part(ui, 'message'))).toBe(true);
    expect(part(ui, 'message').textContent).toBe('Reconnecting…');
    expect(liveRegion(ui)).toBe('Reconnecting…');
  });

  test("the agent's muted microphone and camera off are told, and its avatar replaces its video", async () => {
    const s = client();
    const ui = mount(s);
    s.agent({ type: 'invite', media: 'video', agent: ADA });
    await s.client.accept();
    await answer(s);
    s.pc().setConnectionState('connected');
    expect(visible(part(ui, 'remote'))).toBe(true);
    expect(visible(part(ui, 'avatar', 'window'))).toBe(false);

    s.agent({ type: 'media-state', audioMuted: true, videoEnabled: false });
    expect(part(ui, 'status').textContent).toBe(
      'Ada Lovelace is muted · Ada Lovelace turned the camera off',
    );
    expect(visible(part(ui, 'remote'))).toBe(false);
    expect(part(ui, 'avatar', 'window').textContent).toBe('AL');
  });

  test('the ended view tells the reason and offers Close; Close goes back to idle', async () => {
    const s = client();
    const ui = mount(s);
    await connectCall(s, 'voice');
    s.agent({ type: 'hangup', reason: 'normal' });

    expect(view(ui)).toEqual({ view: 'ended', state: 'ended' });
    expect(message(ui)).toBe('The call has ended.');
    expect(shownControls(ui)).toEqual(['Close']);
    expect(visible(part(ui, 'minimize'))).toBe(false);
    expect(liveRegion(ui)).toBe('The call has ended.');

    part(ui, 'close').click();
    expect(view(ui)).toEqual({ view: 'idle', state: 'ended' });
    expect(visible(part(ui, 'window'))).toBe(false);
    expect(visible(part(ui, 'invitation'))).toBe(false);
  });

  test('declining hides everything, with no message', () => {
    const s = client();
    const ui = mount(s);
    s.agent({ type: 'invite', media: 'video' });
    part(ui, 'decline').click();

    expect(view(ui)).toEqual({ view: 'idle', state: 'ended' });
    expect(visible(part(ui, 'invitation'))).toBe(false);
    expect(visible(part(ui, 'window'))).toBe(false);
    expect(message(ui)).toBeNull();
  });

  test('a second invitation after an ended call shows the invitation again', async () => {
    const s = client();
    const ui = mount(s);
    await connectCall(s, 'voice');
    s.agent({ type: 'hangup', reason: 'normal' });
    s.callId = 'call-second';
    s.agent({ type: 'invite', media: 'voice' });
    expect(view(ui)).toEqual({ view: 'invitation', state: 'invited' });
    expect(visible(part(ui, 'window'))).toBe(false);
  });

  test('mounted during an invitation, the UI shows it as if it had just arrived', () => {
    const s = client();
    s.agent({ type: 'invite', media: 'video', agent: ADA });
    const ui = mount(s);
    expect(view(ui)).toEqual({ view: 'invitation', state: 'invited' });
    expect(part(ui, 'invitation').textContent).toContain(
      'Ada Lovelace invites you to a video call',
    );
    expect(rootOf(ui).activeElement).toBe(part(ui, 'accept'));
  });

  test('mounted during a call, the UI shows the call with its agent', async () => {
    const s = client();
    s.agent({ type: 'invite', media: 'voice', agent: ADA });
    await s.client.accept();
    const ui = mount(s);
    expect(view(ui)).toEqual({ view: 'call', state: 'connecting' });
    expect(part(ui, 'move').textContent).toBe('Call with Ada Lovelace');
  });

  test('mounted after a call ended, the UI is idle', async () => {
    const s = client();
    await connectCall(s);
    s.agent({ type: 'hangup', reason: 'normal' });
    const ui = mount(s);
    expect(view(ui)).toEqual({ view: 'idle', state: 'ended' });
    expect(visible(part(ui, 'window'))).toBe(false);
  });

  test('the UI goes into the container given', () => {
    const container = document.createElement('section');
    document.body.appendChild(container);
    const ui = mount(client(), { container });
    expect(ui.element.parentElement).toBe(container);
  });
});

// ---- why a call ended ---------------------------------------------------------------

describe('the ended message of each reason', () => {
  const AGAIN = ' Ask the agent to call again.';
  const cases: [string, string, (s: Setup) => Promise<void> | void, Parameters<typeof setup>?][] = [
    [
      'normal (the agent hangs up)',
      'The call has ended.',
      async (s) => {
        await connectCall(s);
        s.agent({ type: 'hangup', reason: 'normal' });
      },
    ],
    [
      'cancelled (the agent withdraws the invitation)',
      'The agent cancelled the call.',
      (s) => {
        s.agent({ type: 'invite', media: 'voice' });
        s.agent({ type: 'cancel' });
      },
    ],
    [
      'expired (nobody answered in time)',
      'The invitation expired.',
      (s) => {
        s.agent({ type: 'invite', media: 'voice', ttlMs: 5_000 });
        jest.advanceTimersByTime(5_000);
      },
    ],
    [
      'no-device (no microphone)',
      'No camera or microphone could be used.' + AGAIN,
      async (s) => {
        s.devices.fail.audio = 'NotFoundError';
        s.agent({ type: 'invite', media: 'voice' });
        await s.client.accept();
      },
    ],
    [
      'network (the signaling connection closed)',
      'The connection was lost.' + AGAIN,
      async (s) => {
        await connectCall(s);
        s.transport.close();
      },
    ],
    [
      'timeout (the call never connected)',
      'The call could not connect.' + AGAIN,
      async (s) => {
        await startCall(s);
        jest.advanceTimersByTime(30_000);
      },
    ],
    [
      'error (the agent hangs up with error)',
      'Something went wrong.' + AGAIN,
      async (s) => {
        await connectCall(s);
        s.agent({ type: 'hangup', reason: 'error' });
      },
    ],
    [
      'unsupported (no RTCPeerConnection)',
      'Calls need the latest Chrome, Edge, Firefox or Safari.',
      (s) => void s.agent({ type: 'invite', media: 'voice' }),
      [{}, { RTCPeerConnection: undefined }],
    ],
    [
      'disabled (video calls not allowed)',
      'This call is not available here.',
      (s) => void s.agent({ type: 'invite', media: 'video' }),
      [{ allowedMedia: ['voice'] }],
    ],
  ];

  test.each(cases)('%s: %s', async (_, text, drive, args = []) => {
    const s = client(...args);
    const ui = mount(s);
    await drive(s);
    await settle();
    expect(s.ended).toHaveLength(1);
    expect(view(ui)).toEqual({ view: 'ended', state: 'ended' });
    expect(message(ui)).toBe(text);
    expect(shownControls(ui)).toEqual(['Close']);
  });

  test.each([
    [
      'an iPhone',
      'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1',
      'Tap aA in the address bar, then Website Settings.',
    ],
    [
      'Android',
      'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36',
      'Tap the icon left of the address, then Permissions.',
    ],
    [
      'Safari on a Mac',
      'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15',
      'Open Safari > Settings for This Website.',
    ],
    [
      'Chrome on the desktop',
      SUPPORTED_UA,
      'Click the icon left of the address to change the permissions.',
    ],
  ])("permission-denied on %s adds that browser's help", async (_, ua, help) => {
    userAgent(ua);
    const s = client();
    const ui = mount(s);
    s.devices.fail.audio = 'NotAllowedError';
    s.agent({ type: 'invite', media: 'video' });
    await s.client.accept();
    expect(s.ended).toEqual([expect.objectContaining({ reason: 'permission-denied' })]);
    expect(message(ui)).toBe(`The camera or microphone was blocked. ${help}`);
  });
});

// ---- the controls --------------------------------------------------------------------

describe('controls', () => {
  test('Accept accepts the invitation', async () => {
    const s = client();
    const ui = mount(s);
    s.agent({ type: 'invite', media: 'voice' });
    part(ui, 'accept').click();
    expect(s.client.state).toBe('accepted');
    expect(s.transport.sentOf('accept')).toEqual([expect.objectContaining({ media: 'voice' })]);
    await settle();
    expect(s.client.state).toBe('connecting');
  });

  test('Decline sends reject', () => {
    const s = client();
    const ui = mount(s);
    s.agent({ type: 'invite', media: 'voice' });
    part(ui, 'decline').click();
    expect(s.transport.sentOf('reject')).toEqual([expect.objectContaining({ reason: 'declined' })]);
    expect(s.ended).toEqual([expect.objectContaining({ reason: 'declined', by: 'local' })]);
  });

  test('Mute toggles the microphone and its aria-pressed', async () => {
    const s = client();
    const ui = mount(s);
    await connectCall(s, 'voice');
    const mute = part(ui, 'mute');
    expect(mute.getAttribute('aria-pressed')).toBe('false');

    mute.click();
    expect(s.client.localMediaState?.audioMuted).toBe(true);
    expect(mute.getAttribute('aria-pressed')).toBe('true');

    mute.click();
    expect(s.client.localMediaState?.audioMuted).toBe(false);
    expect(mute.getAttribute('aria-pressed')).toBe('false');
  });

  test('Stop video turns the camera off and presses the button', async () => {
    const s = client();
    const ui = mount(s);
    await connectCall(s, 'video');
    const stop = part(ui, 'stopVideo');
    expect(stop.getAttribute('aria-pressed')).toBe('false');
    expect(visible(part(ui, 'self'))).toBe(true);

    stop.click();
    await settle();
    expect(s.client.localMediaState?.videoEnabled).toBe(false);
    expect(stop.getAttribute('aria-pressed')).toBe('true');
    expect(visible(part(ui, 'self'))).toBe(false);
    expect(visible(part(ui, 'switchCamera'))).toBe(false);

    stop.click();
    await settle();
    expect(s.client.localMediaState?.videoEnabled).toBe(true);
    expect(stop.getAttribute('aria-pressed')).toBe('false');
  });

  test('Switch camera turns to the other camera, and the self view stops mirroring', async () => {
    const s = client();
    const ui = mount(s);
    await connectCall(s, 'video');
    await settle();
    expect(part(ui, 'self').classList.contains('mir')).toBe(true);

    // The fake grants whichever camera faces `facing`: the back one from now on.
    s.devices.facing = 'environment';
    part(ui, 'switchCamera').click();
    await settle();
    expect(s.devices.requests.at(-1)?.video).toMatchObject({
      facingMode: { exact: 'environment' },
    });
    expect(s.client.localMediaState?.camera).toBe('environment');
    expect(part(ui, 'self').classList.contains('mir')).toBe(false);
  });

  test('End call sends hangup and shows the ended view', async () => {
    const s = client();
    const ui = mount(s);
    await connectCall(s, 'voice');
    part(ui, 'endCall').click();
    expect(s.transport.sentOf('hangup')).toEqual([expect.objectContaining({ reason: 'normal' })]);
    expect(s.ended).toEqual([expect.objectContaining({ reason: 'normal', by: 'local' })]);
    expect(view(ui)).toEqual({ view: 'ended', state: 'ended' });
  });

  test('End call while the browser asks ends the call too', async () => {
    const s = client();
    const ui = mount(s);
    s.devices.hold = true;
    s.agent({ type: 'invite', media: 'voice' });
    void s.client.accept();
    await settle();
    part(ui, 'endCall').click();
    expect(s.transport.sentOf('hangup')).toEqual([expect.objectContaining({ reason: 'normal' })]);
  });

  test('a control pressed when the client no longer allows it does nothing and throws nothing', async () => {
    const s = client();
    const ui = mount(s);
    s.agent({ type: 'invite', media: 'voice' });
    const accept = part(ui, 'accept');
    s.agent({ type: 'cancel' });
    expect(() => accept.click()).not.toThrow();
    expect(s.transport.sentOf('accept')).toEqual([]);
    await settle();
  });

  test('Devices opens the menu with the cameras; choosing one uses it', async () => {
    const s = client();
    const ui = mount(s);
    await connectCall(s, 'video');
    const devices = part(ui, 'devices');
    expect(visible(part(ui, 'menu'))).toBe(false);

    devices.click();
    await settle();
    expect(devices.getAttribute('aria-expanded')).toBe('true');
    expect(visible(part(ui, 'menu'))).toBe(true);
    const camera = part(ui, 'camera') as HTMLSelectElement;
    expect(Array.from(camera.options).map((o) => o.value)).toEqual([
      'camera-user',
      'camera-environment',
    ]);
    // The fake lists no speakers: no speaker choice.
    expect(visible(part(ui, 'speaker'))).toBe(false);

    const requests = s.devices.requests.length;
    camera.value = 'camera-environment';
    camera.dispatchEvent(new Event('change'));
    await settle();
    expect(s.devices.requests.slice(requests)).toEqual([
      expect.objectContaining({
        video: expect.objectContaining({ deviceId: { exact: 'camera-environment' } }),
      }),
    ]);

    devices.click();
    expect(devices.getAttribute('aria-expanded')).toBe('false');
    expect(visible(part(ui, 'menu'))).toBe(false);
  });

  test('Minimize folds the window and becomes Open call', async () => {
    const s = client();
    const ui = mount(s);
    await connectCall(s);
    const minimize = part(ui, 'minimize');
    minimize.click();
    expect(part(ui, 'window').classList.contains('min')).toBe(true);
    expect(minimize.textContent).toBe('Open call');
    expect(minimize.getAttribute('aria-expanded')).toBe('false');
    minimize.click();
    expect(part(ui, 'window').classList.contains('min')).toBe(false);
    expect(minimize.textContent).toBe('Minimize');
  });

  // The ended view has no restore button: a minimized window opens to show why.
  test('a call that ends while minimized opens its window to show why', async () => {
    const s = client();
    const ui = mount(s);
    await connectCall(s);
    part(ui, 'minimize').click();
    s.agent({ type: 'hangup', reason: 'network' });
    expect(view(ui).view).toBe('ended');
    expect(part(ui, 'window').classList.contains('min')).toBe(false);
  });

  test('the arrow keys on the title move the window', async () => {
    const s = client();
    const ui = mount(s);
    await connectCall(s);
    const move = part(ui, 'move');
    const win = part(ui, 'window');
    // jsdom lays nothing out: the window is always at 0,0 before each step.
    move.dispatchEvent(new KeyboardEvent('keydown', { key: 'ArrowRight', cancelable: true }));
    expect([win.style.left, win.style.top]).toEqual(['16px', '0px']);
    move.dispatchEvent(new KeyboardEvent('keydown', { key: 'ArrowDown', cancelable: true }));
    expect([win.style.left, win.style.top]).toEqual(['0px', '16px']);
    move.dispatchEvent(new KeyboardEvent('keydown', { key: 'ArrowLeft', cancelable: true }));
    expect(win.style.left).toBe('0px');
    const other = new KeyboardEvent('keydown', { key: 'Enter', cancelable: true });
    move.dispatchEvent(other);
    expect(other.defaultPrevented).toBe(false);
  });

  test('dragging the title moves the window', async () => {
    const s = client();
    const ui = mount(s);
    await connectCall(s);
    const move = part(ui, 'move');
    const pointer = (type: string, x: number, y: number) =>
      move.dispatchEvent(new MouseEvent(type, { clientX: x, clientY: y }));
    pointer('pointerdown', 100, 100);
    pointer('pointermove', 130, 140);
    pointer('pointerup', 130, 140);
    pointer('pointermove', 500, 500);
    expect(part(ui, 'window').style.left).toBe('30px');
    expect(part(ui, 'window').style.top).toBe('40px');
  });

  // A control hidden by the new view keeps the focus until the browser drops
  // it on <body>: the keyboard user's place moves to the new view instead.
  test('focus on End call moves to Close when the call ends', async () => {
    const s = client();
    const ui = mount(s);
    await connectCall(s);
    part(ui, 'endCall').focus();
    part(ui, 'endCall').click();
    expect(rootOf(ui).activeElement).toBe(part(ui, 'close'));
  });

  test('focus on Accept moves to End call when the browser asks', async () => {
    const s = client();
    const ui = mount(s);
    s.devices.hold = true;
    s.agent({ type: 'invite', media: 'voice' });
    part(ui, 'accept').click();
    await settle();
    expect(rootOf(ui).activeElement).toBe(part(ui, 'endCall'));
  });
});

// ---- the agent's name and picture ------------------------------------------------------

describe("the agent's name and picture", () => {
  test('a name with markup is shown as text', () => {
    const s = client();
    const ui = mount(s);
    const name = '<img src=x onerror=alert(1)>';
    s.agent({ type: 'invite', media: 'video', agent: { name } });
    expect(rootOf(ui).querySelector('img')).toBeNull();
    expect(part(ui, 'invitation').textContent).toContain(`${name} invites you to a video call`);
    expect(part(ui, 'move').textContent).toBe(`Call with ${name}`);
  });

  test('an https avatar is shown as a picture', () => {
    const s = client();
    const ui = mount(s);
    const avatarUrl = 'https://cdn.example.com/ada.png';
    s.agent({ type: 'invite', media: 'video', agent: { name: 'Ada', avatarUrl } });
    const img = part(ui, 'avatar').querySelector('img');
    expect(img?.getAttribute('src')).toBe(avatarUrl);
    expect(img?.getAttribute('alt')).toBe('');
  });

  test('an http avatar is never loaded (the client drops that invitation before the UI sees it)', () => {
    // The UI's own https check (initials instead of an http picture) cannot
    // be reached through a real client: the protocol refuses the invitation.
    const s = client();
    const ui = mount(s);
    s.agent({
      type: 'invite',
      media: 'video',
      agent: { name: 'Ada', avatarUrl: 'http://cdn.example.com/ada.png' },
    });
    expect(s.warnings.map((w) => w.code)).toEqual(['invalid-message']);
    expect(rootOf(ui).querySelector('img')).toBeNull();
    expect(view(ui).view).toBe('idle');
  });

  test('without a picture the avatar shows the initials', () => {
    const s = client();
    const ui = mount(s);
    s.agent({ type: 'invite', media: 'voice', agent: { name: '  grace  brewster hopper ' } });
    expect(part(ui, 'avatar').textContent).toBe('GB');
    expect(part(ui, 'avatar').querySelector('img')).toBeNull();
  });
});

// ---- texts, language, direction ---------------------------------------------------------

describe('texts', () => {
  const inviteVideo = (options?: CallUIOptions) => {
    const s = client();
    const ui = mount(s, options);
    s.agent({ type: 'invite', media: 'video' });
    return ui;
  };

  test("locale 'de' shows German", () => {
    const ui = inviteVideo({ locale: 'de' });
    expect(part(ui, 'accept').textContent).toBe('Annehmen');
    expect(part(ui, 'invitation').getAttribute('lang')).toBe('de');
  });

  test('texts override single strings', () => {
    const ui = inviteVideo({ texts: { accept: 'Yes' } });
    expect(part(ui, 'accept').textContent).toBe('Yes');
    expect(part(ui, 'decline').textContent).toBe('Decline');
  });

  test("locale 'ar' lays the window and the dialog out right to left", () => {
    const ui = inviteVideo({ locale: 'ar' });
    expect(part(ui, 'window').getAttribute('dir')).toBe('rtl');
    expect(part(ui, 'invitation').getAttribute('dir')).toBe('rtl');
  });

  test('other locales are left to right', () => {
    const ui = inviteVideo({ locale: 'de' });
    expect(part(ui, 'window').getAttribute('dir')).toBe('ltr');
    expect(part(ui, 'invitation').getAttribute('dir')).toBe('ltr');
  });

  test("without a locale the page's lang is used", () => {
    pageLang('fr');
    const ui = inviteVideo();
    expect(part(ui, 'accept').textContent).toBe('Accepter');
  });

  test('without a locale or a page lang, the browser language (English in jsdom) is used', () => {
    const ui = inviteVideo();
    expect(part(ui, 'accept').textContent).toBe('Accept');
  });
});

// ---- theme and styles ---------------------------------------------------------------------

describe('theme and styles', () => {
  test('theme sets custom properties on the host, short names or full', () => {
    const ui = mount(client(), { theme: { accent: '#c00', '--mc-radius': '2px' } });
    expect(ui.element.style.getPropertyValue('--mc-accent')).toBe('#c00');
    expect(ui.element.style.getPropertyValue('--mc-radius')).toBe('2px');
  });

  test('without constructable stylesheets (jsdom) the styles are a <style> in the shadow root', () => {
    const ui = mount(client());
    expect('adoptedStyleSheets' in rootOf(ui)).toBe(false);
    const style = rootOf(ui).querySelector('style');
    expect(style?.textContent).toContain(':host');
  });

  test('with constructable stylesheets the shadow root adopts one and has no <style>', () => {
    const texts: string[] = [];
    class FakeSheet {
      replaceSync(text: string): void {
        texts.push(text);
      }
    }
    const sheets = new WeakMap<ShadowRoot, unknown[]>();
    Object.defineProperty(ShadowRoot.prototype, 'adoptedStyleSheets', {
      configurable: true,
      get(this: ShadowRoot) {
        return sheets.get(this) ?? [];
      },
      set(this: ShadowRoot, value: unknown[]) {
        sheets.set(this, value);
      },
    });
    const original = Object.getOwnPropertyDescriptor(window, 'CSSStyleSheet');
    Object.defineProperty(window, 'CSSStyleSheet', { configurable: true, value: FakeSheet });
    cleanups.push(() => {
      delete (ShadowRoot.prototype as unknown as Record<string, unknown>).adoptedStyleSheets;
      if (original) Object.defineProperty(window, 'CSSStyleSheet', original);
    });

    const ui = mount(client());
    const adopted = sheets.get(rootOf(ui));
    expect(adopted).toHaveLength(1);
    expect(adopted?.[0]).toBeInstanceOf(FakeSheet);
    expect(texts).toHaveLength(1);
    expect(texts[0]).toContain(':host');
    expect(rootOf(ui).querySelector('style')).toBeNull();
  });
});

// ---- destroy ----------------------------------------------------------------------------

describe('destroy', () => {
  test('removes the element and every listener the UI added; the client goes on', async () => {
    const s = client();
    const before = listenerCounts(s);
    const ui = mountCallUI(s.client);
    expect(listenerCounts(s)).not.toEqual(before);
    const remote = part(ui, 'remote') as HTMLVideoElement;

    ui.destroy();
    expect(ui.element.isConnected).toBe(false);
    expect(listenerCounts(s)).toEqual(before);

    await connectCall(s, 'video');
    s.pc().emitTrack('audio');
    await settle();
    // The remote element is detached from the client: the agent's stream stays out of it.
    expect(remote.srcObject ?? null).toBeNull();
    expect(ui.element.getAttribute('data-view')).toBe('idle');
    s.agent({ type: 'hangup', reason: 'normal' });
    expect(s.ended).toEqual([expect.objectContaining({ reason: 'normal' })]);
  });

  test('during an invitation stops the countdown: no timer is left', () => {
    const s = client();
    const ui = mountCallUI(s.client);
    s.agent({ type: 'invite', media: 'voice', ttlMs: 5_000 });
    const timers = jest.getTimerCount();
    ui.destroy();
    expect(jest.getTimerCount()).toBe(timers - 1);
  });
});

// ---- autoplay and quality ------------------------------------------------------------------

describe('autoplay', () => {
  test('blocked sound shows Enable sound; pressing it plays and hides it', async () => {
    const play = jest
      .spyOn(window.HTMLMediaElement.prototype, 'play')
      .mockRejectedValueOnce(new DOMException('autoplay (fake)', 'NotAllowedError'))
      .mockResolvedValue(undefined);
    const s = client();
    const ui = mount(s);
    await connectCall(s, 'video');
    expect(visible(part(ui, 'enableSound'))).toBe(false);

    s.pc().emitTrack('audio');
    await settle();
    expect(s.warnings.map((w) => w.code)).toEqual(['autoplay-blocked']);
    expect(play.mock.contexts[0]).toBe(part(ui, 'remote'));
    expect(shownControls(ui)).toContain('Enable sound');

    part(ui, 'enableSound').click();
    expect(play).toHaveBeenCalledTimes(2);
    expect(play.mock.contexts[1]).toBe(part(ui, 'remote'));
    expect(visible(part(ui, 'enableSound'))).toBe(false);
  });

  test('other warnings show nothing', async () => {
    const s = client();
    const ui = mount(s);
    await connectCall(s, 'voice');
    s.transport.deliver('not a message');
    expect(s.warnings.map((w) => w.code)).toEqual(['invalid-message']);
    expect(visible(part(ui, 'enableSound'))).toBe(false);
  });
});

describe('quality', () => {
  test.each<[QualitySample['level'], string]>([
    [5, 'Good connection'],
    [4, 'Good connection'],
    [3, 'Fair connection'],
    [2, 'Poor connection'],
    [0, 'Poor connection'],
  ])('level %i shows %s', async (level, text) => {
    const { s, emitQuality } = clientWithQuality();
    const ui = mount(s);
    await connectCall(s);
    expect(visible(part(ui, 'quality'))).toBe(false);
    emitQuality(level);
    expect(visible(part(ui, 'quality'))).toBe(true);
    expect(part(ui, 'quality').textContent).toBe(text);
  });

  test('quality: false hides it', async () => {
    const { s, emitQuality } = clientWithQuality();
    const ui = mount(s, { quality: false });
    await connectCall(s);
    emitQuality(5);
    expect(visible(part(ui, 'quality'))).toBe(false);
  });

  test("the last call's quality is not shown in the next call", async () => {
    const { s, emitQuality } = clientWithQuality();
    const ui = mount(s);
    await connectCall(s);
    emitQuality(2);
    await connectNextCall(s);
    expect(visible(part(ui, 'quality'))).toBe(false);
  });
});

// ---- the transcript ---------------------------------------------------------------------

describe('callTranscript', () => {
  function transcript(s: Setup, options?: Parameters<typeof callTranscript>[2]) {
    const messages: SystemMessage[] = [];
    const stop = callTranscript(s.client, (m) => messages.push(m), options);
    cleanups.push(stop);
    return { messages, stop, said: () => messages.map((m) => [m.key, m.text]) };
  }

  test.each<['voice' | 'video', string, string]>([
    ['video', 'sentVideo', 'Video call invitation sent'],
    ['voice', 'sentVoice', 'Voice call invitation sent'],
  ])('a %s invitation: %s', (media, key, text) => {
    const s = client();
    const { messages } = transcript(s);
    s.agent({ type: 'invite', media });
    expect(messages).toEqual([{ key, text, callId: s.callId }]);
  });

  test('a video call: sent, started once even after reconnecting, ended with its duration', async () => {
    const s = client();
    const { said, messages } = transcript(s);
    await connectCall(s, 'video');
    jest.advanceTimersByTime(60_000);

    s.pc().setConnectionState('failed');
    await settle();
    expect(s.client.state).toBe('reconnecting');
    s.agent({ type: 'sdp', description: { type: 'answer', sdp: 'v=0 agent-answer-2' } });
    await settle();
    s.pc().setConnectionState('connected');
    expect(s.client.state).toBe('connected');

    jest.advanceTimersByTime(132_000);
    s.agent({ type: 'hangup', reason: 'normal' });
    expect(said()).toEqual([
      ['sentVideo', 'Video call invitation sent'],
      ['startedVideo', 'Video call started'],
      ['endedVideo', 'Video call ended after 3:12'],
    ]);
    expect(messages.every((m) => m.callId === s.callId)).toBe(true);
  });

  test('a voice call: started and ended as voice', async () => {
    const s = client();
    const { said } = transcript(s);
    await connectCall(s, 'voice');
    jest.advanceTimersByTime(5_000);
    s.client.hangup();
    expect(said()).toEqual([
      ['sentVoice', 'Voice call invitation sent'],
      ['startedVoice', 'Voice call started'],
      ['endedVoice', 'Voice call ended after 0:05'],
    ]);
  });

  test('a video invitation accepted as voice is a voice call', async () => {
    const s = client();
    const { said } = transcript(s);
    s.agent({ type: 'invite', media: 'video' });
    await s.client.accept({ media: 'voice' });
    await answer(s);
    s.pc().setConnectionState('connected');
    expect(said().at(-1)).toEqual(['startedVoice', 'Voice call started']);
  });

  test('each call is started once: the second call has its own started message', async () => {
    const s = client();
    const { messages } = transcript(s);
    await connectCall(s);
    const first = s.callId;
    await connectNextCall(s);
    expect(messages.filter((m) => m.key === 'startedVoice').map((m) => m.callId)).toEqual([
      first,
      s.callId,
    ]);
    expect(s.callId).not.toBe(first);
  });

  test('declined', () => {
    const s = client();
    const { said } = transcript(s);
    s.agent({ type: 'invite', media: 'voice' });
    s.client.reject();
    expect(said().at(-1)).toEqual(['declined', 'Call declined']);
  });

  test('missed: the invitation expired', () => {
    const s = client();
    const { said } = transcript(s);
    s.agent({ type: 'invite', media: 'voice', ttlMs: 5_000 });
    jest.advanceTimersByTime(5_000);
    expect(said().at(-1)).toEqual(['missed', 'Missed call']);
  });

  test('missed: the agent cancelled before the answer', () => {
    const s = client();
    const { said } = transcript(s);
    s.agent({ type: 'invite', media: 'voice' });
    s.agent({ type: 'cancel' });
    expect(said().at(-1)).toEqual(['missed', 'Missed call']);
  });

  test('a failure before connecting says why', async () => {
    const s = client();
    const { said } = transcript(s);
    s.devices.fail.audio = 'NotAllowedError';
    s.agent({ type: 'invite', media: 'voice' });
    await s.client.accept();
    expect(said()).toEqual([
      ['sentVoice', 'Voice call invitation sent'],
      ['endedPermission', 'The camera or microphone was blocked.'],
    ]);
  });

  test('an invitation refused as unsupported says so', () => {
    const s = client({}, { RTCPeerConnection: undefined });
    const { said } = transcript(s);
    s.agent({ type: 'invite', media: 'voice' });
    expect(said().at(-1)).toEqual([
      'endedUnsupported',
      'Calls need the latest Chrome, Edge, Firefox or Safari.',
    ]);
  });

  test('a throwing callback does not break the call', async () => {
    const s = client();
    const calls: string[] = [];
    cleanups.push(
      callTranscript(s.client, (m) => {
        calls.push(m.key);
        throw new Error('the page broke');
      }),
    );
    await connectCall(s, 'video');
    s.client.hangup();
    expect(calls).toEqual(['sentVideo', 'startedVideo', 'endedVideo']);
    expect(s.ended).toEqual([expect.objectContaining({ reason: 'normal' })]);
    expect(s.transport.sentOf('hangup')).toHaveLength(1);
    expect(s.warnings).toEqual([]);
  });

  test('the returned function stops it and removes its listeners', async () => {
    const s = client();
    const before = listenerCounts(s);
    const { messages, stop } = transcript(s);
    stop();
    expect(listenerCounts(s)).toEqual(before);
    await connectCall(s);
    s.client.hangup();
    expect(messages).toEqual([]);
  });

  test('locale and texts apply', () => {
    const s = client();
    const { said } = transcript(s, { locale: 'de', texts: { missed: 'Verpasst!' } });
    s.agent({ type: 'invite', media: 'video' });
    s.agent({ type: 'cancel' });
    expect(said()).toEqual([
      ['sentVideo', 'Einladung zum Videoanruf gesendet'],
      ['missed', 'Verpasst!'],
    ]);
  });

  test("without a locale the page's lang is used", () => {
    pageLang('fr');
    const s = client();
    const { messages } = transcript(s);
    s.agent({ type: 'invite', media: 'voice' });
    s.client.reject();
    expect(messages.map((m) => [m.key, m.text])).toEqual([
      ['sentVoice', 'Invitation à un appel vocal envoyée'],
      ['declined', 'Appel refusé'],
    ]);
  });
});

describe('across the pages of the site (resume)', () => {
  const FEATURES = ['instances', 'resume'] as const;

  test('the next page shows the call window at once, reconnecting, then the call', async () => {
    const s = client();
    s.agent({ type: 'invite', media: 'video', agent: { name: 'Alex' }, features: [...FEATURES] });
    await s.client.accept();
    await answer(s);
    s.pc().setConnectionState('connected');
    pageHide(s.page);

    const next = client({}, { sessionStorage: s.storage });
    next.callId = s.callId;
    const ui = mount(next);
    expect(view(ui)).toEqual({ view: 'call', state: 'resuming' });
    expect(message(ui)).toBe('Reconnecting…');
    expect(part(ui, 'move').textContent).toBe('Call with Alex');
    expect(shownControls(ui)).toEqual(expect.arrayContaining(['Mute', 'End call']));
    await settle();
    const reply = { type: 'sdp', description: { type: 'answer', sdp: 'v=0 a' } } as const;
    next.transport.deliver(fromAgent(next.callId, reply, next.client.instanceId));
    await settle();
    next.pc().setConnectionState('connected');
    expect(view(ui)).toEqual({ view: 'call', state: 'connected' });
    expect(message(ui)).toBeNull();
  });

  test('an invitation answered in another tab closes here without a word', () => {
    const s = client();
    const ui = mount(s);
    s.agent({ type: 'invite', media: 'voice', features: [...FEATURES] });
    expect(view(ui).view).toBe('invitation');
    const taken = { type: 'media-state', audioMuted: false, videoEnabled: false } as const;
    s.transport.deliver(fromAgent(s.callId, taken, 'another-tab'));
    expect(view(ui)).toEqual({ view: 'idle', state: 'ended' });
  });

  test('a call taken over by another tab says so', async () => {
    const s = client();
    const ui = mount(s);
    await connectCall(s);
    s.transport.deliver(fromAgent(s.callId, { type: 'ice', candidate: null }, 'another-tab'));
    expect(view(ui).view).toBe('ended');
    expect(message(ui)).toBe('The call was answered in another window.');
  });

  test("the window's place and minimized state follow to the next page", async () => {
    const s = client();
    const ui = mount(s);
    await connectCall(s);
    const keys = { key: 'ArrowRight' };
    part(ui, 'move').dispatchEvent(new KeyboardEvent('keydown', keys));
    part(ui, 'minimize').click();
    const left = part(ui, 'window').style.left;
    ui.destroy();

    const next = mount(client());
    expect(part(next, 'window').style.left).toBe(left);
    expect(part(next, 'window').classList.contains('min')).toBe(true);
    expect(part(next, 'minimize').getAttribute('aria-expanded')).toBe('false');
  });
});

describe("screen share on the agent's request", () => {
  async function sharingCall(): Promise<[Setup, CallUI]> {
    const s = client();
    const ui = mount(s);
    s.agent({
      type: 'invite',
      media: 'video',
      agent: { name: 'Alex' },
      features: ['screen-share'],
    });
    await s.client.accept();
    await answer(s);
    s.pc().setConnectionState('connected');
    return [s, ui];
  }

  test('the request shows with the reason; Share screen shares, the bar stops it', async () => {
    const [s, ui] = await sharingCall();
    expect(visible(part(ui, 'share'))).toBe(false);
    s.agent({ type: 'share-request', reason: 'to see the <b>error</b>' });
    const ask = part(ui, 'share');
    expect(visible(ask)).toBe(true);
    expect(ask.getAttribute('role')).toBe('alertdialog');
    expect(ask.textContent).toContain('Alex asks to see your screen');
    expect(ask.textContent).toContain('to see the <b>error</b>');
    expect(ask.querySelector('b')).toBeNull();
    expect(rootOf(ui).activeElement).toBe(part(ui, 'shareScreen'));
    part(ui, 'shareScreen').click();
    await settle();
    expect(visible(part(ui, 'share'))).toBe(false);
    expect(visible(part(ui, 'sharing'))).toBe(true);
    expect(part(ui, 'sharing').textContent).toContain('You are sharing your screen');
    expect(s.transport.sentOf('share-reply')).toEqual([
      expect.objectContaining({ accepted: true }),
    ]);
    part(ui, 'stopSharing').click();
    await settle();
    expect(visible(part(ui, 'sharing'))).toBe(false);
    expect(s.client.localMediaState?.screen).toBe(false);
  });

  test('Not now declines; the request goes with the call', async () => {
    const [s, ui] = await sharingCall();
    s.agent({ type: 'share-request' });
    part(ui, 'notNow').click();
    expect(s.transport.sentOf('share-reply')).toEqual([
      expect.objectContaining({ accepted: false, reason: 'declined' }),
    ]);
    expect(visible(part(ui, 'share'))).toBe(false);
    s.agent({ type: 'share-request' });
    s.agent({ type: 'hangup', reason: 'normal' });
    expect(visible(part(ui, 'share'))).toBe(false);
  });

  test('the texts are translated', async () => {
    const s = client();
    const ui = mount(s, { locale: 'de' });
    s.agent({
      type: 'invite',
      media: 'video',
      agent: { name: 'Alex' },
      features: ['screen-share'],
    });
    await s.client.accept();
    await answer(s);
    s.pc().setConnectionState('connected');
    s.agent({ type: 'share-request' });
    expect(part(ui, 'share').textContent).toContain('Alex möchte Ihren Bildschirm sehen');
    expect(part(ui, 'shareScreen').textContent).toBe('Bildschirm teilen');
  });
});
