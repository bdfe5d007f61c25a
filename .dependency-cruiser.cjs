// The import rules of src/, checked by dependency-cruiser (`npm run deps`, part of `npm run lint`
// and of .ci/run). docs/TESTING.md ("Dependency rules") says what they are and how to read a failure.
// eslint-disable-next-line @typescript-eslint/no-require-imports -- a CommonJS config file
const { builtinModules } = require('node:module');

// The layers of src/, bottom to top. A module may import its own folder, the layers below its own,
// and src/version.ts; never a sibling folder of its own layer, nor a layer above.
const LAYERS = [
  ['util'],
  ['foundation'], // errors, logger, clock and timers, safe emitter, serial queue
  ['protocol', 'env'],
  ['media', 'peer', 'transport'],
  ['quality'], // pure stats and bandwidth policy
  ['call'],
  // The rooms above the call: optional entries and features, none of which another may import.
  ['agent', 'monitor', 'diagnostics', 'loader', 'testing', 'ui', 'analytics', 'relay'],
];
// Root files: the entries (rollup inputs) may import anything, but no folder may import them.
const ENTRIES = ['index', 'umd', 'umd-agent'];
// What the core entry (src/index.ts) must never pull in: everything that ships as its own entry.
const NOT_IN_CORE = [
  'ui',
  'analytics',
  'relay',
  'agent',
  'monitor',
  'diagnostics',
  'testing',
  'loader',
];
const NODE_BUILTINS = `^(node:)?(${builtinModules
  .filter((name) => !name.startsWith('_'))
  .map((name) => name.replace(/[/.]/g, '\\$&'))
  .join('|')})$`;

const layerRules = LAYERS.map((folders, index) => {
  const below = LAYERS.slice(0, index).flat();
  const allowed = ['$1/', ...below.map((folder) => `${folder}/`), 'version\\.ts$'];
  return {
    name: `layer-${index + 1}-${folders.join('-')}`,
    severity: 'error',
    comment:
      `src/{${folders.join(',')}} (layer ${index + 1}) may import only its own folder, ` +
      `${below.length ? `the layers below (${below.join(', ')})` : 'no other layer'} and src/version.ts.`,
    from: { path: `^src/(${folders.join('|')})/` },
    to: { path: '^src/', pathNot: `^src/(${allowed.join('|')})` },
  };
});

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    ...layerRules,
    {
      name: 'version-imports-nothing',
      severity: 'error',
      comment: 'src/version.ts sits below every layer: it imports nothing of src/.',
      from: { path: '^src/version\\.ts$' },
      to: { path: '^src/' },
    },
    {
      name: 'src-outside-the-layers',
      severity: 'error',
      comment:
        'Every module of src/ sits in a layer folder or is a known root file: ' +
        'add a new folder to LAYERS (or a new entry to ENTRIES) in .dependency-cruiser.cjs.',
      from: {
        path: '^src/',
        pathNot: `^src/((${LAYERS.flat().join('|')})/|(${[...ENTRIES, 'version'].join('|')})\\.ts$)`,
      },
      to: {},
    },
    {
      name: 'core-entry-stays-core',
      severity: 'error',
      comment: `src/index.ts (the core entry) never reaches src/{${NOT_IN_CORE.join(',')}}, even through other modules.`,
      from: { path: '^src/index\\.ts$' },
      to: { path: `^src/(${NOT_IN_CORE.join('|')})/`, reachable: true },
    },
    {
      name: 'browser-bundle-no-relay',
      severity: 'error',
      comment:
        'Nothing server-side reaches a browser bundle: src/index.ts, src/umd.ts and src/loader/ never reach src/relay/.',
      from: { path: '^src/((index|umd|umd-agent)\\.ts$|loader/)' },
      to: { path: '^src/relay/', reachable: true },
    },
    {
      name: 'browser-bundle-no-node-builtins',
      severity: 'error',
      comment:
        'Nothing server-side reaches a browser bundle: src/index.ts, src/umd.ts and src/loader/ never reach a Node built-in module (node:*, fs, net, http, ...).',
      from: { path: '^src/((index|umd|umd-agent)\\.ts$|loader/)' },
      to: { path: NODE_BUILTINS, reachable: true },
    },
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'No import cycles in src/ (type-only imports count).',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'src-not-to-test',
      severity: 'error',
      comment: 'The SDK never imports from test/.',
      from: { path: '^src/' },
      to: { path: '^test/' },
    },
    {
      name: 'not-to-unresolvable',
      severity: 'error',
      comment: 'An import that resolves to nothing (a typo, a moved file, a missing package).',
      from: { path: '^src/' },
      to: { couldNotResolve: true },
    },
    {
      name: 'not-to-dev-dep',
      severity: 'error',
      comment:
        'The SDK ships with its dependencies only: a devDependency is for tests and tools ' +
        '(type-only imports, which leave no trace in the bundle, are allowed). ' +
        'src/relay/ may also import its optional peer dependencies (ws, jose, redis).',
      from: { path: '^src/' },
      to: {
        dependencyTypes: ['npm-dev'],
        dependencyTypesNot: ['type-only', 'npm-peer'],
      },
    },
    {
      name: 'no-non-package-json',
      severity: 'error',
      comment:
        'A package the SDK imports is listed in package.json (an optional peer dependency counts).',
      from: { path: '^src/' },
      to: { dependencyTypes: ['npm-no-pkg', 'npm-unknown'], dependencyTypesNot: ['npm-peer'] },
    },
    {
      name: 'peer-deps-only-in-relay',
      severity: 'error',
      comment:
        'The optional peer dependencies (ws, jose, redis) are the relay’s: only src/relay/ imports them ' +
        '(a page that installs the SDK does not install them).',
      from: { path: '^src/', pathNot: '^src/relay/' },
      to: { dependencyTypes: ['npm-peer'], dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'no-orphans',
      severity: 'warn',
      comment: 'A module of src/ that nothing imports and that imports nothing is probably dead.',
      from: { orphan: true, path: '^src/', pathNot: '\\.d\\.ts$' },
      to: {},
    },
  ],
  options: {
    // `import type` and type-only re-exports count: they are what couples the layers too.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    doNotFollow: { path: 'node_modules' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      mainFields: ['module', 'main', 'types', 'typings'],
    },
    skipAnalysisNotInRules: true,
  },
};
