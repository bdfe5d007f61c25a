/**
 * A real redis-server for the relay's multi-instance tests: one per test
 * file, on a free loopback port, nothing written to disk (`--save ''
 * --appendonly no`, its working directory a temporary one). It can be
 * stopped and started again on the same port, or killed, to test what the
 * relay does when Redis goes away and comes back.
 *
 * Needs the `redis-server` binary (Debian: `apt-get install -y redis-server`).
 */
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export interface RedisServer {
  /** `redis://127.0.0.1:PORT` */
  url: string;
  host: string;
  port: number;
  /** The running server's pid (null while stopped). */
  pid(): number | null;
  /** Whether it answers PING now. */
  ping(ms?: number): Promise<boolean>;
  /** Stops it (SIGTERM, then SIGKILL; or SIGKILL at once with `kill`); the port stays reserved for `start`. */
  stop(options?: { kill?: boolean }): Promise<void>;
  /** Starts it again on the same port; resolves once it answers PING. */
  start(): Promise<void>;
  /** Stops it and starts it again. */
  restart(options?: { kill?: boolean }): Promise<void>;
  /** The server's output so far (for failure messages). */
  log(): string;
  /** Stops it for good and removes its directory. Idempotent. */
  close(): Promise<void>;
}

/** Fails with a clear message when redis-server is not installed. */
export function requireRedisServer(): string {
  const which = spawnSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' });
  const bin = which.stdout.trim();
  if (which.status !== 0 || !bin) {
    throw new Error(
      'redis-server is not installed: the relay tests need it. ' +
        'Install it with `apt-get install -y redis-server` (scripts/provision.sh does).',
    );
  }
  return bin;
}

/** A free TCP port on `host` (bound, then released). */
export function freeTcpPort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Sends PING over a fresh connection; true on `+PONG` within `ms`. */
export function redisPing(host: string, port: number, ms = 500): Promise<boolean> {
  return new Promise((resolve) => {
    let reply = '';
    let done = false;
    const socket = net.connect({ host, port });
    const finish = (ok: boolean) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => finish(false), ms);
    socket.once('error', () => finish(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk: Buffer) => {
      reply += chunk.toString();
      if (reply.includes('\r\n')) finish(reply.startsWith('+PONG'));
    });
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Starts redis-server on 127.0.0.1 (a free port unless `port` is given) and
 * resolves once it answers PING.
 *
 * @throws when redis-server is missing, exits early or does not answer
 *   within 10 s (the message carries its output).
 */
export async function startRedis(options: { port?: number } = {}): Promise<RedisServer> {
  const bin = requireRedisServer();
  const host = '127.0.0.1';
  const port = options.port ?? (await freeTcpPort(host));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'messaging-calls-redis-'));
  let child: ChildProcess | null = null;
  let output = '';
  let closed = false;

  const launch = async () => {
    const proc = spawn(
      bin,
      [
        '--port',
        String(port),
        '--bind',
        host,
        '--save',
        '',
        '--appendonly',
        'no',
        '--daemonize',
        'no',
        '--dir',
        dir,
        '--logfile',
        '',
      ],
      { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    child = proc;
    let exited: string | null = null;
    proc.once('exit', (code, signal) => (exited = `exited with ${signal ?? code}`));
    proc.once('error', (error) => (exited = `could not start: ${error.message}`));
    proc.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    proc.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const deadline = Date.now() + 10_000;
    for (;;) {
      if (exited) {
        child = null;
        throw new Error(`redis-server ${exited} before answering:\n${output.slice(-2000)}`);
      }
      if (await redisPing(host, port, 200)) return;
      if (Date.now() > deadline) {
        proc.kill('SIGKILL');
        child = null;
        throw new Error(
          `redis-server did not answer on ${port} within 10 s:\n${output.slice(-2000)}`,
        );
      }
      await sleep(25);
    }
  };

  const stop = async ({ kill = false } = {}) => {
    const proc = child;
    child = null;
    const pid = proc?.pid;
    if (!proc || pid === undefined || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    proc.kill(kill ? 'SIGKILL' : 'SIGTERM');
    const timeout = sleep(5000).then(() => 'timeout' as const);
    if ((await Promise.race([exited, timeout])) === 'timeout' && alive(pid)) {
      proc.kill('SIGKILL');
      await Promise.race([exited, sleep(5000)]);
    }
  };

  await launch();
  return {
    url: `redis://${host}:${port}`,
    host,
    port,
    pid: () => child?.pid ?? null,
    ping: (ms) => redisPing(host, port, ms),
    stop,
    start: async () => {
      if (closed) throw new Error('redis-server was closed');
      if (child) return;
      await launch();
    },
    restart: async (opts) => {
      await stop(opts);
      await launch();
    },
    log: () => output,
    close: async () => {
      if (closed) return;
      closed = true;
      await stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
