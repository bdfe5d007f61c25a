// The default UI's invitation in Chromium: from the client's `invitation`
// event to the dialog on screen (laid out, visible, and two animation frames
// later, so the frame holding it was produced). The agent is the other end
// of an in-memory transport in the page: nothing but the SDK and the UI run.
// Every run a fresh invitation in the same page, declined after measuring;
// 3 warm-up runs are thrown away.
//
//   node bench/ui-invite.mjs [--runs 30] [--json FILE]
import { launchChromium, startStaticServer } from './lib/browser.mjs';
import { ms, report, summarize, table } from './lib/stats.mjs';

const argRuns = process.argv.indexOf('--runs');
const RUNS = argRuns > 0 ? Number(process.argv[argRuns + 1]) : 30;
const WARMUP = 3;

const page = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>ui invite</title></head><body>
<h1>A page</h1>
<script src="/dist/messaging-calls.umd.min.js"></script>
<script>
  var M = window.MessagingCalls;
  var pair = M.createMemoryTransportPair();
  var client = new M.CallClient({ transport: pair[0], requireTopFrame: false, browsers: 'any' });
  var t0 = 0;
  // Registered before the UI: the clock starts when the event is emitted.
  client.on('invitation', function () { t0 = performance.now(); });
  var ui = M.mountCallUI(client);
  var dialog = ui.element.shadowRoot.querySelector('[part=invitation]');
  var n = 0;
  var done = null;
  // Registered after the UI: the dialog must be there when this runs.
  client.on('invitation', function () {
    var visible = !dialog.hidden && dialog.getBoundingClientRect().height > 0;
    requestAnimationFrame(function () {
      requestAnimationFrame(function () {
        var t1 = performance.now();
        client.reject();
        done({ ms: t1 - t0, visible: visible });
      });
    });
  });
  window.invite = function () {
    return new Promise(function (resolve) {
      done = resolve;
      n++;
      pair[1].send({ v: 1, id: 'i' + n, callId: 'c' + n, from: 'agent', type: 'invite', media: 'video', agent: { name: 'Alex' } });
    });
  };
</script>
</body></html>`;

const server = await startStaticServer({
  '/ui.html': () => ({ type: 'text/html; charset=utf-8', body: page }),
});
const browser = await launchChromium();
const samples = [];
let hidden = 0;
try {
  const context = await browser.newContext();
  const tab = await context.newPage();
  await tab.goto(server.url('/ui.html'));
  for (let i = 0; i < WARMUP + RUNS; i++) {
    const result = await tab.evaluate('window.invite()');
    if (!result.visible) hidden++;
    if (i >= WARMUP) samples.push(result.ms);
  }
} finally {
  await browser.close();
  await server.close();
}
const stats = summarize(samples);
console.log(`Invitation on screen in Chromium (${RUNS} runs)\n`);
console.log(
  table([
    ['from the invitation event', 'median', 'p90', 'p90/median'],
    ['to the dialog on screen', ms(stats.median), ms(stats.p90), String(stats.noise)],
  ]),
);
console.log(
  `\nthe dialog was laid out and visible in the event's own task: ${RUNS + WARMUP - hidden} of ${RUNS + WARMUP} runs`,
);
report({ uiInvite: { runs: RUNS, onScreen: stats, visibleAtOnce: RUNS + WARMUP - hidden } });
