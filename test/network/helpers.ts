/**
 * Shared pieces of the network suites: forced-relay calls, a camera whose
 * picture is noise (so that video wants far more than a capped link
 * carries), and collectors of everything the SDK says.
 */
import { randomFillSync } from 'node:crypto';
import wrtc from 'wrtc';
import { setupCall, bytesReceived } from '../support/harness';
import type { CallSetup, SetupOptions } from '../support/harness';
import { reachState, until } from '../support/wait';
import { createNodePlatform } from '../../src/testing';
import type { NodePlatform, VideoSourceLike } from '../../src/testing';
import type { CallTimeouts } from '../../src/call/CallClient';
import type { QualitySample } from '../../src/quality/stats';
import type { Logger } from '../../src/foundation/log';

export interface RelayCallOptions {
  iceServers: RTCIceServer[];
  /** The agent's servers when they differ from the consumer's. */
  agentIceServers?: RTCIceServer[];
  timeouts?: Partial<CallTimeouts>;
  logger?: Logger;
  agentLogger?: Logger;
  /** A consumer platform of the test's own (e.g. `noisyPlatform()`). */
  platform?: NodePlatform;
}

/** A video call in which both sides may only use TURN relay candidates. */
export function relayCall(options: RelayCallOptions): Promise<CallSetup> {
  const client: SetupOptions['client'] = {
    iceServers: options.iceServers,
    forceRelay: true,
    ...(options.timeouts ? { timeouts: options.timeouts } : {}),
    ...(options.logger ? { logger: options.logger } : {}),
    ...(options.platform ? { platform: options.platform } : {}),
  };
  const agentServers = options.agentIceServers ?? options.iceServers;
  return setupCall({
    client,
    agent: {
      media: 'video',
      iceServers: agentServers.map((s) => ({
        urls: s.urls,
        ...(s.username !== undefined ? { username: s.username } : {}),
        ...(typeof s.credential === 'string' ? { credential: s.credential } : {}),
      })),
      policy: { forceRelay: true },
      ...(options.agentLogger ? { logger: options.agentLogger } : {}),
    },
  });
}

/** Accepts the invitation and waits until both sides are connected. */
export async function connect(setup: CallSetup, ms = 15_000): Promise<void> {
  setup.client.once('invitation', () => void setup.client.accept());
  setup.agent.invite();
  await Promise.all([
    reachState(setup.client, 'connected', ms),
    reachState(setup.agent, 'connected', ms),
  ]);
}

type Side = { getStats(): Promise<RTCStatsReport | null> };

/**
 * Waits until what `side` receives grows by more than `audio` and `video`
 * bytes from now on (media flows, in the direction that side receives).
 */
export async function expectMediaGrows(
  side: Side,
  what: string,
  { audio = 1000, video = 1000, ms = 15_000 } = {},
): Promise<void> {
  const start = await bytesReceived(side);
  await until(
    async () => {
      const now = await bytesReceived(side);
      return now.audio - start.audio > audio && now.video - start.video > video;
    },
    `${what}: audio and video bytes growing (from ${JSON.stringify(start)})`,
    ms,
  );
}

/** Records every quality sample with the time it arrived. */
export function recordQuality(setup: CallSetup): { at: number; sample: QualitySample }[] {
  const samples: { at: number; sample: QualitySample }[] = [];
  setup.client.on('quality', (sample) => samples.push({ at: Date.now(), sample }));
  return samples;
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** Resolves once `count` more quality samples have arrived after this call. */
export async function nextSamples(
  samples: readonly { sample: QualitySample }[],
  count: number,
  ms = count * 1000 + 10_000,
): Promise<QualitySample[]> {
  const from = samples.length;
  await until(() => samples.length >= from + count, `${count} quality samples`, ms);
  return samples.slice(from, from + count).map((s) => s.sample);
}

/**
 * A wrtc video source whose luma is random noise every frame: an encoder
 * cannot compress it, so the sender wants its whole budget (the SDK caps
 * video at 2,500 kbit/s) and a narrower link must make it back off. The
 * synthetic cameras' flat picture needs only a few kbit/s.
 */
class NoisyVideoSource implements VideoSourceLike {
  private readonly inner = new wrtc.nonstandard.RTCVideoSource();

  createTrack(): MediaStreamTrack {
    return this.inner.createTrack() as unknown as MediaStreamTrack;
  }

  onFrame(frame: { width: number; height: number; data: Uint8Array }): void {
    randomFillSync(frame.data, 0, frame.width * frame.height);
    this.inner.onFrame(frame);
  }
}

/** A consumer platform with noisy 640x480 cameras at 15 fps (stop it with `mediaDevices.stopAll()`). */
export function noisyPlatform(): NodePlatform {
  const noisyWrtc = {
    MediaStream: wrtc.MediaStream as unknown as NodePlatform['MediaStream'],
    RTCPeerConnection: wrtc.RTCPeerConnection as unknown as NodePlatform['RTCPeerConnection'],
    nonstandard: {
      RTCAudioSource: wrtc.nonstandard.RTCAudioSource,
      RTCVideoSource: NoisyVideoSource,
    },
  };
  return createNodePlatform(noisyWrtc as Parameters<typeof createNodePlatform>[0], {
    width: 640,
    height: 480,
    fps: 15,
  });
}

/** Collects everything a call emits (and logs) as JSON text, to search for secrets. */
export function collectOutput(setup: CallSetup): string[] {
  const out: string[] = [];
  const push = (what: string, value: unknown) => {
    try {
      out.push(`${what} ${JSON.stringify(value, replacer)}`);
    } catch (error) {
      out.push(`${what} <unserializable: ${String(error)}>`);
    }
  };
  for (const event of ['statechange', 'quality', 'bandwidth', 'ended', 'warning'] as const) {
    setup.client.on(event, (value: unknown) => push(`client ${event}`, value));
  }
  for (const event of ['statechange', 'ended', 'warning'] as const) {
    setup.agent.on(event, (value: unknown) => push(`agent ${event}`, value));
  }
  return out;
}

/** JSON.stringify drops Error fields; keep name, message and cause. */
function replacer(_key: string, value: unknown): unknown {
  if (value instanceof Error) {
    return { name: value.name, message: value.message, stack: value.stack, cause: value.cause };
  }
  return value;
}

/** A logger that keeps every line (level, message, fields) as text. */
export function collectingLogger(lines: string[]): Logger {
  return (level, message, fields) => {
    lines.push(`${level} ${message} ${JSON.stringify(fields ?? {}, replacer)}`);
  };
}

/** Runs every cleanup step even when one throws, then throws the first error. */
export async function runAll(steps: readonly (() => unknown)[]): Promise<void> {
  const errors: unknown[] = [];
  for (const step of steps) {
    try {
      await step();
    } catch (error) {
      errors.push(error);
    }
  }
  if (errors.length > 0) throw errors[0];
}
