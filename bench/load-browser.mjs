// Load cost in Chromium: what the UMD bundle's script tag costs a page. A
// generated page records performance.now() in an inline script before and
// after <script src=".../messaging-calls.umd.min.js">; for comparison the same
// page loads a no-op script of equal size (one comment: fetched and scanned,
// nothing to compile or run). The script's Resource Timing entry gives the end
// of its download, so "after fetch" = t1 − max(t0, responseEnd) is roughly
// compile + run (Chromium may already stream-parse it while downloading).
// A second pair of pages takes the network out: they fetch the script's text
// first, then time appending it as an inline <script> (run synchronously on
// insertion): parse + compile + run, nothing else.
// Every run: a fresh browser context and a unique URL or source (nothing
// cached, no code cache); runs alternate, 3 warm-up rounds are thrown away.
//
//   node bench/load-browser.mjs [--runs 20] [--json FILE]
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { launchChromium, startStaticServer } from './lib/browser.mjs';
import { ms, report, rotation, sleep, summarize, table } from './lib/stats.mjs';

const argRuns = process.argv.indexOf('--runs');
const RUNS = argRuns > 0 ? Number(process.argv[argRuns + 1]) : 20;
const WARMUP = 3;

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const UMD = '/dist/messaging-calls.umd.min.js';
const umdBytes = readFileSync(join(root, 'dist', 'messaging-calls.umd.min.js')).length;
// A comment of exactly the UMD's size.
const noop = `/*${'x'.repeat(umdBytes - 4)}*/`;

const page = (src) => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>load</title></head><body>
<script>window.t0 = performance.now();</script>
<script src="${src}"></script>
<script>
  window.t1 = performance.now();
  var entry = performance.getEntriesByType('resource').filter(function (e) { return e.name.indexOf('${src}') >= 0; })[0];
  var end = entry ? entry.responseEnd : 0;
  window.loadResult = {
    total: window.t1 - window.t0,
    afterFetch: window.t1 - Math.max(window.t0, end),
    fetchEndAfterT0: end - window.t0,
    defined: typeof window.MessagingCalls === 'object',
  };
</script>
</body></html>`;

const inlinePage = (src, r) => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>load inline</title></head><body>
<script>
  fetch('${src}').then(function (response) { return response.text(); }).then(function (code) {
    var script = document.createElement('script');
    // A unique tail: V8 never finds this source in its compilation cache.
    script.textContent = code + '\\n//# run ${r}';
    var t0 = performance.now();
    document.head.appendChild(script);
    var t1 = performance.now();
    window.loadResult = { total: t1 - t0, afterFetch: t1 - t0, defined: typeof window.MessagingCalls === 'object' };
  });
</script>
</body></html>`;

const server = await startStaticServer({
  '/load.html': (url) => {
    const which = url.searchParams.get('script');
    const r = url.searchParams.get('r');
    const src = `${which.endsWith('umd') ? UMD : '/noop.js'}?r=${r}`;
    const body = which.startsWith('inline') ? inlinePage(src, r) : page(src);
    return { type: 'text/html; charset=utf-8', body };
  },
  '/noop.js': () => ({ type: 'text/javascript; charset=utf-8', body: noop }),
});
const browser = await launchChromium();

async function run(which, r) {
  const context = await browser.newContext();
  try {
    const tab = await context.newPage();
    await tab.goto(server.url(`/load.html?script=${which}&r=${r}`));
    const result = await (
      await tab.waitForFunction('window.loadResult', undefined, { timeout: 10_000 })
    ).jsonValue();
    if (which.endsWith('umd') && !result.defined)
      throw new Error('the UMD bundle did not define MessagingCalls');
    return result;
  } finally {
    await context.close();
  }
}

const VARIANTS = ['umd', 'noop', 'inline-umd', 'inline-noop'];
const samples = Object.fromEntries(VARIANTS.map((v) => [v, []]));
const failures = [];
const startedAt = performance.now();
try {
  let r = 0;
  for (let round = 0; round < WARMUP + RUNS; round++) {
    for (const which of rotation(VARIANTS, round)) {
      try {
        const result = await run(which, r++);
        if (round >= WARMUP) samples[which].push(result);
      } catch (error) {
        failures.push(`${which}: ${error.message ?? error}`);
      }
      await sleep(20);
    }
  }
} finally {
  await browser.close();
  await server.close();
}
const seconds = (performance.now() - startedAt) / 1000;

const stats = {};
for (const which of VARIANTS) {
  stats[which] = {
    total: summarize(samples[which].map((s) => s.total)),
    afterFetch: summarize(samples[which].map((s) => s.afterFetch)),
  };
}
const extra = {
  total: Math.round((stats.umd.total.median - stats.noop.total.median) * 10) / 10,
  afterFetch: Math.round((stats.umd.afterFetch.median - stats.noop.afterFetch.median) * 10) / 10,
  inline:
    Math.round((stats['inline-umd'].total.median - stats['inline-noop'].total.median) * 10) / 10,
};
const bytesPerMs = Math.round(umdBytes / stats['inline-umd'].total.median);

console.log(
  `Load cost in Chromium: ${umdBytes.toLocaleString('en-US')} B UMD vs a no-op script of equal size (${RUNS} runs each, ${seconds.toFixed(0)} s)\n`,
);
console.log(
  table([
    ['script', 'median', 'p90', 'p90/median', 'after fetch: median', 'p90'],
    ...[
      ['<script src> UMD (fetch + parse + run)', 'umd'],
      ['<script src> no-op of equal size', 'noop'],
      ['inline UMD (parse + compile + run)', 'inline-umd'],
      ['inline no-op of equal size', 'inline-noop'],
    ].map(([label, key]) => [
      label,
      ms(stats[key].total.median),
      ms(stats[key].total.p90),
      `${stats[key].total.noise.toFixed(2)}×`,
      ms(stats[key].afterFetch.median),
      ms(stats[key].afterFetch.p90),
    ]),
  ]),
);
console.log(
  `\nUMD − no-op (medians): script tag ${ms(extra.total)} (${ms(extra.afterFetch)} after the download); inline ${ms(extra.inline)}; inline UMD ${bytesPerMs.toLocaleString('en-US')} bytes/ms`,
);
for (const line of failures.slice(0, 5)) console.log(`failure: ${line}`);

report({
  loadBrowser: {
    runs: RUNS,
    warmup: WARMUP,
    seconds: Math.round(seconds),
    bytes: umdBytes,
    ...stats,
    extra,
    bytesPerMs,
    failures,
  },
});
process.exit(0);
