import type { Message } from '../protocol/messages';
import { SeenIds } from '../protocol/ids';
import type { ClientCore } from './core';
import { ConsumerCall } from './core';
import { readMessage } from './inbox';
import { refusal } from './admission';
import type { MediaState } from './events';
import { isAccepted } from './states';
import type { CallResume } from './resume';
import type { ScreenShare } from './share';

type Invite = Extract<Message, { type: 'invite' }>;

/**
 * The consumer's side of the signaling: every message from the transport
 * is read (validated, from the agent), an invitation starts a call or is
 * answered `busy`, and the messages of the current call act on it
 * according to its state. Duplicates and other calls' messages are dropped.
 */
export class SignalingRouter {
  /** Ids of invitations answered `busy`, so a repeated one is answered once. */
  private readonly busyInvites = new SeenIds(256);
  /** callIds of calls that ended: a call id is never reused. */
  private readonly finishedCalls = new SeenIds(256);

  /** Resume and screen share (protocol 1.1), set by the client. */
  resume: CallResume | null = null;
  share: ScreenShare | null = null;

  constructor(private readonly core: ClientCore) {
    core.onEnded = (call) => {
      this.finishedCalls.add(call.info.callId);
      this.resume?.forget(call);
    };
  }

  receive(data: unknown): void {
    const { core } = this;
    const message = readMessage(data, 'agent', (code, text) => core.warn(code, text));
    if (!message) return;
    if (message.type === 'invite') {
      this.onInvite(message);
      return;
    }
    const call = core.call;
    // Messages of another call, or of one that ended, are not ours to act on.
    if (!call || message.callId !== call.info.callId || !core.live(call)) return;
    if (message.to !== undefined && message.to !== core.instance) {
      this.addressedElsewhere(call, message);
      return;
    }
    if (!call.seen.add(message.id)) return; // duplicate
    core.log('debug', `received ${message.type}`, { callId: call.info.callId });
    if (this.resume?.retry(call, message)) return;
    // The first message to this page (not the refusal of its resume) tells the agent has rotated.
    if (message.to && message.type !== 'hangup') this.resume?.confirmed(call);
    this.dispatch(call, message);
  }

  /**
   * A message of this call for another instance (protocol 1.1). The call's
   * own signaling (media-state, sdp, ice) sent to another tab means that tab
   * answered the invitation, or holds the call now: it ends here, nothing
   * sent. Answers to another tab's accept or resume (cancel, hangup) leave
   * this tab's call alone, as do messages still on their way to the page
   * this call came from, and everything while resuming.
   */
  private addressedElsewhere(call: ConsumerCall, message: Message): void {
    const { core } = this;
    const signaling =
      message.type === 'media-state' || message.type === 'sdp' || message.type === 'ice';
    if (!signaling || message.to === call.restored || core.state === 'resuming') return;
    core.end(call, 'answered-elsewhere', 'remote');
  }

  /** The signaling connection closed for good: a call cannot go on without it. */
  onTransportClosed(reason: string): void {
    const call = this.core.call;
    this.core.log('warn', `transport closed: ${reason}`);
    if (call && this.core.live(call)) {
      this.core.end(call, 'network', 'system', 'the signaling connection closed');
    }
  }

  private onInvite(message: Invite): void {
    const { core } = this;
    // A late copy of the invitation of a call that already ended must not start it again.
    if (this.finishedCalls.has(message.callId)) return;
    const current = core.call;
    if (current && core.live(current)) {
      if (message.callId === current.info.callId) {
        // A conversation that replays its history shows a restored call's invite again.
        if (current.seen.add(message.id) && !current.restored) {
          core.warn('unexpected-message', 'a second invite for the same call was ignored');
        }
        return;
      }
      if (this.busyInvites.add(message.id)) {
        core.send(message.callId, { type: 'reject', reason: 'busy', detail: 'already in a call' });
        core.warn('busy', 'an invitation arrived during a call and was declined as busy');
      }
      return;
    }
    const refused = refusal(message, core.platform, core.options);
    const call = this.newCall(message);
    core.call = call;
    core.setState('invited');
    if (refused) {
      // The application still hears of the invitation, then why it cannot be taken.
      this.emitInvitation(call);
      const { reason, detail } = refused;
      core.end(call, reason, 'system', detail, { type: 'reject', reason, detail });
      return;
    }
    this.resume?.prepare(call);
    this.ring(call);
  }

  /** Shows an invitation: the `invitation` event, and the timer of its expiry. */
  ring(call: ConsumerCall): void {
    const { core } = this;
    call.timers.set('invite', call.info.expiresAt - core.clock.now(), () =>
      core.end(call, 'expired', 'system', 'the invitation was not answered in time', {
        type: 'reject',
        reason: 'expired',
      }),
    );
    this.emitInvitation(call);
  }

  private newCall(message: Invite): ConsumerCall {
    const { core } = this;
    const now = core.clock.now();
    const policy = message.policy ?? {};
    const videoEnabled =
      message.media === 'video' && !policy.consumerVideoOff && !core.options.consumerVideoOff;
    const call = new ConsumerCall(
      {
        callId: message.callId,
        media: message.media,
        agent: message.agent ?? {},
        policy,
        invitedAt: now,
        expiresAt: now + (message.ttlMs ?? core.timeouts.invite),
        local: { audioMuted: false, videoEnabled },
        remote: null,
      },
      message.iceServers,
      core.clock,
      core.send,
      message.features,
    );
    call.seen.add(message.id);
    return call;
  }

  private emitInvitation(call: ConsumerCall): void {
    const { callId, media, agent, policy, expiresAt } = call.info;
    this.core.emit('invitation', {
      callId,
      media,
      agent: { ...agent },
      policy: { ...policy },
      expiresAt,
    });
  }

  private dispatch(call: ConsumerCall, message: Message): void {
    const { core } = this;
    const accepted = isAccepted(core.state);
    switch (message.type) {
      case 'cancel':
        // Also after connecting: the agent's side may not have seen the
        // connection yet, and a call only one side believes in is worse.
        core.end(
          call,
          message.reason === 'answered-elsewhere' ? 'answered-elsewhere' : 'cancelled',
          'remote',
          message.reason,
        );
        return;
      case 'hangup':
        core.end(call, message.reason, 'remote', message.detail);
        return;
      case 'media-state':
        if (!accepted) return this.unexpected(message);
        call.info.remote = compactState(message);
        core.emit('remotemediastate', { ...call.info.remote });
        return;
      case 'sdp':
        // The consumer offers first: an agent's description needs our connection.
        if (!accepted || !call.peer?.isOpen) return this.unexpected(message);
        void call.peer.handleDescription(message.description);
        return;
      case 'ice':
        if (!accepted || !call.peer) return this.unexpected(message);
        void call.peer.handleCandidate(message.candidate);
        return;
      case 'share-request':
        if (!core.machine.is(['connected', 'reconnecting']) || !this.share) {
          return this.unexpected(message);
        }
        this.share.request(call, message.reason);
        return;
      default:
        this.unexpected(message);
    }
  }

  private unexpected(message: Message): void {
    this.core.warn('unexpected-message', `ignored ${message.type} in state ${this.core.state}`);
  }
}

function compactState(m: MediaState): MediaState {
  return {
    audioMuted: m.audioMuted,
    videoEnabled: m.videoEnabled,
    ...(m.camera ? { camera: m.camera } : {}),
  };
}
