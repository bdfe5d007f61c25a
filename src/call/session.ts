import type { MessageBody, Role } from '../protocol/messages';
import { envelope } from '../protocol/envelope';
import type { Transport } from '../transport/types';
import type { LocalMedia } from '../media/LocalMedia';
import type { PeerSession } from '../peer/PeerSession';
import { errorName } from '../foundation/log';
import type { Logger } from '../foundation/log';
import { Timers } from '../foundation/timers';
import type { Clock } from '../foundation/timers';
import { SerialQueue } from '../foundation/queue';
import { drain } from '../util/list';

/**
 * Sends a message body of a call, in its envelope; a throwing transport is
 * logged. `to` addresses an agent message to one consumer instance.
 */
export type Sender = (callId: string, body: MessageBody, to?: string) => void;

/**
 * The one envelope sender of a side: version, fresh id, callId, role, and
 * the address: the consumer's `instance`, or the agent's `to` (the one given,
 * else `holder()`, the instance holding the call).
 */
export function envelopeSender(
  transport: Transport,
  from: Role,
  log: Logger,
  instance?: () => string,
  holder?: () => string | null,
): Sender {
  return (callId, body, to = holder?.() ?? undefined) => {
    try {
      transport.send(
        envelope(body, callId, from, instance ? { instance: instance() } : to ? { to } : undefined),
      );
    } catch (error) {
      log('error', `transport.send threw for ${body.type}`, { error: errorName(error) });
    }
  };
}

/**
 * The resources of one call, on either side: its timers, its queue of media
 * work, its LocalMedia and PeerSession, and whatever it watches. `close()`
 * releases them all, once, in one order (the camera and microphone first);
 * after it nothing of the call is sent, and `closed` is what every step
 * checks after an await.
 */
export class CallSession<TimerName extends string = string> {
  readonly timers: Timers<TimerName>;
  /** Accepting, camera toggles and switches run one after another. */
  readonly ops = new SerialQueue();
  media: LocalMedia | null = null;
  peer: PeerSession | null = null;
  connectedAt: number | undefined;
  private isClosed = false;
  private readonly cleanups: (() => void)[] = [];

  constructor(
    readonly callId: string,
    private readonly clock: Clock,
    private readonly sender: Sender,
  ) {
    this.timers = new Timers<TimerName>(clock);
  }

  get closed(): boolean {
    return this.isClosed;
  }

  /** Sends a message of this call; nothing goes out after the close. */
  send(body: MessageBody): void {
    if (!this.isClosed) this.sender(this.callId, body);
  }

  /** Runs `cleanup` at the close (a listener to remove, elements to clear). */
  onClose(cleanup: () => void): void {
    if (this.isClosed) cleanup();
    else this.cleanups.push(cleanup);
  }

  /** Marks the call connected (the first time only); returns whether it was the first. */
  markConnected(): boolean {
    if (this.connectedAt !== undefined) return false;
    this.connectedAt = this.clock.now();
    return true;
  }

  /** Time spent connected, ms (0 if the call never connected). */
  durationMs(): number {
    return this.connectedAt === undefined ? 0 : this.clock.now() - this.connectedAt;
  }

  /**
   * Sends the last message (if any), then releases everything: timers, the
   * camera and microphone (nothing after this may leave them on; media that
   * arrives later is stopped by LocalMedia), the peer connection, the
   * watchers. Returns false when the call was already closed.
   */
  close(lastMessage?: MessageBody): boolean {
    if (this.isClosed) return false;
    if (lastMessage) this.send(lastMessage);
    this.isClosed = true;
    this.timers.clearAll();
    this.media?.stop();
    this.peer?.close();
    this.media = null;
    this.peer = null;
    for (const cleanup of drain(this.cleanups)) cleanup();
    return true;
  }
}
