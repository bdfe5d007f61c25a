// Four projects: pure units in jsdom (the browser-like environment the SDK
// ships to); real calls in Node with wrtc; the built UMD bundle in real
// browsers (Chromium, Firefox ESR, WebKitGTK) calling the Node agent; and the
// network suite (root: coturn, namespaces, faults). wrtc segfaults at process
// exit after a connected peer, so `npm test` runs jest with --forceExit. The
// network suite runs in a second pass of its own: its cuts and timings must
// not compete for the 2 cores with the browsers of the other suites.
const transform = {
  '^.+\\.[tj]s$': ['ts-jest', { tsconfig: 'tsconfig.test.json' }],
};
// nanoid 5 and jose 6 ship ESM only; let ts-jest compile them to CommonJS.
const transformIgnorePatterns = ['/node_modules/(?!(nanoid|jose)/)'];

module.exports = {
  // `npm test` measures coverage of the SDK's source across every project;
  // lines under 90 % fail the run.
  collectCoverageFrom: ['<rootDir>/src/**/*.ts'],
  coverageReporters: ['text-summary', 'json-summary'],
  coverageThreshold: { global: { lines: 90 } },
  projects: [
    {
      displayName: 'unit',
      testEnvironment: 'jsdom',
      testMatch: ['<rootDir>/test/unit/**/*.test.ts'],
      transform,
      transformIgnorePatterns,
    },
    {
      displayName: 'integration',
      testEnvironment: 'node',
      testMatch: ['<rootDir>/test/integration/**/*.test.ts'],
      transform,
      transformIgnorePatterns,
    },
    {
      // Real calls through coturn and a network namespace whose link the tests
      // cut, shape and make lossy (root needed; see test/support/netns.ts). The
      // files take a machine-wide lock, so they never run alongside each other.
      displayName: 'network',
      testEnvironment: 'node',
      testMatch: ['<rootDir>/test/network/**/*.test.ts'],
      transform,
      transformIgnorePatterns,
    },
    {
      displayName: 'browser',
      testEnvironment: 'node',
      testMatch: ['<rootDir>/test/browser/**/*.test.ts'],
      transform,
      transformIgnorePatterns,
    },
  ],
};
