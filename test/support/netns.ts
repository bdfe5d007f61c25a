/**
 * A network the tests can break. Two namespaces in a row:
 *
 *   root (jest, wrtc)          router namespace           TURN namespace
 *   mcalls-root 10.199.0.1 ── mcalls-rt0 10.199.0.2
 *                             mcalls-rt1 10.199.0.5 ── mcalls-turn 10.199.0.6 (coturn)
 *
 * Every fault lives on the router, on packets it forwards: a full cut and
 * random loss (iptables in its FORWARD chain), a bandwidth cap (tbf on both
 * of its interfaces), plus added latency by a UDP delay proxy in Node (this
 * kernel has no netem). Faults are never applied where packets are sent: a
 * netfilter DROP or a full qdisc on the sending host makes `sendto()` fail
 * (EPERM / ENOBUFS), and coturn closes a client's session on such an error,
 * so 5 % loss applied in coturn's own OUTPUT chain ends every relayed call
 * within a second instead of losing 5 % of its packets.
 *
 * The root namespace gets only its veth end and one route (10.199.0.4/30 via
 * the router), both gone with the veth; its firewall is never touched.
 * Deleting the namespaces removes every rule and qdisc, so `destroyLink()`
 * (run first by `createLink()` to clear a crashed run's leftovers) is the
 * whole cleanup. Needs root, `ip`/`tc` (iproute2) and `iptables`.
 *
 * The suites that use this take `acquireNetworkLock()` first: the names are
 * machine-wide, so two files must never run at once.
 */
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess, SpawnOptions } from 'node:child_process';
import dgram from 'node:dgram';
import fs from 'node:fs';
import path from 'node:path';
import { NETWORK_STATE_DIR, startTurn, stopLeftoverTurnServers } from './turn';
import type { TurnOptions, TurnServer } from './turn';

export const ROUTER_NS = 'mcalls-router';
export const TURN_NS = 'mcalls-turn';
const NAMESPACES = [ROUTER_NS, TURN_NS] as const;
/** veth ends: root ↔ router, router ↔ TURN namespace. */
export const ROOT_IF = 'mcalls-root';
const ROUTER_ROOT_IF = 'mcalls-rt0';
const ROUTER_TURN_IF = 'mcalls-rt1';
const TURN_IF = 'mcalls-turn';
export const ROOT_IP = '10.199.0.1';
const ROUTER_ROOT_IP = '10.199.0.2';
const ROUTER_TURN_IP = '10.199.0.5';
export const TURN_IP = '10.199.0.6';
/** iptables chains (in the router) that hold the cut and the loss rules. */
const CUT_CHAIN = 'MCALLS-CUT';
const LOSS_CHAIN = 'MCALLS-LOSS';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

interface RunResult {
  ok: boolean;
  stdout: string;
  stderr: string;
}

function run(command: string, args: readonly string[]): RunResult {
  const result = spawnSync(command, args, { encoding: 'utf8' });
  if (result.error) return { ok: false, stdout: '', stderr: result.error.message };
  return { ok: result.status === 0, stdout: result.stdout, stderr: result.stderr.trim() };
}

/** Runs a command that must succeed; throws with its stderr otherwise. */
function must(command: string, args: readonly string[]): string {
  const result = run(command, args);
  if (!result.ok) {
    throw new Error(`\`${[command, ...args].join(' ')}\` failed: ${result.stderr || 'no output'}`);
  }
  return result.stdout;
}

/** Runs a command inside a namespace. */
function inNs(ns: string, command: string, args: readonly string[]): string {
  return must('ip', ['netns', 'exec', ns, command, ...args]);
}

/**
 * Fails (never skips) with a clear message when this process cannot build
 * the test network: not root, or ip/tc/iptables missing.
 */
export function requireNetworkPrivileges(): void {
  const uid = process.getuid?.();
  if (uid !== 0) {
    throw new Error(
      `The network tests must run as root (uid 0, here ${String(uid)}): they create network ` +
        'namespaces, veth pairs, iptables rules and tc qdiscs. Run them as root in CI.',
    );
  }
  for (const [tool, pkg] of [
    ['ip', 'iproute2'],
    ['tc', 'iproute2'],
    ['iptables', 'iptables'],
  ] as const) {
    if (!run('sh', ['-c', `command -v ${tool}`]).ok) {
      throw new Error(
        `\`${tool}\` is missing: the network tests need it (apt-get install -y ${pkg}).`,
      );
    }
  }
}

// ---- the lock ---------------------------------------------------------------

const LOCK_FILE = path.join(NETWORK_STATE_DIR, 'lock');
/** How long a suite waits for another to finish (give its beforeAll this much more). */
export const LOCK_WAIT_MS = 300_000;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Alive and a node process (a recycled pid of something else does not hold the lock). */
function isNodeProcess(pid: number): boolean {
  if (!alive(pid)) return false;
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('node');
  } catch {
    return true; // no /proc: trust the pid
  }
}

/**
 * Waits until no other process runs network tests, then holds the lock.
 * A lock left by a dead process (or by this one, whose previous file did
 * not release it) is taken over. Resolves with the release function.
 */
export async function acquireNetworkLock(ms = LOCK_WAIT_MS): Promise<() => void> {
  fs.mkdirSync(NETWORK_STATE_DIR, { recursive: true });
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      const fd = fs.openSync(LOCK_FILE, 'wx');
      fs.writeSync(fd, String(process.pid));
      fs.closeSync(fd);
      let held = true;
      return () => {
        if (!held) return;
        held = false;
        try {
          if (fs.readFileSync(LOCK_FILE, 'utf8') === String(process.pid)) fs.rmSync(LOCK_FILE);
        } catch {
          // already gone
        }
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    let owner: number;
    try {
      owner = Number(fs.readFileSync(LOCK_FILE, 'utf8'));
    } catch {
      continue; // released between our attempts
    }
    if (!Number.isInteger(owner) || owner === process.pid || !isNodeProcess(owner)) {
      fs.rmSync(LOCK_FILE, { force: true });
      continue;
    }
    if (Date.now() > deadline) {
      throw new Error(`the network tests' lock is held by pid ${owner} for more than ${ms} ms`);
    }
    await sleep(200);
  }
}

// ---- the link -----------------------------------------------------------------

function namespaceExists(ns: string): boolean {
  return run('ip', ['netns', 'list'])
    .stdout.split('\n')
    .some((l) => l.split(' ')[0] === ns);
}

/**
 * Removes everything a previous run may have left: its turnservers, every
 * other process it started in the namespaces, the veth pairs (with their
 * qdiscs and the route) and the namespaces (with their iptables rules).
 * Idempotent.
 */
export async function destroyLink(): Promise<void> {
  await stopLeftoverTurnServers();
  for (const ns of NAMESPACES) {
    if (!namespaceExists(ns)) continue;
    // Only the tests put processes in these namespaces; stop them by pid.
    const pids = run('ip', ['netns', 'pids', ns])
      .stdout.split('\n')
      .map(Number)
      .filter((pid) => Number.isInteger(pid) && pid > 0);
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
    for (let i = 0; i < 40 && pids.some(alive); i++) await sleep(25);
  }
  if (run('ip', ['link', 'show', ROOT_IF]).ok) must('ip', ['link', 'del', ROOT_IF]);
  for (const ns of NAMESPACES) if (namespaceExists(ns)) must('ip', ['netns', 'del', ns]);
}

export interface NetLink {
  /** The root namespace's address on the link. */
  readonly rootIp: string;
  /** Where coturn listens and relays. */
  readonly turnIp: string;
  /** Starts coturn in the TURN namespace on TURN_IP:3478; stopped by `destroy()` at the latest. */
  startTurn(options?: Omit<TurnOptions, 'host' | 'netns'>): Promise<TurnServer>;
  /** Drops every packet between the root namespace and coturn, both directions. */
  cut(): void;
  /** Ends the cut. */
  heal(): void;
  /**
   * Random loss: each packet the router forwards is dropped with a
   * probability chosen so that relayed media, which crosses it twice
   * (peer → TURN → peer), is lost with `probability` end to end.
   */
  setLoss(probability: number): void;
  clearLoss(): void;
  /** Caps the link at `kbit` kbit/s in each direction (tbf on both router interfaces). */
  setRate(kbit: number): void;
  clearRate(): void;
  /** Removes every fault (cut, loss, cap). */
  clearFaults(): void;
  /** Stops its turnservers and deletes the veth pairs and the namespaces. Idempotent. */
  destroy(): Promise<void>;
}

/**
 * Creates the namespaces, the veth pairs and the routes (after removing any
 * leftovers), with empty cut and loss chains in the router.
 *
 * @throws with a clear message when not root or a tool is missing.
 */
export async function createLink(): Promise<NetLink> {
  requireNetworkPrivileges();
  await destroyLink();
  try {
    for (const ns of NAMESPACES) {
      must('ip', ['netns', 'add', ns]);
      inNs(ns, 'ip', ['link', 'set', 'lo', 'up']);
    }
    must('ip', ['link', 'add', ROOT_IF, 'type', 'veth', 'peer', 'name', ROUTER_ROOT_IF]);
    must('ip', ['link', 'set', ROUTER_ROOT_IF, 'netns', ROUTER_NS]);
    must('ip', ['addr', 'add', `${ROOT_IP}/30`, 'dev', ROOT_IF]);
    must('ip', ['link', 'set', ROOT_IF, 'up']);
    inNs(ROUTER_NS, 'ip', ['link', 'add', ROUTER_TURN_IF, 'type', 'veth', 'peer', 'name', TURN_IF]);
    inNs(ROUTER_NS, 'ip', ['link', 'set', TURN_IF, 'netns', TURN_NS]);
    inNs(ROUTER_NS, 'ip', ['addr', 'add', `${ROUTER_ROOT_IP}/30`, 'dev', ROUTER_ROOT_IF]);
    inNs(ROUTER_NS, 'ip', ['addr', 'add', `${ROUTER_TURN_IP}/30`, 'dev', ROUTER_TURN_IF]);
    inNs(ROUTER_NS, 'ip', ['link', 'set', ROUTER_ROOT_IF, 'up']);
    inNs(ROUTER_NS, 'ip', ['link', 'set', ROUTER_TURN_IF, 'up']);
    // Forwarding in the router namespace only; the root namespace's setting is not touched.
    inNs(ROUTER_NS, 'sysctl', ['-q', '-w', 'net.ipv4.ip_forward=1']);
    inNs(TURN_NS, 'ip', ['addr', 'add', `${TURN_IP}/30`, 'dev', TURN_IF]);
    inNs(TURN_NS, 'ip', ['link', 'set', TURN_IF, 'up']);
    inNs(TURN_NS, 'ip', ['route', 'add', '10.199.0.0/24', 'via', ROUTER_TURN_IP]);
    must('ip', ['route', 'add', '10.199.0.4/30', 'via', ROUTER_ROOT_IP, 'dev', ROOT_IF]);
    for (const chain of [CUT_CHAIN, LOSS_CHAIN]) {
      inNs(ROUTER_NS, 'iptables', ['-N', chain]);
      inNs(ROUTER_NS, 'iptables', ['-A', 'FORWARD', '-j', chain]);
    }
  } catch (error) {
    await destroyLink().catch(() => undefined);
    throw new Error(`the test network could not be created: ${(error as Error).message}`, {
      cause: error,
    });
  }
  const turns: TurnServer[] = [];
  const router = (command: string, args: readonly string[]) => inNs(ROUTER_NS, command, args);
  const link: NetLink = {
    rootIp: ROOT_IP,
    turnIp: TURN_IP,
    async startTurn(options = {}) {
      const turn = await startTurn({ ...options, host: TURN_IP, netns: TURN_NS });
      turns.push(turn);
      return turn;
    },
    cut() {
      router('iptables', ['-F', CUT_CHAIN]);
      router('iptables', ['-A', CUT_CHAIN, '-j', 'DROP']);
    },
    heal() {
      router('iptables', ['-F', CUT_CHAIN]);
    },
    setLoss(probability) {
      if (!(probability > 0 && probability < 1)) throw new Error('loss must be in (0, 1)');
      const perCrossing = 1 - Math.sqrt(1 - probability);
      router('iptables', ['-F', LOSS_CHAIN]);
      const p = perCrossing.toFixed(4);
      router(
        'iptables',
        ['-A', LOSS_CHAIN, '-m', 'statistic', '--mode', 'random'].concat([
          '--probability',
          p,
          '-j',
          'DROP',
        ]),
      );
    },
    clearLoss() {
      router('iptables', ['-F', LOSS_CHAIN]);
    },
    setRate(kbit) {
      // Burst: 20 ms at the rate, at least two full-size packets; queue up to 200 ms.
      const burst = Math.max(3000, Math.round((kbit * 1000) / 8 / 50));
      for (const dev of [ROUTER_ROOT_IF, ROUTER_TURN_IF]) {
        router('tc', [
          'qdisc',
          'replace',
          'dev',
          dev,
          'root',
          'tbf',
          'rate',
          `${kbit}kbit`,
          'burst',
          String(burst),
          'latency',
          '200ms',
        ]);
      }
    },
    clearRate() {
      for (const dev of [ROUTER_ROOT_IF, ROUTER_TURN_IF]) {
        run('ip', ['netns', 'exec', ROUTER_NS, 'tc', 'qdisc', 'del', 'dev', dev, 'root']);
      }
    },
    clearFaults() {
      link.heal();
      link.clearLoss();
      link.clearRate();
    },
    async destroy() {
      for (const turn of turns.splice(0)) await turn.stop();
      await destroyLink();
    },
  };
  return link;
}

// ---- added latency --------------------------------------------------------------

export interface DelayProxy {
  host: string;
  port: number;
  /** Datagrams forwarded each way so far. */
  readonly forwarded: { up: number; down: number };
  stop(): Promise<void>;
}

/**
 * A UDP relay in the root namespace that adds latency: each datagram from a
 * client goes on to `target` after `delayMs`, through one upstream socket
 * per client address, and each answer goes back to that client after
 * `delayMs` again. A TURN client pointed at it sees `2 × delayMs` more
 * round-trip time to its server.
 */
export async function startDelayProxy(options: {
  targetHost: string;
  targetPort: number;
  delayMs: number;
  listenHost?: string;
}): Promise<DelayProxy> {
  const host = options.listenHost ?? '127.0.0.1';
  const { targetHost, targetPort, delayMs } = options;
  const server = dgram.createSocket('udp4');
  const upstreams = new Map<string, dgram.Socket>();
  const timers = new Set<NodeJS.Timeout>();
  const forwarded = { up: 0, down: 0 };
  let stopped = false;
  const later = (fn: () => void) => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      if (!stopped) fn();
    }, delayMs);
    timers.add(timer);
  };
  server.on('error', () => undefined);
  server.on('message', (datagram, from) => {
    if (stopped) return;
    const key = `${from.address}:${from.port}`;
    let upstream = upstreams.get(key);
    if (!upstream) {
      const socket = dgram.createSocket('udp4');
      socket.on('error', () => undefined);
      socket.on('message', (answer) => {
        later(() => {
          forwarded.down++;
          server.send(answer, from.port, from.address);
        });
      });
      upstreams.set(key, socket);
      upstream = socket;
    }
    const socket = upstream;
    later(() => {
      forwarded.up++;
      socket.send(datagram, targetPort, targetHost);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.bind(0, host, () => resolve());
  });
  return {
    host,
    port: server.address().port,
    forwarded,
    async stop() {
      if (stopped) return;
      stopped = true;
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      const sockets = [server, ...upstreams.values()];
      upstreams.clear();
      await Promise.all(
        sockets.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))),
      );
    },
  };
}

// ---- one host on a local network ---------------------------------------------------

/**
 * Another machine on the local network, for a server that must be reached
 * on an address other than loopback: one namespace joined to the root
 * namespace by a veth pair, on a /30 of its own (apart from the link above):
 *
 *   root mcalls-lanr 10.199.1.1 ── mcalls-lan0 10.199.1.2 (namespace mcalls-lan)
 *
 * Nothing is routed, shaped or filtered. Deleting the namespace removes the
 * pair, so `destroyLanHost()` (run first by `createLanHost()` to clear a
 * crashed run's leftovers) is the whole cleanup. Same lock as the link: take
 * `acquireNetworkLock()` first.
 */
export const LAN_NS = 'mcalls-lan';
const LAN_ROOT_IF = 'mcalls-lanr';
const LAN_HOST_IF = 'mcalls-lan0';
export const LAN_ROOT_IP = '10.199.1.1';
export const LAN_HOST_IP = '10.199.1.2';

export interface LanHost {
  /** The namespace's name. */
  readonly ns: string;
  /** The root namespace's address on the pair. */
  readonly rootIp: string;
  /** The host's address, reachable from the root namespace. */
  readonly ip: string;
  /**
   * Starts `command` inside the namespace (`ip netns exec`, which execs it:
   * the child's pid is the command's own). Stopped by `destroy()` at the latest.
   */
  spawn(command: string, args: readonly string[], options?: SpawnOptions): ChildProcess;
  /** Stops every process in the namespace and deletes it with its veth pair. Idempotent. */
  destroy(): Promise<void>;
}

/** Stops every process in the namespace and deletes it and the pair. Idempotent. */
export async function destroyLanHost(): Promise<void> {
  if (namespaceExists(LAN_NS)) {
    // Only the tests put processes in this namespace; stop them by pid.
    const pids = run('ip', ['netns', 'pids', LAN_NS])
      .stdout.split('\n')
      .map(Number)
      .filter((pid) => Number.isInteger(pid) && pid > 0);
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
    for (let i = 0; i < 40 && pids.some(alive); i++) await sleep(25);
  }
  if (run('ip', ['link', 'show', LAN_ROOT_IF]).ok) must('ip', ['link', 'del', LAN_ROOT_IF]);
  if (namespaceExists(LAN_NS)) must('ip', ['netns', 'del', LAN_NS]);
}

/**
 * Creates the namespace and its veth pair (after removing any leftovers).
 *
 * @throws with a clear message when not root or a tool is missing.
 */
export async function createLanHost(): Promise<LanHost> {
  requireNetworkPrivileges();
  await destroyLanHost();
  try {
    must('ip', ['netns', 'add', LAN_NS]);
    inNs(LAN_NS, 'ip', ['link', 'set', 'lo', 'up']);
    must('ip', ['link', 'add', LAN_ROOT_IF, 'type', 'veth', 'peer', 'name', LAN_HOST_IF]);
    must('ip', ['link', 'set', LAN_HOST_IF, 'netns', LAN_NS]);
    must('ip', ['addr', 'add', `${LAN_ROOT_IP}/30`, 'dev', LAN_ROOT_IF]);
    must('ip', ['link', 'set', LAN_ROOT_IF, 'up']);
    inNs(LAN_NS, 'ip', ['addr', 'add', `${LAN_HOST_IP}/30`, 'dev', LAN_HOST_IF]);
    inNs(LAN_NS, 'ip', ['link', 'set', LAN_HOST_IF, 'up']);
  } catch (error) {
    await destroyLanHost().catch(() => undefined);
    throw new Error(`the LAN host could not be created: ${(error as Error).message}`, {
      cause: error,
    });
  }
  return {
    ns: LAN_NS,
    rootIp: LAN_ROOT_IP,
    ip: LAN_HOST_IP,
    spawn: (command, args, options = {}) =>
      spawn('ip', ['netns', 'exec', LAN_NS, command, ...args], options),
    destroy: destroyLanHost,
  };
}
