// The loader in each browser: a page carrying only the loader (under 2 KB
// gzip) fetches the SDK when the first invitation arrives, and the call
// connects.
import wrtc from 'wrtc';
import { WebSocket } from 'ws';
import { AgentCall } from '../../src/agent/AgentCall';
import { WebSocketTransport } from '../../src/transport/websocket';
import type { WebSocketConstructor } from '../../src/transport/websocket';
import { createNodePlatform } from '../../src/testing';
import { testIn } from './support/engines';
import { describeEngines, useBrowser, useServer } from './support/suite';
import { startRelay } from '../support/relay';
import { until } from '../support/wait';

jest.setTimeout(30_000);

const server = useServer();

describeEngines((engine) => {
  const browser = useBrowser(engine);
  const callTest = testIn(engine, { bug: 'firefoxEndOfCandidates' });

  callTest(
    'the SDK is fetched only when an invitation arrives, and the call connects',
    async () => {
      const relay = await startRelay();
      const platform = createNodePlatform(wrtc);
      const page = await browser().newPage();
      const transport = new WebSocketTransport(relay.url, {
        WebSocket: WebSocket as unknown as WebSocketConstructor,
      });
      const agent = new AgentCall({ transport, platform, media: 'video' });
      const inPage = <T>(expression: string) => page.evaluate(expression) as Promise<T>;
      try {
        await page.goto(server().url('/pages/loader.html'));
        await inPage(`window.loaderPage.start(${JSON.stringify(relay.url)})`);
        await until(() => relay.clients() === 2, 'the page and the agent on the relay');
        expect(await inPage('window.loaderPage.sdkLoaded()')).toBe(false);
        expect(await inPage('window.loaderPage.fetched()')).not.toContain(
          '/dist/messaging-calls.umd.min.js',
        );

        agent.invite();
        // Both sides connected (each sees it at its own moment), or failed
        // at once with the page's reason.
        await until(
          async () =>
            (agent.state === 'connected' &&
              (await inPage<string[]>('window.loaderPage.states')).includes('connected')) ||
            (await inPage<unknown[]>('window.loaderPage.ended')).length > 0,
          `both sides connected (the agent is ${agent.state})`,
          15_000,
        );
        const ended = await inPage<unknown[]>('window.loaderPage.ended');
        if (ended.length > 0) {
          throw new Error(`the call ended instead of connecting: ${JSON.stringify(ended)}`);
        }
        expect(await inPage('window.loaderPage.sdkLoaded()')).toBe(true);
        expect(await inPage('window.loaderPage.fetched()')).toContain(
          '/dist/messaging-calls.umd.min.js',
        );
        expect(await inPage('window.loaderPage.states')).toEqual(
          expect.arrayContaining([
            'invited',
            'accepted',
            'media-permission',
            'connecting',
            'connected',
          ]),
        );
        expect(await inPage('window.loaderPage.errors')).toEqual([]);
        expect(page.pageErrors).toEqual([]);
      } finally {
        agent.destroy();
        transport.close();
        platform.mediaDevices.stopAll();
        await page.close();
        await relay.close();
      }
    },
  );
});
