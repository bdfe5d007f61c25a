/*
 * Northwind Bank demo site: the code every page shares. A classic script
 * (no module, no build step) that defines one global, `Northwind`:
 *
 * - the conversation id of this browser tab (one tab = one consumer, across
 *   its pages), and the signaling relay's URL for a page;
 * - the "Support conversation" panel, where the transcript's system
 *   messages of the call are added (`Northwind.attachTranscript(client)`);
 * - the "Analytics" panel, which lists what a tracker would receive
 *   (`MessagingCalls.analytics(Northwind.analyticsOptions())`).
 *
 * The SDK itself is loaded and started by each page's own script tags.
 */
(function () {
  'use strict';

  /** The brand colour: the site's CSS and the call UI's accent. */
  var BRAND = '#0e6e5c';
  var CONVERSATION_KEY = 'demo-conversation';
  var TRANSCRIPT_KEY = 'demo-transcript';
  var MAX_SAVED = 40;
  var MAX_ROWS = 200;

  /** 1–64 of [A-Za-z0-9_-], made once per tab. */
  function conversationId() {
    var id = null;
    try {
      id = window.sessionStorage.getItem(CONVERSATION_KEY);
    } catch {
      // Storage disabled: the id lasts as long as the page.
    }
    if (id && /^[A-Za-z0-9_-]{1,64}$/.test(id)) return id;
    var bytes = new Uint8Array(12);
    window.crypto.getRandomValues(bytes);
    var alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    id = 'c-';
    for (var i = 0; i < bytes.length; i++) id += alphabet.charAt(bytes[i] & 63);
    try {
      window.sessionStorage.setItem(CONVERSATION_KEY, id);
    } catch {
      // As above.
    }
    return id;
  }

  /** The relay's WebSocket URL for this tab's conversation, on page `page`. */
  function relayUrl(page) {
    var scheme = window.location.protocol === 'https:' ? 'wss:' : 'ws:';
    return (
      scheme +
      '//' +
      window.location.host +
      '/relay?conversation=' +
      encodeURIComponent(conversationId()) +
      '&role=consumer&page=' +
      encodeURIComponent(page)
    );
  }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function time() {
    var d = new Date();
    return (
      String(d.getHours()).padStart(2, '0') +
      ':' +
      String(d.getMinutes()).padStart(2, '0') +
      ':' +
      String(d.getSeconds()).padStart(2, '0')
    );
  }

  // ---- The support conversation -------------------------------------------

  var CANNED = [
    { from: 'agent', text: 'Hi, I’m Sam from Northwind Support. How can I help you today?' },
    { from: 'me', text: 'Hello! A card payment from yesterday looks wrong to me.' },
    {
      from: 'agent',
      text: 'Let me check that with you. I can start a call so we can go through it together.',
    },
  ];

  var messages = null;

  function readSaved() {
    try {
      var saved = JSON.parse(window.sessionStorage.getItem(TRANSCRIPT_KEY) || '[]');
      return Array.isArray(saved) ? saved : [];
    } catch {
      return [];
    }
  }

  function renderMessage(message) {
    var row;
    if (message.from === 'system') {
      row = el('li', 'msg msg-system');
      row.appendChild(el('span', 'msg-system-text', message.text));
      if (message.time) row.appendChild(el('span', 'msg-time', message.time));
    } else {
      row = el('li', 'msg ' + (message.from === 'me' ? 'msg-me' : 'msg-agent'));
      if (message.from === 'agent') row.appendChild(el('span', 'msg-author', 'Sam · Northwind'));
      row.appendChild(el('span', 'msg-text', message.text));
    }
    messages.appendChild(row);
    messages.scrollTop = messages.scrollHeight;
  }

  /** Adds a system message (a call's start, end, …) to the conversation. */
  function addSystemMessage(text) {
    var message = { from: 'system', text: String(text), time: time() };
    if (messages) renderMessage(message);
    var saved = readSaved();
    saved.push(message);
    try {
      window.sessionStorage.setItem(TRANSCRIPT_KEY, JSON.stringify(saved.slice(-MAX_SAVED)));
    } catch {
      // Not kept across pages, then.
    }
  }

  function conversationPanel(container) {
    var panel = el('section', 'panel conversation');
    panel.setAttribute('aria-labelledby', 'conversation-title');
    var head = el('header', 'panel-head');
    var avatar = el('span', 'avatar', 'S');
    avatar.setAttribute('aria-hidden', 'true');
    var titles = el('div', 'panel-titles');
    var title = el('h2', 'panel-title', 'Support conversation');
    title.id = 'conversation-title';
    titles.appendChild(title);
    titles.appendChild(el('p', 'panel-sub', 'Sam, Northwind Support · online'));
    head.appendChild(avatar);
    head.appendChild(titles);
    panel.appendChild(head);

    messages = el('ol', 'messages');
    messages.setAttribute('aria-live', 'polite');
    messages.setAttribute('aria-label', 'Messages');
    panel.appendChild(messages);
    CANNED.forEach(renderMessage);
    readSaved().forEach(renderMessage);

    var composer = el('form', 'composer');
    var input = el('input');
    input.type = 'text';
    input.placeholder = 'Write a message…';
    input.setAttribute('aria-label', 'Message');
    var send = el('button', 'btn btn-small', 'Send');
    send.type = 'submit';
    composer.appendChild(input);
    composer.appendChild(send);
    composer.addEventListener('submit', function (event) {
      event.preventDefault();
      var text = input.value.trim();
      if (!text) return;
      renderMessage({ from: 'me', text: text });
      input.value = '';
    });
    panel.appendChild(composer);

    var foot = el('p', 'panel-foot');
    foot.appendChild(document.createTextNode('Conversation '));
    foot.appendChild(el('code', '', conversationId()));
    foot.appendChild(
      document.createTextNode(' · the agent console lists this tab; calls appear here.'),
    );
    panel.appendChild(foot);
    container.appendChild(panel);
  }

  /** The transcript's system messages of every call of `client`, in the conversation. */
  function attachTranscript(client) {
    return window.MessagingCalls.callTranscript(client, function (message) {
      addSystemMessage(message.text);
    });
  }

  // ---- The analytics panel ------------------------------------------------

  var rows = null;
  var reports = null;
  var status = null;
  var count = 0;

  function analyticsPanel(container, intro) {
    var panel = el('section', 'panel analytics');
    panel.setAttribute('aria-labelledby', 'analytics-title');
    var head = el('header', 'panel-head');
    var titles = el('div', 'panel-titles');
    var title = el('h2', 'panel-title', 'Analytics');
    title.id = 'analytics-title';
    titles.appendChild(title);
    titles.appendChild(el('p', 'panel-sub', 'What the site’s tracker receives from the call SDK'));
    head.appendChild(titles);
    panel.appendChild(head);

    status = el('p', 'analytics-status', intro || 'No call events yet on this page.');
    panel.appendChild(status);
    rows = el('ol', 'events');
    rows.setAttribute('aria-label', 'Tracker events');
    panel.appendChild(rows);
    reports = el('div', 'reports');
    panel.appendChild(reports);
    container.appendChild(panel);
  }

  function trackEvent(name, params) {
    if (!rows) return;
    count++;
    status.textContent = count + (count === 1 ? ' event' : ' events') + ' on this page.';
    var row = el('li', 'event');
    var top = el('div', 'event-top');
    top.appendChild(el('code', 'event-name', name));
    top.appendChild(el('span', 'event-time', time()));
    row.appendChild(top);
    row.appendChild(el('pre', 'event-params', JSON.stringify(params || {})));
    rows.insertBefore(row, rows.firstChild);
    while (rows.childNodes.length > MAX_ROWS) rows.removeChild(rows.lastChild);
  }

  function showReport(report) {
    if (!reports) return;
    var details = el('details', 'report');
    var summary = el(
      'summary',
      '',
      'Call report · ' +
        (report.callId || '') +
        ' · ' +
        (report.reason || '') +
        ' · ' +
        Math.round((report.durationMs || 0) / 1000) +
        ' s',
    );
    details.appendChild(summary);
    details.appendChild(el('pre', 'report-json', JSON.stringify(report, null, 2)));
    reports.insertBefore(details, reports.firstChild);
  }

  /** Options for `MessagingCalls.analytics(…)`: a function adapter and the report, shown here. */
  function analyticsOptions() {
    return {
      adapters: [
        function (event, params) {
          trackEvent(event, params);
        },
      ],
      onReport: function (report) {
        showReport(report);
      },
    };
  }

  /** A line of status in the analytics panel (the loader's progress, an error). */
  function note(text) {
    if (status) status.textContent = text;
  }

  // ---- The page -----------------------------------------------------------

  /** The two panels, into the page's `#panels` (its `data-intro`: the analytics panel's first line). */
  function mountPanels() {
    var container = document.getElementById('panels');
    if (!container || messages) return;
    conversationPanel(container);
    analyticsPanel(container, container.getAttribute('data-intro'));
  }

  function markNav() {
    var path = window.location.pathname;
    var links = document.querySelectorAll('.nav a');
    for (var i = 0; i < links.length; i++) {
      var href = links[i].getAttribute('href');
      if (href === path || (path === '/site/index.html' && href === '/')) {
        links[i].setAttribute('aria-current', 'page');
      }
    }
  }

  window.Northwind = {
    brand: BRAND,
    /** The call UI's theme: the brand colour as its accent. */
    theme: { accent: BRAND },
    conversationId: conversationId,
    relayUrl: relayUrl,
    addSystemMessage: addSystemMessage,
    attachTranscript: attachTranscript,
    analyticsOptions: analyticsOptions,
    note: note,
  };

  markNav();
  mountPanels();
})();
