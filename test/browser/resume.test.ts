// Resume after a page navigation (protocol 1.1) in each browser, against
// the Node agent over the WebSocket relay: pages/resume.html and
// pages/resume-2.html load the UMD bundle and create a CallClient as their
// script runs (a WebSocketTransport to the relay named in the query), accept
// every invitation at once and play the agent in a <video>; each links to
// the other, keeping the query.
//
// - A connected video call, muted, then the link is clicked (a trusted
//   click): the next page is `resuming` right after its constructor (with
//   the call's callId), then `connected` with media both ways (inbound video
//   frames growing on the page, from getStats, and at the agent), the same
//   callId, still muted, no invitation, the agent never ended and holding
//   the new page's instance; the old page's `suspend` reached the agent; the
//   page's DTLS fingerprint is the same (its certificate kept in IndexedDB).
// - The same with a reload of the same URL.
// - Two tabs on one conversation when an invitation arrives: one accepts,
//   the other ends `answered-elsewhere` within a moment and never asked for
//   a camera or microphone, never made a peer connection.
//
// Every wait is bounded (PageDriver.waitFor, until).
import { testIn } from './support/engines';
import { PageDriver } from './support/browser';
import { describeEngines, useBrowser, useServer } from './support/suite';
import { relayClients, startAgent, startRelay } from './support/agent';
import type { AgentSide, Inbound, Relay } from './support/agent';
import { until } from '../support/wait';

jest.setTimeout(60_000);

const server = useServer();

interface Initial {
  state: string;
  callInfo: { callId: string; local?: { audioMuted: boolean; videoEnabled: boolean } } | null;
  instanceId: string;
  t: number;
}

interface PageMedia {
  local: { audioMuted: boolean; videoEnabled: boolean } | null;
  remote: { audioMuted: boolean; videoEnabled: boolean } | null;
  audioTrackEnabled: boolean | null;
}

interface WhoAmI {
  path: string;
  loadId: string;
}

/** `harness[name]()` on a page that may be navigating: null instead of an error, bounded. */
async function tryCall<T>(page: PageDriver, name: string): Promise<T | null> {
  try {
    return await Promise.race([
      page.call<T>(name),
      new Promise<null>((resolve) => setTimeout(() => resolve(null), 2_000)),
    ]);
  } catch {
    return null;
  }
}

/** Waits until the page is a new load (another loadId) of `path` with its harness ready. */
async function nextLoad(page: PageDriver, before: WhoAmI, path: string): Promise<WhoAmI> {
  return until(
    async () => {
      const who = await tryCall<WhoAmI>(page, 'whoami');
      return who && who.loadId !== before.loadId && who.path === path ? who : null;
    },
    `a new load of ${path}`,
    15_000,
  ) as Promise<WhoAmI>;
}

/** Waits until the page has decoded `by` more video frames (and received more bytes) from now. */
async function pageFramesGrow(page: PageDriver, what: string, by = 10): Promise<void> {
  const start = await page.call<Inbound>('inbound');
  await page.waitFor(async () => {
    const now = await page.call<Inbound>('inbound');
    return (
      now.video.frames > start.video.frames + by &&
      now.video.bytes > start.video.bytes &&
      now.audio.bytes > start.audio.bytes
    );
  }, `${what} (video frames and audio bytes growing in the page)`);
}

/** Waits until the agent has decoded `by` more video frames (and received audio) from now. */
async function agentFramesGrow(side: AgentSide, what: string, by = 10): Promise<void> {
  const start = await side.inbound();
  await until(
    async () => {
      const now = await side.inbound();
      return (
        now.video.frames > start.video.frames + by &&
        now.video.bytes > start.video.bytes &&
        now.audio.bytes > start.audio.bytes
      );
    },
    `${what} (video frames and audio bytes growing at the agent)`,
    15_000,
  );
}

describeEngines((engine) => {
  const browser = useBrowser(engine);
  const callTest = testIn(engine, { bug: 'firefoxEndOfCandidates' });
  let relay: Relay | undefined;
  let side: AgentSide | undefined;
  const pages: PageDriver[] = [];

  afterEach(async () => {
    side?.cleanup();
    side = undefined;
    for (const page of pages.splice(0)) await page.close();
    await relay?.close();
    relay = undefined;
  });

  function urlOf(path: string, autoAccept = true): string {
    if (!relay) throw new Error('no relay');
    const query = `?relay=${encodeURIComponent(relay.url)}${autoAccept ? '' : '&auto=0'}`;
    return server().url(`${path}${query}`);
  }

  async function openPage(path: string, autoAccept = true): Promise<PageDriver> {
    const page = await PageDriver.open(browser(), urlOf(path, autoAccept));
    pages.push(page);
    return page;
  }

  /** Waits for `count` connections at the relay; a failure says what the pages saw. */
  async function atRelay(count: number): Promise<void> {
    try {
      await relayClients(relay as Relay, count);
    } catch (error) {
      const accounts = await Promise.all(pages.map((p) => p.describe()));
      throw new Error(`${String(error)}; the pages:\n${accounts.join('\n')}`, { cause: error });
    }
  }

  /** resume.html with a connected video call from a new agent. */
  async function connectedCall(): Promise<{ page: PageDriver; side: AgentSide; callId: string }> {
    relay = await startRelay();
    const page = await openPage('/pages/resume.html');
    await atRelay(1);
    side = await startAgent(relay);
    const agentSide = side;
    agentSide.agent.invite();
    await page.waitForState('connected');
    await until(() => agentSide.agent.state === 'connected', 'the agent connected');
    return { page, side: agentSide, callId: agentSide.agent.callId };
  }

  /**
   * What every resumed page must show: `resuming` with the call at once, then
   * connected with media both ways, the same call, still muted, no
   * invitation, the agent never ended and holding this page's instance.
   */
  async function expectResumed(
    page: PageDriver,
    agentSide: AgentSide,
    callId: string,
    oldInstance: string,
    fingerprint: string | null,
  ): Promise<void> {
    const initial = await page.call<Initial | null>('initial');
    expect(initial).not.toBeNull();
    expect(initial?.state).toBe('resuming');
    expect(initial?.callInfo?.callId).toBe(callId);
    expect(initial?.instanceId).not.toBe(oldInstance);
    await page.waitForState('connected');
    await until(
      () => agentSide.agent.state === 'connected',
      `the agent connected (now ${agentSide.agent.state})`,
    );
    await pageFramesGrow(page, 'the agent on the new page');
    await agentFramesGrow(agentSide, "the new page's camera and microphone at the agent");

    expect((await page.call<Initial['callInfo']>('callInfo'))?.callId).toBe(callId);
    expect(await page.events('invitation')).toEqual([]);
    expect(await page.events('ended')).toEqual([]);
    expect((await page.waitForEvent('resumed')).data).toMatchObject({ callId });
    const instance = await page.call<string>('instanceId');
    expect(agentSide.agent.holder).toBe(instance);
    expect(agentSide.ended).toBeNull();
    expect(agentSide.count('resume')).toBe(1);
    expect(agentSide.count('accept')).toBe(1);

    // Still muted: the page's own state, its microphone track, and what the agent was told.
    const media = await page.call<PageMedia>('mediaState');
    expect(media.local).toMatchObject({ audioMuted: true, videoEnabled: true });
    expect(media.audioTrackEnabled).toBe(false);
    await until(
      () => agentSide.agent.remoteMediaState?.audioMuted === true,
      'the agent to see the consumer muted',
    );
    const { errors } = await page.snapshot();
    expect(errors).toEqual([]);
    expect(page.pageErrors).toEqual([]);
    // The page's certificate was kept: the same DTLS fingerprint on the new connection.
    if (fingerprint !== null)
      expect(await page.call<string | null>('fingerprint')).toBe(fingerprint);
  }

  /** Mutes the connected call and records what the next page must find again. */
  async function muteAndNote(page: PageDriver, agentSide: AgentSide) {
    await pageFramesGrow(page, 'the agent on the first page');
    await agentFramesGrow(agentSide, "the first page's camera at the agent");
    expect(await page.call('setAudioMuted', true)).toEqual({ ok: true });
    await until(
      () => agentSide.agent.remoteMediaState?.audioMuted === true,
      'the agent to see the consumer muted',
    );
    return {
      who: await page.call<WhoAmI>('whoami'),
      instance: await page.call<string>('instanceId'),
      fingerprint: await page.call<string | null>('fingerprint'),
    };
  }

  describe('resume', () => {
    callTest(
      'a link clicked mid-call: the next page resumes at once, media both ways, still muted',
      async () => {
        const { page, side: agentSide, callId } = await connectedCall();
        const before = await muteAndNote(page, agentSide);
        expect(before.fingerprint).toMatch(/^\S+ [0-9A-F:]+$/i);
        const centre = await page.call<{ x: number; y: number }>('linkCentre');
        await page.click(centre.x, centre.y);
        await nextLoad(page, before.who, '/pages/resume-2.html');
        await expectResumed(page, agentSide, callId, before.instance, before.fingerprint);
        // The page that was left said so (pagehide), so the agent waited rather than lost it.
        // Firefox has already closed the page's WebSockets when `pagehide` fires (readyState
        // 3 there, 1 at `beforeunload`; Chromium: 1 at both), so a `suspend` sent at pagehide
        // cannot leave over a WebSocket, and the agent takes the gap for a network cut and
        // takes the resume within its reconnect window (asserted above all the same).
        if (engine === 'chromium') expect(agentSide.count('suspend')).toBe(1);
        else expect(agentSide.count('suspend')).toBeLessThanOrEqual(1);
        const stamps = await page.call<{ click: number | null }>('stamps');
        expect(stamps.click).not.toBeNull();

        // And back again, by the other page's link.
        const second = await page.call<WhoAmI>('whoami');
        const instance2 = await page.call<string>('instanceId');
        const centre2 = await page.call<{ x: number; y: number }>('linkCentre');
        await page.click(centre2.x, centre2.y);
        await nextLoad(page, second, '/pages/resume.html');
        const initial = await page.call<Initial | null>('initial');
        expect(initial?.state).toBe('resuming');
        expect(initial?.instanceId).not.toBe(instance2);
        await page.waitForState('connected');
        await pageFramesGrow(page, 'the agent on the third page');
        expect(agentSide.agent.holder).toBe(await page.call<string>('instanceId'));
        expect(agentSide.ended).toBeNull();
        expect(agentSide.count('resume')).toBe(2);

        // The end, from the page: the agent ends normally, nothing left open.
        expect(await page.call('hangup')).toEqual({ ok: true });
        expect((await page.waitForEvent('ended')).data).toMatchObject({
          callId,
          reason: 'normal',
          by: 'local',
        });
        expect(await agentSide.waitEnded()).toMatchObject({ reason: 'normal', by: 'remote' });
        expect(await page.call('liveTracks')).toMatchObject({ total: 0 });
        expect(await page.call('peers')).toMatchObject({ open: 0 });
      },
    );

    callTest('a reload mid-call: the same page resumes the call', async () => {
      const { page, side: agentSide, callId } = await connectedCall();
      const before = await muteAndNote(page, agentSide);
      expect(await page.call('reloadSoon')).toBe(true);
      await nextLoad(page, before.who, '/pages/resume.html');
      await expectResumed(page, agentSide, callId, before.instance, before.fingerprint);
    });
  });

  describe('two tabs', () => {
    callTest(
      'one tab accepts: the other stops ringing at once (answered-elsewhere) and never had media',
      async () => {
        relay = await startRelay();
        const first = await openPage('/pages/resume.html', false);
        const second = await openPage('/pages/resume.html', false);
        await atRelay(2);
        side = await startAgent(relay);
        const agentSide = side;
        agentSide.agent.invite();
        const callId = agentSide.agent.callId;
        await first.waitForState('invited');
        await second.waitForState('invited');

        expect(await first.call('accept')).toEqual({ ok: true });
        const acceptedAt = Date.now();
        const ended = await second.waitForEvent('ended', () => true, 3_000);
        const late = Date.now() - acceptedAt;
        expect(ended.data).toMatchObject({ callId, reason: 'answered-elsewhere', by: 'remote' });
        expect(late).toBeLessThan(2_000);
        const states = (await second.events('state')).map((e) => e.data as string);
        expect(states).not.toContain('accepted');
        expect(states).not.toContain('media-permission');
        const { gumCalls } = await second.snapshot();
        expect(gumCalls).toEqual([]);
        expect(await second.call('liveTracks')).toMatchObject({ total: 0 });
        expect(await second.call('peers')).toMatchObject({ made: 0 });

        await first.waitForState('connected');
        await until(() => agentSide.agent.state === 'connected', 'the agent connected');
        expect(agentSide.agent.holder).toBe(await first.call<string>('instanceId'));
        await pageFramesGrow(first, 'the agent in the tab that accepted');
        // The other tab stayed ended through the whole connection.
        expect(await second.call('state')).toBe('ended');
        expect(await second.call('peers')).toMatchObject({ made: 0 });
      },
    );
  });
});
