// Runs every benchmark, prints one table and writes bench/results.json.
// `npm run bench` (at the root) builds the SDK first, then runs this.
//
//   node bench/run.mjs [--verbose] [--only size,connect-node,...]
//
// Each benchmark runs in its own Node process (wrtc processes must end with
// process.exit(), and one benchmark's native threads must not disturb
// another's timings); they run one after the other, never in parallel.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { table } from './lib/stats.mjs';
import { BUDGETS, CORE_TARGET } from './budgets.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const verbose = process.argv.includes('--verbose');
const onlyArg = process.argv.indexOf('--only');
const only = onlyArg > 0 ? process.argv[onlyArg + 1].split(',') : null;

const BENCHMARKS = [
  { name: 'size', file: 'size.mjs', about: 'bundle sizes', limitS: 120 },
  {
    name: 'connect-node',
    file: 'connect-node.mjs',
    about: 'connect time in Node, ~15 s',
    limitS: 240,
  },
  { name: 'switch', file: 'switch.mjs', about: 'camera switch, ~20 s', limitS: 180 },
  { name: 'soak', file: 'soak.mjs', about: '500 SDK calls, ~1 min', limitS: 420 },
  {
    name: 'soak-bare',
    file: 'soak.mjs',
    args: ['--bare'],
    about: 'control: 500 bare pairs, ~1 min',
    limitS: 420,
  },
  {
    name: 'connect-browser',
    file: 'connect-browser.mjs',
    about: 'connect time in Chromium, ~1 min',
    limitS: 300,
  },
  {
    name: 'demo-invite',
    file: 'demo-invite.mjs',
    about: 'demo: Video call clicked → consumer dialog in Chromium, ~30 s',
    limitS: 180,
  },
  {
    name: 'ui-invite',
    file: 'ui-invite.mjs',
    about: 'default UI: invitation on screen in Chromium, ~10 s',
    limitS: 120,
  },
  {
    name: 'resume',
    file: 'resume.mjs',
    about: 'resume after a link click in Chromium, ~1 min',
    limitS: 240,
  },
  {
    name: 'share',
    file: 'share.mjs',
    about: 'screen share in Chromium: startScreenShare → first screen frame, ~30 s',
    limitS: 180,
  },
  {
    name: 'relay',
    file: 'relay-load.mjs',
    about: 'relay: 1,000 conversations, one instance and two on Redis, ~2 min',
    limitS: 600,
  },
  {
    name: 'load-browser',
    file: 'load-browser.mjs',
    about: 'UMD load cost in Chromium, ~1 min',
    limitS: 240,
  },
];

// ---- preconditions -----------------------------------------------------------------

for (const file of [
  'messaging-calls.mjs',
  'agent.mjs',
  'testing.mjs',
  'messaging-calls.umd.min.js',
]) {
  if (!existsSync(join(root, 'dist', file))) {
    console.error(
      `bench: dist/${file} is missing: run \`npm run build\` (npm run bench does) first`,
    );
    process.exit(2);
  }
}

const benchPackage = JSON.parse(readFileSync(join(here, 'package.json'), 'utf8'));
const missing = Object.keys(benchPackage.devDependencies).filter(
  (name) => !existsSync(join(here, 'node_modules', name, 'package.json')),
);
if (missing.length) {
  console.log(`bench: installing the bench's dependencies (missing: ${missing.join(', ')})`);
  execFileSync('npm', ['install', '--prefix', 'bench', '--no-audit', '--no-fund'], {
    cwd: root,
    stdio: 'inherit',
  });
}

function chromiumVersion() {
  try {
    return execFileSync(process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', ['--version'], {
      encoding: 'utf8',
      timeout: 20_000,
      // Debian's wrapper script complains on stderr about its memory check.
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  } catch {
    return 'unknown';
  }
}

// ---- running -------------------------------------------------------------------------

const work = mkdtempSync(join(tmpdir(), 'messaging-calls-bench-'));
const results = {};
const problems = [];

function runOne({ name, file, args = [], limitS }) {
  return new Promise((resolve) => {
    const out = join(work, `${name}.json`);
    const child = spawn(process.execPath, [join(here, file), ...args, '--json', out], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const collect = (chunk) => {
      output += chunk;
      if (verbose) process.stdout.write(chunk);
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    const timer = setTimeout(() => {
      problems.push(`${name}: killed after ${limitS} s`);
      child.kill('SIGKILL');
    }, limitS * 1000);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (existsSync(out)) Object.assign(results, JSON.parse(readFileSync(out, 'utf8')));
      else {
        problems.push(`${name}: no results (exit ${code ?? signal})`);
        if (!verbose) process.stdout.write(output.replace(/^/gm, '    | '));
      }
      resolve(code ?? signal);
    });
  });
}

const date = new Date().toISOString();
const loadBefore = loadavg();
const startedAt = performance.now();
for (const benchmark of BENCHMARKS) {
  if (only && !only.includes(benchmark.name)) continue;
  const t = performance.now();
  process.stdout.write(`▸ ${benchmark.name} (${benchmark.about}) … `);
  if (verbose) process.stdout.write('\n');
  const code = await runOne(benchmark);
  console.log(
    `${code === 0 ? 'done' : `exit ${code}`} in ${((performance.now() - t) / 1000).toFixed(0)} s`,
  );
}
const loadAfter = loadavg();
rmSync(work, { recursive: true, force: true });

// ---- one table -----------------------------------------------------------------------

const fmtB = (n) => `${n.toLocaleString('en-US')} B`;
const fmtMs = (n) => (Number.isFinite(n) ? `${n.toFixed(1)} ms` : 'n/a');
const noise = (s) => (s && Number.isFinite(s.noise) ? `${s.noise.toFixed(2)}×` : '');
const rows = [];
const verdicts = [];

if (results.size) {
  const budgetOf = new Map(BUDGETS.map((b) => [b.file, b]));
  for (const r of results.size) {
    let note = r.error ? `error: ${r.error.slice(0, 40)}` : `${r.ratioToCore.toFixed(2)}× core`;
    // Rows measured from a file as is carry its budget; composed rows (code) do not.
    const budget = r.composed ? undefined : budgetOf.get(r.what);
    if (budget && !r.error) {
      const over = r.gzip - budget.max;
      note =
        over > 0
          ? `budget ${fmtB(budget.max)}: OVER by ${fmtB(over)}`
          : `budget ${fmtB(budget.max)}: ok (${fmtB(-over)} spare)`;
      verdicts.push(
        `size budget, ${budget.label} ≤ ${fmtB(budget.max)}: ${over > 0 ? `FAIL (${fmtB(r.gzip)})` : `PASS (${fmtB(r.gzip)})`}`,
      );
      if (budget.file === CORE_TARGET.file) {
        const gap = r.gzip - CORE_TARGET.max;
        verdicts.push(
          `size target, core ≤ ${fmtB(CORE_TARGET.max)}: ${gap > 0 ? `not met (over by ${fmtB(gap)})` : 'met'}`,
        );
      }
    }
    rows.push([`size  ${r.name}`, r.error ? '' : `${fmtB(r.gzip)} min+gzip`, '', note]);
  }
}

const cn = results.connectNode;
if (cn) {
  const v = cn.variants;
  rows.push([
    `connect Node  a bare RTCPeerConnection pair`,
    fmtMs(v.a.total.median),
    noise(v.a.total),
    `p90 ${fmtMs(v.a.total.p90)}`,
  ]);
  rows.push([
    `connect Node  b simple-peer`,
    fmtMs(v.b.total.median),
    noise(v.b.total),
    `b/a = ${cn.ratios['b/a'].toFixed(2)}`,
  ]);
  rows.push([
    `connect Node  c SDK accept() → connected`,
    fmtMs(v.c.total.median),
    noise(v.c.total),
    `c/a = ${cn.ratios['c/a'].toFixed(2)} (≤ 1.25: ${cn.budget.verdict})`,
  ]);
  verdicts.push(
    `connect time in Node, c/a ≤ 1.25: ${cn.budget.verdict} (c/a = ${cn.ratios['c/a'].toFixed(2)})`,
  );
}

const cb = results.connectBrowser;
if (cb) {
  rows.push([
    `connect Chromium  bare page`,
    fmtMs(cb.bare.total.median),
    noise(cb.bare.total),
    `p90 ${fmtMs(cb.bare.total.p90)}`,
  ]);
  rows.push([
    `connect Chromium  SDK page (UMD)`,
    fmtMs(cb.sdk.total.median),
    noise(cb.sdk.total),
    `SDK/bare = ${cb.ratio.toFixed(2)} (after gUM ${cb.ratioAfterMedia.toFixed(2)})`,
  ]);
}

const sw = results.switch;
if (sw) {
  rows.push([
    'camera switch → first back frame at agent',
    fmtMs(sw.toFirstBackFrame.median),
    noise(sw.toFirstBackFrame),
    `p90 ${fmtMs(sw.toFirstBackFrame.p90)}; camera's own first frame ${fmtMs(sw.toCameraFirstFrame.median)}`,
  ]);
  rows.push([
    'camera switch: consumer messages',
    `${sw.messages.asExpected}/${sw.messages.runs} runs`,
    '',
    `exactly 1 media-state, no sdp; totals ${JSON.stringify(sw.messages.totals)}`,
  ]);
}

const so = results.soak;
const control = results.soakBare;
if (so) {
  const mb = (b) => `${(b / 2 ** 20).toFixed(1)} MB`;
  const series = (key) => so.checkpoints.map((c) => `${c.calls}: ${mb(c[key])}`).join(', ');
  const perCall = (growth, key) =>
    `${growth[key] >= 0 ? '+' : ''}${growth[key].toLocaleString('en-US')} B/call`;
  rows.push([
    `soak ${so.calls} SDK calls: heap used`,
    mb(so.checkpoints.at(-1).heapUsed),
    '',
    `after GC; ${series('heapUsed')}; ${perCall(so.growth, 'heapBytesPerCall')}`,
  ]);
  rows.push([
    `soak ${so.calls} SDK calls: RSS`,
    mb(so.checkpoints.at(-1).rss),
    '',
    `${series('rss')}; ${perCall(so.growth, 'rssBytesPerCall')}`,
  ]);
  if (control) {
    rows.push([
      `soak control, ${control.calls} bare pairs: RSS`,
      mb(control.checkpoints.at(-1).rss),
      '',
      `${perCall(control.growth, 'rssBytesPerCall')} (heap ${perCall(control.growth, 'heapBytesPerCall')}): wrtc's own growth`,
    ]);
  }
  rows.push([
    `soak: leaks after each call`,
    `${so.leakedTracks + so.leakedPeerConnections + so.timers.callsWithGrowth === 0 ? 'none' : 'SEE NOTE'}`,
    '',
    `tracks ${so.leakedTracks}, open pcs ${so.leakedPeerConnections}, timers ${so.timers.before}→max ${so.timers.max}, failed calls ${so.failed}; pcs GC'd ${so.peerConnections.collected}/${so.peerConnections.made}`,
  ]);
}

const di = results.demoInvite;
if (di) {
  rows.push([
    'demo: Video call clicked → dialog on screen',
    fmtMs(di.onScreen.median),
    noise(di.onScreen),
    `p90 ${fmtMs(di.onScreen.p90)}; ${di.runs} runs`,
  ]);
  verdicts.push(
    `demo click → dialog ≤ 300 ms: ${di.onScreen.median <= 300 ? 'PASS' : 'FAIL'} (median ${fmtMs(di.onScreen.median)})`,
  );
}

const ui = results.uiInvite;
if (ui) {
  rows.push([
    'UI: invitation event → dialog on screen',
    fmtMs(ui.onScreen.median),
    noise(ui.onScreen),
    `p90 ${fmtMs(ui.onScreen.p90)}; laid out in the event's task in ${ui.visibleAtOnce} runs`,
  ]);
  verdicts.push(
    `UI invitation on screen ≤ 50 ms: ${ui.onScreen.median <= 50 ? 'PASS' : 'FAIL'} (median ${fmtMs(ui.onScreen.median)})`,
  );
}

const rs = results.resume;
if (rs) {
  rows.push([
    "resume: next page's SDK start → connected",
    fmtMs(rs.sdkStartToConnected.median),
    noise(rs.sdkStartToConnected),
    `p90 ${fmtMs(rs.sdkStartToConnected.p90)}`,
  ]);
  rows.push([
    'resume: link click → media flowing again',
    fmtMs(rs.clickToFlowing.median),
    noise(rs.clickToFlowing),
    `bare navigation ${fmtMs(rs.bareNavigation.median)}`,
  ]);
  verdicts.push(
    `resume: SDK start → connected < 1.5 s: ${rs.sdkStartToConnected.median < 1500 ? 'PASS' : 'FAIL'} (median ${fmtMs(rs.sdkStartToConnected.median)})`,
  );
  verdicts.push(
    `resume: click → media flowing < 2.5 s: ${rs.clickToFlowing.median < 2500 ? 'PASS' : 'FAIL'} (median ${fmtMs(rs.clickToFlowing.median)})`,
  );
}

const sh = results.share;
if (sh) {
  rows.push([
    'screen share → first screen frame at the agent',
    fmtMs(sh.toFirstScreenFrame.median),
    noise(sh.toFirstScreenFrame),
    `p90 ${fmtMs(sh.toFirstScreenFrame.p90)}; getDisplayMedia ${fmtMs(sh.getDisplayMedia.median)}; no new offer ${sh.noNewOffer}/${sh.runs}`,
  ]);
  verdicts.push(
    `screen share → first frame < 1 s: ${sh.toFirstScreenFrame.median < 1000 ? 'PASS' : 'FAIL'} (median ${fmtMs(sh.toFirstScreenFrame.median)})`,
  );
}

const rl = results.relay;
if (rl?.single && rl?.redis) {
  for (const [name, r] of [
    ['one instance', rl.single],
    ['two instances + Redis', rl.redis],
  ]) {
    rows.push([
      `relay (${name}): 1,000 calls' signaling`,
      `p50 ${fmtMs(r.latencyMs.p50)}`,
      `p99 ${fmtMs(r.latencyMs.p99)}`,
      `${r.lost} lost, ${r.reordered} reordered; ${r.memory.rssPerSocketKB} KB RSS per idle socket`,
    ]);
  }
  const ok = rl.single.lost + rl.single.reordered + rl.redis.lost + rl.redis.reordered === 0;
  verdicts.push(`relay: no frame lost or reordered: ${ok ? 'PASS' : 'FAIL'}`);
  const kb = Math.max(rl.single.memory.rssPerSocketKB, rl.redis.memory.rssPerSocketKB);
  verdicts.push(`relay: memory per idle socket < 30 KB: ${kb < 30 ? 'PASS' : 'FAIL'} (${kb} KB)`);
}

const lb = results.loadBrowser;
if (lb) {
  rows.push([
    'load UMD inline (parse+compile+run)',
    fmtMs(lb['inline-umd'].total.median),
    noise(lb['inline-umd'].total),
    `no-op of equal size ${fmtMs(lb['inline-noop'].total.median)}; ${lb.bytesPerMs.toLocaleString('en-US')} B/ms`,
  ]);
  rows.push([
    'load UMD <script src> (fetch+parse+run)',
    fmtMs(lb.umd.total.median),
    noise(lb.umd.total),
    `no-op of equal size ${fmtMs(lb.noop.total.median)}; after fetch ${fmtMs(lb.umd.afterFetch.median)} vs ${fmtMs(lb.noop.afterFetch.median)}`,
  ]);
}

const seconds = (performance.now() - startedAt) / 1000;
const machine = {
  cores: cpus().length,
  cpu: cpus()[0]?.model ?? 'unknown',
  memoryGiB: Math.round(totalmem() / 2 ** 30),
  node: process.version,
  chromium: chromiumVersion(),
  loadAverageBefore: loadBefore.map((x) => Math.round(x * 100) / 100),
  loadAverageAfter: loadAfter.map((x) => Math.round(x * 100) / 100),
};

console.log(
  `\nmessaging-calls benchmarks, ${date.slice(0, 10)}: ${machine.cores} cores, node ${machine.node}, ${machine.chromium}; ${seconds.toFixed(0)} s`,
);
console.log(
  `load average before ${machine.loadAverageBefore[0]}, after ${machine.loadAverageAfter[0]} (others' jobs share these cores: compare ratios within this run, not absolute times across runs)\n`,
);
console.log(table([['measure', 'result', 'p90/median', 'compared'], ...rows]));
console.log('');
for (const line of verdicts) console.log(line);
for (const line of problems) console.log(`problem: ${line}`);

const json = JSON.stringify(
  { date, seconds: Math.round(seconds), machine, results, verdicts, problems },
  null,
  2,
);
let text = json + '\n';
try {
  // The repository's prettier checks every JSON file; write it the way prettier would.
  const prettier = await import('prettier');
  text = await prettier.format(json, { parser: 'json', printWidth: 100 });
} catch {
  // prettier is a root devDependency; without it the plain JSON is fine.
}
if (only) {
  console.log('\n--only: bench/results.json is left as it was');
} else {
  writeFileSync(join(here, 'results.json'), text);
  console.log('\nresults: bench/results.json');
}
