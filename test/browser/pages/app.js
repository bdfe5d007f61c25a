// The test page's application: what a brand developer writes around the SDK,
// plus a small `window.harness` API that the jest tests drive with
// page.evaluate. Plain browser JS with no array helpers (map, filter, ...)
// and no window.addEventListener, so it also runs on the hostile page.
(function () {
  'use strict';

  var started = Date.now();
  var events = [];
  var errors = [];
  var violations = [];
  var gumCalls = [];
  /** Every track getUserMedia handed out on this page. */
  var gumTracks = [];
  /** The latest stream of the `localstream` event. */
  var localStream = null;
  var remoteStream = null;
  var video = null;
  var client = null;

  function now() {
    return Date.now() - started;
  }

  function plain(value) {
    return value === undefined ? null : JSON.parse(JSON.stringify(value));
  }

  function describe(error) {
    if (!error) return { message: String(error) };
    return { name: error.name || null, code: error.code || null, message: String(error.message) };
  }

  function record(type, data) {
    events.push({ type: type, t: now(), data: plain(data) });
  }

  window.onerror = function (message, source, line) {
    errors.push(String(message) + ' (' + source + ':' + line + ')');
  };
  window.onunhandledrejection = function (event) {
    errors.push('unhandled rejection: ' + describe(event.reason).message);
  };
  document.addEventListener('securitypolicyviolation', function (event) {
    violations.push(event.violatedDirective + ' blocked ' + event.blockedURI);
  });

  // Record every camera/microphone request (and its tracks, for leak checks).
  function recordTracks(stream) {
    var tracks = stream.getTracks();
    for (var i = 0; i < tracks.length; i++) gumTracks.push(tracks[i]);
    return stream;
  }
  var devices = navigator.mediaDevices;
  if (devices && typeof devices.getUserMedia === 'function') {
    var getUserMedia = devices.getUserMedia;
    devices.getUserMedia = function (constraints) {
      gumCalls.push({ api: 'mediaDevices.getUserMedia', constraints: plain(constraints) });
      return getUserMedia.call(devices, constraints).then(recordTracks);
    };
  }
  var legacy = ['getUserMedia', 'webkitGetUserMedia'];
  for (var l = 0; l < legacy.length; l++) {
    (function (name) {
      var original = navigator[name];
      if (typeof original !== 'function') return;
      navigator[name] = function (constraints, onSuccess, onError) {
        gumCalls.push({ api: 'navigator.' + name, constraints: plain(constraints) });
        return original.call(
          navigator,
          constraints,
          function (stream) {
            onSuccess(recordTracks(stream));
          },
          onError,
        );
      };
    })(legacy[l]);
  }

  function countLive(tracks) {
    var count = { audio: 0, video: 0, total: 0 };
    for (var i = 0; i < tracks.length; i++) {
      if (tracks[i].readyState === 'live') {
        count[tracks[i].kind] += 1;
        count.total += 1;
      }
    }
    return count;
  }

  function showRemote(stream) {
    remoteStream = stream;
    if (!video) {
      video = document.createElement('video');
      video.id = 'agent-video';
      video.muted = true;
      video.playsInline = true;
      video.autoplay = true;
      video.setAttribute('muted', '');
      video.setAttribute('playsinline', '');
      video.setAttribute('autoplay', '');
      document.getElementById('videos').appendChild(video);
    }
    if (video.srcObject !== stream) video.srcObject = stream;
    var playing = video.play();
    if (playing && typeof playing.catch === 'function') {
      playing.catch(function (error) {
        record('video-play-failed', describe(error));
      });
    }
  }

  function requireClient() {
    if (!client) throw new Error('harness.create() first');
    return client;
  }

  function outcome(promise) {
    return Promise.resolve(promise).then(
      function () {
        return { ok: true };
      },
      function (error) {
        return { ok: false, error: describe(error) };
      },
    );
  }

  function attempt(fn) {
    try {
      fn();
      return { ok: true };
    } catch (error) {
      return { ok: false, error: describe(error) };
    }
  }

  var harness = {
    /**
     * Creates the CallClient. `options.url` is the relay; `options.autoAccept`
     * (true or accept options) accepts every invitation at once; every other
     * option goes to the CallClient as is.
     */
    create: function (options) {
      var o = options || {};
      var M = window.MessagingCalls;
      var clientOptions = {
        transport: new M.WebSocketTransport(o.url),
        extensions: [M.qualityMonitor()],
      };
      for (var key in o) {
        if (key !== 'url' && key !== 'autoAccept' && Object.prototype.hasOwnProperty.call(o, key)) {
          clientOptions[key] = o[key];
        }
      }
      client = new window.MessagingCalls.CallClient(clientOptions);
      client.on('statechange', function (e) {
        record('state', e.state);
      });
      client.on('invitation', function (e) {
        record('invitation', e);
        if (o.autoAccept) {
          var acceptOptions = o.autoAccept === true ? {} : o.autoAccept;
          outcome(client.accept(acceptOptions)).then(function (result) {
            record('accepted', result);
          });
        }
      });
      client.on('ended', function (e) {
        record('ended', e);
      });
      client.on('warning', function (e) {
        record('warning', { code: e.code, message: e.message });
      });
      client.on('remotemediastate', function (e) {
        record('remotemediastate', e);
      });
      client.on('quality', function (e) {
        record('quality', e);
      });
      client.on('bandwidth', function (e) {
        record('bandwidth', e);
      });
      client.on('localmediastate', function (e) {
        record('localmediastate', e);
      });
      client.on('localstream', function (stream) {
        localStream = stream;
        record('localstream', countLive(stream.getTracks()));
      });
      client.on('remotestream', function (stream) {
        record('remotestream', { tracks: stream.getTracks().length });
        showRemote(stream);
      });
      return { ok: true };
    },
    accept: function (options) {
      var c = requireClient();
      try {
        return outcome(c.accept(options || {}));
      } catch (error) {
        return Promise.resolve({ ok: false, error: describe(error) });
      }
    },
    reject: function () {
      return attempt(function () {
        requireClient().reject();
      });
    },
    hangup: function () {
      return attempt(function () {
        requireClient().hangup();
      });
    },
    destroy: function () {
      return attempt(function () {
        if (client) client.destroy();
      });
    },
    setAudioMuted: function (muted) {
      return attempt(function () {
        requireClient().setAudioMuted(muted);
      });
    },
    setVideoEnabled: function (enabled) {
      try {
        return outcome(requireClient().setVideoEnabled(enabled));
      } catch (error) {
        return Promise.resolve({ ok: false, error: describe(error) });
      }
    },
    /** The CallClient itself, for page scripts that drive more of it (pages/controls.js). */
    sdkClient: function () {
      return client;
    },
    checkSupport: function (options) {
      var check = window.MessagingCalls.CallClient.checkSupport;
      if (typeof check !== 'function') return { missing: true };
      return plain(check.call(window.MessagingCalls.CallClient, options));
    },
    /** Live local tracks: in the latest localstream, and of all getUserMedia ever gave. */
    liveTracks: function () {
      return {
        localStream: localStream ? countLive(localStream.getTracks()) : null,
        everGranted: countLive(gumTracks),
      };
    },
    video: function () {
      if (!video) return null;
      return {
        width: video.videoWidth,
        height: video.videoHeight,
        muted: video.muted,
        playsInline: video.playsInline,
        autoplay: video.autoplay,
        showsRemoteStream: remoteStream !== null && video.srcObject === remoteStream,
        paused: video.paused,
      };
    },
    /**
     * Tries to compile a string as code, which a `script-src 'self'` policy
     * forbids: proves that the policy is in force and that violations are seen.
     */
    probeEval: function () {
      try {
        return { compiled: new Function('return 1')() === 1 };
      } catch (error) {
        return { compiled: false, error: describe(error) };
      }
    },
    /** Everything the tests read, in one serializable object. */
    snapshot: function () {
      return plain({
        state: client ? client.state : null,
        events: events,
        errors: errors,
        violations: violations,
        gumCalls: gumCalls,
        tracks: harness.liveTracks(),
        video: harness.video(),
        polluted: Object.prototype.polluted !== undefined,
      });
    },
    /** Calls `harness[name](...args)`; the one entry point of page.evaluate. */
    call: function (name, args) {
      var fn = harness[name];
      if (typeof fn !== 'function') throw new Error('no harness.' + name);
      return fn.apply(harness, args || []);
    },
  };
  window.harness = harness;
})();
