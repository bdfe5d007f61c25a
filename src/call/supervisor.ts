import type { Timers } from '../foundation/timers';
import type { PeerConnectionState } from '../peer/PeerSession';

export type SupervisorTimer = 'connect' | 'iceRestart' | 'reconnect';

/** How long a side waits, and whether it restarts ICE itself. */
export interface SupervisorPolicy {
  /** From `start()` to connected, ms. */
  connect: number;
  /** How long a call may stay reconnecting before it is lost, ms. */
  reconnect: number;
  /**
   * The offerer restarts ICE (the consumer): after `disconnectGrace` ms of
   * `disconnected`, at once on `failed` (also before the first connection,
   * within the connect window), and again every `retry` ms while the call
   * is not back. Without it a side waits for the other's restart.
   */
  restart?: { disconnectGrace: number; retry: number; run(): void };
}

export interface SupervisorEvents {
  /** Connected; `first` the first time, otherwise back from reconnecting. */
  connected(first: boolean): void;
  reconnecting(): void;
  /** The call cannot go on. */
  failed(reason: 'timeout' | 'network' | 'error', detail: string): void;
}

/**
 * Follows one call's connection: the connect window, the reconnect window
 * after a drop, and ICE restarts. It owns no state of the call; both sides
 * use it, and differ by policy.
 */
export class ConnectionSupervisor<T extends string = SupervisorTimer> {
  private phase: 'connecting' | 'connected' | 'reconnecting' = 'connecting';

  private readonly timers: Timers<T | SupervisorTimer>;

  constructor(
    /** The call's session: its timers, and whether it has ended. */
    private readonly session: {
      readonly closed: boolean;
      readonly timers: Timers<T | SupervisorTimer>;
    },
    private readonly policy: SupervisorPolicy,
    private readonly events: SupervisorEvents,
  ) {
    this.timers = session.timers;
  }

  /** Opens the connect window. */
  start(): void {
    this.timers.set('connect', this.policy.connect, () =>
      this.events.failed('timeout', 'the call did not connect in time'),
    );
  }

  onPeerState(state: PeerConnectionState): void {
    if (this.session.closed) return;
    const restart = this.policy.restart;
    switch (state) {
      case 'connected': {
        this.timers.clear('connect');
        this.timers.clear('iceRestart');
        this.timers.clear('reconnect');
        if (this.phase === 'connected') return;
        const first = this.phase === 'connecting';
        this.phase = 'connected';
        this.events.connected(first);
        return;
      }
      case 'disconnected':
        if (this.phase !== 'connected') return;
        this.enterReconnecting();
        if (restart && !this.session.closed)
          this.timers.set('iceRestart', restart.disconnectGrace, () => this.restart());
        return;
      case 'failed':
        if (this.phase === 'connected') this.enterReconnecting();
        if (restart && !this.session.closed) this.restart();
        return;
      case 'closed':
        this.events.failed('error', 'the peer connection closed');
        return;
    }
  }

  private enterReconnecting(): void {
    this.phase = 'reconnecting';
    this.timers.set('reconnect', this.policy.reconnect, () =>
      this.events.failed('network', 'the connection was lost and could not be restored'),
    );
    this.events.reconnecting();
  }

  /** Restarts ICE now, and again later while the call is not back. */
  private restart(): void {
    const restart = this.policy.restart;
    if (!restart || this.session.closed) return;
    restart.run();
    if (this.session.closed) return;
    this.timers.set('iceRestart', restart.retry, () => this.restart());
  }
}
