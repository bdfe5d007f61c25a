// More of `window.harness` for the in-call controls suite (controls.test.ts):
// the CallClient's device methods, the page's local tracks and what its peer
// connection sends, a simulated unplug, and an element for attachRemoteMedia.
// Loaded after app.js; the CallClient is created later (harness.create), so
// it picks up the recording RTCPeerConnection below.
(function () {
  'use strict';

  var harness = window.harness;
  var MessagingCalls = window.MessagingCalls;

  /** Every peer connection the page created, in order. */
  var peers = [];
  var NativePeerConnection = window.RTCPeerConnection;
  class RecordedPeerConnection extends NativePeerConnection {
    constructor(configuration) {
      super(configuration);
      peers.push(this);
    }
  }
  window.RTCPeerConnection = RecordedPeerConnection;

  /** Every local track seen through the client, by its id (to ask about it later). */
  var known = {};
  var attached = null;
  var detach = null;
  var remoteStream = null;

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
      return Promise.resolve({ ok: false, error: describeError(error) });
    }
    return promise.then(
      function (value) {
        return { ok: true, value: value === undefined ? null : value };
      },
      function (error) {
        return { ok: false, error: describeError(error) };
      },
    );
  }

  function describeTrack(track) {
    if (!track) return null;
    known[track.id] = track;
    var settings = typeof track.getSettings === 'function' ? track.getSettings() : {};
    return {
      id: track.id,
      kind: track.kind,
      label: track.label,
      readyState: track.readyState,
      enabled: track.enabled,
      deviceId: settings.deviceId || null,
    };
  }

  function localTrack(kind) {
    var stream = client().localStream;
    if (!stream) return null;
    var tracks = kind === 'audio' ? stream.getAudioTracks() : stream.getVideoTracks();
    return tracks[0] || null;
  }

  var controls = {
    /** The current local tracks of the call (`client.localStream`). */
    localTracks: function () {
      return {
        audio: describeTrack(localTrack('audio')),
        video: describeTrack(localTrack('video')),
      };
    },
    /** A track seen before through localTracks/senders, as it is now. */
    track: function (id) {
      return known[id] ? describeTrack(known[id]) : null;
    },
    /** What the call's peer connection sends, per kind of transceiver. */
    senders: function () {
      var pc = peers[peers.length - 1];
      var out = { peers: peers.length, audio: null, video: null, transceivers: 0 };
      if (!pc) return out;
      var transceivers = pc.getTransceivers();
      out.transceivers = transceivers.length;
      for (var i = 0; i < transceivers.length; i++) {
        var t = transceivers[i];
        var parameters = t.sender.getParameters();
        out[t.receiver.track.kind] = {
          track: describeTrack(t.sender.track),
          encodings: JSON.parse(JSON.stringify(parameters.encodings || [])),
          degradationPreference: parameters.degradationPreference || null,
        };
      }
      return out;
    },
    /** Peer connections of the page that are not closed. */
    openPeers: function () {
      var open = 0;
      for (var i = 0; i < peers.length; i++) if (peers[i].signalingState !== 'closed') open++;
      return open;
    },
    mediaState: function () {
      var c = client();
      return {
        local: c.localMediaState,
        remote: c.remoteMediaState,
        canSwitchCamera: c.canSwitchCamera,
      };
    },
    listDevices: function () {
      return settle(function () {
        return client().listDevices();
      });
    },
    switchCamera: function () {
      return settle(function () {
        return client().switchCamera();
      });
    },
    selectMicrophone: function (deviceId) {
      return settle(function () {
        return client().selectMicrophone(deviceId);
      });
    },
    selectCamera: function (deviceId) {
      return settle(function () {
        return client().selectCamera(deviceId);
      });
    },
    setSpeaker: function (deviceId) {
      return settle(function () {
        return client().setSpeaker(deviceId);
      });
    },
    /**
     * What a browser does when the device of the current `kind` track is
     * unplugged: the track ends and fires `ended`. `stop()` alone fires no
     * event, so the event is dispatched on the very track the SDK listens to.
     */
    unplug: function (kind) {
      var track = localTrack(kind);
      if (!track) throw new Error('no local ' + kind + ' track');
      var before = describeTrack(track);
      track.stop();
      track.dispatchEvent(new window.Event('ended'));
      return before;
    },
    /**
     * 100 setVideoEnabled calls alternating off/on, not awaited, with a
     * switchCamera after every 10th, then a final setVideoEnabled(true);
     * waits for all of them.
     */
    rapidToggle: function () {
      var c = client();
      var pending = [];
      var started = performance.now();
      for (var i = 0; i < 100; i++) {
        pending.push(settle(c.setVideoEnabled.bind(c, i % 2 === 1)));
        if (i % 10 === 9) pending.push(settle(c.switchCamera.bind(c)));
      }
      var last = settle(c.setVideoEnabled.bind(c, true));
      pending.push(last);
      return Promise.all(pending).then(function (results) {
        var rejected = [];
        for (var j = 0; j < results.length; j++) if (!results[j].ok) rejected.push(results[j]);
        return {
          calls: results.length,
          rejected: rejected,
          last: results[results.length - 1],
          ms: Math.round(performance.now() - started),
        };
      });
    },
    /** Creates a <video> (not muted) and hands it to client.attachRemoteMedia. */
    attachRemote: function () {
      var c = client();
      attached = document.createElement('video');
      attached.id = 'attached-remote';
      attached.playsInline = true;
      document.getElementById('videos').appendChild(attached);
      c.on('remotestream', function (stream) {
        remoteStream = stream;
      });
      detach = c.attachRemoteMedia(attached);
      return { ok: true };
    },
    detachRemote: function () {
      if (detach) detach();
      detach = null;
      return { ok: true };
    },
    /**
     * Plays what iOS does to a page sent to the background: the attached
     * element is paused and the page hidden, then shown again. Returns
     * whether the element was still paused while hidden.
     */
    backgroundAndReturn: function () {
      var state = 'visible';
      Object.defineProperty(document, 'visibilityState', {
        configurable: true,
        get: function () {
          return state;
        },
      });
      attached.pause();
      state = 'hidden';
      document.dispatchEvent(new window.Event('visibilitychange'));
      return new Promise(function (resolve) {
        setTimeout(function () {
          var pausedWhileHidden = attached.paused;
          state = 'visible';
          document.dispatchEvent(new window.Event('visibilitychange'));
          resolve({ ok: true, pausedWhileHidden: pausedWhileHidden });
        }, 200);
      });
    },
    attached: function () {
      if (!attached) return null;
      var stream = attached.srcObject;
      return {
        width: attached.videoWidth,
        height: attached.videoHeight,
        paused: attached.paused,
        muted: attached.muted,
        sinkId: attached.sinkId === undefined ? null : attached.sinkId,
        hasStream: stream !== null,
        showsRemoteStream: remoteStream !== null && stream === remoteStream,
        tracks: stream ? stream.getTracks().length : 0,
      };
    },
  };

  for (var name in controls) {
    if (Object.prototype.hasOwnProperty.call(controls, name)) harness[name] = controls[name];
  }
})();
