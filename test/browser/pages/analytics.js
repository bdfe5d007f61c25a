// The analytics page (analytics.test.ts): fake but faithful globals of the
// trackers a brand's site runs, defined before the SDK loads, and
// `harness.createWithAnalytics(options)`, which creates the CallClient as
// app.js's `harness.create` does, with `analytics()` added to its extensions.
//
// - gtag (GA4's snippet): `gtag()` pushes its `arguments` object onto
//   window.dataLayer; each call is also recorded (a copy).
// - Matomo: `_paq` is a plain array until 1 s after the page loaded; then,
//   as matomo.js does once loaded, it becomes an object whose push() runs
//   each command at once, after the commands queued in the array, in order.
// - Mapp pixel v5: `wts` stays the queue array.
// - Tealium: `utag` exists only from 2 s after the page loaded; each
//   `utag.link()` is recorded.
//
// Loaded in the head, before the SDK and app.js: the harness method is
// added once the document is parsed (app.js has run by then).
(function () {
  'use strict';

  function now() {
    return performance.now();
  }

  function copy(value) {
    return value === undefined ? null : JSON.parse(JSON.stringify(value));
  }

  function copyArguments(args) {
    var out = [];
    for (var i = 0; i < args.length; i++) out.push(copy(args[i]));
    return out;
  }

  var seen = {
    loadedAt: null,
    gtag: [],
    paq: { loadedAt: null, log: [] },
    utag: { definedAt: null, links: [] },
  };

  // ---- GA4: the gtag.js snippet ---------------------------------------------------
  window.dataLayer = window.dataLayer || [];
  // Matomo and Tealium "load" 1 s and 2 s after the first event of the call
  // (what gtag sees first), so events wait for them however slow the page.
  var scheduled = false;
  window.gtag = function gtag() {
    seen.gtag.push({ t: now(), args: copyArguments(arguments) });
    window.dataLayer.push(arguments);
    if (scheduled) return;
    scheduled = true;
    setTimeout(loadMatomo, 1000);
    setTimeout(loadTealium, 2000);
  };

  // ---- Matomo: the queue, replaced by the tracker once matomo.js "loads" --------
  window._paq = [];
  function loadMatomo() {
    var queued = window._paq;
    var at = now();
    seen.paq.loadedAt = at;
    var tracker = {
      push: function () {
        for (var i = 0; i < arguments.length; i++) {
          seen.paq.log.push({ t: now(), via: 'push', command: copy(arguments[i]) });
        }
        return 0;
      },
    };
    window._paq = tracker;
    // matomo.js runs what was queued before it loaded, in order.
    for (var i = 0; i < queued.length; i++) {
      seen.paq.log.push({ t: at, via: 'queue', command: copy(queued[i]) });
    }
  }

  // ---- Mapp Intelligence pixel v5: its queue ------------------------------------
  window.wts = [];

  // ---- Tealium: utag.js arrives late ---------------------------------------------
  function loadTealium() {
    seen.utag.definedAt = now();
    window.utag = {
      link: function (data) {
        seen.utag.links.push({ t: now(), argCount: arguments.length, data: copy(data) });
      },
      view: function () {},
    };
  }

  window.addEventListener('load', function () {
    seen.loadedAt = now();
  });

  // ---- the harness -------------------------------------------------------------------
  function install() {
    var harness = window.harness;
    if (!harness) throw new Error('analytics.js: no window.harness (app.js must load)');

    /** harness.create (app.js) with `analytics()` after `qualityMonitor()`. */
    harness.createWithAnalytics = function (options) {
      var M = window.MessagingCalls;
      if (typeof M.analytics !== 'function') throw new Error('no MessagingCalls.analytics');
      var o = {};
      for (var key in options || {}) {
        if (Object.prototype.hasOwnProperty.call(options, key)) o[key] = options[key];
      }
      o.extensions = [
        M.qualityMonitor(),
        M.analytics({
          adapters: ['ga4', 'matomo', 'mapp', 'tealium'],
          mappParameters: { reason: 1, media: 2, duration_s: 3 },
          onReport: function (r) {
            window.__report = r;
          },
        }),
      ];
      return harness.create(o);
    };

    /** Everything the trackers received, and the report, as plain data. */
    harness.trackers = function () {
      var layer = [];
      var entries = window.dataLayer || [];
      for (var i = 0; i < entries.length; i++) {
        layer.push({
          isArguments: Object.prototype.toString.call(entries[i]) === '[object Arguments]',
          args: copyArguments(entries[i]),
        });
      }
      return {
        now: now(),
        loadedAt: seen.loadedAt,
        gtag: copy(seen.gtag),
        dataLayer: layer,
        paq: {
          loadedAt: seen.paq.loadedAt,
          stillArray: Array.isArray(window._paq),
          log: copy(seen.paq.log),
        },
        wts: { isArray: Array.isArray(window.wts), queue: copy(window.wts) },
        utag: copy(seen.utag),
        report: window.__report === undefined ? null : copy(window.__report),
      };
    };
  }

  document.addEventListener('DOMContentLoaded', install);
})();
