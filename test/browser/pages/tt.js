// Additions to app.js for the Trusted Types page (tt.html): the SDK's own way
// of playing the agent's stream in an element, and a probe that proves the
// policy is enforced. No DOM string sink is used here except in the probe.
(function () {
  'use strict';

  var harness = window.harness;
  var attached = null;

  /** Plays the agent's stream with client.attachRemoteMedia in a second, muted element. */
  harness.attachRemote = function () {
    var client = harness.sdkClient();
    if (!client) throw new Error('harness.create() first');
    attached = document.createElement('video');
    attached.id = 'attached-video';
    attached.muted = true;
    attached.playsInline = true;
    attached.autoplay = true;
    document.getElementById('videos').appendChild(attached);
    client.attachRemoteMedia(attached);
    return { ok: true };
  };

  /** What the attached element shows. */
  harness.attachedVideo = function () {
    if (!attached) return null;
    return {
      width: attached.videoWidth,
      hasStream: attached.srcObject !== null && attached.srcObject !== undefined,
    };
  };

  /**
   * Tries a string assignment to a DOM sink and the creation of a policy,
   * both of which `require-trusted-types-for 'script'; trusted-types 'none'`
   * refuses (each refusal is also a securitypolicyviolation).
   */
  harness.probeTrustedTypes = function () {
    var result = { supported: typeof window.trustedTypes === 'object', sinkRefused: false };
    try {
      document.createElement('div').innerHTML = '<b>probe</b>';
    } catch (error) {
      result.sinkRefused = error instanceof TypeError;
    }
    result.policyRefused = false;
    try {
      window.trustedTypes.createPolicy('probe', {
        createHTML: function (s) {
          return s;
        },
      });
    } catch {
      result.policyRefused = true;
    }
    return result;
  };
})();
