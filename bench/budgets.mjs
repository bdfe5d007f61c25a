// The size budgets, shared by check-size.mjs (CI) and run.mjs (the table).
// Budgets in bytes of min+gzip. The core's is a ratchet, rounded up to the
// next half kilobyte: 13.5 KB when the optional entries were split off,
// 14.5 KB when the core was cut into rooms (one room a concern, shared with
// the agent side: the classes, their wiring and the negotiation warning
// cost 1.1 KB; naming alone is at most 0.5 KB of it), 16.5 KB with protocol
// 1.1's instances and resume (2.0 KB: the 1.1 fields in the validator, the
// commitment scheme, the certificate kept in IndexedDB, the session-storage
// record, suspend, resume and its retry, the invitation shown again, the
// back/forward cache; the target was 1.5 KB), 17 KB with screen share
// (0.6 KB: the request and its reply, the picker, the track on the video
// sender, the camera back), 17.5 KB with the ends of what can go wrong
// around them (an IndexedDB that never answers, a page back from the cache
// too late, a record that cannot be written, a share that cannot be sent:
// 0.2 KB). Lower it when the
// core shrinks; raise it only with the reason in the commit. (The target of
// 10 KB is not met: bench/README.md says what the core holds and what
// meeting it would take.)
export const BUDGETS = [
  { file: 'dist/messaging-calls.mjs', label: 'core (ESM entry, deps bundled)', max: 17_920 },
  { file: 'dist/transports.mjs', label: '/transports (ESM)', max: 2_560 },
  { file: 'dist/quality.mjs', label: '/quality (ESM)', max: 2_560 },
  { file: 'dist/diagnostics.mjs', label: '/diagnostics (ESM)', max: 3_584 },
  // The default UI with its six locales, rounded up to the next 128 B; the
  // issue's target is 7 KB (not met: the five translated tables alone are
  // 3.4 KB, see bench/README.md). 9,884 B before the call window followed
  // the consumer across pages and the screen-share request and bar came
  // (with their texts in six languages).
  { file: 'dist/ui.mjs', label: '/ui (ESM, six locales)', max: 10_880 },
  // Analytics with every adapter and the call report, rounded up to the next
  // 128 B; the target is 2.5 KB (not met: the five trackers, the late-tracker
  // queue and the quality summary of the report, see bench/README.md).
  // 2,970 B before the resume and screen-share events and the report that
  // follows the call across pages.
  { file: 'dist/analytics.mjs', label: '/analytics (ESM, every adapter)', max: 3_456 },
  // Core, transports, quality, diagnostics, the UI and analytics (the targets
  // were 26 KB with the UI and 28 KB with analytics: not met), with protocol
  // 1.1's resume and screen share.
  { file: 'dist/messaging-calls.umd.min.js', label: 'full UMD (min)', max: 35_840 },
  { file: 'dist/messaging-calls-loader.umd.min.js', label: 'loader UMD (min)', max: 2_048 },
];

/** The target for the core, printed beside its ratchet budget. */
export const CORE_TARGET = { file: 'dist/messaging-calls.mjs', max: 10_240 };
