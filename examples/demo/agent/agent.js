// The demo's agent console: lists the customers on the website (presence),
// starts a video or voice call with one of them through AgentCall, and shows
// the call as it moves. A classic script after the agent's UMD bundle (the
// global MessagingCallsAgent); plain DOM, no framework.

(function () {
  'use strict';

  const { AgentCall, WebSocketTransport, VERSION } = window.MessagingCallsAgent;
  const AGENT = { name: 'Alex (Support)' };
  const TTL_MS = 60_000;
  const wsBase = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}`;

  const $ = (id) => document.getElementById(id);
  const el = (tag, props = {}, ...children) => {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(props)) {
      if (key === 'class') node.className = value;
      else if (key.startsWith('aria-') || key.startsWith('data-')) node.setAttribute(key, value);
      else node[key] = value;
    }
    node.append(...children);
    return node;
  };

  /** conversation id → { conversation, page, since } of the customers present. */
  let present = new Map();
  /** conversation id → [{ text, at }]: the system messages, as a conversation shows them. */
  const transcripts = new Map();
  /** The call in progress (one at a time: the agent has one camera), or the last one. */
  let call = null;
  /** Whose conversation the transcript panel shows. */
  let shown = null;

  // ---- helpers ---------------------------------------------------------------

  const visitorName = (id) =>
    `Visitor ${id
      .replace(/[^A-Za-z0-9]/g, '')
      .slice(-4)
      .toUpperCase()}`;
  const initials = (id) => visitorName(id).slice(-2);
  const mediaWord = (media) => (media === 'video' ? 'Video' : 'Voice');

  function duration(ms) {
    const s = Math.max(0, Math.round(ms / 1000));
    const h = Math.floor(s / 3600);
    const m = Math.floor((s % 3600) / 60);
    const ss = String(s % 60).padStart(2, '0');
    return h ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
  }

  function ago(since) {
    const s = Math.max(0, Math.round((Date.now() - since) / 1000));
    if (s < 60) return 'just now';
    const m = Math.round(s / 60);
    return m < 60 ? `${m} min` : `${Math.floor(m / 60)} h ${m % 60} min`;
  }

  /** Why a call ended, in words. */
  const REASONS = {
    normal: 'the call was ended',
    'permission-denied': 'the camera or microphone was not allowed',
    'no-device': 'no camera or microphone could be used',
    network: 'the connection was lost',
    timeout: 'the call could not connect in time',
    unsupported: 'the browser does not support calls',
    error: 'something went wrong',
    declined: 'the customer declined',
    busy: 'the customer is busy in another call',
    disabled: 'calls are not available on the customer’s side',
    expired: 'the customer did not answer',
    cancelled: 'the invitation was withdrawn',
    'not-permitted': 'your profile may not start calls of this kind',
    'answered-elsewhere': 'the customer answered in another window',
  };

  const inCall = () => call !== null && call.state !== 'ended';

  /** Why the customer does not share their screen, in words. */
  const SHARE_NO = {
    declined: 'the customer said not now',
    unsupported: 'the customer’s browser cannot share a screen (a phone?)',
    'permission-denied': 'the browser did not allow it',
  };

  // ---- transcript ------------------------------------------------------------

  function say(conversation, text) {
    const list = transcripts.get(conversation) ?? [];
    list.push({ text, at: new Date() });
    transcripts.set(conversation, list);
    if (shown === conversation) renderTranscript();
  }

  function renderTranscript() {
    const list = shown ? (transcripts.get(shown) ?? []) : [];
    $('transcript-who').textContent = shown
      ? `With ${visitorName(shown)}`
      : 'The call’s system messages appear here.';
    $('transcript').replaceChildren(
      ...list.map(({ text, at }) =>
        el(
          'li',
          { class: 'system' },
          el('span', { class: 'text' }, text),
          el(
            'time',
            { dateTime: at.toISOString(), class: 'at' },
            at.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' }),
          ),
        ),
      ),
    );
  }

  // ---- the customers (presence) ----------------------------------------------

  const rows = new Map();

  function renderConsumers() {
    const ids = new Set(present.keys());
    // The customer of a live call stays listed while their page changes.
    if (call && inCall()) ids.add(call.conversation);
    $('consumers-empty').hidden = ids.size > 0;
    const list = $('consumer-list');
    for (const [id, row] of rows) {
      if (!ids.has(id)) {
        row.li.remove();
        rows.delete(id);
      }
    }
    for (const id of ids) {
      let row = rows.get(id);
      if (!row) row = createRow(id);
      updateRow(row);
      list.append(row.li); // keeps the order of `present`
    }
  }

  function createRow(id) {
    const nameId = `consumer-${id}-name`;
    const video = el('button', { type: 'button', class: 'primary' }, 'Video call');
    const voice = el('button', { type: 'button' }, 'Voice call');
    // The buttons keep their exact names; the customer they act on is their description.
    video.setAttribute('aria-describedby', nameId);
    voice.setAttribute('aria-describedby', nameId);
    video.addEventListener('click', () => startCall(id, 'video'));
    voice.addEventListener('click', () => startCall(id, 'voice'));
    const where = el('span', { class: 'where' });
    const badge = el('span', { class: 'badge' });
    const li = el(
      'li',
      { class: 'consumer', 'data-conversation': id },
      el('span', { class: 'avatar', 'aria-hidden': 'true' }, initials(id)),
      el('div', { class: 'who' }, el('strong', { id: nameId }, visitorName(id)), where, badge),
      el('div', { class: 'actions' }, video, voice),
    );
    const row = { id, li, where, badge, video, voice };
    rows.set(id, row);
    return row;
  }

  function updateRow(row) {
    const info = present.get(row.id);
    row.where.textContent = info
      ? `${info.page ? `on ${info.page} · ` : ''}${ago(info.since)}`
      : 'left the page (changing pages?)';
    const mine = call && call.conversation === row.id && inCall();
    row.badge.textContent = mine ? STATE_LABEL[call.state] : '';
    row.badge.hidden = !mine;
    row.li.classList.toggle('active', Boolean(mine));
    const busy = inCall();
    row.video.disabled = busy || !info;
    row.voice.disabled = busy || !info;
  }

  let presenceDelay = 250;
  function watchPresence() {
    const status = $('presence-status');
    const socket = new WebSocket(`${wsBase}/presence`);
    socket.onopen = () => {
      presenceDelay = 250;
      status.textContent = 'Online';
      status.className = 'pill ok';
    };
    socket.onmessage = (event) => {
      let data;
      try {
        data = JSON.parse(event.data);
      } catch {
        return;
      }
      if (!data || !Array.isArray(data.consumers)) return;
      present = new Map(data.consumers.map((c) => [c.conversation, c]));
      renderConsumers();
    };
    socket.onclose = () => {
      status.textContent = 'Offline: reconnecting…';
      status.className = 'pill warn';
      setTimeout(watchPresence, presenceDelay);
      presenceDelay = Math.min(presenceDelay * 2, 5000);
    };
  }

  // ---- the call ----------------------------------------------------------------

  const STATE_LABEL = {
    inviting: 'Invited',
    accepted: 'Accepted',
    connecting: 'Connecting',
    connected: 'Connected',
    reconnecting: 'Reconnecting',
    suspended: 'Changing pages',
    ended: 'Ended',
  };

  const STATE_TEXT = {
    inviting: 'Invitation sent: waiting for the customer to answer…',
    accepted:
      'Accepted: the customer’s browser is asking for permission to use the camera and microphone…',
    connecting: 'Permission given: connecting…',
    connected: 'Connected.',
    reconnecting: 'The connection dropped: reconnecting…',
    suspended: 'The customer is changing pages: the call resumes on the next page…',
  };

  const STEP_OF = {
    inviting: 0,
    accepted: 2, // accepted is done; the permission prompt is what happens now
    connecting: 3,
    connected: 4,
    reconnecting: 4,
    suspended: 4,
  };

  function startCall(conversation, media) {
    if (inCall()) return;
    if (call) teardown(call);
    const transport = new WebSocketTransport(
      `${wsBase}/relay?conversation=${encodeURIComponent(conversation)}&role=agent`,
      // ws:// is refused to another host than this machine; over the LAN without
      // --https the demo allows it (camera and microphone need https there anyway).
      { allowInsecure: location.protocol === 'http:' },
    );
    const agent = new AgentCall({ transport, media, agent: AGENT, ttlMs: TTL_MS });
    const c = {
      conversation,
      media,
      acceptedMedia: null,
      agent,
      transport,
      state: 'inviting',
      connectedOnce: false,
      stats: null,
      last: null,
    };
    call = c;
    shown = conversation;
    renderTranscript();

    agent.on('statechange', ({ state }) => {
      if (call !== c) return;
      c.state = state;
      if (state === 'connected') onConnected(c);
      if (state !== 'ended') {
        render();
        renderConsumers();
      }
    });
    agent.on('accepted', ({ media: accepted }) => {
      c.acceptedMedia = accepted;
    });
    agent.on('localstream', (stream) => {
      if (call === c) $('self-video').srcObject = stream;
      render();
    });
    agent.on('remotestream', (stream) => {
      if (call !== c) return;
      const video = $('remote-video');
      video.srcObject = stream;
      void video.play().catch(() => undefined);
      render();
    });
    agent.on('remotemediastate', () => render());
    agent.on('resumed', () => console.info('the customer took the call to another page'));
    agent.on('share-reply', ({ accepted, reason }) => {
      if (call !== c) return;
      say(
        conversation,
        accepted
          ? 'The customer shares their screen'
          : `No screen share: ${SHARE_NO[reason] ?? reason}`,
      );
    });
    agent.on('warning', ({ code, message }) => console.warn(`agent warning ${code}: ${message}`));
    agent.on('ended', (e) => onEnded(c, e));

    try {
      agent.invite();
    } catch (error) {
      say(conversation, `The call could not start: ${error.message}`);
      teardown(c);
      return;
    }
    say(conversation, `${mediaWord(media)} call invitation sent`);
    render();
    renderConsumers();
  }

  function onConnected(c) {
    if (!c.connectedOnce) {
      c.connectedOnce = true;
      say(c.conversation, `${mediaWord(c.acceptedMedia ?? c.media)} call started`);
    }
    void c.agent.verificationCode().then((code) => {
      if (call !== c) return;
      $('verification-code').textContent = code ? `${code.slice(0, 3)} ${code.slice(3)}` : '–';
    });
    if (!c.stats) c.stats = setInterval(() => void sampleStats(c), 1000);
  }

  function onEnded(c, e) {
    c.state = 'ended';
    c.ended = e;
    const word = mediaWord(c.acceptedMedia ?? c.media);
    if (c.connectedOnce) say(c.conversation, `${word} call ended after ${duration(e.durationMs)}`);
    else if (e.reason === 'declined' || e.reason === 'busy') say(c.conversation, 'Call declined');
    else if (e.reason === 'expired' || e.reason === 'cancelled') say(c.conversation, 'Missed call');
    else say(c.conversation, `The call could not start: ${REASONS[e.reason] ?? e.reason}`);
    clearInterval(c.stats);
    c.stats = null;
    // Let the last message (hangup, cancel) leave before the socket closes.
    setTimeout(() => {
      c.agent.destroy();
      c.transport.close();
    }, 1000);
    if (call === c) {
      $('remote-video').srcObject = null;
      $('self-video').srcObject = null;
    }
    render();
    renderConsumers();
  }

  function teardown(c) {
    clearInterval(c.stats);
    c.stats = null;
    try {
      c.agent.destroy();
    } catch {
      // already gone
    }
    c.transport.close();
    if (call === c) call = null;
  }

  async function sampleStats(c) {
    const report = await c.agent.getStats().catch(() => null);
    if (!report || call !== c) return;
    let rtt = null;
    let sent = 0;
    let received = 0;
    let lost = 0;
    let packets = 0;
    let pairId = null;
    report.forEach((s) => {
      if (s.type === 'transport' && s.selectedCandidatePairId) pairId = s.selectedCandidatePairId;
    });
    report.forEach((s) => {
      const selected = pairId ? s.id === pairId : s.nominated && s.state === 'succeeded';
      if (s.type === 'candidate-pair' && selected && typeof s.currentRoundTripTime === 'number') {
        rtt = s.currentRoundTripTime * 1000;
      }
      if (s.type === 'outbound-rtp') sent += s.bytesSent ?? 0;
      if (s.type === 'inbound-rtp') {
        received += s.bytesReceived ?? 0;
        lost += Math.max(0, s.packetsLost ?? 0);
        packets += s.packetsReceived ?? 0;
      }
    });
    const now = Date.now();
    const last = c.last;
    c.last = { now, sent, received, lost, packets };
    if (!last) return;
    const seconds = (now - last.now) / 1000 || 1;
    const kbps = (bytes) => Math.max(0, Math.round((bytes * 8) / 1000 / seconds));
    const newPackets = packets - last.packets + (lost - last.lost);
    const loss = newPackets > 0 ? ((lost - last.lost) / newPackets) * 100 : 0;
    const level = rtt > 400 || loss > 8 ? 'poor' : rtt > 200 || loss > 3 ? 'fair' : 'good';
    const q = $('quality');
    q.replaceChildren(
      el('span', { class: `level ${level}` }, level),
      ` RTT ${rtt === null ? '–' : `${Math.round(rtt)} ms`} · ↓ ${kbps(received - last.received)} kbit/s · ↑ ${kbps(sent - last.sent)} kbit/s`,
      loss >= 0.5 ? ` · loss ${loss.toFixed(1)} %` : '',
    );
  }

  // ---- rendering the call panel ----------------------------------------------

  function render() {
    const c = call;
    const live = c && inCall();
    if (!c) {
      $('call-title').textContent = 'No call';
      $('call-state').hidden = true;
      $('steps').hidden = true;
      $('stage').hidden = true;
      $('details').hidden = true;
      $('controls').hidden = true;
      $('call-status').textContent = 'Pick a customer and start a video or voice call.';
      return;
    }
    const media = c.acceptedMedia ?? c.media;
    $('call-title').textContent = `${mediaWord(c.media)} call with ${visitorName(c.conversation)}`;
    const chip = $('call-state');
    chip.hidden = false;
    chip.textContent = STATE_LABEL[c.state] ?? c.state;
    chip.className = `chip ${c.state}`;

    const steps = $('steps');
    steps.hidden = !live;
    const reached = STEP_OF[c.state] ?? 0;
    steps.querySelectorAll('li').forEach((li, i) => {
      li.className = i < reached ? 'done' : i === reached ? 'current' : '';
      if (i === reached) li.setAttribute('aria-current', 'step');
      else li.removeAttribute('aria-current');
    });

    if (c.state === 'ended') {
      const e = c.ended;
      const by = e.by === 'local' ? 'by you' : e.by === 'remote' ? 'by the customer' : '';
      const why = e.reason === 'normal' ? `Call ended ${by}` : `Call ended: ${REASONS[e.reason]}`;
      $('call-status').textContent =
        `${why.trim()}${c.connectedOnce ? ` after ${duration(e.durationMs)}` : ''}.` +
        (e.detail && e.reason !== 'normal' ? ` (${e.detail})` : '');
    } else {
      $('call-status').textContent = STATE_TEXT[c.state] ?? '';
    }

    const showStage =
      live &&
      ['accepted', 'connecting', 'connected', 'reconnecting', 'suspended'].includes(c.state);
    $('stage').hidden = !showStage;
    const remote = c.agent.remoteMediaState;
    $('stage').classList.toggle('voice', media !== 'video' && !remote?.screen);
    const remoteVideo = $('remote-video');
    const hasVideo =
      (media === 'video' || remote?.screen) &&
      remoteVideo.srcObject &&
      c.state !== 'accepted' &&
      (!remote || remote.videoEnabled || remote.screen);
    $('remote-placeholder').hidden = Boolean(hasVideo);
    remoteVideo.classList.toggle('off', !hasVideo);
    $('remote-avatar').textContent = initials(c.conversation);
    $('remote-placeholder-text').textContent =
      c.state === 'accepted' || c.state === 'connecting'
        ? 'Waiting for the customer…'
        : media !== 'video'
          ? `Voice call with ${visitorName(c.conversation)}`
          : 'The customer’s camera is off';
    $('self-video').hidden = !(
      media === 'video' &&
      c.agent.local.videoEnabled &&
      $('self-video').srcObject
    );

    $('details').hidden = !live;
    $('remote-audio').textContent = remote ? (remote.audioMuted ? 'Muted' : 'On') : '–';
    $('remote-audio').className = remote?.audioMuted ? 'warn' : '';
    $('remote-camera').textContent = remote?.screen
      ? 'Sharing screen'
      : media !== 'video'
        ? 'Voice call'
        : remote
          ? remote.videoEnabled
            ? 'On'
            : 'Off'
          : '–';
    if (c.state !== 'connected' && c.state !== 'reconnecting') {
      $('verification-code').textContent = '–';
      $('quality').textContent = '–';
    }

    $('controls').hidden = !live;
    const inMedia = ['accepted', 'connecting', 'connected', 'reconnecting', 'suspended'].includes(
      c.state,
    );
    const mute = $('mute');
    mute.disabled = !inMedia;
    mute.setAttribute('aria-pressed', String(c.agent.local.audioMuted));
    const camera = $('camera');
    camera.hidden = c.media !== 'video';
    camera.disabled = !inMedia;
    camera.setAttribute('aria-pressed', String(!c.agent.local.videoEnabled));
    const share = $('share');
    share.disabled = c.state !== 'connected' && c.state !== 'reconnecting';
    share.textContent = remote?.screen ? 'Sharing screen' : 'Request screen';
    share.setAttribute('aria-pressed', String(remote?.screen === true));
  }

  $('mute').addEventListener('click', () => {
    if (!call || !inCall()) return;
    call.agent.setAudioMuted(!call.agent.local.audioMuted);
    render();
  });

  $('camera').addEventListener('click', () => {
    if (!call || !inCall()) return;
    const c = call;
    const button = $('camera');
    button.disabled = true;
    c.agent
      .setVideoEnabled(!c.agent.local.videoEnabled)
      .catch((error) => console.warn('camera:', error))
      .finally(() => render());
  });

  $('share').addEventListener('click', () => {
    if (!call || !inCall()) return;
    try {
      call.agent.requestScreenShare('to see what you see');
      say(call.conversation, 'Screen share requested');
    } catch (error) {
      console.warn('screen share:', error);
    }
  });

  $('end').addEventListener('click', () => {
    if (!call || !inCall()) return;
    if (call.state === 'inviting') call.agent.cancel('the agent withdrew the invitation');
    else call.agent.hangup('normal');
  });

  // ---- start -----------------------------------------------------------------

  $('sdk-version').textContent = `SDK ${VERSION}`;
  $('agent-name').textContent = AGENT.name;
  render();
  renderTranscript();
  watchPresence();
  // The "since" labels age.
  setInterval(renderConsumers, 15_000);
})();
