// More of `window.harness` for the screen share suite (share.test.ts): the
// CallClient's share methods and events, every track getDisplayMedia gave
// the page (for leak checks and to tell the screen from the camera), and the
// browser's own "Stop sharing" played on the shared track. Loaded after
// app.js and controls.js (whose `senders`, `localTracks` and `openPeers` it
// relies on); the CallClient is created later (harness.create), so the
// listeners are added by `harness.watchShare()` once it exists.
(function () {
  'use strict';

  var harness = window.harness;
  var MessagingCalls = window.MessagingCalls;
  var started = performance.now();

  // The camera in 4:3. The SDK asks for 1280x720 and Chromium's fake camera
  // gives it, in the same picture as its fake screen (1280x720 too): the
  // agent tells them apart by shape only if the camera is 4:3. Wraps the
  // getUserMedia that app.js already wraps (its records stay as the SDK asked).
  var devicesForCamera = navigator.mediaDevices;
  if (devicesForCamera && typeof devicesForCamera.getUserMedia === 'function') {
    var recordedGetUserMedia = devicesForCamera.getUserMedia;
    devicesForCamera.getUserMedia = function (constraints) {
      var asked = constraints;
      if (constraints && constraints.video) {
        var video = typeof constraints.video === 'object' ? constraints.video : {};
        var fourThree = {};
        for (var key in video) {
          if (Object.prototype.hasOwnProperty.call(video, key)) fourThree[key] = video[key];
        }
        fourThree.width = { exact: 640 };
        fourThree.height = { exact: 480 };
        asked = { audio: constraints.audio, video: fourThree };
      }
      return recordedGetUserMedia.call(devicesForCamera, asked);
    };
  }

  /** Every track getDisplayMedia handed out on this page, in order. */
  var displayTracks = [];
  var displayCalls = [];
  var devices = navigator.mediaDevices;
  if (devices && typeof devices.getDisplayMedia === 'function') {
    var getDisplayMedia = devices.getDisplayMedia;
    devices.getDisplayMedia = function (constraints) {
      displayCalls.push(constraints === undefined ? null : JSON.parse(JSON.stringify(constraints)));
      return getDisplayMedia.call(devices, constraints).then(function (stream) {
        var tracks = stream.getTracks();
        for (var i = 0; i < tracks.length; i++) displayTracks.push(tracks[i]);
        return stream;
      });
    };
  }

  /** What the page saw of sharing, in order: share-request and screen events. */
  var shareEvents = [];
  /** The result of the last startScreenShare begun by the Share button. */
  var lastShare = null;

  function client() {
    var c = harness.sdkClient();
    if (!c) throw new Error('harness.create() first');
    return c;
  }

  function describeError(error) {
    if (!error) return { message: String(error) };
    return {
      name: error.name || null,
      code: error.code || null,
      message: String(error.message),
      isCallError: error instanceof MessagingCalls.CallError,
    };
  }

  /** Runs `fn` (sync or async) and reports `{ ok, value }` or `{ ok: false, error }`. */
  function settle(fn) {
    var promise;
    try {
      promise = Promise.resolve(fn());
    } catch (error) {
      return Promise.resolve({ ok: false, error: describeError(error), sync: true });
    }
    return promise.then(
      function () {
        return { ok: true };
      },
      function (error) {
        return { ok: false, error: describeError(error) };
      },
    );
  }

  function describeTrack(track) {
    if (!track) return null;
    var settings = track.getSettings();
    return {
      id: track.id,
      kind: track.kind,
      label: track.label,
      readyState: track.readyState,
      width: settings.width || null,
      height: settings.height || null,
      displaySurface: settings.displaySurface || null,
    };
  }

  function startShare() {
    var at = performance.timeOrigin + performance.now();
    lastShare = { at: at, result: null };
    var record = lastShare;
    return settle(function () {
      return client().startScreenShare();
    }).then(function (result) {
      record.result = result;
      return result;
    });
  }

  // A person's click on the page's own button: the user activation that
  // getDisplayMedia needs in engines that enforce it.
  document.getElementById('share').addEventListener('click', function () {
    void startShare();
  });

  var share = {
    /** Listens to the client's share-request and screen events (call after create). */
    watchShare: function () {
      var c = client();
      c.on('share-request', function (request) {
        shareEvents.push({
          type: 'share-request',
          t: Math.round(performance.now() - started),
          reason: request && request.reason !== undefined ? request.reason : null,
        });
      });
      c.on('screen', function (stream) {
        var tracks = stream ? stream.getVideoTracks() : [];
        shareEvents.push({
          type: 'screen',
          t: Math.round(performance.now() - started),
          stream: stream ? { id: stream.id, video: tracks.length ? tracks[0].id : null } : null,
        });
      });
      return { ok: true, canShareScreen: c.canShareScreen };
    },
    shareEvents: function () {
      return shareEvents;
    },
    canShareScreen: function () {
      return client().canShareScreen;
    },
    /** startScreenShare() called from the harness (no click). */
    startScreenShare: function () {
      return startShare();
    },
    /** The outcome of the last share begun by the button or startScreenShare. */
    lastShare: function () {
      return lastShare;
    },
    stopScreenShare: function () {
      return settle(function () {
        client().stopScreenShare();
      });
    },
    declineShare: function () {
      return settle(function () {
        client().declineShare();
      });
    },
    localScreen: function () {
      var state = client().localMediaState;
      return state ? Boolean(state.screen) : false;
    },
    displayCalls: function () {
      return displayCalls;
    },
    /** Every track getDisplayMedia gave, as it is now. */
    displayTracks: function () {
      var out = [];
      for (var i = 0; i < displayTracks.length; i++) out.push(describeTrack(displayTracks[i]));
      return out;
    },
    /** The track the page sends on its video transceivers, with its settings. */
    sentVideo: function () {
      var s = harness.senders();
      return {
        transceivers: s.transceivers,
        peers: s.peers,
        track: s.video && s.video.track ? s.video.track : null,
        isScreen:
          s.video && s.video.track
            ? (function () {
                for (var i = 0; i < displayTracks.length; i++) {
                  if (displayTracks[i].id === s.video.track.id) return true;
                }
                return false;
              })()
            : false,
      };
    },
    /**
     * What the browser's own "Stop sharing" does to the shared track: it
     * ends and fires `ended`. `stop()` alone fires no event, so the event is
     * dispatched on the very track (see CHROMIUM_ONLY.syntheticEnded).
     */
    endShareFromBrowser: function () {
      var live = null;
      for (var i = 0; i < displayTracks.length; i++) {
        if (displayTracks[i].readyState === 'live') live = displayTracks[i];
      }
      if (!live) throw new Error('no live shared track');
      live.stop();
      live.dispatchEvent(new window.Event('ended'));
      return describeTrack(live);
    },
    /** The Share button's centre in the viewport, for a trusted click. */
    shareButton: function () {
      var r = document.getElementById('share').getBoundingClientRect();
      return { x: r.left + r.width / 2, y: r.top + r.height / 2 };
    },
  };

  for (var name in share) {
    if (Object.prototype.hasOwnProperty.call(share, name)) harness[name] = share[name];
  }
})();
