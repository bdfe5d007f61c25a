// Screen share on the agent's request (protocol 1.1) in a real browser
// against the Node agent over the WebSocket relay: the agent asks, the page
// shares (a trusted click on its Share button calls startScreenShare), the
// agent decodes the screen instead of the camera on the same receiving track
// with no new offer, and the camera comes back when sharing stops (from the
// SDK or from the browser's own "Stop sharing"); in a voice call sharing adds
// a video transceiver with exactly one new offer.
//
// Chromium: getDisplayMedia needs no extra flag here. With the suite's
// `--use-fake-device-for-media-stream` and `--use-fake-ui-for-media-stream`,
// Chromium 156 answers the picker at once with a fake screen (label
// `screen:-3:0`, displaySurface `monitor`, 1280x720 at 30 fps), whether or
// not the call has a user gesture. Its picture is the fake camera's, and the
// camera gives 1280x720 too when asked (the SDK asks for it), so the page
// (pages/share.js) narrows its camera to 640x480: the agent tells the screen
// (16:9) from the camera (4:3) by the shape of the frames it decodes, which
// survives the encoder's downscaling.
//
// Firefox is skipped, with the reason in the test title (FIREFOX_NO_SCREEN).
import wrtc from 'wrtc';
import { ENGINE_NAMES } from './support/engines';
import type { PageDriver } from './support/browser';
import { openScene } from './support/scene';
import type { Scene } from './support/scene';
import { describeEngines, useBrowser, useServer } from './support/suite';
import type { AgentSide } from './support/agent';
import { until } from '../support/wait';

jest.setTimeout(45_000);

const PAGE = '/pages/share.html';

/**
 * Why Firefox does not run these tests here (measured with Firefox ESR 153
 * and the suite's fake media prefs): getDisplayMedia without user activation
 * rejects with InvalidStateError ("requires transient activation"); with it
 * (a trusted click, or BiDi `userActivation: true`) a headless Firefox
 * rejects with NotFoundError: it has no fake screen
 * (`media.navigator.streams.fake` covers cameras and microphones only, and
 * `media.getdisplaymedia.enabled` and `media.getusermedia.screensharing.enabled`
 * are already true) and no display to capture. A headed Firefox on Xvfb
 * (`xvfb-run`) does share its "Primary Monitor" (1280x1024) after a trusted
 * click, with no prompt under `media.navigator.permission.disabled`; running
 * the suite that way needs a headed launch on an X display, more than a
 * preference, so it is left out of the shared launcher.
 */
const FIREFOX_NO_SCREEN =
  'headless Firefox ESR has no screen to share (no fake display capture; getDisplayMedia ' +
  'rejects with NotFoundError even after a trusted click); a headed Firefox on Xvfb can, ' +
  'which the shared launcher does not do';

const server = useServer();

// ---- what the page reports (pages/share.js) -----------------------------------

interface DisplayTrack {
  id: string;
  kind: string;
  label: string;
  readyState: 'live' | 'ended';
  width: number | null;
  height: number | null;
  displaySurface: string | null;
}

interface ShareEvent {
  type: 'share-request' | 'screen';
  t: number;
  reason?: string | null;
  stream?: { id: string; video: string | null } | null;
}

interface SentVideo {
  transceivers: number;
  peers: number;
  track: { id: string; label: string; readyState: string } | null;
  isScreen: boolean;
}

interface Settled {
  ok: boolean;
  error?: { name: string | null; code: string | null; message: string };
}

const shareEvents = (page: PageDriver) => page.call<ShareEvent[]>('shareEvents');
const displayTracks = (page: PageDriver) => page.call<DisplayTrack[]>('displayTracks');
const sentVideo = (page: PageDriver) => page.call<SentVideo>('sentVideo');

// ---- frames at the agent ---------------------------------------------------------

interface ShapeWatch {
  readonly shapes: readonly number[];
  lastAre(n: number, test: (aspect: number) => boolean): boolean;
  stop(): void;
}

const sinks = new Set<ShapeWatch>();

/** Records the aspect ratio (width / height) of every frame the agent decodes from `track`. */
function watchShapes(track: MediaStreamTrack): ShapeWatch {
  const sink = new wrtc.nonstandard.RTCVideoSink(track);
  const shapes: number[] = [];
  sink.onframe = ({ frame }: { frame: { width: number; height: number } }) => {
    shapes.push(frame.width / frame.height);
  };
  const watch: ShapeWatch = {
    shapes,
    lastAre(n, test) {
      return shapes.length >= n && shapes.slice(-n).every(test);
    },
    stop() {
      if (!sink.stopped) sink.stop();
      sinks.delete(watch);
    },
  };
  sinks.add(watch);
  return watch;
}

function stopSinks(): void {
  for (const watch of [...sinks]) watch.stop();
}

/** Chromium's fake screen: 1280x720. */
const isScreen = (aspect: number): boolean => aspect > 1.6;
/** Chromium's fake camera: 640x480. */
const isCamera = (aspect: number): boolean => aspect < 1.45;
/** Waits until the last 5 frames at the agent pass `test`; the failure tells what arrived. */
async function framesAre(
  watch: ShapeWatch,
  test: (aspect: number) => boolean,
  what: string,
): Promise<void> {
  try {
    await until(() => watch.lastAre(5, test), what, 15_000);
  } catch (error) {
    const last = watch.shapes.slice(-5).map((a) => a.toFixed(2));
    throw new Error(
      `${(error as Error).message} (${watch.shapes.length} frames, the last aspect ratios ${JSON.stringify(last)})`,
      { cause: error },
    );
  }
}

// ---------------------------------------------------------------------------------

describeEngines((engine) => {
  if (engine === 'firefox') {
    test.skip(`in ${ENGINE_NAMES[engine]}: skipped, ${FIREFOX_NO_SCREEN}`, () => undefined);
    return;
  }
  const browser = useBrowser(engine);
  let scene: Scene | undefined;
  afterEach(async () => {
    stopSinks();
    const agents = scene?.agents ?? [];
    await scene?.cleanup();
    scene = undefined;
    for (const side of agents) {
      expect(side.agent.liveTrackCount).toBe(0);
      expect(side.platform.mediaDevices.liveTracks()).toHaveLength(0);
    }
  });

  interface Connected {
    page: PageDriver;
    side: AgentSide;
    /** The agent's received stream (one for every track), once it has one. */
    remote(): MediaStream | null;
  }

  /** Opens the share page and connects a call of `media` from a new agent. */
  async function connect(media: 'voice' | 'video'): Promise<Connected> {
    scene = await openScene(browser(), server(), { path: PAGE });
    const page = scene.page;
    expect(await page.call('watchShare')).toEqual({ ok: true, canShareScreen: true });
    const side = await scene.addAgent({ media });
    let remote: MediaStream | null = null;
    side.agent.on('remotestream', (stream) => {
      remote = stream;
    });
    side.agent.invite();
    await page.waitForEvent('invitation', (d) => d?.callId === side.agent.callId);
    expect(await page.call('accept', {})).toEqual({ ok: true });
    await page.waitForState('connected');
    await until(() => side.agent.state === 'connected', 'the agent connected');
    return { page, side, remote: () => remote };
  }

  async function agentVideo(call: Connected): Promise<MediaStreamTrack> {
    const track = await until(
      () => call.remote()?.getVideoTracks()[0],
      'a video track at the agent',
      15_000,
    );
    if (!track) throw new Error('no video track at the agent');
    return track;
  }

  /** The agent asks with `reason`; waits for the page's share-request event. */
  async function agentAsks(call: Connected, reason: string): Promise<ShareEvent> {
    const before = (await shareEvents(call.page)).filter((e) => e.type === 'share-request');
    call.side.agent.requestScreenShare(reason);
    return call.page.waitFor(async () => {
      const requests = (await shareEvents(call.page)).filter((e) => e.type === 'share-request');
      return requests.length > before.length ? requests.at(-1) : null;
    }, 'a share-request event in the page');
  }

  /** A person clicks the page's Share button; waits until startScreenShare settled. */
  async function clickShare(page: PageDriver): Promise<Settled> {
    const { x, y } = await page.call<{ x: number; y: number }>('shareButton');
    await page.click(x, y);
    const last = await page.waitFor(
      async () => (await page.call<{ result: Settled | null } | null>('lastShare'))?.result,
      'startScreenShare to settle',
    );
    return last;
  }

  function agentSeesScreen(side: AgentSide, screen: boolean): Promise<unknown> {
    return until(
      () => (side.agent.remoteMediaState?.screen ?? false) === screen,
      `the agent to see screen: ${screen}`,
      15_000,
    );
  }

  function nextReply(side: AgentSide): Promise<{ accepted: boolean; reason?: string }> {
    return new Promise((resolve) => side.agent.once('share-reply', resolve));
  }

  async function audioGrows(side: AgentSide, what: string): Promise<void> {
    const start = (await side.inbound()).audio.bytes;
    await until(async () => (await side.inbound()).audio.bytes > start + 1_000, what, 15_000);
  }

  /** Hangs up from the page and checks nothing is left, the shared screen included. */
  async function hangUpAndCheck(page: PageDriver, side: AgentSide, sdp: number): Promise<void> {
    stopSinks();
    expect(await page.call('hangup')).toEqual({ ok: true });
    expect((await page.waitForEvent('ended')).data).toMatchObject({ reason: 'normal' });
    expect(await side.waitEnded()).toMatchObject({ reason: 'normal', by: 'remote' });
    const { tracks, errors } = await page.snapshot();
    expect(tracks.everGranted.total).toBe(0);
    for (const track of await displayTracks(page)) expect(track.readyState).toBe('ended');
    expect(await page.call('openPeers')).toBe(0);
    expect(side.agent.liveTrackCount).toBe(0);
    expect(side.count('sdp')).toBe(sdp);
    expect(errors).toEqual([]);
    expect(page.pageErrors).toEqual([]);
  }

  test('a video call: the agent asks, the page shares, the agent decodes the screen on the same track with no new offer; stop (SDK, then browser) brings the camera back', async () => {
    const call = await connect('video');
    const { page, side } = call;
    const received = await agentVideo(call);
    const frames = watchShapes(received);
    await framesAre(frames, isCamera, '4:3 camera frames at the agent');
    const camera = await sentVideo(page);
    expect(camera).toMatchObject({ peers: 1, transceivers: 2, isScreen: false });

    // The request and its reason reach the page.
    expect(await agentAsks(call, 'Show me the error')).toMatchObject({
      reason: 'Show me the error',
    });
    const reply = nextReply(side);
    expect(await clickShare(page)).toEqual({ ok: true });
    expect(await reply).toEqual({ accepted: true });
    expect(await page.call('displayCalls')).toEqual([{ video: true, audio: false }]);
    const [screen, ...more] = await displayTracks(page);
    expect(more).toHaveLength(0);
    expect(screen).toMatchObject({ kind: 'video', readyState: 'live', displaySurface: 'monitor' });
    expect(await page.call('localScreen')).toBe(true);
    const started = (await shareEvents(page)).filter((e) => e.type === 'screen');
    expect(started).toEqual([
      expect.objectContaining({ stream: expect.objectContaining({ video: screen?.id }) }),
    ]);
    await agentSeesScreen(side, true);

    // The same sender and receiving track; no new offer.
    expect(await sentVideo(page)).toMatchObject({
      peers: 1,
      transceivers: 2,
      isScreen: true,
      track: { id: screen?.id },
    });
    await framesAre(frames, isScreen, '16:9 screen frames at the agent');
    expect(call.remote()?.getVideoTracks()).toEqual([received]);
    expect(side.count('sdp')).toBe(1);
    await audioGrows(side, 'audio at the agent while sharing');

    // Stop from the SDK: the screen ends, the camera is sent again.
    expect(await page.call('stopScreenShare')).toEqual({ ok: true });
    await agentSeesScreen(side, false);
    expect(await page.call('localScreen')).toBe(false);
    expect((await displayTracks(page))[0]?.readyState).toBe('ended');
    expect(await sentVideo(page)).toMatchObject({ transceivers: 2, isScreen: false });
    expect((await sentVideo(page)).track?.readyState).toBe('live');
    await framesAre(frames, isCamera, 'camera frames again');
    const events = await shareEvents(page);
    expect(events.filter((e) => e.type === 'screen').map((e) => e.stream ?? null)).toHaveLength(2);
    expect(events.at(-1)).toMatchObject({ type: 'screen', stream: null });

    // Share again without a request, then the browser's "Stop sharing".
    expect(await clickShare(page)).toEqual({ ok: true });
    await agentSeesScreen(side, true);
    await framesAre(frames, isScreen, 'screen frames again');
    const ended = await page.call<DisplayTrack>('endShareFromBrowser');
    expect(ended.readyState).toBe('ended');
    await agentSeesScreen(side, false);
    expect(await page.call('localScreen')).toBe(false);
    expect(await sentVideo(page)).toMatchObject({ transceivers: 2, isScreen: false });
    await framesAre(frames, isCamera, 'camera frames after "Stop sharing"');
    expect(side.count('sdp')).toBe(1);
    await hangUpAndCheck(page, side, 1);
  });

  test('a voice call: sharing adds video with exactly one new offer, audio keeps flowing; hanging up while sharing stops the screen', async () => {
    const call = await connect('voice');
    const { page, side } = call;
    await audioGrows(side, 'audio at the agent');
    expect(await sentVideo(page)).toMatchObject({ transceivers: 1, track: null });
    expect(side.count('sdp')).toBe(1);

    await agentAsks(call, 'Can I see your screen?');
    const reply = nextReply(side);
    expect(await clickShare(page)).toEqual({ ok: true });
    expect(await reply).toEqual({ accepted: true });
    await agentSeesScreen(side, true);
    const frames = watchShapes(await agentVideo(call));
    await framesAre(frames, isScreen, '16:9 screen frames at the agent');
    expect(await sentVideo(page)).toMatchObject({ peers: 1, transceivers: 2, isScreen: true });
    // The consumer's first offer and exactly one more.
    expect(side.count('sdp')).toBe(2);
    await audioGrows(side, 'audio at the agent while sharing');
    // No camera was opened in a voice call.
    const { gumCalls } = await page.snapshot();
    expect(gumCalls.some((c) => Boolean(c.constraints?.video))).toBe(false);

    await hangUpAndCheck(page, side, 2);
    expect((await displayTracks(page)).map((t) => t.readyState)).toEqual(['ended']);
  });
});
