// The UMD bundle on a page that enforces Trusted Types: no string may reach a
// DOM code sink (innerHTML, script text, eval, ...) and no policy may be
// created. The SDK must run a whole video call there without a violation,
// and its built bundle must not contain such sinks at all.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { testIn } from './support/engines';
import { connectCall, openScene } from './support/scene';
import type { Scene } from './support/scene';
import { describeEngines, useBrowser, useServer } from './support/suite';
import { until } from '../support/wait';

jest.setTimeout(45_000);

const CSP = "script-src 'self'; require-trusted-types-for 'script'; trusted-types 'none'";
const PAGE = '/pages/tt.html';
const BUNDLE = join(__dirname, '..', '..', 'dist', 'messaging-calls.umd.min.js');

const server = useServer({ headers: { [PAGE]: { 'Content-Security-Policy': CSP } } });

test('the built UMD bundle contains no string-to-code or HTML sink', () => {
  const source = readFileSync(BUNDLE, 'utf8');
  const sinks = [
    'eval(',
    'new Function',
    'innerHTML',
    'outerHTML',
    'insertAdjacentHTML',
    'document.write',
  ];
  expect(sinks.filter((sink) => source.includes(sink))).toEqual([]);
  // Function(...) without `new` compiles a string just the same.
  expect(source).not.toMatch(/(?<![\w$.])Function\s*\(/);
  expect(source.length).toBeGreaterThan(10_000);
});

describeEngines((engine) => {
  const browser = useBrowser(engine);
  let scene: Scene | undefined;
  afterEach(async () => {
    await scene?.cleanup();
    scene = undefined;
  });
  const callTest = testIn(engine, { bug: 'firefoxEndOfCandidates' });

  callTest(`a full video call on a page served with "${CSP}": no violation, no error`, async () => {
    scene = await openScene(browser(), server(), { path: PAGE });
    const { page } = scene;
    const response = await fetch(server().url(PAGE));
    expect(response.headers.get('content-security-policy')).toBe(CSP);

    const side = await connectCall(scene, { media: 'video' });
    expect(await page.call('attachRemote')).toEqual({ ok: true });
    // Media both ways: the agent receives the page's microphone and camera, the
    // page shows the agent in its own element and in the one the SDK attached.
    await until(async () => {
      const { audio, video } = await side.inbound();
      return audio.bytes > 0 && video.frames > 0;
    }, 'audio and video at the agent');
    await page.waitFor(
      async () => ((await page.snapshot()).video?.width ?? 0) > 0,
      'the agent video in the page',
    );
    await page.waitFor(
      async () =>
        ((await page.call<{ width: number; hasStream: boolean } | null>('attachedVideo'))?.width ??
          0) > 0,
      'the agent video in the element given to attachRemoteMedia',
    );

    // In-call controls: mute, camera off (released) and on again (a new prompt).
    expect(await page.call('setAudioMuted', true)).toEqual({ ok: true });
    await until(() => side.agent.remoteMediaState?.audioMuted === true, 'muted at the agent');
    expect(await page.call('setVideoEnabled', false)).toEqual({ ok: true });
    await until(
      () => side.agent.remoteMediaState?.videoEnabled === false,
      'camera off at the agent',
    );
    const before = (await side.inbound()).video.frames;
    expect(await page.call('setVideoEnabled', true)).toEqual({ ok: true });
    await until(
      async () => (await side.inbound()).video.frames > before + 10,
      'video at the agent again after the camera came back',
    );

    expect(await page.call('hangup')).toEqual({ ok: true });
    expect((await page.waitForEvent('ended')).data).toMatchObject({ reason: 'normal' });
    expect(await side.waitEnded()).toMatchObject({ reason: 'normal', by: 'remote' });
    expect((await page.snapshot()).tracks.everGranted.total).toBe(0);

    const snapshot = await page.snapshot();
    expect(snapshot.violations).toEqual([]);
    expect(snapshot.errors).toEqual([]);
    expect(page.consoleErrors).toEqual([]);
    expect(page.pageErrors).toEqual([]);
    expect(snapshot.events.filter((e) => e.type === 'warning')).toEqual([]);

    // The policy is in force, and a violation would have been seen.
    expect(await page.call('probeTrustedTypes')).toEqual({
      supported: true,
      sinkRefused: true,
      policyRefused: true,
    });
    await page.waitFor(
      async () => (await page.snapshot()).violations.length >= 2,
      'the probe violations',
    );
    expect((await page.snapshot()).violations.join('\n')).toMatch(/trusted-types|require-trusted/);
  });
});
