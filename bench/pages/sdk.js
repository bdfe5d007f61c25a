// The SDK page: the UMD bundle's CallClient over a WebSocketTransport. It
// accepts the invitation as soon as it arrives; the clock starts just before
// accept() and stops at the client's 'connected' state. Result in
// window.benchResult.
/* global window, document, navigator, URLSearchParams */
(function () {
  'use strict';
  var MessagingCalls = window.MessagingCalls;
  // Where the time goes: getUserMedia's own duration and every state, ms after accept().
  var timeline = [];
  var devices = navigator.mediaDevices;
  var getUserMedia = devices.getUserMedia;
  devices.getUserMedia = function (constraints) {
    var start = performance.now();
    return getUserMedia.call(devices, constraints).then(function (stream) {
      timeline.push({ gum: performance.now() - start, at: performance.now() - t0 });
      return stream;
    });
  };
  var url = new URLSearchParams(document.location.search).get('ws');
  var client = new MessagingCalls.CallClient({
    transport: new MessagingCalls.WebSocketTransport(url),
    browsers: 'any',
  });
  window.benchClient = client;
  window.benchResult = null;
  window.benchError = null;
  var t0 = 0;
  var t1 = 0;
  client.on('invitation', function () {
    t0 = performance.now();
    client.accept();
  });
  client.on('statechange', function (e) {
    timeline.push({ state: e.state, at: performance.now() - t0 });
    if (e.state === 'connecting') t1 = performance.now();
    if (e.state === 'connected' && !window.benchResult) {
      var t = performance.now();
      window.benchResult = { total: t - t0, afterMedia: t - t1, timeline: timeline };
    }
  });
  client.on('ended', function (e) {
    if (!window.benchResult) window.benchError = 'ended: ' + e.reason + ' ' + (e.detail || '');
  });
})();
