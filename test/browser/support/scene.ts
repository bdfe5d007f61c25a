import type { AgentCallOptions } from '../../../src/agent/AgentCall';
import { relayClients, startAgent, startRelay } from './agent';
import type { AgentSide, Relay } from './agent';
import { PageDriver } from './browser';
import type { PageEvent, PageOptions, TestBrowser } from './browser';
import type { StaticServer } from './server';

export interface SceneOptions {
  /** The page to open (default `/pages/index.html`). */
  path?: string;
  /** Host name of the page URL (default 127.0.0.1, a secure context). */
  host?: string;
  /** A user agent string and, in Chromium only, client hints for the page. */
  context?: PageOptions;
  /** Drive the SDK page inside this frame (a part of its URL) rather than the top page. */
  frame?: string;
  /** Options of the page's CallClient (see app.js `harness.create`); false: do not create one. */
  client?: Record<string, unknown> | false;
}

/** One test's world: a relay, the SDK page connected to it, and Node agents. */
export interface Scene {
  relay: Relay;
  page: PageDriver;
  agents: AgentSide[];
  /** A new agent on its own relay connection. */
  addAgent(options?: Partial<AgentCallOptions>): Promise<AgentSide>;
  /** Destroys the agents, stops their tracks, closes the page and the relay. */
  cleanup(): Promise<void>;
}

export async function openScene(
  browser: TestBrowser,
  server: StaticServer,
  options: SceneOptions = {},
): Promise<Scene> {
  const relay = await startRelay();
  let page: PageDriver | undefined;
  try {
    page = await PageDriver.open(
      browser,
      server.url(options.path ?? '/pages/index.html', options.host),
      options.context,
    );
    if (options.frame) await page.useFrame(options.frame);
    if (options.client !== false) {
      const created = await page.call<{ ok: boolean }>('create', {
        url: relay.url,
        ...options.client,
      });
      expect(created).toEqual({ ok: true });
      await relayClients(relay, 1);
    }
  } catch (error) {
    await page?.close();
    await relay.close();
    throw error;
  }
  const agents: AgentSide[] = [];
  const scene: Scene = {
    relay,
    page,
    agents,
    async addAgent(agentOptions = {}) {
      const side = await startAgent(relay, agentOptions);
      agents.push(side);
      return side;
    },
    async cleanup() {
      try {
        for (const side of agents) side.cleanup();
        await scene.page.close();
      } finally {
        await relay.close();
      }
    },
  };
  return scene;
}

/**
 * Invites from a new agent, accepts in the page, and waits until both sides
 * are connected. Fails at once, with the page's reason, if the call ends
 * instead.
 */
export async function connectCall(
  scene: Scene,
  agentOptions: Partial<AgentCallOptions> = {},
  acceptOptions: Record<string, unknown> = {},
): Promise<AgentSide> {
  const side = await scene.addAgent(agentOptions);
  side.agent.invite();
  const callId = side.agent.callId;
  // This call's own events: the page may hold those of an earlier call.
  const ofThisCall = (data: PageEvent['data']) => data?.callId === callId;
  await scene.page.waitForEvent('invitation', ofThisCall);
  expect(await scene.page.call('accept', acceptOptions)).toEqual({ ok: true });
  const outcome = await scene.page.waitFor(async () => {
    const { state, events } = await scene.page.snapshot();
    const ended = events.find((e) => e.type === 'ended' && ofThisCall(e.data));
    if (ended) return { ended: ended.data as unknown };
    return state === 'connected' ? { ended: null } : null;
  }, 'page state connected');
  if (outcome.ended) {
    throw new Error(`the call ended instead of connecting: ${JSON.stringify(outcome.ended)}`);
  }
  await scene.page.waitFor(
    async () => side.agent.state === 'connected',
    `the agent connected (now ${side.agent.state})`,
  );
  return side;
}
