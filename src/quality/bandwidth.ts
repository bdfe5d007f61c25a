import { capEncoding } from '../peer/encoding';
import type { VideoEncoding } from '../peer/encoding';

/**
 * The bandwidth policy of a video call: a cap on what the camera sends, and
 * tiers the call moves through as the available outgoing bitrate changes.
 *
 * The browser's congestion control already lowers resolution and frame rate
 * when bandwidth shrinks (guided by `degradationPreference`); the policy
 * decides what the browser cannot: when video is no longer worth sending
 * and the call should go on as audio only, and when video can come back.
 */

export interface BandwidthPolicy {
  /** Cap of the video sender, kbit/s; audio (about 40–100) takes the rest of 2,600. */
  videoMaxKbps: number;
  /** Below this estimate, with the encoder limited by bandwidth, the call is `reduced`. */
  videoFloorKbps: number;
  /** Below this estimate, video is not worth sending: `audio-only`. */
  audioOnlyBelowKbps: number;
  /** Stop sending video by itself at `audio-only`, and send it again on recovery. */
  autoAudioOnly: boolean;
  /** Consecutive samples a new tier must hold before the call moves to it. */
  hold: number;
}

export const DEFAULT_BANDWIDTH_POLICY: BandwidthPolicy = {
  videoMaxKbps: 2_500,
  videoFloorKbps: 1_100,
  audioOnlyBelowKbps: 400,
  autoAudioOnly: false,
  hold: 3,
};

export type BandwidthTier = 'full' | 'reduced' | 'audio-only';

export interface BandwidthEvent {
  tier: BandwidthTier;
  previous: BandwidthTier;
  /** The estimate that decided it, kbit/s. */
  availableKbps: number | null;
}

/** What one quality sample says about bandwidth. */
export interface BandwidthInput {
  availableSendKbps: number | null;
  /** The video encoder says bandwidth is what limits it. */
  limitedByBandwidth: boolean;
}

/**
 * Follows the samples of one call and says when its tier changes. Moving
 * down needs `hold` samples in a row; moving back up needs twice as many
 * and 25 % headroom, so a call does not flap at a threshold. A call that
 * stopped sending video cannot measure whether video would fit again, so
 * after a while in `audio-only` it probes with `reduced`.
 */
export class BandwidthTracker {
  private current: BandwidthTier = 'full';
  private candidate: BandwidthTier = 'full';
  private streak = 0;
  private samplesInTier = 0;

  constructor(private readonly policy: BandwidthPolicy = DEFAULT_BANDWIDTH_POLICY) {}

  get tier(): BandwidthTier {
    return this.current;
  }

  /** Feeds one sample; returns the change, if this sample completes one. */
  feed(input: BandwidthInput): BandwidthEvent | null {
    this.samplesInTier++;
    const probe =
      this.current === 'audio-only' &&
      this.policy.autoAudioOnly &&
      this.samplesInTier >= this.policy.hold * 10;
    const target = probe ? 'reduced' : this.classify(input);
    if (target === this.current) {
      this.streak = 0;
      return null;
    }
    this.streak = target === this.candidate ? this.streak + 1 : 1;
    this.candidate = target;
    const up = rank(target) > rank(this.current);
    if (!probe && this.streak < (up ? this.policy.hold * 2 : this.policy.hold)) return null;
    const event = { tier: target, previous: this.current, availableKbps: input.availableSendKbps };
    this.current = target;
    this.streak = 0;
    this.samplesInTier = 0;
    return event;
  }

  private classify({ availableSendKbps: kbps, limitedByBandwidth }: BandwidthInput): BandwidthTier {
    if (kbps === null) return this.current;
    // A low estimate means little while the encoder is not short of bits: a
    // sender that needs little (a still picture) keeps the estimate low.
    if (this.current === 'full' && !limitedByBandwidth) return 'full';
    // Leaving a tier upwards asks for 25 % headroom over its threshold.
    const audioOnly = this.policy.audioOnlyBelowKbps * (this.current === 'audio-only' ? 1.25 : 1);
    const floor = this.policy.videoFloorKbps * (this.current === 'full' ? 1 : 1.25);
    if (kbps < audioOnly) return 'audio-only';
    if (kbps < floor) return 'reduced';
    return 'full';
  }
}

function rank(tier: BandwidthTier): number {
  return tier === 'full' ? 2 : tier === 'reduced' ? 1 : 0;
}

/**
 * Encoding parameters for the video sender in a tier: the cap, and in
 * `reduced` half the resolution so that the remaining bits give a sharp
 * picture rather than a blocky one; `audio-only` stops the encoding when
 * the policy says so (the camera stays open for the self view).
 */
export function videoEncoding(
  tier: BandwidthTier,
  policy: BandwidthPolicy,
  availableKbps: number | null,
): VideoEncoding {
  const cap = policy.videoMaxKbps * 1000;
  if (tier === 'full') return capEncoding(policy.videoMaxKbps);
  const budget = availableKbps === null ? cap : Math.min(cap, availableKbps * 1000 * 0.85);
  return {
    maxBitrate: Math.max(150_000, Math.round(budget)),
    scaleResolutionDownBy: 2,
    active: tier === 'reduced' || !policy.autoAudioOnly,
  };
}
