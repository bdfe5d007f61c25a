// A video call between the built UMD bundle in each browser and the
// reference agent in Node, as a brand developer's page would run it.
import { FAKE_MEDIA, testIn } from './support/engines';
import { connectCall, openScene } from './support/scene';
import type { Scene } from './support/scene';
import { describeEngines, useBrowser, useServer } from './support/suite';
import { until } from '../support/wait';

jest.setTimeout(45_000);

const server = useServer();

describeEngines((engine) => {
  const browser = useBrowser(engine);
  let scene: Scene | undefined;
  afterEach(async () => {
    await scene?.cleanup();
    scene = undefined;
  });
  /** What the fake camera says of its facing (Firefox's: `environment`). */
  const camera = FAKE_MEDIA[engine].cameraFacing;
  const withCamera = camera ? { camera } : {};
  const callTest = testIn(engine, { bug: 'firefoxEndOfCandidates' });

  describe('a video call from the page', () => {
    callTest(
      'connects, carries audio and video both ways, and mute and camera reach the agent',
      async () => {
        scene = await openScene(browser(), server());
        const { page } = scene;
        const side = await connectCall(scene, { media: 'video' });

        // The agent receives the page's microphone and camera.
        await until(async () => {
          const { audio, video } = await side.inbound();
          return audio.bytes > 0 && video.bytes > 0 && video.frames > 0;
        }, 'audio and video bytes at the agent');

        // The page renders the agent's video.
        const shown = await page.waitFor(async () => {
          const { video } = await page.snapshot();
          return video && video.width > 0 ? video : null;
        }, 'the agent video rendered in the page');
        expect(shown).toMatchObject({
          muted: true,
          playsInline: true,
          autoplay: true,
          showsRemoteStream: true,
        });
        expect((await page.snapshot()).tracks.everGranted).toEqual({
          audio: 1,
          video: 1,
          total: 2,
        });
        await until(() => side.agent.remoteMediaState, 'the first media-state at the agent');
        expect(side.agent.remoteMediaState).toEqual({
          audioMuted: false,
          videoEnabled: true,
          ...withCamera,
        });
        // The agent's own media-state reached the page too.
        await page.waitForEvent('remotemediastate', (s) => s.videoEnabled === true);

        // Mute: a media-state reaches the agent; the microphone stays open.
        expect(await page.call('setAudioMuted', true)).toEqual({ ok: true });
        await until(() => side.agent.remoteMediaState?.audioMuted === true, 'muted at the agent');

        // Camera off: the camera track is ended (its light goes out).
        expect(await page.call('setVideoEnabled', false)).toEqual({ ok: true });
        await until(
          () => side.agent.remoteMediaState?.videoEnabled === false,
          'camera off at the agent',
        );
        let tracks = (await page.snapshot()).tracks;
        expect(tracks.everGranted).toEqual({ audio: 1, video: 0, total: 1 });
        expect(tracks.localStream).toEqual({ audio: 1, video: 0, total: 1 });
        expect(side.agent.remoteMediaState).toEqual({ audioMuted: true, videoEnabled: false });

        // Camera on again: a new live track, and frames flow to the agent again.
        const before = (await side.inbound()).video.frames;
        expect(await page.call('setVideoEnabled', true)).toEqual({ ok: true });
        await until(
          () => side.agent.remoteMediaState?.videoEnabled === true,
          'camera on at the agent',
        );
        tracks = (await page.snapshot()).tracks;
        expect(tracks.everGranted).toEqual({ audio: 1, video: 1, total: 2 });
        expect(tracks.localStream).toEqual({ audio: 1, video: 1, total: 2 });
        await until(
          async () => (await side.inbound()).video.frames > before + 10,
          'new video frames at the agent after the camera came back',
        );

        expect(await page.call('setAudioMuted', false)).toEqual({ ok: true });
        await until(
          () => side.agent.remoteMediaState?.audioMuted === false,
          'unmuted at the agent',
        );

        const snapshot = await page.snapshot();
        expect(snapshot.errors).toEqual([]);
        expect(page.pageErrors).toEqual([]);
        // One prompt for both devices at accept, one for the camera coming back.
        expect(snapshot.gumCalls.map((c) => Boolean(c.constraints?.video))).toEqual([true, true]);
      },
    );

    callTest('hung up from the page: ended on both sides, no live local track left', async () => {
      scene = await openScene(browser(), server());
      const { page } = scene;
      const side = await connectCall(scene, { media: 'video' });
      await until(async () => (await side.inbound()).video.bytes > 0, 'video at the agent');

      expect(await page.call('hangup')).toEqual({ ok: true });
      const ended = await page.waitForEvent('ended');
      expect(ended.data).toMatchObject({ reason: 'normal', by: 'local' });
      expect(ended.data.durationMs).toBeGreaterThan(0);
      expect(await side.waitEnded()).toMatchObject({ reason: 'normal', by: 'remote' });

      const { tracks, errors, state } = await page.snapshot();
      expect(state).toBe('ended');
      expect(tracks.everGranted.total).toBe(0);
      expect(tracks.localStream?.total ?? 0).toBe(0);
      expect(side.agent.liveTrackCount).toBe(0);
      expect(errors).toEqual([]);
      expect(page.pageErrors).toEqual([]);
    });

    callTest('hung up by the agent: ended on both sides, no live local track left', async () => {
      scene = await openScene(browser(), server());
      const { page } = scene;
      const side = await connectCall(scene, { media: 'video' });
      await until(async () => (await side.inbound()).video.bytes > 0, 'video at the agent');

      side.agent.hangup();
      const ended = await page.waitForEvent('ended');
      expect(ended.data).toMatchObject({ reason: 'normal', by: 'remote' });
      expect(await side.waitEnded()).toMatchObject({ reason: 'normal', by: 'local' });

      const { tracks, errors } = await page.snapshot();
      expect(tracks.everGranted.total).toBe(0);
      expect(tracks.localStream?.total ?? 0).toBe(0);
      expect(errors).toEqual([]);
      expect(page.pageErrors).toEqual([]);
    });
  });
});
