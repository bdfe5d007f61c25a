// `npm start`: builds the bundles only when they are missing or older than
// src/, then starts the demo server in this process (two URLs on stdout).
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const bundles = ['dist/messaging-calls.umd.min.js', 'dist/messaging-calls-agent.umd.js'];

function mtime(path) {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return null;
  }
}

/** The newest modification time under `dir`. */
function newest(dir) {
  let latest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    latest = Math.max(latest, entry.isDirectory() ? newest(path) : (mtime(path) ?? 0));
  }
  return latest;
}

const built = bundles.map((file) => mtime(join(root, file)));
const sources = Math.max(newest(join(root, 'src')), mtime(join(root, 'rollup.config.mjs')) ?? 0);
if (built.some((time) => time === null || time < sources)) {
  console.error('Building the SDK (dist/ is missing or older than src/)…');
  // The build's output goes to stderr: stdout carries only the two URLs.
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const result = spawnSync(npm, ['run', 'build', '--silent'], {
    cwd: root,
    stdio: ['ignore', process.stderr, process.stderr],
  });
  if (result.status !== 0) {
    console.error('The build failed.');
    process.exit(result.status ?? 1);
  }
}

const { main } = await import('./server.mjs');
await main(process.argv.slice(2));
