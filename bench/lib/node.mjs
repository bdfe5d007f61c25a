// Node helpers for the wrtc benchmarks: the built SDK, wrtc, and wrappers
// that count peer connections, record what a transport sends, and keep
// descriptions out of wrtc's crash-prone getters.
import wrtc from 'wrtc';
import { CallClient } from '../../dist/messaging-calls.mjs';
import { createMemoryTransportPair } from '../../dist/transports.mjs';
import { AgentCall } from '../../dist/agent.mjs';
import { createNodePlatform } from '../../dist/testing.mjs';

export { wrtc, CallClient, AgentCall, createMemoryTransportPair, createNodePlatform };

/** The configuration the SDK gives its peer connections without STUN/TURN servers. */
export const RTC_CONFIGURATION = {
  iceServers: [],
  iceTransportPolicy: 'all',
  bundlePolicy: 'max-bundle',
  rtcpMuxPolicy: 'require',
};

/**
 * wrtc's RTCPeerConnection, counting the connections that were made and not
 * yet closed (`open()`), to check that a finished call leaves none.
 */
export function countingPeerConnection(Base = wrtc.RTCPeerConnection) {
  const open = new Set();
  let made = 0;
  let collected = 0;
  const registry = new FinalizationRegistry(() => collected++);
  function Counting(configuration) {
    const pc = new Base(configuration);
    made++;
    open.add(pc);
    registry.register(pc, null);
    const close = pc.close;
    pc.close = function closeAndCount() {
      open.delete(pc);
      return close.call(pc);
    };
    return pc;
  }
  return {
    RTCPeerConnection: Counting,
    /** Connections made and not closed whose signalingState is not 'closed'. */
    open() {
      let count = 0;
      for (const pc of open) {
        if (pc.signalingState === 'closed') open.delete(pc);
        else count++;
      }
      return count;
    },
    made: () => made,
    /** Connections the garbage collector has reclaimed (after a forced GC and a turn of the loop). */
    collected: () => collected,
  };
}

/**
 * wrtc's RTCPeerConnection whose `localDescription` / `remoteDescription`
 * return the descriptions last set instead of reading them from wrtc: those
 * getters serialize the native description while wrtc's threads may change
 * it, and crash the process now and then (shared/MACHINE.md). simple-peer
 * reads both; the SDK and the bare variant never do.
 */
export function SafeDescriptionPeerConnection(configuration) {
  const pc = new wrtc.RTCPeerConnection(configuration);
  let local = null;
  let remote = null;
  const plain = (d) => (d && d.type !== 'rollback' ? { type: d.type, sdp: d.sdp } : null);
  const setLocalDescription = async (description) => {
    await pc.setLocalDescription(description);
    local = plain(description);
  };
  const setRemoteDescription = async (description) => {
    await pc.setRemoteDescription(description);
    remote = plain(description);
  };
  return new Proxy(pc, {
    get(target, property) {
      if (property === 'localDescription') return local;
      if (property === 'remoteDescription') return remote;
      if (property === 'setLocalDescription') return setLocalDescription;
      if (property === 'setRemoteDescription') return setRemoteDescription;
      const value = Reflect.get(target, property, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
    set(target, property, value) {
      target[property] = value;
      return true;
    },
  });
}

/**
 * A bare RTCPeerConnection pair, the baseline the SDK is compared with: both
 * sides' getUserMedia, then offer/answer and trickle ICE over an in-process
 * channel (JSON text, one setTimeout 0 per message, as the SDK's memory
 * transport), candidates held until a remote description is set (as the SDK
 * does). Resolves once both connectionStates are 'connected'; `close()` closes
 * both and stops every track. Descriptions are never read back from wrtc.
 */
export async function connectBarePair({
  RTCPeerConnection,
  offerDevices,
  answerDevices,
  media,
  timeoutMs = 15_000,
}) {
  const startedAt = performance.now();
  const [offerStream, answerStream] = await Promise.all([
    offerDevices.getUserMedia(media),
    answerDevices.getUserMedia(media),
  ]);
  const mediaAt = performance.now();
  const offerer = new RTCPeerConnection(RTC_CONFIGURATION);
  const answerer = new RTCPeerConnection(RTC_CONFIGURATION);
  const close = () => {
    for (const pc of [offerer, answerer]) {
      pc.onconnectionstatechange = pc.onicecandidate = null;
      pc.close();
    }
    for (const stream of [offerStream, answerStream])
      for (const track of stream.getTracks()) track.stop();
  };
  let timer;
  try {
    const connected = (pc) =>
      new Promise((resolve, reject) => {
        pc.onconnectionstatechange = () => {
          if (pc.connectionState === 'connected') resolve(performance.now());
          if (pc.connectionState === 'failed') reject(new Error('bare pair: ICE failed'));
        };
      });
    const both = Promise.all([connected(offerer), connected(answerer)]);
    const timeout = new Promise((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`bare pair: not connected in ${timeoutMs} ms`)),
        timeoutMs,
      );
    });
    const channel = (deliver) => (message) => {
      const text = JSON.stringify(message);
      setTimeout(() => deliver(JSON.parse(text)), 0);
    };
    const side = (pc, send, onOffer) => {
      let hasRemote = false;
      const pending = [];
      const addCandidate = (c) =>
        (c ? pc.addIceCandidate(c) : pc.addIceCandidate()).catch(() => undefined);
      pc.onicecandidate = (e) => {
        const c = e.candidate;
        send({
          candidate:
            c && c.candidate
              ? { candidate: c.candidate, sdpMid: c.sdpMid, sdpMLineIndex: c.sdpMLineIndex }
              : null,
        });
      };
      return async (message) => {
        if ('candidate' in message) {
          if (hasRemote) await addCandidate(message.candidate);
          else pending.push(message.candidate);
          return;
        }
        await pc.setRemoteDescription(message.description);
        hasRemote = true;
        for (const c of pending.splice(0)) await addCandidate(c);
        if (message.description.type === 'offer') await onOffer();
      };
    };
    let toAnswerer;
    const toOfferer = channel(side(offerer, (m) => toAnswerer(m)));
    toAnswerer = channel(
      side(answerer, toOfferer, async () => {
        for (const track of answerStream.getTracks()) answerer.addTrack(track, answerStream);
        const answer = await answerer.createAnswer();
        await answerer.setLocalDescription(answer);
        toOfferer({ description: { type: 'answer', sdp: answer.sdp } });
      }),
    );
    for (const track of offerStream.getTracks()) offerer.addTrack(track, offerStream);
    const offer = await offerer.createOffer();
    await offerer.setLocalDescription(offer);
    toAnswerer({ description: { type: 'offer', sdp: offer.sdp } });
    const times = await Promise.race([both, timeout]);
    return { startedAt, mediaAt, connectedAt: Math.max(...times), close };
  } catch (error) {
    close();
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

/** A transport that forwards to `inner` and records every message sent, with its time. */
export function recordingTransport(inner) {
  const sent = [];
  return {
    sent,
    send(message) {
      sent.push({ at: performance.now(), type: message.type, message });
      inner.send(message);
    },
    listen: (listener) => inner.listen(listener),
    close: () => inner.close(),
  };
}

/** Resolves with the first event of `emitter` named `name` whose payload matches, or rejects after `ms`. */
export function waitFor(emitter, name, match = () => true, ms = 15_000, what = name) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      emitter.off(name, listener);
      reject(new Error(`timed out after ${ms} ms waiting for ${what}`));
    }, ms);
    function listener(value) {
      if (!match(value)) return;
      clearTimeout(timer);
      emitter.off(name, listener);
      resolve(value);
    }
    emitter.on(name, listener);
  });
}

/** Resolves when the emitter's statechange reaches `state` (or it is there already). */
export function reachState(side, state, ms = 15_000) {
  if (side.state === state) return Promise.resolve();
  return waitFor(
    side,
    'statechange',
    (e) => e.state === state,
    ms,
    `state ${state} (now ${side.state})`,
  );
}

/** Timers (setTimeout/setInterval) alive in the process now. */
export function activeTimers() {
  return process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
}

/** A noise figure from one run: how far p90 is above the median, as `1.23×`. */
export const noiseLabel = (s) => `${s.noise.toFixed(2)}×`;

/**
 * Leaves the process the way wrtc needs: every synthetic track stopped, then
 * process.exit() (a process that used wrtc sources can crash if it exits on
 * its own).
 */
export function exitCleanly(platforms, code = 0) {
  for (const platform of platforms) platform.mediaDevices.stopAll();
  setTimeout(() => process.exit(code), 50);
}
