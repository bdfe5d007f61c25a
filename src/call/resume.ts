import type { Feature, Message } from '../protocol/messages';
import { newSecret } from '../protocol/commit';
import { isSecret, isValidId } from '../protocol/validate';
import { newId } from '../protocol/ids';
import { dropCertificate, keptCertificate, newCertificate } from '../peer/certificate';
import { listenTo } from '../util/events';
import { contains } from '../util/list';
import { VERSION } from '../version';
import type { CallInfo } from './options';
import { ConsumerCall } from './core';
import type { ClientCore } from './core';
import type { CallSetup } from './setup';

/** A record older than this is not resumed (the agent waits 30 s). */
const MAX_AGE_MS = 25_000;
/** The record's `savedAt` is rewritten at least this often while the call lives. */
const HEARTBEAT_MS = 5_000;

/** What a page leaves in session storage for the next page of the tab. */
interface CallRecord {
  info: CallInfo;
  iceServers?: RTCIceServer[];
  features: Feature[];
  /** The instance that wrote it: messages still addressed to it are stale, not another tab's. */
  instance: string;
  savedAt: number;
  /** The secret of the agent's current commitment (absent for an invitation). */
  secret?: string;
  /** The secret revealed before it, while the agent may not have rotated yet. */
  previous?: string;
}

/**
 * Calls that survive a page navigation (protocol 1.1 resume): the
 * commitment at accept, the record in session storage and its heartbeat,
 * `suspend` at `pagehide`, and on the next page (or a page back from the
 * back/forward cache) the call taken back: `resuming`, the same media
 * state, a new peer connection with the same certificate. An invitation
 * still showing when the page is left is shown again on the next one.
 */
export class CallResume {
  constructor(
    private readonly core: ClientCore,
    private readonly setup: CallSetup,
    /** Shows an invitation: its timer and the `invitation` event (the router's). */
    private readonly ring: (call: ConsumerCall) => void,
  ) {}

  /** Follows the page's `pagehide` and `pageshow`; returns the function that stops. */
  listen(): () => void {
    const page = this.core.platform.window;
    const hide = listenTo(page, 'pagehide', () => this.suspend());
    const show = listenTo(page, 'pageshow', (event: { persisted?: boolean }) => {
      if (!event.persisted) return;
      const { core } = this;
      core.instance = newId();
      const call = core.call;
      if (call && core.live(call)) return;
      this.restore(true);
      // The call this page suspended could not be taken back (too late, or
      // the record is gone): it ends here, as a call lost to the network.
      if (call && core.call === call && core.state !== 'ended' && core.state !== 'idle') {
        core.onEnded(call);
        core.setState('ended');
        core.emit('ended', {
          callId: call.info.callId,
          reason: 'network',
          by: 'system',
          durationMs: call.durationMs(),
          detail: 'the page came back too late to resume the call',
        });
      }
    });
    return () => {
      hide();
      show();
    };
  }

  private get key(): string {
    const option = this.core.options.resume;
    return (typeof option === 'object' && option.storageKey) || 'messaging-calls';
  }

  /** The invite named resume, the page can keep a call and the application did not say no. */
  private can(features: readonly Feature[]): boolean {
    const { options, platform } = this.core;
    return (
      options.resume !== false &&
      contains(features, 'resume') &&
      !!platform.sessionStorage &&
      !!platform.crypto?.subtle
    );
  }

  /** At the invitation: the first commitment and the certificate, made while the consumer decides. */
  prepare(call: ConsumerCall): void {
    if (!this.can(call.features)) return;
    const { crypto, indexedDB, RTCPeerConnection } = this.core.platform;
    call.next = newSecret(crypto!).catch(() => undefined);
    call.certificate = newCertificate(indexedDB, RTCPeerConnection, call.info.callId);
  }

  /** The commitment to send with `accept` (the record is kept from then on), if any. */
  async commit(call: ConsumerCall): Promise<{ commit: string } | undefined> {
    const next = await call.next;
    if (!next || !this.core.live(call)) return undefined;
    call.secret = next.secret;
    this.beat(call);
    return { commit: next.commit };
  }

  /** The first message addressed to this instance: the agent has rotated; the previous secret goes. */
  confirmed(call: ConsumerCall): void {
    if (call.previous === undefined) return;
    call.previous = undefined;
    this.save(call);
  }

  /**
   * A refused resume may be tried once more with the secret revealed by
   * the page before (it left before the agent's answer). True when retried.
   */
  retry(call: ConsumerCall, message: Message): boolean {
    const fallback = call.fallback;
    if (
      this.core.state !== 'resuming' ||
      message.type !== 'hangup' ||
      message.detail !== 'resume refused' ||
      !fallback ||
      !call.nextCommit
    ) {
      return false;
    }
    call.fallback = undefined;
    this.sendResume(call, fallback, call.nextCommit);
    return true;
  }

  /** The call ended: nothing is left for a next page. */
  forget(call: ConsumerCall): void {
    if (!call.next) return;
    this.remove();
    dropCertificate(this.core.platform.indexedDB, call.info.callId);
  }

  /** `pagehide`: the call waits for the next page; an invitation is shown again there. */
  private suspend(): void {
    const { core } = this;
    const call = core.call;
    if (!call || !core.live(call) || !call.next) return;
    if (core.state === 'invited') {
      this.save(call);
      return;
    }
    if (!call.secret) return; // accepted, but the commitment is not out yet
    // Without a record (storage full or blocked) no next page can take the
    // call back: the agent is told the call is over rather than to wait.
    if (!this.save(call))
      return this.core.end(call, 'normal', 'local', 'the page was left', {
        type: 'hangup',
        reason: 'normal',
      });
    call.send({ type: 'suspend' });
    // The tracks and the connection go with the page; nothing else is said.
    call.close();
  }

  /** Reads the tab's record: a call is resumed, an invitation shown again. */
  restore(later = false): void {
    const { core } = this;
    const storage = core.platform.sessionStorage;
    let record: CallRecord | undefined;
    try {
      record = JSON.parse(storage?.getItem(this.key) ?? 'null') as CallRecord | undefined;
    } catch {
      // unreadable: removed below
    }
    if (!record) {
      if (record === undefined) this.remove();
      return;
    }
    const info = record.info;
    const age = core.clock.now() - record.savedAt;
    if (
      !(age < MAX_AGE_MS) ||
      !isValidId(info?.callId) ||
      !Array.isArray(record.features) ||
      !this.can(record.features) ||
      !info.local ||
      (info.acceptedMedia !== undefined && !isSecret(record.secret))
    ) {
      this.remove();
      return;
    }
    const call = new ConsumerCall(info, record.iceServers, core.clock, core.send, record.features);
    call.restored = record.instance;
    if (!info.acceptedMedia) {
      // An invitation that was showing: the rest of its time, on this page.
      this.remove();
      if (info.expiresAt <= core.clock.now()) return;
      const show = () => {
        if (core.call && core.live(core.call)) return;
        core.call = call;
        core.setState('invited');
        this.prepare(call);
        this.ring(call);
      };
      // Listeners added right after the constructor hear the invitation.
      if (later) show();
      else void Promise.resolve().then(show);
      return;
    }
    this.resume(call, record);
  }

  private resume(call: ConsumerCall, record: CallRecord): void {
    const { core } = this;
    const { crypto, indexedDB } = core.platform;
    call.info.remote = null;
    delete call.info.local.screen; // a shared screen stays with the page that shared it
    call.connectedAt = call.info.connectedAt;
    call.fallback = record.previous;
    call.resumedFrom = record.savedAt;
    call.next = Promise.resolve(undefined);
    core.call = call;
    core.setState('resuming');
    this.setup.prepare(call);
    call.certificate = keptCertificate(indexedDB, call.info.callId);
    void call.ops.run(async () => {
      const next = await newSecret(crypto!).catch(() => undefined);
      if (!core.live(call)) return;
      if (!next || !record.secret) {
        core.end(call, 'error', 'system', 'the call could not be resumed');
        return;
      }
      call.nextCommit = next.commit;
      this.sendResume(call, record.secret, next.commit);
      // The new secret is stored in the task that hands `resume` over.
      call.previous = record.secret;
      call.secret = next.secret;
      this.beat(call);
      await this.setup.start(call, true);
    });
  }

  private sendResume(call: ConsumerCall, secret: string, commit: string): void {
    const { info } = call;
    call.send({
      type: 'resume',
      secret,
      commit,
      media: info.acceptedMedia ?? info.media,
      client: { sdk: `messaging-calls/${VERSION}` },
    });
  }

  /** Saves the record now and every few seconds while the call lives. */
  private beat(call: ConsumerCall): void {
    this.save(call);
    call.timers.set('save', HEARTBEAT_MS, () => this.beat(call));
  }

  private save(call: ConsumerCall): boolean {
    const record: CallRecord = {
      info: call.info,
      iceServers: call.iceServers,
      features: call.features,
      instance: this.core.instance,
      savedAt: this.core.clock.now(),
      secret: call.secret,
      previous: call.previous,
    };
    try {
      this.core.platform.sessionStorage?.setItem(this.key, JSON.stringify(record));
      return true;
    } catch {
      // Storage full or blocked: the call does not survive the page.
      return false;
    }
  }

  private remove(): void {
    try {
      this.core.platform.sessionStorage?.removeItem(this.key);
    } catch {
      // blocked storage: nothing was kept
    }
  }
}
