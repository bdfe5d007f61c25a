/**
 * A coturn TURN server for network tests: long-term credentials, UDP only,
 * on loopback (or inside a network namespace, see netns.ts), with its pid,
 * pid file and log under one state directory so that a later run can stop
 * what a crashed run left behind (`stopLeftoverTurnServers`).
 *
 * Needs the `turnserver` binary (Debian: `apt-get install -y coturn`).
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import dgram from 'node:dgram';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** Where the network suites keep pid files, logs and their lock (one directory per user). */
export const NETWORK_STATE_DIR = path.join(
  os.tmpdir(),
  `messaging-calls-network-${process.getuid?.() ?? 0}`,
);

export interface TurnServer {
  /** `turn:HOST:PORT?transport=udp` */
  url: string;
  host: string;
  port: number;
  username: string;
  credential: string;
  pid: number;
  logFile: string;
  /** The RTCIceServer list for this server; override the credentials to test refusals. */
  iceServers(override?: { username?: string; credential?: string }): RTCIceServer[];
  /** The server's log so far (for failure messages). */
  log(): string;
  /** Stops the server by its pid (SIGTERM, then SIGKILL) and removes its files. Idempotent. */
  stop(): Promise<void>;
}

export interface TurnOptions {
  /** Listening and relay address (default 127.0.0.1). */
  host?: string;
  /** Listening port; default a free UDP port on `host` (pass one when `netns` is set). */
  port?: number;
  /** Run inside this network namespace (`ip netns exec`). */
  netns?: string;
  username?: string;
  credential?: string;
  /** Relay port range (default: 20 free ports below the ephemeral range). */
  minPort?: number;
  maxPort?: number;
}

interface TurnRecord {
  pid: number;
  pidFile: string;
  logFile: string;
  dbFile?: string;
}

function ensureStateDir(): void {
  fs.mkdirSync(NETWORK_STATE_DIR, { recursive: true });
}

/** Fails with a clear message when coturn is not installed. */
export function requireTurnserver(): string {
  const which = spawnSync('sh', ['-c', 'command -v turnserver'], { encoding: 'utf8' });
  const bin = which.stdout.trim();
  if (which.status !== 0 || !bin) {
    throw new Error(
      'turnserver (coturn) is not installed: the network tests need it. ' +
        'Install it with `apt-get install -y coturn`.',
    );
  }
  return bin;
}

function processCommandLine(pid: number): string | null {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
  } catch {
    return null;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitForExit(pid: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (!isAlive(pid)) return true;
    await sleep(25);
  }
  return !isAlive(pid);
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Stops one recorded server, only if that pid is still a turnserver with our pid file. */
async function stopRecorded(record: TurnRecord): Promise<void> {
  const cmdline = processCommandLine(record.pid);
  if (cmdline && cmdline.includes('turnserver') && cmdline.includes(record.pidFile)) {
    try {
      process.kill(record.pid, 'SIGTERM');
    } catch {
      // already gone
    }
    if (!(await waitForExit(record.pid, 2000))) {
      try {
        process.kill(record.pid, 'SIGKILL');
      } catch {
        // already gone
      }
      await waitForExit(record.pid, 2000);
    }
  }
  for (const file of [record.pidFile, record.logFile, record.dbFile]) {
    if (file) fs.rmSync(file, { force: true });
  }
}

/**
 * Stops every turnserver a previous run recorded in the state directory and
 * left running (a crashed run), and removes its files. Servers of test
 * processes still alive are left alone. Idempotent.
 */
export async function stopLeftoverTurnServers(): Promise<void> {
  ensureStateDir();
  for (const name of fs.readdirSync(NETWORK_STATE_DIR)) {
    if (!name.startsWith('turn-') || !name.endsWith('.json')) continue;
    // Records are named turn-<owner pid>-…: a server whose test process is
    // still running (another suite, in parallel) is not a leftover.
    const owner = Number(/^turn-(\d+)-/.exec(name)?.[1]);
    if (owner && owner !== process.pid && processAlive(owner)) continue;
    const file = path.join(NETWORK_STATE_DIR, name);
    try {
      const record = JSON.parse(fs.readFileSync(file, 'utf8')) as TurnRecord;
      await stopRecorded(record);
    } catch {
      // an unreadable record: nothing we can safely stop
    }
    fs.rmSync(file, { force: true });
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Binds a UDP socket to `host:port` (0: any free port) and returns the port, then closes it. */
function probeUdpPort(host: string, port: number): Promise<number | null> {
  return new Promise((resolve) => {
    const socket = dgram.createSocket('udp4');
    socket.once('error', () => {
      socket.close();
      resolve(null);
    });
    socket.bind(port, host, () => {
      const bound = socket.address().port;
      socket.close(() => resolve(bound));
    });
  });
}

async function freeUdpPort(host: string): Promise<number> {
  for (let i = 0; i < 20; i++) {
    const port = await probeUdpPort(host, 0);
    // coturn may also open PORT+1 (RFC 5780 alternate port): keep both free.
    if (port && port < 65535 && (await probeUdpPort(host, port + 1))) return port;
  }
  throw new Error(`no free UDP port on ${host}`);
}

/** A run of `count` free UDP ports below the ephemeral range (20000–30000). */
async function freeRelayRange(host: string, count: number): Promise<[number, number]> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 20000 + Math.floor(Math.random() * (10000 - count));
    let free = true;
    for (let p = base; p < base + count && free; p++) free = (await probeUdpPort(host, p)) === p;
    if (free) return [base, base + count - 1];
  }
  throw new Error(`no run of ${count} free UDP ports on ${host}`);
}

/** A STUN Binding request; resolves true when the server answers within `ms`. */
export function stunPing(host: string, port: number, ms = 300): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = dgram.createSocket('udp4');
    const transaction = randomBytes(12);
    const request = Buffer.alloc(20);
    request.writeUInt16BE(0x0001, 0); // Binding request
    request.writeUInt16BE(0, 2); // no attributes
    request.writeUInt32BE(0x2112a442, 4); // magic cookie
    transaction.copy(request, 8);
    let done = false;
    const finish = (ok: boolean) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.close();
      resolve(ok);
    };
    const timer = setTimeout(() => finish(false), ms);
    socket.on('error', () => finish(false));
    socket.on('message', (msg) => {
      if (
        msg.length >= 20 &&
        msg.readUInt16BE(0) === 0x0101 &&
        msg.subarray(8, 20).equals(transaction)
      )
        finish(true);
    });
    socket.send(request, port, host);
  });
}

/**
 * Starts coturn and resolves once it answers a STUN Binding request.
 *
 * @throws when coturn is missing, exits early or does not answer within 10 s
 *   (the message carries the end of its log).
 */
export async function startTurn(options: TurnOptions = {}): Promise<TurnServer> {
  const bin = requireTurnserver();
  ensureStateDir();
  const host = options.host ?? '127.0.0.1';
  const username = options.username ?? `u${randomBytes(4).toString('hex')}`;
  const credential = options.credential ?? `p${randomBytes(12).toString('hex')}`;
  const inNamespace = options.netns !== undefined;
  const port = options.port ?? (inNamespace ? 3478 : await freeUdpPort(host));
  const [minPort, maxPort] =
    options.minPort !== undefined && options.maxPort !== undefined
      ? [options.minPort, options.maxPort]
      : inNamespace
        ? [40000, 40019]
        : await freeRelayRange(host, 20);
  const id = `${process.pid}-${randomBytes(4).toString('hex')}`;
  const pidFile = path.join(NETWORK_STATE_DIR, `turn-${id}.pid`);
  const logFile = path.join(NETWORK_STATE_DIR, `turn-${id}.log`);
  const recordFile = path.join(NETWORK_STATE_DIR, `turn-${id}.json`);
  // Without its own user db, coturn opens /var/lib/turn/turndb.
  const dbFile = path.join(NETWORK_STATE_DIR, `turn-${id}.db`);
  const args = [
    '-n',
    `--listening-ip=${host}`,
    `--relay-ip=${host}`,
    `--listening-port=${port}`,
    `--min-port=${minPort}`,
    `--max-port=${maxPort}`,
    '--lt-cred-mech',
    `--user=${username}:${credential}`,
    '--realm=test',
    '--no-tls',
    '--no-dtls',
    '--no-tcp',
    '--allow-loopback-peers',
    '--no-cli',
    '--simple-log',
    '--no-stdout-log',
    `--pidfile=${pidFile}`,
    `--log-file=${logFile}`,
    `--userdb=${dbFile}`,
  ];
  const [command, argv] = inNamespace
    ? ['ip', ['netns', 'exec', options.netns as string, bin, ...args]]
    : [bin, args];
  const child = spawn(command, argv, { stdio: 'ignore', detached: false });
  let exited: string | null = null;
  child.once('exit', (code, signal) => {
    exited = `exited with ${signal ?? code}`;
  });
  child.once('error', (error) => {
    exited = `could not start: ${error.message}`;
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error(`turnserver could not be started (${command})`);
  // `ip netns exec` execs the command in place: this pid is the turnserver's.
  fs.writeFileSync(
    recordFile,
    JSON.stringify({ pid, pidFile, logFile, dbFile } satisfies TurnRecord),
  );
  const readLog = () => {
    try {
      return fs.readFileSync(logFile, 'utf8');
    } catch {
      return '';
    }
  };

  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await stopRecorded({ pid, pidFile, logFile, dbFile });
    fs.rmSync(recordFile, { force: true });
  };

  const deadline = Date.now() + 10_000;
  for (;;) {
    if (exited) {
      const log = readLog();
      await stop();
      throw new Error(`turnserver ${exited} before listening; log:\n${log.slice(-2000)}`);
    }
    if (await stunPing(host, port)) break;
    if (Date.now() > deadline) {
      const log = readLog();
      await stop();
      throw new Error(
        `turnserver did not answer on ${host}:${port} within 10 s; log:\n${log.slice(-2000)}`,
      );
    }
  }

  const url = `turn:${host}:${port}?transport=udp`;
  return {
    url,
    host,
    port,
    username,
    credential,
    pid,
    logFile,
    iceServers: (override = {}) => [
      {
        urls: url,
        username: override.username ?? username,
        credential: override.credential ?? credential,
      },
    ],
    log: readLog,
    stop,
  };
}
