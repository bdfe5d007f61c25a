// The resume test pages (resume.html, resume-2.html): what a brand's site
// does on every page. The SDK is created as the page's script runs, over a
// WebSocketTransport to the relay named in the query (`?relay=ws://...`);
// it accepts every invitation at once (unless `auto=0`) and plays the
// agent in a <video>. The link to the other page keeps the query, as a
// site's links keep the visitor in the same conversation.
//
// `window.harness` is what the jest test (test/browser/resume.test.ts)
// reads through PageDriver.call: the client's state and callInfo right after
// its constructor returned (`initial`), every event with its time since the
// page's script started, inbound-rtp totals from the client's getStats, the
// tracks getUserMedia gave this page, its peer connections and the DTLS
// fingerprint of the last one.
(function () {
  'use strict';

  var pageStart = performance.now();
  /** Differs on every page load (a reload of the same URL too). */
  var loadId = Math.random().toString(36).slice(2) + '-' + Date.now().toString(36);
  var params = new window.URLSearchParams(window.location.search);
  var relay = params.get('relay');
  var autoAccept = params.get('auto') !== '0';
  var M = window.MessagingCalls;

  var events = [];
  var errors = [];
  var gumCalls = [];
  var gumTracks = [];
  var peers = [];

  function now() {
    return Math.round((performance.now() - pageStart) * 10) / 10;
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

  // Every peer connection the page makes (the SDK reads the global when the client is created).
  var NativePeerConnection = window.RTCPeerConnection;
  if (NativePeerConnection) {
    window.RTCPeerConnection = class RecordedPeerConnection extends NativePeerConnection {
      constructor(configuration) {
        super(configuration);
        peers.push(this);
      }
    };
  }

  // Every camera/microphone request, and the tracks it gave.
  var devices = navigator.mediaDevices;
  var getUserMedia = devices.getUserMedia;
  devices.getUserMedia = function (constraints) {
    gumCalls.push({ t: now(), constraints: plain(constraints) });
    return getUserMedia.call(devices, constraints).then(function (stream) {
      var tracks = stream.getTracks();
      for (var i = 0; i < tracks.length; i++) gumTracks.push(tracks[i]);
      return stream;
    });
  };

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

  // The link keeps the conversation (the query); a click is time-stamped for the record.
  var link = document.getElementById('next');
  link.href = link.getAttribute('href') + window.location.search;
  link.addEventListener('click', function () {
    try {
      window.sessionStorage.setItem(
        'resume-test-click',
        String(performance.timeOrigin + performance.now()),
      );
    } catch (error) {
      errors.push('click stamp: ' + describe(error).message);
    }
  });
  window.addEventListener('pagehide', function (event) {
    try {
      window.sessionStorage.setItem(
        'resume-test-pagehide',
        JSON.stringify({
          persisted: event.persisted,
          at: performance.timeOrigin + performance.now(),
        }),
      );
    } catch {
      // nothing to report to: the page is going
    }
  });

  var video = document.createElement('video');
  video.id = 'agent-video';
  video.muted = true;
  video.playsInline = true;
  video.autoplay = true;
  document.getElementById('videos').appendChild(video);

  var client = null;
  var initial = null;
  try {
    client = new M.CallClient({ transport: new M.WebSocketTransport(relay), browsers: 'any' });
    // Read in the constructor's own task: a resumed call is there at once.
    initial = {
      state: client.state,
      callInfo: plain(client.callInfo),
      instanceId: client.instanceId,
      t: now(),
    };
  } catch (error) {
    errors.push('CallClient: ' + describe(error).message);
  }

  if (client) {
    client.on('statechange', function (e) {
      record('state', e.state);
    });
    client.on('invitation', function (e) {
      record('invitation', e);
      if (!autoAccept) return;
      Promise.resolve(client.accept()).then(
        function () {
          record('accepted', { ok: true });
        },
        function (error) {
          record('accepted', { ok: false, error: describe(error) });
        },
      );
    });
    client.on('resumed', function (e) {
      record('resumed', e);
    });
    client.on('ended', function (e) {
      record('ended', e);
    });
    client.on('warning', function (e) {
      record('warning', { code: e.code, message: e.message });
    });
    client.on('localmediastate', function (e) {
      record('localmediastate', e);
    });
    client.on('remotemediastate', function (e) {
      record('remotemediastate', e);
    });
    client.on('localstream', function (stream) {
      record('localstream', countLive(stream.getTracks()));
    });
    client.on('remotestream', function (stream) {
      record('remotestream', { tracks: stream.getTracks().length });
    });
    client.attachRemoteMedia(video);
  }

  function requireClient() {
    if (!client) throw new Error('no client on this page');
    return client;
  }

  function attempt(fn) {
    try {
      return Promise.resolve(fn()).then(
        function () {
          return { ok: true };
        },
        function (error) {
          return { ok: false, error: describe(error) };
        },
      );
    } catch (error) {
      return Promise.resolve({ ok: false, error: describe(error) });
    }
  }

  function fingerprintOf(pc) {
    var description = pc && pc.localDescription;
    var match = description && /a=fingerprint:(\S+ \S+)/.exec(description.sdp);
    return match ? match[1] : null;
  }

  var harness = {
    /** Which page this is, and which load of it. */
    whoami: function () {
      return { path: window.location.pathname, loadId: loadId };
    },
    /** State, callInfo and instance right after the constructor returned. */
    initial: function () {
      return initial;
    },
    state: function () {
      return client ? client.state : null;
    },
    callInfo: function () {
      return client ? plain(client.callInfo) : null;
    },
    instanceId: function () {
      return client ? client.instanceId : null;
    },
    accept: function () {
      return attempt(function () {
        return requireClient().accept();
      });
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
    setAudioMuted: function (muted) {
      return attempt(function () {
        requireClient().setAudioMuted(muted);
      });
    },
    setVideoEnabled: function (enabled) {
      return attempt(function () {
        return requireClient().setVideoEnabled(enabled);
      });
    },
    mediaState: function () {
      var c = requireClient();
      var stream = c.localStream;
      var audio = stream ? stream.getAudioTracks()[0] : null;
      return {
        local: plain(c.localMediaState),
        remote: plain(c.remoteMediaState),
        audioTrackEnabled: audio ? audio.enabled : null,
      };
    },
    /** inbound-rtp totals of the call's connection (client.getStats()). */
    inbound: function () {
      var totals = {
        audio: { bytes: 0, packets: 0 },
        video: { bytes: 0, packets: 0, frames: 0 },
      };
      return requireClient()
        .getStats()
        .then(function (report) {
          if (report) {
            report.forEach(function (s) {
              if (s.type !== 'inbound-rtp') return;
              if (s.kind === 'audio') {
                totals.audio.bytes += s.bytesReceived || 0;
                totals.audio.packets += s.packetsReceived || 0;
              } else if (s.kind === 'video') {
                totals.video.bytes += s.bytesReceived || 0;
                totals.video.packets += s.packetsReceived || 0;
                totals.video.frames += s.framesDecoded || 0;
              }
            });
          }
          return totals;
        });
    },
    /** The attached <video>: whether it shows the agent. */
    video: function () {
      return {
        width: video.videoWidth,
        height: video.videoHeight,
        paused: video.paused,
        hasStream: video.srcObject !== null,
      };
    },
    /** The link's centre, in CSS pixels of the viewport (for a trusted click). */
    linkCentre: function () {
      var rect = link.getBoundingClientRect();
      return { x: rect.left + rect.width / 2, y: rect.top + rect.height / 2 };
    },
    /** Reloads the page after this call returned. */
    reloadSoon: function () {
      setTimeout(function () {
        window.location.reload();
      }, 0);
      return true;
    },
    liveTracks: function () {
      return countLive(gumTracks);
    },
    peers: function () {
      var open = 0;
      for (var i = 0; i < peers.length; i++) if (peers[i].signalingState !== 'closed') open++;
      return { made: peers.length, open: open };
    },
    /** The DTLS fingerprint of the page's latest peer connection (from its local SDP). */
    fingerprint: function () {
      return fingerprintOf(peers[peers.length - 1]);
    },
    /** What the page stored for itself in session storage (click and pagehide stamps). */
    stamps: function () {
      var pagehide = window.sessionStorage.getItem('resume-test-pagehide');
      return {
        click: Number(window.sessionStorage.getItem('resume-test-click')) || null,
        pagehide: pagehide ? JSON.parse(pagehide) : null,
        origin: performance.timeOrigin,
      };
    },
    snapshot: function () {
      return plain({
        state: client ? client.state : null,
        events: events,
        errors: errors,
        gumCalls: gumCalls,
        tracks: { localStream: null, everGranted: countLive(gumTracks) },
        video: null,
        polluted: false,
        violations: [],
      });
    },
    call: function (name, args) {
      var fn = harness[name];
      if (typeof fn !== 'function') throw new Error('no harness.' + name);
      return fn.apply(harness, args || []);
    },
  };
  window.harness = harness;
})();
