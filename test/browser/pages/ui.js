// More of `window.harness` for the default call UI (ui.test.ts): mounting
// and destroying `MessagingCalls.mountCallUI`, what its live regions said, a
// camera/microphone request held pending (the permission view), a simulated
// loss of the media connection (the reconnecting view), and the local camera
// in use. Loaded after app.js, before harness.create, so the CallClient picks
// up the recording RTCPeerConnection and the gated getUserMedia below. Plain
// browser JS with no array helpers, as app.js.
(function () {
  'use strict';

  var harness = window.harness;
  var handle = null;
  /** Every element of the document before mountUI (to find what the UI left behind). */
  var before = null;
  var bodyBefore = null;
  /** Texts the UI's live regions held, in order (consecutive repeats once). */
  var announcements = [];
  var observer = null;

  function describeError(error) {
    if (!error) return { message: String(error) };
    return { name: error.name || null, message: String(error.message) };
  }

  function elements() {
    var all = document.getElementsByTagName('*');
    var list = [];
    for (var i = 0; i < all.length; i++) list.push(all[i]);
    return list;
  }

  function has(list, element) {
    for (var i = 0; i < list.length; i++) if (list[i] === element) return true;
    return false;
  }

  function label(element) {
    var text = element.tagName.toLowerCase();
    if (element.id) text += '#' + element.id;
    if (typeof element.className === 'string' && element.className) {
      text += '.' + element.className.trim().replace(/\s+/g, '.');
    }
    return text;
  }

  /** The harness's own area (app.js shows the agent's video in #videos). */
  function isHarness(element) {
    var videos = document.getElementById('videos');
    return videos !== null && (element === videos || videos.contains(element));
  }

  function bodyState() {
    return {
      htmlStyle: document.documentElement.getAttribute('style'),
      htmlClass: document.documentElement.getAttribute('class'),
      bodyStyle: document.body.getAttribute('style'),
      bodyClass: document.body.getAttribute('class'),
      adoptedStyleSheets: document.adoptedStyleSheets ? document.adoptedStyleSheets.length : 0,
    };
  }

  /** Live regions of the shadow root: aria-live, and the roles that imply it. */
  function recordAnnouncements(root) {
    var regions = root.querySelectorAll(
      '[aria-live], [role="status"], [role="alert"], [role="log"]',
    );
    for (var i = 0; i < regions.length; i++) {
      var text = (regions[i].textContent || '').replace(/\s+/g, ' ').trim();
      if (text && announcements[announcements.length - 1] !== text) announcements.push(text);
    }
  }

  // ---- getUserMedia held pending (the permission view) -------------------------

  var devices = navigator.mediaDevices;
  var gate = null;
  if (devices && typeof devices.getUserMedia === 'function') {
    var requestMedia = devices.getUserMedia; // app.js's recording wrapper
    devices.getUserMedia = function () {
      var args = arguments;
      if (!gate) return requestMedia.apply(devices, args);
      gate.waiting += 1;
      return gate.promise.then(function () {
        return requestMedia.apply(devices, args);
      });
    };
  }

  // ---- the media connection, for a simulated loss (the reconnecting view) -------

  var peers = [];
  var NativePeerConnection = window.RTCPeerConnection;
  if (typeof NativePeerConnection === 'function') {
    class RecordedPeerConnection extends NativePeerConnection {
      constructor(configuration) {
        super(configuration);
        peers.push(this);
      }
    }
    window.RTCPeerConnection = RecordedPeerConnection;
  }

  function lastPeer() {
    var pc = peers[peers.length - 1];
    if (!pc) throw new Error('no peer connection yet');
    return pc;
  }

  /**
   * A `connectionstatechange` on `pc`, to its listeners and its handler.
   * Firefox gives a script-dispatched event on an RTCPeerConnection to
   * addEventListener listeners but not to `onconnectionstatechange`; then
   * the handler is called with the same event.
   */
  function stateChanged(pc) {
    var event = new window.Event('connectionstatechange');
    var handler = pc.onconnectionstatechange;
    var reached = false;
    if (typeof handler === 'function') {
      pc.onconnectionstatechange = function (e) {
        reached = true;
        return handler.call(this, e);
      };
    }
    pc.dispatchEvent(event);
    if (typeof handler === 'function') {
      pc.onconnectionstatechange = handler;
      if (!reached) handler.call(pc, event);
    }
  }

  var ui = {
    /** `MessagingCalls.mountCallUI(client, options)`; keeps the handle. */
    mountUI: function (options) {
      var client = harness.sdkClient();
      if (!client) throw new Error('harness.create() first');
      if (typeof window.MessagingCalls.mountCallUI !== 'function') {
        return { ok: false, error: { message: 'MessagingCalls.mountCallUI is not in the bundle' } };
      }
      before = elements();
      bodyBefore = bodyState();
      announcements = [];
      try {
        handle = window.MessagingCalls.mountCallUI(client, options || {});
      } catch (error) {
        return { ok: false, error: describeError(error) };
      }
      var element = handle && handle.element;
      var root = element && element.shadowRoot;
      if (root && typeof window.MutationObserver === 'function') {
        recordAnnouncements(root);
        observer = new window.MutationObserver(function () {
          recordAnnouncements(root);
        });
        observer.observe(root, {
          subtree: true,
          childList: true,
          characterData: true,
          attributes: true,
        });
      }
      return {
        ok: true,
        tag: element ? element.tagName.toLowerCase() : null,
        /** Appended to the default container, document.body. */
        inBody: Boolean(element) && element.parentNode === document.body,
        openShadowRoot: Boolean(root),
        hasDestroy: Boolean(handle) && typeof handle.destroy === 'function',
      };
    },
    /**
     * `destroy()` of the handle, then what of the UI is still in the
     * document: hosts, elements added since mountUI (but the harness's own
     * #videos), changes to <html> and <body>.
     */
    unmountUI: function () {
      if (!handle) throw new Error('harness.mountUI() first');
      try {
        handle.destroy();
      } catch (error) {
        return { ok: false, error: describeError(error) };
      }
      handle = null;
      if (observer) observer.disconnect();
      observer = null;
      var added = [];
      var now = elements();
      for (var i = 0; i < now.length; i++) {
        if (!has(before, now[i]) && !isHarness(now[i])) added.push(label(now[i]));
      }
      var body = bodyState();
      var changed = [];
      for (var key in body) {
        if (Object.prototype.hasOwnProperty.call(body, key) && body[key] !== bodyBefore[key]) {
          changed.push(
            key + ': ' + JSON.stringify(bodyBefore[key]) + ' -> ' + JSON.stringify(body[key]),
          );
        }
      }
      return {
        ok: true,
        hosts: document.querySelectorAll('messaging-call-ui').length,
        added: added,
        changed: changed,
      };
    },
    /** What the UI's live regions said since mountUI, in order. */
    announcements: function () {
      return JSON.parse(JSON.stringify(announcements));
    },
    /** From now on, getUserMedia waits (the browser "asks") until releaseMedia. */
    holdMedia: function () {
      var release;
      var promise = new Promise(function (resolve) {
        release = resolve;
      });
      gate = { promise: promise, release: release, waiting: 0 };
      return { ok: true };
    },
    /** How many getUserMedia calls wait at the gate. */
    heldMedia: function () {
      return gate ? gate.waiting : 0;
    },
    releaseMedia: function () {
      if (gate) gate.release();
      gate = null;
      return { ok: true };
    },
    /**
     * The browser reports the media connection lost (connectionState
     * `disconnected`) while the network is in fact fine: the page's peer
     * connection answers `disconnected` until restoreConnection.
     */
    dropConnection: function () {
      var pc = lastPeer();
      Object.defineProperty(pc, 'connectionState', {
        configurable: true,
        get: function () {
          return 'disconnected';
        },
      });
      stateChanged(pc);
      return { ok: true };
    },
    /** The real state again (connected), reported as a change. */
    restoreConnection: function () {
      var pc = lastPeer();
      delete pc.connectionState;
      stateChanged(pc);
      return { ok: true, state: pc.connectionState };
    },
    /** The deviceId of the camera the call sends, or null. */
    cameraInUse: function () {
      var client = harness.sdkClient();
      var stream = client && client.localStream;
      var track = stream ? stream.getVideoTracks()[0] : null;
      if (!track || track.readyState !== 'live') return null;
      return track.getSettings().deviceId || null;
    },
    canSwitchCamera: function () {
      var client = harness.sdkClient();
      return Boolean(client && client.canSwitchCamera);
    },
    prefersDark: function () {
      return window.matchMedia('(prefers-color-scheme: dark)').matches;
    },
  };

  for (var name in ui) {
    if (Object.prototype.hasOwnProperty.call(ui, name)) harness[name] = ui[name];
  }
})();
