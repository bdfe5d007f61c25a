// Call quality and the bandwidth policy in a real Chromium: the video sender
// is capped at the policy's 2,500 kbit/s with the degradation preference set
// (wrtc refuses setParameters, so this is where the cap is proven), and the
// page gets quality samples once a second.
import type { Browser } from 'playwright-core';
import { launchBrowser } from './support/browser';
import { startStaticServer } from './support/server';
import type { StaticServer } from './support/server';
import { connectCall, openScene } from './support/scene';
import type { Scene } from './support/scene';
import type { QualitySample } from '../../src/quality/stats';

jest.setTimeout(30_000);

let browser: Browser;
let server: StaticServer;
let scene: Scene | undefined;

beforeAll(async () => {
  [browser, server] = await Promise.all([launchBrowser(), startStaticServer()]);
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
});
afterEach(async () => {
  await scene?.cleanup();
  scene = undefined;
});

interface SenderInfo {
  encodings: { maxBitrate?: number; scaleResolutionDownBy?: number; active?: boolean }[];
  degradationPreference: string | null;
}

test('the video sender is capped at 2,500 kbit/s once the call connects', async () => {
  scene = await openScene(browser, server, { path: '/pages/controls.html' });
  await connectCall(scene, { media: 'video' });
  const video = await scene.page.waitFor(async () => {
    const senders = await scene!.page.call<{ video: SenderInfo | null }>('senders');
    return senders.video?.encodings[0]?.maxBitrate ? senders.video : null;
  }, 'the video encoding to be capped');
  expect(video.encodings[0]).toMatchObject({
    maxBitrate: 2_500_000,
    scaleResolutionDownBy: 1,
    active: true,
  });
  expect(video.degradationPreference).toBe('balanced');
});

test('the page gets quality samples with the candidate type and both video sizes', async () => {
  scene = await openScene(browser, server, { path: '/pages/controls.html' });
  await connectCall(scene, { media: 'video' });
  const event = await scene.page.waitForEvent(
    'quality',
    (q) => {
      const sample = q as QualitySample;
      return sample.sendKbps > 0 && sample.receiveVideo !== null && sample.sendVideo !== null;
    },
    10_000,
  );
  const sample = event.data as QualitySample;
  expect(sample.candidateType).toBe('host');
  expect(sample.level).toBeGreaterThanOrEqual(4);
  expect(sample.rttMs).toEqual(expect.any(Number));
  expect(sample.sendVideo?.width).toBeGreaterThan(0);
});
