import type { CallClient } from '../call/CallClient';
import type { CallState } from '../call/states';
import type { CallEvents, EndedEvent, InvitationEvent, MediaState } from '../call/events';
import type { DeviceList, DeviceInfo } from '../media/devices';
import { fill } from './texts';
import type { TextKey } from './texts';
import { isRtl } from './locales';
import { ENDED_TEXT, uiTexts } from './transcript';
import type { TranscriptOptions } from './transcript';
import { builder, helpKey, initials, show } from './dom';
import { keepPlace, makeMovable, shadowHost } from './view';

export interface CallUIOptions extends TranscriptOptions {
  /** Where the UI's element goes (default `document.body`). */
  container?: Element;
  /**
   * CSS custom properties: `accent`, `background`, `foreground`, `muted`,
   * `accept`, `danger`, `radius`, `font` (or their full `--mc-…` names).
   */
  theme?: Record<string, string>;
  /** Show the connection quality (from `qualityMonitor()`'s events); default true. */
  quality?: boolean;
}

export interface CallUI {
  /** The UI's host element; its open shadow root holds everything. */
  readonly element: HTMLElement;
  /** Removes the UI and every listener it added. The client and its call stay the page's. */
  destroy(): void;
}

type View = 'idle' | 'invitation' | 'permission' | 'call' | 'ended';

/** The device menu: each select's kind, its list in DeviceList and the client's method. */
const KINDS = [
  ['microphone', 'microphones', 'selectMicrophone'],
  ['camera', 'cameras', 'selectCamera'],
  ['speaker', 'speakers', 'setSpeaker'],
] as const;

const VIEWS: Record<CallState, View> = {
  idle: 'idle',
  invited: 'invitation',
  accepted: 'permission',
  'media-permission': 'permission',
  connecting: 'call',
  connected: 'call',
  reconnecting: 'call',
  resuming: 'call',
  ended: 'ended',
};

/**
 * Shows the consumer's side of every call of `client`: the invitation, the
 * guidance while the browser asks for the camera and microphone, the call
 * window with its controls, and how the call ended. Built on the client's
 * public API and events alone.
 *
 * @example
 * const ui = mountCallUI(client, { locale: 'de', theme: { accent: '#c00' } });
 * // later: ui.destroy();
 */
export function mountCallUI(client: CallClient, options: CallUIOptions = {}): CallUI {
  const doc = options.container?.ownerDocument ?? document;
  const h = builder(doc);
  const { locale, texts } = uiTexts(options);
  const t = (key: TextKey, values?: Record<string, string | number>) => fill(texts[key], values);
  const dir = isRtl(locale) ? 'rtl' : 'ltr';
  const [host, root, View] = shadowHost(doc, options.theme);
  /** A button named by its text key, which is also its `part`. */
  const button = (key: TextKey, extra: Record<string, string | boolean> = {}) =>
    h('button', { type: 'button', part: key, text: t(key), ...extra });
  const avatarOf = () => h('div', { class: 'av', part: 'avatar', 'aria-hidden': 'true' });

  // The UI's elements in its open shadow root: the invitation dialog, the
  // call window and a live region. Built once; `render` only shows, hides
  // and fills them.
  const inviteAvatar = avatarOf();
  const inviteTitle = h('p', { class: 't', id: 'it' });
  const inviteLeft = h('p', { class: 's', id: 'il' });
  const accept = button('accept', { class: 'ok' });
  const decline = button('decline', { class: 'no' });
  const dialog = h(
    'div',
    {
      class: 'd',
      part: 'invitation',
      role: 'alertdialog',
      'aria-labelledby': 'it',
      'aria-describedby': 'il',
      dir,
      lang: locale,
      hidden: true,
    },
    [
      h('div', { class: 'row' }, [
        inviteAvatar,
        h('div', { class: 'tx' }, [inviteTitle, inviteLeft]),
      ]),
      h('div', { class: 'row' }, [accept, decline]),
    ],
  );

  // The call window.
  const title = h('button', { type: 'button', class: 't', part: 'move' });
  const quality = h('span', { class: 'q', part: 'quality', hidden: true });
  const minimize = button('minimize', { 'aria-expanded': 'true' });
  const remote = h('video', { part: 'remote', autoplay: true, playsinline: true });
  const agentAvatar = avatarOf();
  const self = h('video', { class: 'me', part: 'self', autoplay: true, playsinline: true });
  self.muted = true;
  const note = h('p', { class: 'note', part: 'status', hidden: true });
  const stage = h('div', { class: 'st' }, [remote, agentAvatar, self, note]);
  const message = h('p', { class: 'm', part: 'message' });
  const mute = button('mute', { 'aria-pressed': 'false' });
  const stopVideo = button('stopVideo', { 'aria-pressed': 'false' });
  const switchCamera = button('switchCamera');
  const devices = button('devices', { 'aria-expanded': 'false' });
  const enableSound = button('enableSound', { class: 'ok', hidden: true });
  const endCall = button('endCall', { class: 'no' });
  const close = button('close');
  const controls = h('div', { class: 'c row', part: 'controls' }, [
    mute,
    stopVideo,
    switchCamera,
    devices,
    enableSound,
    endCall,
    close,
  ]);
  // One labelled select a kind of device (ids sm, sc, ss).
  const selects = KINDS.map(([kind]) => h('select', { part: kind, id: `s${kind[0]}` }));
  const menu = h(
    'div',
    { class: 'menu', part: 'menu', hidden: true },
    KINDS.map(([kind], i) => h('label', { for: `s${kind[0]}`, text: t(kind) }, [selects[i]!])),
  );
  // The agent's request to see the screen, and the bar while it is shared.
  const askText = h('p', { class: 't', id: 'st' });
  const askReason = h('p', { class: 's', id: 'sr' });
  const shareScreen = button('shareScreen', { class: 'ok' });
  const notNow = button('notNow');
  const ask = h(
    'div',
    {
      class: 'ask',
      part: 'share',
      role: 'alertdialog',
      'aria-labelledby': 'st',
      'aria-describedby': 'sr',
      hidden: true,
    },
    [askText, askReason, h('div', { class: 'row' }, [shareScreen, notNow])],
  );
  const stopSharing = button('stopSharing', { class: 'no' });
  const sharingBar = h('div', { class: 'row sh', part: 'sharing', hidden: true }, [
    h('span', { text: t('sharing') }),
    stopSharing,
  ]);
  const win = h(
    'div',
    { class: 'w', part: 'window', role: 'region', dir, lang: locale, hidden: true },
    [
      h('div', { class: 'bar' }, [title, quality, minimize]),
      sharingBar,
      stage,
      message,
      ask,
      controls,
      menu,
    ],
  );
  const live = h('div', { class: 'sr', 'aria-live': 'polite', role: 'status' });
  root.append(dialog, win, live);

  // What the UI knows; `render` draws it.
  let invite: InvitationEvent | null = null;
  let ended: EndedEvent | null = null;
  let dismissed = true;
  let blocked = false;
  /** The agent's request to see the screen waits for an answer (its reason, or ''). */
  let asked: string | null = null;
  let level: number | null = null;
  let countdown: ReturnType<typeof setInterval> | undefined;
  let deadline = 0;
  const agentName = () => invite?.agent.name || t('agent');
  const announce = (text: string) => {
    live.textContent = '';
    live.textContent = text;
  };
  const act = (fn: () => unknown) => {
    try {
      const result = fn();
      if (result instanceof Promise) result.catch(() => undefined);
    } catch {
      // A control pressed in a state that no longer allows it: nothing to do.
    }
  };
  const avatar = (el: HTMLElement) => {
    el.textContent = '';
    const url = invite?.agent.avatarUrl;
    if (url && /^https:/i.test(url)) el.appendChild(h('img', { src: url, alt: '' }));
    else el.textContent = initials(agentName());
  };

  const render = () => {
    const state = client.state;
    const view: View = state === 'ended' && dismissed ? 'idle' : VIEWS[state];
    host.setAttribute('data-view', view);
    host.setAttribute('data-state', state);
    const video = invite?.media === 'video';
    show(dialog, view === 'invitation');
    show(win, view === 'permission' || view === 'call' || view === 'ended');
    title.textContent = t('callWith', { name: agentName() });
    title.setAttribute('aria-label', `${title.textContent}. ${t('move')}`);
    const local: MediaState | null = client.localMediaState;
    const other: MediaState | null = client.remoteMediaState;
    const inCall = view === 'call';
    show(stage, inCall);
    const agentVideo = video && other?.videoEnabled !== false;
    show(remote, agentVideo);
    show(agentAvatar, !agentVideo);
    const sharing = local?.screen === true;
    // The self view shows what is shared, never mirrored.
    show(self, sharing || (video && local?.videoEnabled === true));
    self.classList.toggle('mir', !sharing && local?.camera !== 'environment');
    self.classList.toggle('scr', sharing);
    show(sharingBar, inCall && sharing);
    if (!inCall) asked = null;
    show(ask, asked !== null);
    askText.textContent = t('shareAsk', { name: agentName() });
    askReason.textContent = asked ?? '';
    const notes: string[] = [];
    if (state === 'connecting') notes.push(t('connecting'));
    if (other?.audioMuted) notes.push(t('agentMuted', { name: agentName() }));
    if (video && other && !other.videoEnabled)
      notes.push(t('agentCameraOff', { name: agentName() }));
    note.textContent = notes.join(' · ');
    show(note, notes.length > 0);
    // The reconnecting notice goes where the call's messages go, below the
    // picture; a call taken back on a new page is reconnecting too.
    let text = state === 'reconnecting' || state === 'resuming' ? t('reconnecting') : '';
    if (view === 'permission')
      text = t(
        video && client.callInfo?.acceptedMedia !== 'voice' ? 'permissionVideo' : 'permissionVoice',
      );
    if (view === 'ended' && ended) {
      text = t(ENDED_TEXT[ended.reason] ?? 'endedError');
      const reason = ended.reason;
      if (reason === 'permission-denied') text += ' ' + t(helpKey(View.navigator?.userAgent ?? ''));
      if (
        reason === 'no-device' ||
        reason === 'network' ||
        reason === 'timeout' ||
        reason === 'error'
      ) {
        text += ' ' + t('callAgain');
      }
    }
    message.textContent = text;
    show(message, text !== '');
    show(mute, inCall);
    mute.setAttribute('aria-pressed', String(local?.audioMuted === true));
    show(stopVideo, inCall && video && client.callInfo?.acceptedMedia !== 'voice');
    stopVideo.setAttribute('aria-pressed', String(local?.videoEnabled === false));
    show(switchCamera, inCall && video && local?.videoEnabled === true && client.canSwitchCamera);
    show(devices, inCall);
    show(enableSound, inCall && blocked);
    show(endCall, inCall || view === 'permission');
    show(close, view === 'ended');
    show(minimize, view !== 'ended');
    if (!inCall) show(menu, false);
    show(quality, inCall && level !== null && options.quality !== false);
    if (level !== null) {
      quality.textContent = t(
        level >= 4 ? 'qualityGood' : level >= 3 ? 'qualityFair' : 'qualityPoor',
      );
    }
    if (view === 'invitation' && invite) {
      const left = Math.round((deadline - Date.now()) / 1000);
      inviteLeft.textContent = left <= 30 ? t('expiresIn', { seconds: Math.max(0, left) }) : '';
    }
  };

  const focusInside = () => root.activeElement !== null;
  /** A new view: say it, and keep the keyboard inside the UI when it was there. */
  const enter = (view: View, hadFocus: boolean) => {
    if (view === 'call' || view === 'permission' || view === 'ended') {
      announce(message.textContent || note.textContent || title.textContent || '');
    }
    // A control that the new view hides keeps the focus until the browser
    // drops it on the page: move it to the view's first control instead.
    const active = root.activeElement;
    if (hadFocus && (!active || active.closest('[hidden]'))) {
      (view === 'ended' ? close : view === 'call' ? mute : endCall).focus();
    }
  };
  // The client announces a state before the event that comes with it
  // (invited before `invitation`, ended before `ended`): the view is set up
  // by those events.
  const restore = () => {
    win.classList.remove('min');
    minimize.textContent = t('minimize');
    minimize.setAttribute('aria-expanded', 'true');
  };
  const onInvitation = (e: InvitationEvent) => {
    invite = e;
    // expiresAt is in the client's clock: count down from the invitation's own length.
    deadline = Date.now() + (client.callInfo ? e.expiresAt - client.callInfo.invitedAt : 0);
    restore();
    dismissed = false;
    ended = null;
    blocked = false;
    level = null;
    inviteTitle.textContent = t(e.media === 'video' ? 'inviteVideo' : 'inviteVoice', {
      name: agentName(),
    });
    avatar(inviteAvatar);
    avatar(agentAvatar);
    render();
    accept.focus();
    announce(inviteTitle.textContent);
    clearInterval(countdown);
    countdown = setInterval(render, 1000);
  };
  const onEnded = (e: EndedEvent) => {
    ended = e;
    clearInterval(countdown);
    restore();
    const hadFocus = focusInside();
    // Declining is the consumer's own act, and an invitation answered in
    // another tab is that tab's business: nothing to tell.
    dismissed =
      e.reason === 'declined' ||
      (e.reason === 'answered-elsewhere' && !client.callInfo?.acceptedMedia);
    render();
    if (!dismissed) enter('ended', hadFocus);
  };
  const onState = ({ state, previous }: { state: CallState; previous: CallState }) => {
    if (state === 'invited' || state === 'ended') return;
    clearInterval(countdown);
    const hadFocus = focusInside();
    render();
    if (VIEWS[state] !== VIEWS[previous] || state === 'reconnecting' || state === 'resuming') {
      enter(VIEWS[state], hadFocus);
    }
  };
  const subscriptions: (() => void)[] = [];
  const listen = <E extends keyof CallEvents>(event: E, fn: (...args: CallEvents[E]) => void) => {
    client.on(event, fn);
    subscriptions.push(() => client.off(event, fn));
  };
  listen('invitation', onInvitation);
  listen('ended', onEnded);
  listen('statechange', onState);
  listen('localmediastate', render);
  listen('remotemediastate', render);
  listen('devicechange', render);
  listen('localstream', (stream) => {
    if (!client.localMediaState?.screen) self.srcObject = stream;
  });
  listen('screen', (stream) => {
    self.srcObject = stream ?? client.localStream;
    render();
  });
  listen('share-request', ({ reason }) => {
    asked = reason ?? '';
    render();
    shareScreen.focus();
    announce(`${askText.textContent} ${asked}`);
  });
  listen('quality', (q) => {
    level = q.level;
    render();
  });
  listen('warning', (w) => {
    if (w.code !== 'autoplay-blocked') return;
    blocked = true;
    render();
  });
  const detach = client.attachRemoteMedia(remote);

  // The controls.
  const on = (el: HTMLElement, type: string, fn: (e: Event) => void) =>
    el.addEventListener(type, fn);
  /** A control that asks the client: an error (a state that moved on) is dropped. */
  const press = (el: HTMLElement, fn: () => unknown) => on(el, 'click', () => act(fn));
  press(accept, () => client.accept());
  press(decline, () => client.reject());
  press(mute, () => client.setAudioMuted(!client.localMediaState?.audioMuted));
  press(stopVideo, () => client.setVideoEnabled(!client.localMediaState?.videoEnabled));
  press(switchCamera, () => client.switchCamera());
  press(endCall, () => client.hangup());
  const answerShare = (share: boolean) => {
    asked = null;
    render();
    act(() => (share ? client.startScreenShare() : client.declineShare()));
  };
  on(shareScreen, 'click', () => answerShare(true));
  on(notNow, 'click', () => answerShare(false));
  press(stopSharing, () => client.stopScreenShare());
  on(close, 'click', () => {
    dismissed = true;
    render();
  });
  on(enableSound, 'click', () => {
    blocked = false;
    act(() => remote.play());
    render();
  });
  const minimized = (min: boolean) => {
    win.classList.toggle('min', min);
    minimize.textContent = t(min ? 'restore' : 'minimize');
    minimize.setAttribute('aria-expanded', String(!min));
  };
  on(minimize, 'click', () => {
    minimized(!win.classList.contains('min'));
    place.save();
  });
  const fillDevices = (list: DeviceList) => {
    KINDS.forEach(([, items], k) => {
      const select = selects[k] as HTMLSelectElement;
      select.textContent = '';
      list[items].forEach((d: DeviceInfo, i) =>
        select.appendChild(h('option', { value: d.deviceId, text: d.label || `${i + 1}` })),
      );
    });
    show(
      selects[2]?.parentElement as HTMLElement,
      list.speakers.length > 0 && 'setSinkId' in remote,
    );
  };
  on(devices, 'click', () => {
    const open = menu.hidden;
    show(menu, open);
    devices.setAttribute('aria-expanded', String(open));
    if (open) act(() => client.listDevices().then(fillDevices));
  });
  KINDS.forEach(([, , method], k) => {
    const select = selects[k] as HTMLSelectElement;
    on(select, 'change', () => act(() => client[method](select.value)));
  });

  // Where the window is, and whether it is minimized, follow the consumer
  // to the next page of the site (a call goes on there).
  const place = keepPlace(win, View, minimized);
  makeMovable(win, title, View, () => place.save());

  (options.container ?? doc.body).appendChild(host);
  // Mounted during an invitation: show it as if it had just arrived.
  const info = client.callInfo;
  const current: InvitationEvent | null = info && {
    callId: info.callId,
    media: info.media,
    agent: info.agent,
    policy: info.policy,
    expiresAt: info.expiresAt,
  };
  if (client.state === 'invited' && current) onInvitation(current);
  else {
    invite = current;
    dismissed = client.state === 'ended';
    render();
  }

  return {
    element: host,
    destroy() {
      clearInterval(countdown);
      for (const unsubscribe of subscriptions) unsubscribe();
      detach();
      remote.srcObject = null;
      self.srcObject = null;
      host.remove();
    },
  };
}
