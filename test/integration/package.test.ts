import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import vm from 'node:vm';
import { VERSION } from '../../src/version';

// These tests read the built files: `npm test` builds before it runs jest.
const root = join(__dirname, '..', '..');
const dist = (file: string) => join(root, 'dist', file);
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  version: string;
  dependencies: Record<string, string>;
};

test('the version sent to agents is the package version', () => {
  expect(VERSION).toBe(pkg.version);
});

test('the package has exactly two runtime dependencies', () => {
  expect(Object.keys(pkg.dependencies).sort()).toEqual(['eventemitter3', 'nanoid']);
});

test('the CommonJS builds load with require and export the public API', () => {
  const require = createRequire(__filename);
  const load = (file: string) => require(dist(file)) as Record<string, unknown>;
  const core = load('messaging-calls.cjs');
  const transports = load('transports.cjs');
  const quality = load('quality.cjs');
  const diagnostics = load('diagnostics.cjs');
  expect(typeof core.CallClient).toBe('function');
  expect(typeof core.CallError).toBe('function');
  expect(core.VERSION).toBe(pkg.version);
  // The optional entries are not in the core.
  expect(core.WebSocketTransport).toBeUndefined();
  expect(core.qualityMonitor).toBeUndefined();
  expect(core.preflight).toBeUndefined();
  expect(typeof transports.WebSocketTransport).toBe('function');
  expect(typeof transports.createMemoryTransportPair).toBe('function');
  expect(typeof quality.qualityMonitor).toBe('function');
  expect(typeof diagnostics.preflight).toBe('function');
  expect(typeof diagnostics.verificationCode).toBe('function');
  expect(typeof diagnostics.verificationCodeOf).toBe('function');
  expect(typeof load('agent.cjs').AgentCall).toBe('function');
});

describe('the UMD bundle', () => {
  const umd = readFileSync(dist('messaging-calls.umd.min.js'), 'utf8');

  function page(): vm.Context {
    // A bare browser-like global: no module system, no require.
    const context = vm.createContext({ console });
    return context;
  }

  test('defines the global MessagingCalls with the public API and no other global', () => {
    const context = page();
    const before = new Set(Object.keys(context));
    vm.runInContext(umd, context);
    const added = Object.keys(context).filter((k) => !before.has(k));
    expect(added).toEqual(['MessagingCalls']);
    const api = context.MessagingCalls as Record<string, unknown>;
    // One tag gives the core and every optional entry.
    for (const name of [
      'CallClient',
      'WebSocketTransport',
      'MessagingTransport',
      'PostMessageTransport',
      'qualityMonitor',
      'preflight',
      'verificationCode',
    ]) {
      expect(typeof api[name]).toBe('function');
    }
    expect(api.VERSION).toBe(pkg.version);
  });

  test('loaded twice on one page, the second copy changes nothing and throws nothing', () => {
    const context = page();
    vm.runInContext(umd, context);
    const first = context.MessagingCalls as Record<string, unknown>;
    const firstClient = first.CallClient;
    expect(() => vm.runInContext(umd, context)).not.toThrow();
    expect(context.MessagingCalls).toBe(first);
    expect(first.CallClient).toBe(firstClient);
  });

  test('has eventemitter3 and nanoid inlined (no require of them)', () => {
    expect(umd).not.toMatch(/require\(["']eventemitter3["']\)/);
    expect(umd).not.toMatch(/require\(["']nanoid["']\)/);
  });
});
