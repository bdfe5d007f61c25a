import { readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import typescript from '@rollup/plugin-typescript';
import resolve from '@rollup/plugin-node-resolve';
import commonjs from '@rollup/plugin-commonjs';
import terser from '@rollup/plugin-terser';
import { dts } from 'rollup-plugin-dts';

const pkg = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8'));
const banner = `/*! ${pkg.name} ${pkg.version} | MIT */`;

/** Entry name → source. Each becomes dist/<name>.{mjs,cjs,d.ts,d.cts}. */
const entries = {
  'messaging-calls': 'src/index.ts',
  transports: 'src/transport/index.ts',
  quality: 'src/monitor/index.ts',
  diagnostics: 'src/diagnostics/index.ts',
  agent: 'src/agent/index.ts',
  testing: 'src/testing/index.ts',
  loader: 'src/loader/index.ts',
  ui: 'src/ui/index.ts',
  analytics: 'src/analytics/index.ts',
};

/**
 * The signaling relay: Node only, built apart from the browser entries so that
 * no chunk is shared with them. Its packages and Node's built-ins stay external.
 */
const relayEntries = { relay: 'src/relay/index.ts' };
const relayExternal = [
  /^ws(\/|$)/,
  /^jose(\/|$)/,
  /^redis(\/|$)/,
  /^@redis\//,
  /^node:/,
  ...builtinModules.map((name) => new RegExp(`^${name.replace(/[/.]/g, '\\$&')}$`)),
];

const ts = () => typescript({ tsconfig: './tsconfig.build.json', outDir: 'dist', sourceMap: true });
// The relay is compiled against Node's types; the browser entries are not.
const relayTs = () =>
  typescript({
    tsconfig: './tsconfig.build.json',
    outDir: 'dist',
    sourceMap: true,
    types: ['node'],
  });

// The UMD bundle is meant for a script tag that may be on the page twice
// (two tags, a tag manager firing again): the second copy must change
// nothing. The guard wraps the whole bundle and returns when the global of a
// previous load is there.
const umdGuard = {
  banner: `${banner}\n;(function () {\nvar g = typeof globalThis !== 'undefined' ? globalThis : typeof self !== 'undefined' ? self : this;\nif (g && g.MessagingCalls && g.MessagingCalls.VERSION) return;`,
  footer: '}).call(this);',
};

export default [
  // ESM and CommonJS for npm users: dependencies stay external.
  {
    input: entries,
    external: [/^eventemitter3/, /^nanoid/],
    plugins: [ts()],
    output: [
      {
        dir: 'dist',
        format: 'es',
        entryFileNames: '[name].mjs',
        chunkFileNames: 'chunks/shared-[hash].mjs',
        sourcemap: true,
        banner,
      },
      {
        dir: 'dist',
        format: 'cjs',
        entryFileNames: '[name].cjs',
        chunkFileNames: 'chunks/shared-[hash].cjs',
        sourcemap: true,
        exports: 'named',
        banner,
      },
    ],
  },
  // The relay (Node): ESM and CommonJS, jose and redis loaded on first use.
  {
    input: relayEntries,
    external: relayExternal,
    plugins: [relayTs()],
    output: [
      {
        dir: 'dist',
        format: 'es',
        entryFileNames: '[name].mjs',
        chunkFileNames: 'chunks/relay-[hash].mjs',
        sourcemap: true,
        banner,
      },
      {
        dir: 'dist',
        format: 'cjs',
        entryFileNames: '[name].cjs',
        chunkFileNames: 'chunks/relay-[hash].cjs',
        sourcemap: true,
        exports: 'named',
        // import() stays import() in CommonJS: jose is an ES module.
        dynamicImportInCjs: true,
        banner,
      },
    ],
  },
  // UMD for a script tag: everything inlined, global MessagingCalls.
  {
    input: 'src/umd.ts',
    plugins: [resolve({ browser: true }), commonjs(), ts()],
    output: [
      {
        file: 'dist/messaging-calls.umd.js',
        format: 'umd',
        name: 'MessagingCalls',
        sourcemap: true,
        ...umdGuard,
      },
      {
        file: 'dist/messaging-calls.umd.min.js',
        format: 'umd',
        name: 'MessagingCalls',
        sourcemap: true,
        ...umdGuard,
        plugins: [terser({ format: { comments: /^!/ } })],
      },
    ],
  },
  // The agent's side for a browser page: global MessagingCallsAgent (demos).
  {
    input: 'src/umd-agent.ts',
    plugins: [resolve({ browser: true }), commonjs(), ts()],
    output: {
      file: 'dist/messaging-calls-agent.umd.js',
      format: 'umd',
      name: 'MessagingCallsAgent',
      sourcemap: true,
      banner,
    },
  },
  // The loader for a script tag: global MessagingCallsLoader, a few hundred bytes.
  {
    input: entries.loader,
    plugins: [ts()],
    output: {
      file: 'dist/messaging-calls-loader.umd.min.js',
      format: 'umd',
      name: 'MessagingCallsLoader',
      sourcemap: true,
      banner,
      plugins: [terser({ format: { comments: /^!/ } })],
    },
  },
  // Bundled declarations, one self-contained file per entry and module kind.
  ...Object.entries(entries).flatMap(([name, input]) =>
    ['d.ts', 'd.cts'].map((ext) => ({
      input,
      external: [/^eventemitter3/, /^nanoid/],
      plugins: [dts({ tsconfig: './tsconfig.build.json' })],
      output: { file: `dist/${name}.${ext}`, format: 'es' },
    })),
  ),
  ...Object.entries(relayEntries).flatMap(([name, input]) =>
    ['d.ts', 'd.cts'].map((ext) => ({
      input,
      external: relayExternal,
      plugins: [dts({ tsconfig: './tsconfig.build.json', compilerOptions: { types: ['node'] } })],
      output: { file: `dist/${name}.${ext}`, format: 'es' },
    })),
  ),
];
