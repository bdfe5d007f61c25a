import { launchBrowser } from './browser';
import type { LaunchOptions, TestBrowser } from './browser';
import { ENGINES, ENGINE_NAMES } from './engines';
import type { Engine } from './engines';
import { startStaticServer } from './server';
import type { StaticServer, StaticServerOptions } from './server';

/**
 * Runs `body` once per selected engine (`BROWSERS`), in a describe block
 * titled "in Chromium" / "in Firefox".
 */
export function describeEngines(body: (engine: Engine) => void): void {
  if (ENGINES.length === 0) {
    // Deselected on purpose (BROWSERS=webkit): said, not silently empty.
    test.skip(`no Chromium or Firefox in BROWSERS=${process.env.BROWSERS}`, () => undefined);
    return;
  }
  const table = ENGINES.map((engine) => [ENGINE_NAMES[engine], engine] as const);
  describe.each(table)('in %s', (_name, engine) => body(engine));
}

/**
 * One browser of `engine` for the enclosing describe block: launched before
 * its first test, closed after its last (one browser process per file and
 * engine). Returns its getter.
 */
export function useBrowser(
  engine: Engine,
  options: Omit<LaunchOptions, 'engine'> = {},
): () => TestBrowser {
  let browser: TestBrowser | undefined;
  beforeAll(async () => {
    browser = await launchBrowser({ engine, ...options });
  });
  afterAll(async () => {
    await browser?.close();
  });
  return () => {
    if (!browser) throw new Error(`${ENGINE_NAMES[engine]} was not launched`);
    return browser;
  };
}

/** One static server for the enclosing block (the file). Returns its getter. */
export function useServer(options: StaticServerOptions = {}): () => StaticServer {
  let server: StaticServer | undefined;
  beforeAll(async () => {
    server = await startStaticServer(options);
  });
  afterAll(async () => {
    await server?.close();
  });
  return () => {
    if (!server) throw new Error('the static server was not started');
    return server;
  };
}
