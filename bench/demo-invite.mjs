// The demo in Chromium: from the agent's click on "Video call" in the
// console to the consumer's invitation dialog on screen on the website
// (laid out and visible). Both pages in one browser, timed on one clock
// through the page's performance.timeOrigin; every run is a fresh pair of
// pages (the console cancels the call by End call afterwards). 2 warm-up
// runs are thrown away.
//
//   node bench/demo-invite.mjs [--runs 10] [--json FILE]
/* global window, document, requestAnimationFrame */ // in the pages
import { launchChromium } from './lib/browser.mjs';
import { ms, report, summarize, table } from './lib/stats.mjs';
import { startDemoServer } from '../examples/demo/server.mjs';

const argRuns = process.argv.indexOf('--runs');
const RUNS = argRuns > 0 ? Number(process.argv[argRuns + 1]) : 10;
const WARMUP = 2;

const demo = await startDemoServer({ port: 0 });
const browser = await launchChromium();
const samples = [];
const failures = [];
try {
  for (let i = 0; i < WARMUP + RUNS; i++) {
    const siteContext = await browser.newContext();
    const agentContext = await browser.newContext();
    try {
      const site = await siteContext.newPage();
      const agent = await agentContext.newPage();
      await site.goto(demo.urls.site);
      await agent.goto(demo.urls.agent);
      // Watch for the dialog from the site's side: the frame it is first visible in.
      await site.evaluate(() => {
        window.__shownAt = 0;
        const check = () => {
          const host = document.querySelector('messaging-call-ui');
          const dialog = host?.shadowRoot?.querySelector('[part=invitation]');
          if (dialog && !dialog.hidden && dialog.getBoundingClientRect().height > 0) {
            window.__shownAt = performance.timeOrigin + performance.now();
            return;
          }
          requestAnimationFrame(check);
        };
        requestAnimationFrame(check);
      });
      const button = agent.getByRole('button', { name: 'Video call' }).first();
      await button.waitFor({ timeout: 10_000 });
      await agent.evaluate(() => {
        const b = [...document.querySelectorAll('button')].find(
          (x) => x.textContent === 'Video call',
        );
        b.addEventListener(
          'click',
          () => (window.__clickAt = performance.timeOrigin + performance.now()),
          {
            capture: true,
            once: true,
          },
        );
      });
      await button.click();
      const shownAt = await (
        await site.waitForFunction(() => window.__shownAt || null, undefined, { timeout: 10_000 })
      ).jsonValue();
      const clickAt = await agent.evaluate(() => window.__clickAt);
      if (i >= WARMUP) samples.push(shownAt - clickAt);
      await agent.getByRole('button', { name: 'End call' }).click();
    } catch (error) {
      failures.push(String(error?.message ?? error));
    } finally {
      await siteContext.close();
      await agentContext.close();
    }
  }
} finally {
  await browser.close();
  await demo.close();
}
const stats = summarize(samples);
console.log(
  `Demo in Chromium: Video call clicked → the consumer's dialog on screen (${samples.length} runs)\n`,
);
console.log(
  table([
    ['', 'median', 'p90', 'p90/median'],
    ['click → dialog on screen', ms(stats.median), ms(stats.p90), String(stats.noise)],
  ]),
);
if (failures.length) console.log(`\nfailures: ${failures.join('; ')}`);
report({ demoInvite: { runs: samples.length, onScreen: stats, failures } });
