import type { CallExtension } from '../call/CallClient';
import { Timers } from '../foundation/timers';
import { statsEntries, summarizeStats } from '../quality/stats';
import type { StatsEntry } from '../quality/stats';
import { BandwidthTracker, DEFAULT_BANDWIDTH_POLICY, videoEncoding } from '../quality/bandwidth';
import type { BandwidthPolicy } from '../quality/bandwidth';

export interface QualityMonitorOptions {
  /** How often getStats is sampled, ms (default 1,000). */
  intervalMs?: number;
  /**
   * Bandwidth tiers. The cap is the client's (`videoMaxKbps`), so the call
   * starts and recovers at the same cap.
   */
  bandwidth?: Partial<Omit<BandwidthPolicy, 'videoMaxKbps'>>;
}

/**
 * The `quality` and `bandwidth` events: samples getStats once per interval
 * while a call is connected (or reconnecting), and moves a video call
 * between the bandwidth tiers full → reduced → audio-only and back, changing
 * the video sender's encoding as it goes.
 *
 * @example
 * const client = new CallClient({ transport, extensions: [qualityMonitor()] });
 * client.on('quality', (q) => meter.set(q.level));
 */
export function qualityMonitor(given?: QualityMonitorOptions | null): CallExtension {
  const options = given ?? {};
  if ('client' in options) {
    // `extensions: [qualityMonitor]` from plain JavaScript: the factory was
    // given a context. Say so rather than run with the context as options.
    throw new TypeError('qualityMonitor is a factory: use extensions: [qualityMonitor()]');
  }
  return (ctx) => {
    const { client, clock, log } = ctx;
    const every = options.intervalMs ?? 1_000;
    const policy: BandwidthPolicy = {
      ...DEFAULT_BANDWIDTH_POLICY,
      ...options.bandwidth,
      videoMaxKbps: ctx.videoMaxKbps,
    };
    /** The sampling of one call; replaced when the next call connects. */
    let run: { last: StatsEntry[] | null; tracker: BandwidthTracker | null } | null = null;
    const timers = new Timers<'sample'>(clock);

    const stop = () => {
      run = null;
      timers.clearAll();
    };
    const schedule = () => {
      const current = run;
      timers.set('sample', every, () => {
        client
          .getStats()
          .then((report) => {
            if (run !== current || !report || !current) return;
            const entries = statsEntries(report);
            const sample = summarizeStats(current.last, entries);
            current.last = entries;
            ctx.emit('quality', sample);
            const change = current.tracker?.feed({
              availableSendKbps: sample.availableSendKbps,
              limitedByBandwidth: sample.videoLimitation === 'bandwidth',
            });
            if (!change || run !== current) return;
            log('info', `bandwidth ${change.previous} -> ${change.tier}`, {
              kbps: change.availableKbps ?? undefined,
            });
            void ctx.setVideoEncoding(videoEncoding(change.tier, policy, change.availableKbps));
            ctx.setVideoPaused(change.tier === 'audio-only' && policy.autoAudioOnly);
            ctx.emit('bandwidth', change);
          })
          .catch(() => undefined)
          .finally(() => {
            if (run === current && !timers.has('sample')) schedule();
          });
      });
    };

    ctx.onStateChange((state, previous) => {
      if (state === 'connected' && previous === 'connecting' && every > 0) {
        stop();
        const video = client.callInfo?.media === 'video';
        run = { last: null, tracker: video ? new BandwidthTracker(policy) : null };
        schedule();
      } else if (state !== 'connected' && state !== 'reconnecting') {
        stop();
      }
    });
    return stop;
  };
}
