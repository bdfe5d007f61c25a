import {
  BandwidthTracker,
  DEFAULT_BANDWIDTH_POLICY,
  videoEncoding,
} from '../../src/quality/bandwidth';
import type { BandwidthEvent } from '../../src/quality/bandwidth';

const limited = (kbps: number) => ({ availableSendKbps: kbps, limitedByBandwidth: true });
const relaxed = (kbps: number) => ({ availableSendKbps: kbps, limitedByBandwidth: false });

function feedAll(tracker: BandwidthTracker, inputs: Parameters<BandwidthTracker['feed']>[0][]) {
  const events: BandwidthEvent[] = [];
  for (const input of inputs) {
    const e = tracker.feed(input);
    if (e) events.push(e);
  }
  return events;
}

const times = <T>(n: number, value: T): T[] => Array.from({ length: n }, () => value);

describe('BandwidthTracker', () => {
  test('a call with plenty of bandwidth stays full', () => {
    const t = new BandwidthTracker();
    expect(feedAll(t, times(20, limited(3000)))).toEqual([]);
    expect(t.tier).toBe('full');
  });

  test('a low estimate while the encoder is not short of bits changes nothing', () => {
    const t = new BandwidthTracker();
    expect(feedAll(t, times(20, relaxed(300)))).toEqual([]);
  });

  test('below the video floor for `hold` samples the call is reduced; not before', () => {
    const t = new BandwidthTracker();
    expect(feedAll(t, times(2, limited(900)))).toEqual([]);
    expect(feedAll(t, [limited(900)])).toEqual([
      { tier: 'reduced', previous: 'full', availableKbps: 900 },
    ]);
  });

  test('below the audio-only threshold the call goes audio-only', () => {
    const t = new BandwidthTracker();
    const events = feedAll(t, times(3, limited(250)));
    expect(events).toEqual([{ tier: 'audio-only', previous: 'full', availableKbps: 250 }]);
  });

  test('recovery needs twice the samples and 25 % headroom: no flapping at the threshold', () => {
    const t = new BandwidthTracker();
    feedAll(t, times(3, limited(900)));
    expect(t.tier).toBe('reduced');
    // Just over the floor is not enough to go back up.
    expect(feedAll(t, times(10, limited(1200)))).toEqual([]);
    expect(feedAll(t, times(5, limited(1400)))).toEqual([]);
    expect(feedAll(t, [limited(1400)])).toEqual([
      { tier: 'full', previous: 'reduced', availableKbps: 1400 },
    ]);
  });

  test('an interrupted streak starts again', () => {
    const t = new BandwidthTracker();
    expect(
      feedAll(t, [limited(900), limited(900), limited(3000), limited(900), limited(900)]),
    ).toEqual([]);
  });

  test('in automatic audio-only, the call probes with reduced video after a while', () => {
    const policy = { ...DEFAULT_BANDWIDTH_POLICY, autoAudioOnly: true };
    const t = new BandwidthTracker(policy);
    feedAll(t, times(3, limited(200)));
    expect(t.tier).toBe('audio-only');
    // No video is sent, so the estimate stays low; the probe comes anyway.
    const events = feedAll(t, times(policy.hold * 10, relaxed(100)));
    expect(events).toEqual([{ tier: 'reduced', previous: 'audio-only', availableKbps: 100 }]);
  });
});

describe('videoEncoding', () => {
  const policy = DEFAULT_BANDWIDTH_POLICY;
  test('full quality is capped at the policy maximum', () => {
    expect(videoEncoding('full', policy, 5000)).toEqual({
      maxBitrate: 2_500_000,
      scaleResolutionDownBy: 1,
      active: true,
    });
  });
  test('reduced halves the resolution and fits the estimate', () => {
    expect(videoEncoding('reduced', policy, 1000)).toEqual({
      maxBitrate: 850_000,
      scaleResolutionDownBy: 2,
      active: true,
    });
  });
  test('audio-only stops the encoding only in automatic mode', () => {
    expect(videoEncoding('audio-only', policy, 200).active).toBe(true);
    expect(videoEncoding('audio-only', { ...policy, autoAudioOnly: true }, 200).active).toBe(false);
  });
});
