/**
 * The analytics taxonomy: every event the `analytics()` extension sends to
 * the brand's tracker, and the parameters each one may carry. One table,
 * read by the extension, the adapters' tests and the docs; tests outside
 * this repository rely on these names.
 *
 * Rules (GA4's, the strictest of the supported trackers; a unit test walks
 * the table): event and parameter names are snake_case, start with a letter
 * and are at most 40 characters; an event has at most 25 parameters; no name
 * is one of GA4's reserved names or starts with a reserved prefix (`_`,
 * `ga_`, `google_`, `firebase_`, `gtag`); string values are cut to 100
 * characters. Every event is named `call_…`, so a brand's own events
 * (`permission_granted` of its push notifications) never mix with them.
 *
 * The parameters, and all they can hold:
 * - `call_id`: the call's id, chosen by the agent's side (1–64 of
 *   `[A-Za-z0-9_-]`); opaque, never a person's name or address.
 * - `media`: `voice` or `video` (at the invitation, what the agent asked
 *   for; from the acceptance on, what the consumer accepted).
 * - `reason`: an `EndReason` (`declined`, `expired`, `normal`,
 *   `permission-denied`, `network`, …) or, for `call_rejected`, `busy`.
 * - `by`: who ended the call: `local`, `remote` or `system`.
 * - `duration_s`: whole seconds the call was connected (0 if it never was).
 * - `setup_ms`: milliseconds from the acceptance to the media connected.
 * - `wait_ms`: milliseconds the camera/microphone prompt was open.
 * - `outage_ms`: milliseconds a reconnection took.
 * - `share_s`: whole seconds the screen was shared.
 * - `gap_ms`: milliseconds between the page the consumer left during the
 *   call and the call connected again on the next one.
 * - `facing`: the camera now in use, `user` or `environment`, where the
 *   browser tells.
 * - `level`: the last quality level, 0 (nothing arrives) … 5 (excellent).
 * - `tier`: the bandwidth tier: `full`, `reduced` or `audio-only`.
 * - `degraded_s`: whole seconds the quality stayed degraded.
 *
 * Never sent: the agent's name or avatar, hangup details (free text), SDP,
 * ICE candidates, addresses, TURN credentials or anything the page typed.
 */
export const ANALYTICS_EVENTS = {
  /** An invitation arrived (also one refused at once, followed by `call_rejected`). */
  call_invited: ['call_id', 'media'],
  /** The consumer accepted; `media` is what they accepted (a video call taken as voice says `voice`). */
  call_accepted: ['call_id', 'media'],
  /**
   * The invitation was not taken: `reason` is `declined` (the consumer),
   * `expired` (not answered in time), `unsupported` or `disabled` (refused
   * by the SDK), or `busy` (a second invitation during a call: it has no
   * `call_id`, the second call's id is not told).
   */
  call_rejected: ['call_id', 'reason'],
  /** The browser gave the microphone (and camera) the call needs. */
  call_permission_granted: ['call_id', 'media', 'wait_ms'],
  /** The call ended at the prompt: `reason` is `permission-denied` or `no-device`. */
  call_permission_denied: ['call_id', 'media', 'reason'],
  /** Media connected for the first time. */
  call_connected: ['call_id', 'media', 'setup_ms'],
  /** The connection was lost; the SDK is trying to get it back. */
  call_reconnecting: ['call_id'],
  /** The connection is back. */
  call_reconnected: ['call_id', 'outage_ms'],
  /** The call went on after the consumer changed pages (protocol 1.1 resume). */
  call_resumed: ['call_id', 'gap_ms'],
  /** The agent asked to see the consumer's screen. */
  call_share_requested: ['call_id'],
  /** The consumer's screen is shared (on request or not). */
  call_share_started: ['call_id'],
  /** Sharing stopped (the consumer, the browser's own control, or the end of the call). */
  call_share_stopped: ['call_id', 'share_s'],
  /** The consumer muted the microphone. */
  call_mic_muted: ['call_id'],
  /** The consumer unmuted the microphone. */
  call_mic_unmuted: ['call_id'],
  /** The consumer's camera came on during the call. */
  call_camera_on: ['call_id'],
  /** The consumer's camera went off during the call. */
  call_camera_off: ['call_id'],
  /** Another camera is sending (switched, selected, or a failover after one was unplugged). */
  call_camera_switched: ['call_id', 'facing'],
  /**
   * The quality fell: three samples in a row at level 2 or below (needs
   * `qualityMonitor()`), or the bandwidth tier left `full`.
   */
  call_quality_degraded: ['call_id', 'level', 'tier'],
  /** The quality is back: three samples at level 4 or above and the tier `full`. */
  call_quality_recovered: ['call_id', 'level', 'degraded_s'],
  /** The call is over. Every invitation ends with exactly one, also one rejected. */
  call_ended: ['call_id', 'media', 'reason', 'by', 'duration_s'],
} as const satisfies Record<string, readonly string[]>;

export type AnalyticsEventName = keyof typeof ANALYTICS_EVENTS;

/** What an adapter receives: flat, short, never personal. */
export type AnalyticsParams = Record<string, string | number | boolean>;

/** The parameters one event may carry. */
export type ParamsOf<E extends AnalyticsEventName> = Partial<
  Record<(typeof ANALYTICS_EVENTS)[E][number], string | number | boolean | undefined>
>;
