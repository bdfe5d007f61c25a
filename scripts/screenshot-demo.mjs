// The README's picture of a call: the demo's agent console and the brand
// website side by side, mid-call, both with video. Starts the demo server,
// drives Chromium (fake camera and microphone) through the call the way a
// person would (Video call in the console, Accept on the website), waits
// until both sides are connected and show the other's video, then composes
// the two screenshots into one PNG.
//
//   npm run build && node scripts/screenshot-demo.mjs [--out docs/screenshots/call-both-sides.png]
/* global window, document, navigator */ // in the pages
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { startDemoServer } from '../examples/demo/server.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const outArg = process.argv.indexOf('--out');
const out =
  outArg > 0 ? process.argv[outArg + 1] : join(root, 'docs', 'screenshots', 'call-both-sides.png');
const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/** Each page's viewport, CSS pixels. */
const VIEWPORT = { width: 1100, height: 760 };

if (!existsSync(CHROMIUM_PATH)) {
  console.error(
    `no Chromium at ${CHROMIUM_PATH}: apt-get install -y chromium, or set CHROMIUM_PATH`,
  );
  process.exit(1);
}
if (!existsSync(join(root, 'dist', 'messaging-calls.umd.min.js'))) {
  console.error('dist/ is missing: run npm run build first');
  process.exit(1);
}

/** True when a <video> of the page (or an open shadow root) plays the other side's frames. */
function remoteVideoPlaying() {
  const videos = [];
  const walk = (node) => {
    for (const el of node.querySelectorAll('*')) {
      if (el.tagName === 'VIDEO') videos.push(el);
      if (el.shadowRoot) walk(el.shadowRoot);
    }
  };
  walk(document);
  return videos.some(
    (v) =>
      v.videoWidth > 0 &&
      !v.paused &&
      v.srcObject &&
      v.srcObject.getTracks().some((t) => t.kind === 'video' && t.readyState === 'live') &&
      window.__localTracks &&
      !v.srcObject.getVideoTracks().some((t) => window.__localTracks.has(t)),
  );
}

/** Records the tracks getUserMedia hands out, to tell the self view from the other side's video. */
function recordLocalTracks() {
  window.__localTracks = new Set();
  const original = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
  navigator.mediaDevices.getUserMedia = async (constraints) => {
    const stream = await original(constraints);
    for (const track of stream.getTracks()) window.__localTracks.add(track);
    return stream;
  };
}

const demo = await startDemoServer({ port: 0 });
const browser = await chromium.launch({
  executablePath: CHROMIUM_PATH,
  headless: true,
  args: [
    '--no-sandbox',
    '--disable-gpu',
    '--use-fake-device-for-media-stream',
    '--use-fake-ui-for-media-stream',
    '--autoplay-policy=no-user-gesture-required',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--no-first-run',
    '--disable-quic',
  ],
});
try {
  const contextOptions = { viewport: VIEWPORT, deviceScaleFactor: 1, colorScheme: 'light' };
  const siteContext = await browser.newContext(contextOptions);
  const agentContext = await browser.newContext(contextOptions);
  const site = await siteContext.newPage();
  const agent = await agentContext.newPage();
  await site.addInitScript(recordLocalTracks);
  await agent.addInitScript(recordLocalTracks);
  await site.goto(demo.urls.site);
  await agent.goto(demo.urls.agent);

  await agent.getByRole('button', { name: 'Video call' }).first().click({ timeout: 15_000 });
  await site.getByRole('button', { name: 'Accept' }).click({ timeout: 15_000 });

  // Connected on both sides, each playing the other's video.
  await agent.getByText('Connected.', { exact: true }).waitFor({ timeout: 20_000 });
  await site.waitForFunction(remoteVideoPlaying, undefined, { timeout: 20_000 });
  await agent.waitForFunction(remoteVideoPlaying, undefined, { timeout: 20_000 });
  // A few seconds into the call: the call timers show a running call.
  await site.waitForTimeout(3000);

  const [agentPng, sitePng] = await Promise.all([
    agent.screenshot({ type: 'png' }),
    site.screenshot({ type: 'png' }),
  ]);

  // Both screenshots side by side, each under a caption, in one page.
  const compose = await browser.newPage({
    viewport: { width: VIEWPORT.width * 2 + 72, height: VIEWPORT.height + 96 },
    deviceScaleFactor: 1,
  });
  const image = (png) => `data:image/png;base64,${png.toString('base64')}`;
  await compose.setContent(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><style>
  body { margin: 0; padding: 24px; background: #e8ebf0; font: 600 18px system-ui, sans-serif; color: #1f2933; }
  main { display: flex; gap: 24px; }
  figure { margin: 0; }
  figcaption { margin: 0 0 12px 4px; }
  img { display: block; width: ${VIEWPORT.width}px; height: ${VIEWPORT.height}px; border-radius: 8px;
        box-shadow: 0 2px 10px rgb(0 0 0 / 0.18); }
</style></head><body><main>
  <figure><figcaption>The agent console</figcaption><img alt="" src="${image(agentPng)}"></figure>
  <figure><figcaption>The brand website, with the default call UI</figcaption><img alt="" src="${image(sitePng)}"></figure>
</main></body></html>`);
  await compose.waitForFunction(() => [...document.images].every((img) => img.complete));
  await mkdir(dirname(out), { recursive: true });
  await writeFile(out, await compose.screenshot({ type: 'png', fullPage: true }));
  console.log(out);

  await agent.getByRole('button', { name: 'End call' }).click();
  await siteContext.close();
  await agentContext.close();
} finally {
  await browser.close();
  await demo.close();
}
