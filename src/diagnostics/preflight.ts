import { resolvePlatform } from '../env/platform';
import type { PartialPlatform, Platform } from '../env/platform';
import { supportOf } from '../env/support';
import type { SupportOptions, SupportReport } from '../env/support';
import { candidateType, iceErrorText, serverHasScheme } from '../peer/ice';
import { enumerateDevices } from '../media/devices';
import { allWhere } from '../util/list';

export type PermissionStateLike = 'granted' | 'denied' | 'prompt' | 'unknown';

export interface ServerCheck {
  /** False when no server of that kind was given. */
  tested: boolean;
  reachable: boolean;
  /** Time to the first candidate of that type, ms. */
  ms?: number;
  /** Why not, in words (no addresses, no credentials). */
  detail?: string;
}

export interface PreflightReport {
  /** Everything needed for a call is there (support, a microphone, TURN if one was given). */
  ok: boolean;
  support: SupportReport;
  devices: { microphones: number; cameras: number; speakers: number };
  permissions: { microphone: PermissionStateLike; camera: PermissionStateLike };
  /** A server-reflexive candidate was gathered through the STUN servers. */
  stun: ServerCheck;
  /** A relay candidate was allocated on the TURN servers. */
  turn: ServerCheck;
}

interface Gathered {
  types: string[];
  firstMs: Map<string, number>;
  error: string | null;
}

/**
 * Gathers candidates with `configuration` until gathering completes or
 * `timeoutMs` passes, then closes the connection. Never throws.
 */
async function gather(
  platform: PartialPlatform,
  configuration: RTCConfiguration,
  timeoutMs: number,
): Promise<Gathered> {
  const result: Gathered = { types: [], firstMs: new Map(), error: null };
  const Ctor = platform.RTCPeerConnection;
  if (!Ctor) return { ...result, error: 'no RTCPeerConnection' };
  let pc: RTCPeerConnection | null = null;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const started = Date.now();
  try {
    pc = new Ctor(configuration);
    const done = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, timeoutMs);
      pc!.onicecandidate = (event) => {
        const line = event.candidate?.candidate;
        if (!line) return resolve();
        const type = candidateType(line);
        if (!type) return;
        result.types[result.types.length] = type;
        if (!result.firstMs.has(type)) result.firstMs.set(type, Date.now() - started);
      };
      pc!.onicecandidateerror = (event) => {
        result.error = iceErrorText(event);
      };
    });
    // One m-line is enough to gather for; no device is needed.
    pc.addTransceiver('audio', { direction: 'recvonly' });
    const offer = await pc.createOffer();
    await pc.setLocalDescription(offer);
    await done;
  } catch (error) {
    result.error = `the check could not run: ${String((error as Error)?.message ?? error)}`;
  } finally {
    clearTimeout(timer);
    if (pc) {
      pc.onicecandidate = pc.onicecandidateerror = null;
      try {
        pc.close();
      } catch {
        // already closed
      }
    }
  }
  return result;
}

function serversOf(iceServers: readonly RTCIceServer[], scheme: RegExp): RTCIceServer[] {
  return allWhere(iceServers, (server) => serverHasScheme(server, scheme));
}

async function checkServers(
  platform: PartialPlatform,
  servers: RTCIceServer[],
  type: 'srflx' | 'relay',
  timeoutMs: number,
): Promise<ServerCheck> {
  if (servers.length === 0) return { tested: false, reachable: false };
  const gathered = await gather(
    platform,
    { iceServers: servers, iceTransportPolicy: type === 'relay' ? 'relay' : 'all' },
    timeoutMs,
  );
  const ms = gathered.firstMs.get(type);
  if (ms !== undefined) return { tested: true, reachable: true, ms };
  const what = type === 'relay' ? 'no relay candidate' : 'no server-reflexive candidate';
  return {
    tested: true,
    reachable: false,
    detail: gathered.error ? `${what}: ${gathered.error}` : `${what} within ${timeoutMs} ms`,
  };
}

async function permission(name: 'camera' | 'microphone'): Promise<PermissionStateLike> {
  const permissions = (
    globalThis as {
      navigator?: { permissions?: { query(d: { name: string }): Promise<{ state: string }> } };
    }
  ).navigator?.permissions;
  if (!permissions) return 'unknown';
  try {
    const { state } = await permissions.query({ name });
    return state === 'granted' || state === 'denied' || state === 'prompt' ? state : 'unknown';
  } catch {
    return 'unknown'; // a browser that does not know this permission name
  }
}

/**
 * Checks what a call needs before there is one: support, devices, permission
 * states, STUN reachability and TURN allocation. Opens no camera or
 * microphone and asks for no permission.
 */
export async function runPreflight(
  platform: PartialPlatform,
  support: SupportReport,
  iceServers: readonly RTCIceServer[],
  timeoutMs: number,
): Promise<PreflightReport> {
  const list = await enumerateDevices(platform.mediaDevices);
  const count = (kind: MediaDeviceKind) => {
    let n = 0;
    for (const d of list) if (d.kind === kind) n++;
    return n;
  };
  const devices = {
    microphones: count('audioinput'),
    cameras: count('videoinput'),
    speakers: count('audiooutput'),
  };
  const [microphone, camera, stun, turn] = await Promise.all([
    permission('microphone'),
    permission('camera'),
    checkServers(platform, serversOf(iceServers, /^stuns?:/i), 'srflx', timeoutMs),
    checkServers(platform, serversOf(iceServers, /^turns?:/i), 'relay', timeoutMs),
  ]);
  const ok =
    support.supported &&
    devices.microphones > 0 &&
    microphone !== 'denied' &&
    (!turn.tested || turn.reachable);
  return { ok, support, devices, permissions: { microphone, camera }, stun, turn };
}

export interface PreflightOptions extends SupportOptions {
  platform?: Partial<Platform>;
  /** The STUN/TURN servers calls will use. */
  iceServers?: RTCIceServer[];
  /** How long each server check may take, ms (default 5,000). */
  timeoutMs?: number;
}

/**
 * Checks, before any call, what a call will need: support, devices,
 * permission states, STUN reachability and TURN allocation with the given
 * servers. Asks for no permission and opens no device.
 *
 * @example
 * const report = await preflight({ iceServers });
 * if (!report.turn.reachable) console.warn(report.turn.detail);
 */
export function preflight(options: PreflightOptions = {}): Promise<PreflightReport> {
  const o = options ?? {};
  const platform = resolvePlatform(o.platform);
  const support = supportOf(platform, o);
  return runPreflight(platform, support, o.iceServers ?? [], o.timeoutMs ?? 5_000);
}
