// Size: min+gzip bytes of the SDK's entries next to other WebRTC client libraries.
//
// Each entry is bundled by esbuild (bundle, minify, platform browser, format
// esm, NODE_ENV production) with its dependencies, then gzipped at level 9 by
// Node's zlib. The UMD bundle is already minified: it is only gzipped.
//
//   node bench/size.mjs            prints the table
//   node bench/size.mjs --json F   also writes the results to F (bench/run.mjs does)
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync, constants } from 'node:zlib';
import { report, table } from './lib/stats.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');

/** The SDK's own measures. */
export const SDK_ENTRIES = [
  { name: 'messaging-calls (core ESM)', file: 'dist/messaging-calls.mjs', bundle: true },
  { name: 'messaging-calls/agent (ESM)', file: 'dist/agent.mjs', bundle: true },
  { name: 'messaging-calls UMD (min)', file: 'dist/messaging-calls.umd.min.js', bundle: false },
  {
    // The small loader that fetches the full UMD on the first invitation.
    name: 'messaging-calls-loader UMD (min)',
    file: 'dist/messaging-calls-loader.umd.min.js',
    bundle: false,
  },
  { name: 'messaging-calls/transports (ESM)', file: 'dist/transports.mjs', bundle: true },
  { name: 'messaging-calls/quality (ESM)', file: 'dist/quality.mjs', bundle: true },
  { name: 'messaging-calls/diagnostics (ESM)', file: 'dist/diagnostics.mjs', bundle: true },
  { name: 'messaging-calls/ui (ESM, six locales)', file: 'dist/ui.mjs', bundle: true },
  { name: 'messaging-calls/analytics (ESM)', file: 'dist/analytics.mjs', bundle: true },
  {
    // A typical npm app: the core, the WebSocket transport and the quality monitor.
    name: 'app: CallClient + WebSocketTransport + qualityMonitor',
    file: 'dist/messaging-calls.mjs',
    code: `import { CallClient as A } from '../dist/messaging-calls.mjs';\nimport { WebSocketTransport as B } from '../dist/transports.mjs';\nimport { qualityMonitor as C } from '../dist/quality.mjs';\nglobalThis.__bench_export = [A, B, C];\n`,
  },
];

/**
 * The comparison libraries: an entry imports the package's main export and
 * puts it on globalThis, so that nothing is tree-shaken away.
 */
export const OTHERS = [
  { name: 'simple-peer', pkg: 'simple-peer', code: `import M from 'simple-peer';` },
  { name: 'peerjs', pkg: 'peerjs', code: `import { Peer as M } from 'peerjs';` },
  { name: 'twilio-video', pkg: 'twilio-video', code: `import M from 'twilio-video';` },
  {
    name: 'livekit-client',
    pkg: 'livekit-client',
    code: `import { Room as M } from 'livekit-client';`,
  },
  {
    name: '@daily-co/daily-js',
    pkg: '@daily-co/daily-js',
    code: `import M from '@daily-co/daily-js';`,
  },
];

const gzip = (bytes) => gzipSync(bytes, { level: constants.Z_BEST_COMPRESSION }).length;

async function esbuild() {
  return import('esbuild');
}

async function bundle(options) {
  const { build } = await esbuild();
  const result = await build({
    bundle: true,
    minify: true,
    platform: 'browser',
    format: 'esm',
    target: 'es2020',
    write: false,
    logLevel: 'silent',
    legalComments: 'none',
    define: { 'process.env.NODE_ENV': '"production"' },
    ...options,
  });
  return result.outputFiles[0].contents;
}

/** min and min+gzip bytes of one SDK file. */
export async function measureFile({ file, bundle: doBundle, code }) {
  const path = join(root, file);
  const min = code
    ? await bundle({ stdin: { contents: code, resolveDir: here, loader: 'js' } })
    : doBundle
      ? await bundle({ entryPoints: [path] })
      : readFileSync(path);
  return { min: min.length, gzip: gzip(min) };
}

async function measurePackage({ code }) {
  const min = await bundle({
    stdin: {
      contents: `${code}\nglobalThis.__bench_export = M;\n`,
      resolveDir: here,
      loader: 'js',
    },
  });
  return { min: min.length, gzip: gzip(min) };
}

/** Only the SDK's files (what check-size.mjs needs). */
export async function measureSdk() {
  const out = {};
  for (const entry of SDK_ENTRIES) {
    if (!entry.code) out[entry.file] = { name: entry.name, ...(await measureFile(entry)) };
  }
  return out;
}

export async function measureAll() {
  const rows = [];
  for (const entry of SDK_ENTRIES) {
    rows.push({
      name: entry.name,
      what: entry.file,
      composed: Boolean(entry.code),
      ...(await measureFile(entry)),
    });
  }
  for (const other of OTHERS) {
    const version = JSON.parse(
      readFileSync(join(here, 'node_modules', other.pkg, 'package.json'), 'utf8'),
    ).version;
    try {
      rows.push({
        name: other.name,
        what: `${other.pkg}@${version}`,
        ...(await measurePackage(other)),
      });
    } catch (error) {
      rows.push({
        name: other.name,
        what: `${other.pkg}@${version}`,
        error: String(error.message ?? error),
      });
    }
  }
  const core = rows[0].gzip;
  for (const row of rows) if (row.gzip) row.ratioToCore = Math.round((row.gzip / core) * 100) / 100;
  return rows;
}

export function sizeTable(rows) {
  return table([
    ['bundle', 'min bytes', 'min+gzip bytes', '× core'],
    ...rows.map((r) =>
      r.error
        ? [r.name, 'error', r.error.slice(0, 60), '']
        : [
            r.name,
            r.min.toLocaleString('en-US'),
            r.gzip.toLocaleString('en-US'),
            `${r.ratioToCore.toFixed(2)}×`,
          ],
    ),
  ]);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const rows = await measureAll();
  console.log('Size (esbuild bundle --minify, platform browser, esm; gzip -9)\n');
  console.log(sizeTable(rows));
  report({ size: rows });
}
