// The bare page: one RTCPeerConnection that offers audio + video from the
// fake devices to the Node answerer, trickle ICE over a WebSocket relay.
// The clock starts when the Node side says "go" (before getUserMedia), and
// stops at connectionState 'connected'. Result in window.benchResult.
/* global window, document, navigator, RTCPeerConnection, URLSearchParams, WebSocket */
(function () {
  'use strict';
  var socket = new WebSocket(new URLSearchParams(document.location.search).get('ws'));
  var pc = null;
  var hasRemote = false;
  var pending = [];
  window.benchResult = null;
  window.benchError = null;

  function send(message) {
    socket.send(JSON.stringify(message));
  }
  function fail(error) {
    window.benchError = String((error && error.message) || error);
  }
  function addCandidate(c) {
    return (c ? pc.addIceCandidate(c) : pc.addIceCandidate()).catch(function () {});
  }

  async function start() {
    var t0 = performance.now();
    // The constraints the SDK asks for (src/media/LocalMedia.ts), so both pages get the same tracks.
    var stream = await navigator.mediaDevices.getUserMedia({
      audio: true,
      video: { width: { ideal: 1280 }, height: { ideal: 720 }, facingMode: 'user' },
    });
    var t1 = performance.now();
    window.benchStream = stream;
    pc = new RTCPeerConnection({
      iceServers: [],
      bundlePolicy: 'max-bundle',
      rtcpMuxPolicy: 'require',
    });
    window.benchPc = pc;
    pc.onicecandidate = function (e) {
      var c = e.candidate;
      send({
        candidate:
          c && c.candidate
            ? { candidate: c.candidate, sdpMid: c.sdpMid, sdpMLineIndex: c.sdpMLineIndex }
            : null,
      });
    };
    pc.onconnectionstatechange = function () {
      if (pc.connectionState === 'connected' && !window.benchResult) {
        var t = performance.now();
        window.benchResult = { total: t - t0, afterMedia: t - t1, gum: t1 - t0 };
      }
      if (pc.connectionState === 'failed') fail('ICE failed');
    };
    stream.getTracks().forEach(function (track) {
      pc.addTrack(track, stream);
    });
    var offer = await pc.createOffer();
    await pc.setLocalDescription(offer);
    send({ description: { type: offer.type, sdp: offer.sdp } });
  }

  socket.onopen = function () {
    window.benchReady = true;
  };
  socket.onmessage = async function (event) {
    try {
      var message = JSON.parse(event.data);
      if (message.go) return void (await start());
      if ('candidate' in message) {
        if (hasRemote) await addCandidate(message.candidate);
        else pending.push(message.candidate);
        return;
      }
      if (message.description) {
        await pc.setRemoteDescription(message.description);
        hasRemote = true;
        for (var i = 0; i < pending.length; i++) await addCandidate(pending[i]);
        pending = [];
      }
    } catch (error) {
      fail(error);
    }
  };
})();
