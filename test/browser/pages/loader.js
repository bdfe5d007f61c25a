// The loader page: only the loader is on the page; the full SDK is fetched
// when the first invitation arrives, and the client accepts it.
(function () {
  'use strict';
  var states = [];
  var errors = [];
  var ended = [];
  window.loaderPage = {
    states: states,
    errors: errors,
    ended: ended,
    start: function (url) {
      window.MessagingCallsLoader.watch({
        src: '/dist/messaging-calls.umd.min.js',
        url: url,
        onReady: function (client) {
          client.on('statechange', function (e) {
            states.push(e.state);
          });
          client.on('ended', function (e) {
            ended.push({ reason: e.reason, by: e.by, detail: e.detail || null });
          });
          client.on('invitation', function () {
            client.accept();
          });
        },
        onError: function (error) {
          errors.push(String(error));
        },
      });
    },
    sdkLoaded: function () {
      return typeof window.MessagingCalls !== 'undefined';
    },
    fetched: function () {
      return performance.getEntriesByType('resource').map(function (entry) {
        return entry.name.replace(window.location.origin, '');
      });
    },
  };
})();
