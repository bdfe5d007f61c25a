// In-call controls in each browser against the Node agent over the WebSocket
// relay: mute, camera off/on, starting with the camera off, camera switch,
// device selection, a device unplugged mid-call, rapid toggling, and playing
// the agent in an attached element on a chosen speaker. The same behaviours
// as test/integration/controls.test.ts (wrtc), proven with the browser's own
// getUserMedia, tracks and RTCRtpSender.replaceTrack.
//
// Chromium runs with two fake devices of each kind: cameras `fake_device_0`
// (frames) and `fake_device_1` (a live track that yields no frames), neither
// reporting a facingMode; microphones `Fake Default Audio Input` (deviceId
// `default`), `Fake Audio Input 1` and `2`; speakers `Fake Default Audio
// Output`, `Fake Audio Output 1` and `2`. Frames are only asserted from the
// first camera. Firefox's fake media has one camera (`Default Video Device`,
// facingMode `environment`), one microphone (`Default Audio Device`) and no
// speaker: what needs two cameras, another microphone or a speaker is
// Chromium-only (support/engines.ts), and Firefox proves the one-camera path.
//
// Every test ends with a hangup and checks that nothing is left: no live
// track of all getUserMedia ever gave the page, no open peer connection, and
// the consumer sent exactly one `sdp` (its first offer; camera and device
// changes are replaceTrack, never a new offer). After each test the agent is
// destroyed and its synthetic tracks are stopped.
import { ENGINE_NAMES, FAKE_MEDIA, testIn } from './support/engines';
import type { Engine } from './support/engines';
import type { PageDriver } from './support/browser';
import { connectCall, openScene } from './support/scene';
import type { Scene, SceneOptions } from './support/scene';
import { describeEngines, useBrowser, useServer } from './support/suite';
import type { AgentSide } from './support/agent';
import { until } from '../support/wait';
import type { MediaState } from '../../src/call/events';
import type { DeviceList } from '../../src/media/devices';

jest.setTimeout(30_000);

const PAGE = '/pages/controls.html';

/** Fake devices of each kind in this file (Chromium launches with device-count=2). */
const DEVICES: Readonly<
  Record<Engine, { microphones: number; cameras: number; speakers: number }>
> = {
  chromium: { microphones: 3, cameras: 2, speakers: 3 },
  firefox: { microphones: 1, cameras: 1, speakers: 0 },
};

const server = useServer();

// ---- what the page reports (pages/controls.js) -------------------------------

interface TrackInfo {
  id: string;
  kind: 'audio' | 'video';
  label: string;
  readyState: 'live' | 'ended';
  enabled: boolean;
  /** `getSettings().deviceId` */
  deviceId: string | null;
}

interface LocalTracks {
  audio: TrackInfo | null;
  video: TrackInfo | null;
}

interface Senders {
  peers: number;
  transceivers: number;
  audio: { track: TrackInfo | null } | null;
  video: { track: TrackInfo | null } | null;
}

interface PageError {
  name: string | null;
  /** A CallError's code; a DOMException's legacy numeric code. */
  code: string | number | null;
  message: string;
  isCallError: boolean;
}

type Settled<T = null> = { ok: true; value: T } | { ok: false; error: PageError };

interface PageMediaState {
  local: MediaState | null;
  remote: MediaState | null;
  canSwitchCamera: boolean;
}

interface Attached {
  width: number;
  height: number;
  paused: boolean;
  muted: boolean;
  sinkId: string | null;
  hasStream: boolean;
  showsRemoteStream: boolean;
  tracks: number;
}

const localTracks = (page: PageDriver) => page.call<LocalTracks>('localTracks');
const trackNow = (page: PageDriver, id: string) => page.call<TrackInfo | null>('track', id);
const senders = (page: PageDriver) => page.call<Senders>('senders');
const mediaState = (page: PageDriver) => page.call<PageMediaState>('mediaState');

async function listDevices(page: PageDriver): Promise<DeviceList> {
  const result = await page.call<Settled<DeviceList>>('listDevices');
  if (!result.ok) throw new Error(`listDevices failed: ${JSON.stringify(result.error)}`);
  return result.value;
}

/** The current local track of `kind`, which must exist and be live. */
async function liveLocal(page: PageDriver, kind: 'audio' | 'video'): Promise<TrackInfo> {
  const track = (await localTracks(page))[kind];
  expect(track).toMatchObject({ kind, readyState: 'live' });
  return track as TrackInfo;
}

/** The track the page's peer connection sends for `kind` is `track` (same object). */
async function expectSent(page: PageDriver, kind: 'audio' | 'video', track: TrackInfo | null) {
  const sent = await senders(page);
  expect(sent.peers).toBe(1);
  expect(sent.transceivers).toBe(2);
  expect(sent[kind]?.track?.id ?? null).toBe(track?.id ?? null);
}

// ---- what the agent sees -------------------------------------------------------

/** Waits until the agent's view of the consumer's media matches `expected`. */
function agentSees(side: AgentSide, expected: Partial<MediaState>): Promise<unknown> {
  return until(
    () => {
      const state = side.agent.remoteMediaState;
      if (!state) return false;
      for (const key of Object.keys(expected) as (keyof MediaState)[]) {
        if (state[key] !== expected[key]) return false;
      }
      return true;
    },
    `the agent to see ${JSON.stringify(expected)}`,
  );
}

/** Waits until the agent has decoded `by` more video frames from now. */
async function framesGrow(side: AgentSide, what: string, by = 10): Promise<void> {
  const start = await side.inbound();
  await until(async () => {
    const now = await side.inbound();
    return now.video.frames > start.video.frames + by && now.video.bytes > start.video.bytes;
  }, `${what} (video frames at the agent grow by ${by})`);
}

/** Waits until the agent has received `by` more audio bytes from now. */
async function audioGrows(side: AgentSide, what: string, by = 1_000): Promise<void> {
  const start = (await side.inbound()).audio.bytes;
  await until(async () => (await side.inbound()).audio.bytes > start + by, what);
}

/** The `media-state` messages the agent received from the page. */
function mediaStatesAtAgent(side: AgentSide): MediaState[] {
  const states: MediaState[] = [];
  for (const m of side.received) {
    if (m.type !== 'media-state') continue;
    const { audioMuted, videoEnabled, camera } = m;
    states.push({ audioMuted, videoEnabled, ...(camera ? { camera } : {}) });
  }
  return states;
}

/**
 * Hangs up from the page and checks that nothing is left open: ended on
 * both sides, no live track of any the page was ever given, no open peer
 * connection, the consumer's only `sdp` was its first offer, no page error.
 */
async function hangUpAndCheck(page: PageDriver, side: AgentSide): Promise<void> {
  expect(await page.call('hangup')).toEqual({ ok: true });
  expect((await page.waitForEvent('ended')).data).toMatchObject({ reason: 'normal', by: 'local' });
  expect(await side.waitEnded()).toMatchObject({ reason: 'normal', by: 'remote' });
  const { tracks, errors, state } = await page.snapshot();
  expect(state).toBe('ended');
  expect(tracks.everGranted.total).toBe(0);
  expect(tracks.localStream?.total ?? 0).toBe(0);
  expect(await page.call('openPeers')).toBe(0);
  expect(side.agent.liveTrackCount).toBe(0);
  expect(side.count('sdp')).toBe(1);
  expect(errors).toEqual([]);
  expect(page.pageErrors).toEqual([]);
}

// ---------------------------------------------------------------------------------

describeEngines((engine) => {
  const browser = useBrowser(engine, engine === 'chromium' ? { fakeDeviceCount: 2 } : {});
  let scene: Scene | undefined;
  afterEach(async () => {
    const agents = scene?.agents ?? [];
    await scene?.cleanup();
    scene = undefined;
    // The agents are destroyed: none of their synthetic tracks is left running.
    for (const side of agents) {
      expect(side.agent.liveTrackCount).toBe(0);
      expect(side.platform.mediaDevices.liveTracks()).toHaveLength(0);
    }
  });
  const name = ENGINE_NAMES[engine];
  const devices = DEVICES[engine];
  /** What the fake camera says of its facing (Chromium's: nothing; Firefox's: `environment`). */
  const facing = FAKE_MEDIA[engine].cameraFacing;
  const withCamera = facing ? { camera: facing } : {};
  const callTest = testIn(engine, { bug: 'firefoxEndOfCandidates' });
  const twoCamerasTest = testIn(engine, {
    chromiumOnly: 'twoCameras',
    bug: 'firefoxEndOfCandidates',
  });
  const unplugTest = testIn(engine, {
    chromiumOnly: 'syntheticEnded',
    bug: 'firefoxEndOfCandidates',
  });
  const speakerTest = testIn(engine, { chromiumOnly: 'speakers', bug: 'firefoxEndOfCandidates' });

  /** Opens the controls page and connects a video call from a new agent. */
  async function connect(
    client: SceneOptions['client'] = {},
  ): Promise<{ page: PageDriver; side: AgentSide }> {
    scene = await openScene(browser(), server(), { path: PAGE, client });
    const side = await connectCall(scene, { media: 'video' });
    return { page: scene.page, side };
  }

  describe('in-call controls', () => {
    callTest(
      'mute: the agent sees it, the microphone stays live and disabled, unmute opens nothing',
      async () => {
        const { page, side } = await connect();
        await agentSees(side, { audioMuted: false });
        const mic = await liveLocal(page, 'audio');
        expect(mic.enabled).toBe(true);
        const prompts = (await page.snapshot()).gumCalls.length;

        expect(await page.call('setAudioMuted', true)).toEqual({ ok: true });
        await agentSees(side, { audioMuted: true });
        // The same track, still open (the device stays in use), just disabled, still sent.
        expect(await localTracks(page)).toMatchObject({
          audio: { id: mic.id, readyState: 'live', enabled: false },
        });
        await expectSent(page, 'audio', mic);
        expect((await mediaState(page)).local).toMatchObject({ audioMuted: true });

        expect(await page.call('setAudioMuted', false)).toEqual({ ok: true });
        await agentSees(side, { audioMuted: false });
        expect(await localTracks(page)).toMatchObject({
          audio: { id: mic.id, readyState: 'live', enabled: true },
        });
        expect((await page.snapshot()).gumCalls).toHaveLength(prompts);
        expect((await page.snapshot()).tracks.everGranted).toEqual({
          audio: 1,
          video: 1,
          total: 2,
        });
        await audioGrows(side, 'audio at the agent after unmuting');
        await hangUpAndCheck(page, side);
      },
    );

    callTest(
      'camera off ends the track and tells the agent; on opens a new one and frames flow again, no new offer',
      async () => {
        const { page, side } = await connect();
        await framesGrow(side, 'the camera at the agent');
        const camera = await liveLocal(page, 'video');

        expect(await page.call('setVideoEnabled', false)).toEqual({ ok: true });
        expect((await trackNow(page, camera.id))?.readyState).toBe('ended');
        expect((await localTracks(page)).video).toBeNull();
        await expectSent(page, 'video', null);
        expect((await page.snapshot()).tracks.everGranted).toEqual({
          audio: 1,
          video: 0,
          total: 1,
        });
        expect((await mediaState(page)).local).toMatchObject({ videoEnabled: false });
        await agentSees(side, { videoEnabled: false });

        expect(await page.call('setVideoEnabled', true)).toEqual({ ok: true });
        const reopened = await liveLocal(page, 'video');
        expect(reopened.id).not.toBe(camera.id);
        expect(reopened.deviceId).toBe(camera.deviceId); // the same camera, opened again
        await expectSent(page, 'video', reopened);
        expect((await page.snapshot()).tracks.everGranted).toEqual({
          audio: 1,
          video: 1,
          total: 2,
        });
        await agentSees(side, { videoEnabled: true });
        await framesGrow(side, 'the reopened camera at the agent');
        // Only the first offer: the camera came back on the existing sender.
        expect(side.count('sdp')).toBe(1);
        await hangUpAndCheck(page, side);
      },
    );

    callTest('consumerVideoOff: the camera is not opened until setVideoEnabled(true)', async () => {
      const { page, side } = await connect({ consumerVideoOff: true });
      await agentSees(side, { videoEnabled: false });
      await audioGrows(side, 'audio at the agent');
      let snapshot = await page.snapshot();
      // One prompt, for the microphone alone.
      expect(snapshot.gumCalls.map((c) => c.constraints)).toEqual([{ audio: true, video: false }]);
      expect(snapshot.tracks.everGranted).toEqual({ audio: 1, video: 0, total: 1 });
      expect((await mediaState(page)).local).toMatchObject({ videoEnabled: false });
      expect((await localTracks(page)).video).toBeNull();
      expect((await side.inbound()).video.frames).toBe(0);

      expect(await page.call('setVideoEnabled', true)).toEqual({ ok: true });
      snapshot = await page.snapshot();
      expect(snapshot.gumCalls).toHaveLength(2);
      expect(snapshot.gumCalls[1]?.constraints).toMatchObject({ audio: false, video: {} });
      expect(snapshot.tracks.everGranted).toEqual({ audio: 1, video: 1, total: 2 });
      await expectSent(page, 'video', await liveLocal(page, 'video'));
      await agentSees(side, { videoEnabled: true });
      await framesGrow(side, 'the camera at the agent once turned on');
      await hangUpAndCheck(page, side);
    });

    twoCamerasTest(
      'switchCamera with two cameras sends the other camera, ends the old track, no new offer',
      async () => {
        const { page, side } = await connect();
        await page.waitFor(async () => (await mediaState(page)).canSwitchCamera, 'canSwitchCamera');
        const cameras = (await listDevices(page)).cameras;
        expect(cameras).toHaveLength(2);
        const [first, second] = cameras.map((c) => c.deviceId) as [string, string];
        await framesGrow(side, 'the first camera at the agent');
        const before = await liveLocal(page, 'video');
        expect(before.deviceId).toBe(first);
        await agentSees(side, { audioMuted: false, videoEnabled: true });
        const statesBefore = mediaStatesAtAgent(side).length;

        expect(await page.call('switchCamera')).toEqual({ ok: true, value: null });
        const after = await liveLocal(page, 'video');
        expect(after.deviceId).toBe(second);
        expect(after.id).not.toBe(before.id);
        expect((await trackNow(page, before.id))?.readyState).toBe('ended');
        const sent = await senders(page);
        expect(sent.video?.track).toMatchObject({ id: after.id, deviceId: second });
        expect((await page.snapshot()).tracks.everGranted).toEqual({
          audio: 1,
          video: 1,
          total: 2,
        });
        // Fake cameras report no facingMode, so the state has no `camera` and is unchanged.
        expect((await mediaState(page)).local).toEqual({ audioMuted: false, videoEnabled: true });

        // What the agent is told about the switch. Messages travel in order on one
        // socket, so once the agent sees a later mute, everything sent before it
        // has arrived: the switch itself sent no media-state, because the SDK sends
        // one only when the state changes (docs/PROTOCOL.md) and a switch between
        // cameras without a facingMode changes nothing the protocol can say.
        expect(await page.call('setAudioMuted', true)).toEqual({ ok: true });
        await agentSees(side, { audioMuted: true });
        expect(mediaStatesAtAgent(side).slice(statesBefore)).toEqual([
          { audioMuted: true, videoEnabled: true },
        ]);
        expect(await page.call('setAudioMuted', false)).toEqual({ ok: true });

        // The second fake camera yields no frames: switch back to see frames again.
        expect(await page.call('switchCamera')).toEqual({ ok: true, value: null });
        const back = await liveLocal(page, 'video');
        expect(back.deviceId).toBe(first);
        expect((await trackNow(page, after.id))?.readyState).toBe('ended');
        await expectSent(page, 'video', back);
        await agentSees(side, { audioMuted: false, videoEnabled: true });
        await framesGrow(side, 'the first camera at the agent after switching back');
        await hangUpAndCheck(page, side);
      },
    );

    // The path of every phone-less laptop: one camera. Chromium runs this file
    // with two, so this is Firefox's (and any engine's with one fake camera).
    (devices.cameras === 1 ? callTest : test.skip)(
      'switchCamera with one camera rejects no-device; the camera keeps sending',
      async () => {
        const { page, side } = await connect();
        await framesGrow(side, 'the camera at the agent');
        expect((await mediaState(page)).canSwitchCamera).toBe(false);
        const before = await liveLocal(page, 'video');
        expect(await page.call('switchCamera')).toMatchObject({
          ok: false,
          error: { isCallError: true, code: 'no-device' },
        });
        // Nothing was released: the same track is live and sent.
        expect(await liveLocal(page, 'video')).toMatchObject({ id: before.id });
        await expectSent(page, 'video', before);
        expect((await mediaState(page)).local).toEqual({
          audioMuted: false,
          videoEnabled: true,
          ...withCamera,
        });
        await framesGrow(side, `frames at the agent after the refused switch in ${name}`);
        await hangUpAndCheck(page, side);
      },
    );

    callTest(
      'listDevices is labelled; selectMicrophone and selectCamera swap the sent track in place',
      async () => {
        const { page, side } = await connect();
        const list = await listDevices(page);
        expect({
          microphones: list.microphones.length,
          cameras: list.cameras.length,
          speakers: list.speakers.length,
        }).toEqual(devices);
        for (const kind of ['microphones', 'cameras', 'speakers'] as const) {
          for (const d of list[kind]) {
            expect(d.deviceId).not.toBe('');
            expect(d.label).not.toBe('');
          }
        }
        expect(list.cameras.map((c) => c.label)).toEqual(FAKE_MEDIA[engine].cameraLabels);
        expect((await mediaState(page)).canSwitchCamera).toBe(devices.cameras >= 2);

        // Another microphone (Firefox has one: the same one, opened again): a new
        // track on the same sender, the old one stopped.
        const mic = await liveLocal(page, 'audio');
        const otherMic =
          list.microphones.find((m) => m.deviceId !== mic.deviceId && m.deviceId !== 'default') ??
          (devices.microphones === 1 ? list.microphones[0] : undefined);
        if (!otherMic) throw new Error(`no microphone to select in ${JSON.stringify(list)}`);
        expect(await page.call('selectMicrophone', otherMic.deviceId)).toEqual({
          ok: true,
          value: null,
        });
        const newMic = await liveLocal(page, 'audio');
        expect(newMic).toMatchObject({ deviceId: otherMic.deviceId, label: otherMic.label });
        expect(newMic.id).not.toBe(mic.id);
        expect(newMic.enabled).toBe(true);
        expect((await trackNow(page, mic.id))?.readyState).toBe('ended');
        await expectSent(page, 'audio', newMic);
        await audioGrows(side, 'audio at the agent from the selected microphone');

        // Another camera, then the first one again (only it yields frames in
        // Chromium); Firefox selects its one camera twice.
        const first = list.cameras[0]?.deviceId as string;
        const second = (list.cameras[1] ?? list.cameras[0])?.deviceId as string;
        const camera = await liveLocal(page, 'video');
        expect(camera.deviceId).toBe(first);
        expect(await page.call('selectCamera', second)).toEqual({ ok: true, value: null });
        const selected = await liveLocal(page, 'video');
        expect(selected.deviceId).toBe(second);
        expect(selected.id).not.toBe(camera.id);
        expect((await trackNow(page, camera.id))?.readyState).toBe('ended');
        await expectSent(page, 'video', selected);
        expect(await page.call('selectCamera', first)).toEqual({ ok: true, value: null });
        await expectSent(page, 'video', await liveLocal(page, 'video'));
        expect((await trackNow(page, selected.id))?.readyState).toBe('ended');
        expect((await page.snapshot()).tracks.everGranted).toEqual({
          audio: 1,
          video: 1,
          total: 2,
        });
        await agentSees(side, { audioMuted: false, videoEnabled: true, ...withCamera });
        await framesGrow(side, 'the selected first camera at the agent');
        expect(side.count('sdp')).toBe(1);
        await hangUpAndCheck(page, side);
      },
    );

    unplugTest(
      'a device unplugged mid-call: device-lost warning, a new live track, media keeps flowing',
      async () => {
        const { page, side } = await connect();
        await framesGrow(side, 'the camera at the agent');
        const deviceLost = async () =>
          (await page.events('warning')).filter((e) => e.data.code === 'device-lost');

        // The microphone: stopped and `ended` fired, as when it is unplugged.
        const lostMic = await page.call<TrackInfo>('unplug', 'audio');
        await page.waitFor(async () => (await deviceLost()).length === 1, 'a device-lost warning');
        const mic = await page.waitFor(async () => {
          const audio = (await localTracks(page)).audio;
          return audio && audio.id !== lostMic.id && audio.readyState === 'live' ? audio : null;
        }, 'a new live microphone track');
        expect((await deviceLost())[0]?.data.message).toMatch(
          /microphone was lost; the call goes on/,
        );
        expect((await trackNow(page, lostMic.id))?.readyState).toBe('ended');
        await expectSent(page, 'audio', mic);
        await audioGrows(side, 'audio at the agent from the new microphone');
        expect(side.agent.remoteMediaState).toMatchObject({ audioMuted: false });

        // The camera.
        const lostCamera = await page.call<TrackInfo>('unplug', 'video');
        await page.waitFor(async () => (await deviceLost()).length === 2, 'a second device-lost');
        const camera = await page.waitFor(async () => {
          const video = (await localTracks(page)).video;
          return video && video.id !== lostCamera.id && video.readyState === 'live' ? video : null;
        }, 'a new live camera track');
        expect((await deviceLost())[1]?.data.message).toMatch(/camera was lost; the call goes on/);
        await expectSent(page, 'video', camera);
        await agentSees(side, { audioMuted: false, videoEnabled: true });
        await framesGrow(side, 'frames at the agent from the reopened camera');
        expect((await page.snapshot()).tracks.everGranted).toEqual({
          audio: 1,
          video: 1,
          total: 2,
        });
        expect((await page.snapshot()).state).toBe('connected');
        await hangUpAndCheck(page, side);
      },
    );

    callTest(
      '100 unawaited camera toggles with switches end with one live camera, on, and no new offer',
      async () => {
        const { page, side } = await connect();
        await framesGrow(side, 'the camera at the agent');
        const [first] = (await listDevices(page)).cameras.map((c) => c.deviceId);
        const statesBefore = mediaStatesAtAgent(side).length;
        const promptsBefore = (await page.snapshot()).gumCalls.length;

        const result = await page.call<{
          calls: number;
          rejected: Settled[];
          last: Settled;
          ms: number;
        }>('rapidToggle');
        expect(result.calls).toBe(111);
        // With one camera, each of the ten switches is refused (and nothing else).
        expect(result.rejected).toEqual(
          devices.cameras >= 2
            ? []
            : Array.from({ length: 10 }, () => ({
                ok: false,
                error: expect.objectContaining({ isCallError: true, code: 'no-device' }),
              })),
        );
        expect(result.last).toEqual({ ok: true, value: null });

        const { tracks, gumCalls } = await page.snapshot();
        expect(tracks.everGranted).toEqual({ audio: 1, video: 1, total: 2 });
        expect(tracks.localStream).toEqual({ audio: 1, video: 1, total: 2 });
        const camera = await liveLocal(page, 'video');
        await expectSent(page, 'video', camera);
        await expectSent(page, 'audio', await liveLocal(page, 'audio'));
        expect((await mediaState(page)).local).toMatchObject({ videoEnabled: true });

        // A mute after the burst is a barrier (one socket, in order): the last
        // media-state before it is the burst's last word.
        expect(await page.call('setAudioMuted', true)).toEqual({ ok: true });
        await agentSees(side, { audioMuted: true });
        const states = mediaStatesAtAgent(side);
        expect(states.at(-2)).toMatchObject({ videoEnabled: true });
        expect(states.at(-1)).toEqual({ audioMuted: true, videoEnabled: true, ...withCamera });
        expect(side.agent.remoteMediaState).toMatchObject({ videoEnabled: true });
        console.log(
          `100 toggles + 10 switches + final on in ${name}: ${result.ms} ms; ` +
            `${gumCalls.length - promptsBefore} getUserMedia calls; ` +
            `${states.length - 1 - statesBefore} media-state messages; ` +
            `ended on ${camera.deviceId === first ? 'the first' : 'the second'} camera`,
        );
        // The queued toggles all ran after the burst and saw the last wish (on),
        // so the ten switches ran with the camera on: back on the first camera.
        expect(camera.deviceId).toBe(first);
        await framesGrow(side, 'frames at the agent after the burst');
        expect(side.count('sdp')).toBe(1);
        await hangUpAndCheck(page, side);
      },
    );

    /** Opens the page, attaches an element, connects, and waits until it plays the agent. */
    async function attachedAndPlaying(): Promise<{ page: PageDriver; side: AgentSide }> {
      scene = await openScene(browser(), server(), { path: PAGE });
      const { page } = scene;
      // Attached before the call: the SDK plays the agent's stream there when it arrives.
      expect(await page.call('attachRemote')).toEqual({ ok: true });
      const side = await connectCall(scene, { media: 'video' });
      const shown = await page.waitFor(async () => {
        const a = await page.call<Attached | null>('attached');
        return a && a.width > 0 && !a.paused ? a : null;
      }, "the agent's video playing in the attached element");
      // Not muted, and not blocked: both engines let a page that is capturing
      // the camera and microphone play sound without a gesture (the driver
      // gives the page no user activation).
      expect(shown).toMatchObject({ showsRemoteStream: true, muted: false, tracks: 2 });
      expect(shown.height).toBeGreaterThan(0);
      expect((await page.events('warning')).map((e) => e.data.code)).not.toContain(
        'autoplay-blocked',
      );
      return { page, side };
    }

    callTest(
      'attachRemoteMedia plays the agent in a video element, emptied when the call ends',
      async () => {
        const { page, side } = await attachedAndPlaying();
        await hangUpAndCheck(page, side);
        expect((await page.call<Attached>('attached')).hasStream).toBe(false);
      },
    );

    callTest(
      'a page sent to the background and back plays the paused agent again (as iOS needs)',
      async () => {
        const { page, side } = await attachedAndPlaying();
        const result = await page.call<{ ok: boolean; pausedWhileHidden: boolean }>(
          'backgroundAndReturn',
        );
        // Nothing is replayed while the page is hidden; shown again, it plays.
        expect(result).toEqual({ ok: true, pausedWhileHidden: true });
        await page.waitFor(async () => {
          const a = await page.call<Attached | null>('attached');
          return a && !a.paused && a.showsRemoteStream ? a : null;
        }, 'the attached element playing again');
        await hangUpAndCheck(page, side);
      },
    );

    speakerTest('setSpeaker picks a listed speaker for the attached element', async () => {
      const { page, side } = await attachedAndPlaying();
      // Chromium has HTMLMediaElement.setSinkId, and its fake devices include
      // speakers (`Fake Default Audio Output`, `Fake Audio Output 1`, `2`), so
      // choosing a listed one resolves and the element plays there.
      const { speakers } = await listDevices(page);
      expect(speakers.length).toBeGreaterThan(0);
      const speaker = speakers.find((s) => s.deviceId !== 'default') ?? speakers[0];
      if (!speaker) throw new Error('no speaker');
      expect(await page.call('setSpeaker', speaker.deviceId)).toEqual({ ok: true, value: null });
      expect((await page.call<Attached>('attached')).sinkId).toBe(speaker.deviceId);
      await hangUpAndCheck(page, side);
    });

    // Both engines have setSinkId; an unknown id is NotFoundError in both.
    test('setSpeaker with a speaker that does not exist rejects CallError no-device', async () => {
      scene = await openScene(browser(), server(), { path: PAGE });
      const { page } = scene;
      expect(await page.call('attachRemote')).toEqual({ ok: true });
      const result = await page.call<Settled>('setSpeaker', 'no-such-speaker');
      expect(result).toMatchObject({ ok: false, error: { isCallError: true, code: 'no-device' } });
    });
  });
});
