/**
 * The call core both sides share (src/call): the state machine and its two
 * tables, the session that owns and releases one call's resources, the
 * supervisor of the connection, the admission check of an invitation and
 * the inbox every received message goes through. Time is a manual clock;
 * media and peer are small fakes that write into one journal.
 */
import { AGENT_TRANSITIONS } from '../../src/agent/types';
import type { AgentCallState } from '../../src/agent/types';
import { refusal } from '../../src/call/admission';
import { readMessage } from '../../src/call/inbox';
import { StateMachine } from '../../src/call/machine';
import { CallSession, envelopeSender } from '../../src/call/session';
import { ConnectionSupervisor } from '../../src/call/supervisor';
import type {
  SupervisorEvents,
  SupervisorPolicy,
  SupervisorTimer,
} from '../../src/call/supervisor';
import { CALL_STATES, TRANSITIONS } from '../../src/call/states';
import type { CallState } from '../../src/call/states';
import type { PartialPlatform, RTCPeerConnectionConstructor } from '../../src/env/platform';
import { CallError } from '../../src/foundation/errors';
import type { Logger, LogLevel } from '../../src/foundation/log';
import { Timers } from '../../src/foundation/timers';
import type { Clock } from '../../src/foundation/timers';
import type { LocalMedia } from '../../src/media/LocalMedia';
import type { PeerSession } from '../../src/peer/PeerSession';
import { PROTOCOL_VERSION } from '../../src/protocol/messages';
import type { Message, MessageOf } from '../../src/protocol/messages';
import { isValidId } from '../../src/protocol/validate';
import type { Transport } from '../../src/transport/types';

// ---- helpers -------------------------------------------------------------------

/** A clock the test moves by hand; it keeps what is scheduled so a test can see it. */
class ManualClock implements Clock {
  private time = 0;
  private nextHandle = 1;
  private readonly scheduled = new Map<number, { at: number; fn: () => void }>();

  /** Called with each handle the SDK clears (to put clearing into a journal). */
  onClear: () => void = () => undefined;

  setTimeout(fn: () => void, ms: number): unknown {
    const handle = this.nextHandle++;
    this.scheduled.set(handle, { at: this.time + ms, fn });
    return handle;
  }

  clearTimeout(handle: unknown): void {
    if (this.scheduled.delete(handle as number)) this.onClear();
  }

  now(): number {
    return this.time;
  }

  /** How many timers are still scheduled. */
  get pending(): number {
    return this.scheduled.size;
  }

  /** Moves time on by `ms`, running what falls due in order (including what those schedule). */
  advance(ms: number): void {
    const end = this.time + ms;
    for (;;) {
      let due: [number, { at: number; fn: () => void }] | undefined;
      for (const entry of this.scheduled) {
        if (entry[1].at <= end && (!due || entry[1].at < due[1].at)) due = entry;
      }
      if (!due) break;
      this.scheduled.delete(due[0]);
      this.time = due[1].at;
      due[1].fn();
    }
    this.time = end;
  }
}

interface LogLine {
  level: LogLevel;
  message: string;
  fields?: Record<string, unknown>;
}

function recordingLogger(): { log: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const log: Logger = (level, message, fields) => {
    lines.push(fields === undefined ? { level, message } : { level, message, fields });
  };
  return { log, lines };
}

function errorsOf(lines: LogLine[]): LogLine[] {
  return lines.filter((line) => line.level === 'error');
}

// ---- StateMachine ----------------------------------------------------------------

describe('StateMachine', () => {
  function machineOf<S extends string>(table: ReadonlyMap<S, readonly S[]>, initial: S) {
    const { log, lines } = recordingLogger();
    const announced: { state: S; previous: S }[] = [];
    const hookErrors: unknown[] = [];
    const machine = new StateMachine<S>(
      table,
      initial,
      log,
      (state, previous) => announced.push({ state, previous }),
      (error) => hookErrors.push(error),
    );
    return { machine, announced, lines, hookErrors };
  }

  /** Every ordered pair of states, split by whether the table allows it. */
  function pairsOf<S extends string>(table: ReadonlyMap<S, readonly S[]>, states: readonly S[]) {
    const allowed: [S, S][] = [];
    const refused: [S, S][] = [];
    for (const from of states) {
      for (const to of states) {
        if (table.get(from)?.includes(to)) allowed.push([from, to]);
        else refused.push([from, to]);
      }
    }
    return { allowed, refused };
  }

  const tables = [
    {
      side: 'consumer',
      table: TRANSITIONS,
      pairs: pairsOf<CallState>(TRANSITIONS, CALL_STATES),
    },
    {
      side: 'agent',
      table: AGENT_TRANSITIONS,
      pairs: pairsOf<AgentCallState>(AGENT_TRANSITIONS, [...AGENT_TRANSITIONS.keys()]),
    },
  ] as const;

  // docs/ARCHITECTURE.md, "One state table": idle → invited → accepted →
  // media-permission → connecting → connected ⇄ reconnecting → ended, and
  // resuming (protocol 1.1: a new page, or one back from the cache); the
  // walk below follows whatever the tables say, so their content is pinned here.
  it('the consumer table is the documented one', () => {
    expect(Object.fromEntries(TRANSITIONS)).toEqual({
      idle: ['invited', 'resuming'],
      invited: ['accepted', 'ended'],
      accepted: ['media-permission', 'ended'],
      'media-permission': ['connecting', 'ended', 'resuming'],
      connecting: ['connected', 'ended', 'resuming'],
      connected: ['reconnecting', 'ended', 'resuming'],
      reconnecting: ['connected', 'ended', 'resuming'],
      resuming: ['connected', 'ended'],
      ended: ['invited'],
    });
  });

  it('the agent table is the documented one (an ended agent call is final)', () => {
    expect(Object.fromEntries(AGENT_TRANSITIONS)).toEqual({
      idle: ['inviting'],
      inviting: ['accepted', 'ended'],
      accepted: ['connecting', 'suspended', 'ended'],
      connecting: ['connected', 'suspended', 'ended'],
      connected: ['reconnecting', 'connecting', 'suspended', 'ended'],
      reconnecting: ['connected', 'connecting', 'suspended', 'ended'],
      suspended: ['connecting', 'ended'],
      ended: [],
    });
  });

  describe.each(tables)('the $side table', ({ table, pairs }) => {
    const machine = (initial: string) =>
      machineOf(table as ReadonlyMap<string, readonly string[]>, initial);

    it('has transitions both allowed and refused (the walk below is not empty)', () => {
      expect(pairs.allowed.length).toBeGreaterThan(0);
      expect(pairs.refused.length).toBeGreaterThan(0);
    });

    it.each(pairs.allowed)('%s -> %s is taken and announced once', (from, to) => {
      const m = machine(from);
      m.machine.set(to);
      expect(m.machine.state).toBe(to);
      expect(m.announced).toEqual([{ state: to, previous: from }]);
      expect(errorsOf(m.lines)).toEqual([]);
    });

    it.each(pairs.refused)('%s -> %s is logged as an error and changes nothing', (from, to) => {
      const m = machine(from);
      m.machine.set(to);
      expect(m.machine.state).toBe(from);
      expect(m.announced).toEqual([]);
      expect(errorsOf(m.lines)).toEqual([
        { level: 'error', message: `illegal transition ${from} -> ${to}` },
      ]);
    });
  });

  it('logs an allowed change at debug level with its fields', () => {
    const m = machineOf(TRANSITIONS, 'idle');
    m.machine.set('invited', { callId: 'c1' });
    expect(m.lines).toEqual([
      { level: 'debug', message: 'state idle -> invited', fields: { callId: 'c1' } },
    ]);
  });

  it('is() tells whether the state is one of a list', () => {
    const m = machineOf(TRANSITIONS, 'connected');
    expect(m.machine.is(['connected', 'reconnecting'])).toBe(true);
    expect(m.machine.is(['idle', 'ended'])).toBe(false);
  });

  describe('require', () => {
    it('passes in an allowed state', () => {
      const m = machineOf(TRANSITIONS, 'invited');
      expect(() => m.machine.require(['invited'], 'accept')).not.toThrow();
    });

    it('throws invalid-state naming the method and the state', () => {
      const m = machineOf(TRANSITIONS, 'connected');
      let thrown: unknown;
      try {
        m.machine.require(['invited'], 'accept');
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(CallError);
      expect((thrown as CallError).code).toBe('invalid-state');
      expect((thrown as CallError).message).toBe('accept() is not allowed in state connected');
    });
  });

  describe('hooks', () => {
    it('run in the order they were added, all before the announce', () => {
      const journal: string[] = [];
      const machine = new StateMachine<CallState>(
        TRANSITIONS,
        'idle',
        () => undefined,
        (state, previous) => journal.push(`announce ${previous}->${state}`),
        () => undefined,
      );
      machine.hook((state, previous) => journal.push(`first ${previous}->${state}`));
      machine.hook((state, previous) => journal.push(`second ${previous}->${state}`));
      machine.set('invited');
      expect(journal).toEqual([
        'first idle->invited',
        'second idle->invited',
        'announce idle->invited',
      ]);
    });

    it('do not hear of a refused transition', () => {
      const m = machineOf(TRANSITIONS, 'idle');
      const heard: string[] = [];
      m.machine.hook((state) => heard.push(state));
      m.machine.set('connected');
      expect(heard).toEqual([]);
    });

    it('a hook that moves the state on stops later hooks and the announce of the superseded state', () => {
      const journal: string[] = [];
      const machine = new StateMachine<CallState>(
        TRANSITIONS,
        'idle',
        () => undefined,
        (state, previous) => journal.push(`announce ${previous}->${state}`),
        () => undefined,
      );
      machine.hook((state, previous) => {
        journal.push(`first ${previous}->${state}`);
        if (state === 'invited') machine.set('ended');
      });
      machine.hook((state, previous) => journal.push(`second ${previous}->${state}`));
      machine.set('invited');
      expect(journal).toEqual([
        'first idle->invited',
        'first invited->ended',
        'second invited->ended',
        'announce invited->ended',
      ]);
      expect(machine.state).toBe('ended');
    });

    it('when the last hook moves the state on, only the state that holds is announced', () => {
      const m = machineOf(TRANSITIONS, 'connecting');
      m.machine.hook((state) => {
        if (state === 'connected') m.machine.set('ended');
      });
      m.machine.set('connected');
      expect(m.machine.state).toBe('ended');
      expect(m.announced).toEqual([{ state: 'ended', previous: 'connected' }]);
    });

    it('a throwing hook is reported through onHookError and the change goes on', () => {
      const m = machineOf(TRANSITIONS, 'idle');
      const boom = new Error('hook failed');
      const later: string[] = [];
      m.machine.hook(() => {
        throw boom;
      });
      m.machine.hook((state) => later.push(state));
      m.machine.set('invited');
      expect(m.hookErrors).toEqual([boom]);
      expect(later).toEqual(['invited']);
      expect(m.machine.state).toBe('invited');
      expect(m.announced).toEqual([{ state: 'invited', previous: 'idle' }]);
    });
  });
});

// ---- CallSession and envelopeSender ----------------------------------------------

describe('envelopeSender', () => {
  function transportOf(send: (message: Message) => void): Transport {
    return { send, listen: () => () => undefined, close: () => undefined };
  }

  it('wraps a body in the envelope (v, fresh id, callId, from) and sends it through the transport', () => {
    const sent: Message[] = [];
    const send = envelopeSender(
      transportOf((m) => sent.push(m)),
      'consumer',
      () => undefined,
    );
    send('call-1', { type: 'hangup', reason: 'normal' });
    send('call-1', { type: 'hangup', reason: 'normal' });
    expect(sent).toHaveLength(2);
    expect(sent[0]).toEqual({
      type: 'hangup',
      reason: 'normal',
      v: PROTOCOL_VERSION,
      id: expect.any(String),
      callId: 'call-1',
      from: 'consumer',
    });
    expect(isValidId(sent[0]?.id)).toBe(true);
    expect(sent[1]?.id).not.toBe(sent[0]?.id);
  });

  it('logs a throwing transport by the error name only, and does not throw', () => {
    const { log, lines } = recordingLogger();
    const send = envelopeSender(
      transportOf(() => {
        throw new TypeError('a=candidate:1 1 udp 2122260223 192.168.1.20 54321 typ host');
      }),
      'agent',
      log,
    );
    expect(() => send('call-1', { type: 'ice', candidate: null })).not.toThrow();
    expect(lines).toEqual([
      { level: 'error', message: 'transport.send threw for ice', fields: { error: 'TypeError' } },
    ]);
  });
});

describe('CallSession', () => {
  type Body = Parameters<CallSession['send']>[0];

  function sessionOf() {
    const clock = new ManualClock();
    const journal: string[] = [];
    const sent: { callId: string; body: Body }[] = [];
    const session = new CallSession<'connect' | 'reconnect'>('call-1', clock, (callId, body) => {
      journal.push(`send ${body.type}`);
      sent.push({ callId, body });
    });
    const media = {
      stop: () => journal.push('media stop'),
    } as unknown as LocalMedia;
    const peer = {
      close: () => journal.push('peer close'),
    } as unknown as PeerSession;
    return { clock, journal, sent, session, media, peer };
  }

  it('sends a body of its call through the sender', () => {
    const s = sessionOf();
    s.session.send({ type: 'media-state', audioMuted: true, videoEnabled: false });
    expect(s.sent).toEqual([
      {
        callId: 'call-1',
        body: { type: 'media-state', audioMuted: true, videoEnabled: false },
      },
    ]);
  });

  it('close(lastMessage) sends it first, then clears the timers, stops the media, closes the peer and runs the cleanups', () => {
    const s = sessionOf();
    const fired: string[] = [];
    s.session.timers.set('connect', 1_000, () => fired.push('connect'));
    s.session.timers.set('reconnect', 2_000, () => fired.push('reconnect'));
    s.session.media = s.media;
    s.session.peer = s.peer;
    s.session.onClose(() => s.journal.push('cleanup 1'));
    s.session.onClose(() => s.journal.push('cleanup 2'));
    s.clock.onClear = () => s.journal.push('timer cleared');

    expect(s.session.close({ type: 'hangup', reason: 'normal' })).toBe(true);

    expect(s.journal).toEqual([
      'send hangup',
      'timer cleared',
      'timer cleared',
      'media stop',
      'peer close',
      'cleanup 1',
      'cleanup 2',
    ]);
    expect(s.session.closed).toBe(true);
    expect(s.session.timers.size).toBe(0);
    expect(s.clock.pending).toBe(0);
    expect(s.session.media).toBeNull();
    expect(s.session.peer).toBeNull();
    s.clock.advance(10_000);
    expect(fired).toEqual([]);
  });

  it('close() without a last message sends nothing', () => {
    const s = sessionOf();
    s.session.close();
    expect(s.sent).toEqual([]);
  });

  it('close() releases once: true the first time, false after, and nothing is released twice', () => {
    const s = sessionOf();
    s.session.media = s.media;
    s.session.peer = s.peer;
    s.session.onClose(() => s.journal.push('cleanup'));
    expect(s.session.close()).toBe(true);
    s.journal.length = 0;
    expect(s.session.close({ type: 'hangup', reason: 'error' })).toBe(false);
    expect(s.journal).toEqual([]);
  });

  it('sends nothing after the close', () => {
    const s = sessionOf();
    s.session.close();
    s.session.send({ type: 'hangup', reason: 'normal' });
    expect(s.sent).toEqual([]);
  });

  it('runs a cleanup added after the close at once', () => {
    const s = sessionOf();
    s.session.close();
    const ran: string[] = [];
    s.session.onClose(() => ran.push('late cleanup'));
    expect(ran).toEqual(['late cleanup']);
  });

  it('does not run cleanups before the close', () => {
    const s = sessionOf();
    const ran: string[] = [];
    s.session.onClose(() => ran.push('cleanup'));
    expect(ran).toEqual([]);
  });

  it('markConnected marks the first time only, and durationMs counts from it on the clock', () => {
    const s = sessionOf();
    expect(s.session.durationMs()).toBe(0);
    s.clock.advance(500);
    expect(s.session.markConnected()).toBe(true);
    expect(s.session.connectedAt).toBe(500);
    s.clock.advance(1_500);
    expect(s.session.markConnected()).toBe(false);
    expect(s.session.connectedAt).toBe(500);
    s.clock.advance(1_000);
    expect(s.session.durationMs()).toBe(2_500);
  });
});

// ---- ConnectionSupervisor --------------------------------------------------------

describe('ConnectionSupervisor', () => {
  const CONNECT = 10_000;
  const RECONNECT = 20_000;
  const GRACE = 2_000;
  const RETRY = 5_000;

  function supervised(options: { restart?: boolean } = {}) {
    const clock = new ManualClock();
    const session = { closed: false, timers: new Timers<SupervisorTimer>(clock) };
    const events: string[] = [];
    let runs = 0;
    const policy: SupervisorPolicy = { connect: CONNECT, reconnect: RECONNECT };
    if (options.restart) {
      policy.restart = { disconnectGrace: GRACE, retry: RETRY, run: () => runs++ };
    }
    const handlers: SupervisorEvents = {
      connected: (first) => void events.push(`connected first=${String(first)}`),
      reconnecting: () => void events.push('reconnecting'),
      failed: (reason, detail) => void events.push(`failed ${reason}: ${detail}`),
    };
    const supervisor = new ConnectionSupervisor(session, policy, handlers);
    return {
      clock,
      session,
      events,
      handlers,
      supervisor,
      get runs() {
        return runs;
      },
      /** What the session's close() does to what the supervisor sees. */
      close() {
        session.closed = true;
        session.timers.clearAll();
      },
    };
  }

  it('fails with timeout when the call does not connect in the connect window', () => {
    const s = supervised();
    s.supervisor.start();
    s.clock.advance(CONNECT - 1);
    expect(s.events).toEqual([]);
    s.clock.advance(1);
    expect(s.events).toEqual(['failed timeout: the call did not connect in time']);
  });

  it('tells connected(first) once and closes the connect window', () => {
    const s = supervised();
    s.supervisor.start();
    s.supervisor.onPeerState('connected');
    s.supervisor.onPeerState('connected');
    expect(s.events).toEqual(['connected first=true']);
    expect(s.session.timers.size).toBe(0);
    s.clock.advance(CONNECT * 2);
    expect(s.events).toEqual(['connected first=true']);
  });

  it('ignores disconnected before the call first connected', () => {
    const s = supervised({ restart: true });
    s.supervisor.start();
    s.supervisor.onPeerState('disconnected');
    expect(s.events).toEqual([]);
    expect(s.session.timers.has('reconnect')).toBe(false);
    expect(s.session.timers.has('iceRestart')).toBe(false);
  });

  it('after a drop tells reconnecting, and fails with network when the reconnect window expires', () => {
    const s = supervised();
    s.supervisor.start();
    s.supervisor.onPeerState('connected');
    s.supervisor.onPeerState('disconnected');
    expect(s.events).toEqual(['connected first=true', 'reconnecting']);
    s.clock.advance(RECONNECT - 1);
    expect(s.events).toHaveLength(2);
    s.clock.advance(1);
    expect(s.events).toEqual([
      'connected first=true',
      'reconnecting',
      'failed network: the connection was lost and could not be restored',
    ]);
  });

  it('back to connected tells connected(first=false) and clears the timers', () => {
    const s = supervised({ restart: true });
    s.supervisor.start();
    s.supervisor.onPeerState('connected');
    s.supervisor.onPeerState('disconnected');
    expect(s.session.timers.size).toBe(2); // reconnect window and the ICE restart
    s.supervisor.onPeerState('connected');
    expect(s.events).toEqual(['connected first=true', 'reconnecting', 'connected first=false']);
    expect(s.session.timers.size).toBe(0);
    s.clock.advance(RECONNECT * 2);
    expect(s.runs).toBe(0);
    expect(s.events).toHaveLength(3);
  });

  describe('with a restart policy (the consumer)', () => {
    it('on disconnected waits disconnectGrace, restarts, and retries every retry ms while not back', () => {
      const s = supervised({ restart: true });
      s.supervisor.start();
      s.supervisor.onPeerState('connected');
      s.supervisor.onPeerState('disconnected');
      s.clock.advance(GRACE - 1);
      expect(s.runs).toBe(0);
      s.clock.advance(1);
      expect(s.runs).toBe(1);
      s.clock.advance(RETRY - 1);
      expect(s.runs).toBe(1);
      s.clock.advance(1);
      expect(s.runs).toBe(2);
      s.clock.advance(RETRY);
      expect(s.runs).toBe(3);
      s.supervisor.onPeerState('connected');
      s.clock.advance(RETRY * 3);
      expect(s.runs).toBe(3);
    });

    it('on failed while connected tells reconnecting and restarts at once', () => {
      const s = supervised({ restart: true });
      s.supervisor.start();
      s.supervisor.onPeerState('connected');
      s.supervisor.onPeerState('failed');
      expect(s.events).toEqual(['connected first=true', 'reconnecting']);
      expect(s.runs).toBe(1);
      s.clock.advance(RETRY);
      expect(s.runs).toBe(2);
    });

    it('on failed while reconnecting restarts at once, without a second reconnecting', () => {
      const s = supervised({ restart: true });
      s.supervisor.start();
      s.supervisor.onPeerState('connected');
      s.supervisor.onPeerState('disconnected');
      s.supervisor.onPeerState('failed');
      expect(s.runs).toBe(1);
      expect(s.events).toEqual(['connected first=true', 'reconnecting']);
    });
  });

  describe('without a restart policy (the agent)', () => {
    it('never schedules a restart: only the reconnect window runs, and it fails with network', () => {
      const s = supervised();
      s.supervisor.start();
      s.supervisor.onPeerState('connected');
      s.supervisor.onPeerState('failed');
      expect(s.session.timers.has('iceRestart')).toBe(false);
      expect(s.session.timers.has('reconnect')).toBe(true);
      s.supervisor.onPeerState('disconnected');
      expect(s.session.timers.has('iceRestart')).toBe(false);
      s.clock.advance(RECONNECT);
      expect(s.events).toEqual([
        'connected first=true',
        'reconnecting',
        'failed network: the connection was lost and could not be restored',
      ]);
    });

    it('waits for the other side on failed before the first connect (the connect window decides)', () => {
      const s = supervised();
      s.supervisor.start();
      s.supervisor.onPeerState('failed');
      expect(s.events).toEqual([]);
      expect(s.session.timers.has('iceRestart')).toBe(false);
      s.clock.advance(CONNECT);
      expect(s.events).toEqual(['failed timeout: the call did not connect in time']);
    });
  });

  it('fails with error when the peer connection closes', () => {
    const s = supervised();
    s.supervisor.start();
    s.supervisor.onPeerState('connected');
    s.supervisor.onPeerState('closed');
    expect(s.events).toEqual(['connected first=true', 'failed error: the peer connection closed']);
  });

  it('ignores every peer state once the session is closed', () => {
    const s = supervised({ restart: true });
    s.supervisor.start();
    s.supervisor.onPeerState('connected');
    s.close();
    s.supervisor.onPeerState('disconnected');
    s.supervisor.onPeerState('failed');
    s.supervisor.onPeerState('closed');
    expect(s.events).toEqual(['connected first=true']);
    expect(s.runs).toBe(0);
    expect(s.session.timers.size).toBe(0);
  });

  it.each(['disconnected', 'failed'] as const)(
    'leaves no timer and does not restart when the session closes inside reconnecting() (on %s)',
    (state) => {
      const s = supervised({ restart: true });
      s.handlers.reconnecting = () => {
        s.events.push('reconnecting');
        s.close();
      };
      s.supervisor.start();
      s.supervisor.onPeerState('connected');
      s.supervisor.onPeerState(state);
      expect(s.events).toEqual(['connected first=true', 'reconnecting']);
      expect(s.session.timers.size).toBe(0);
      expect(s.clock.pending).toBe(0);
      s.clock.advance(RECONNECT * 2);
      expect(s.runs).toBe(0);
      expect(s.events).toHaveLength(2);
    },
  );
});

// ---- admission: refusal ---------------------------------------------------------

describe('refusal', () => {
  const FakeRTCPeerConnection = class {} as unknown as RTCPeerConnectionConstructor;
  const CHROME_100 =
    'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/100.0.0.0 Safari/537.36';

  /** A page where a call can run; `change` takes parts away or alters the page facts. */
  function platform(change: Partial<PartialPlatform> = {}): PartialPlatform {
    return {
      RTCPeerConnection: FakeRTCPeerConnection,
      mediaDevices: { getUserMedia: () => Promise.reject(new Error('not in this test')) },
      ...change,
      environment: { secureContext: true, topFrame: true, ...change.environment },
    };
  }

  function invite(extra: Partial<MessageOf<'invite'>> = {}): MessageOf<'invite'> {
    return {
      v: PROTOCOL_VERSION,
      id: 'm1',
      callId: 'call-1',
      from: 'agent',
      type: 'invite',
      media: 'video',
      ...extra,
    };
  }

  const TURN = { urls: 'turn:turn.example.com:3478', username: 'u', credential: 'p' };
  const TURNS = { urls: ['turns:turn.example.com:5349'], username: 'u', credential: 'p' };
  const STUN = { urls: 'stun:stun.example.com:3478' };

  it('is null when the call can run', () => {
    expect(refusal(invite(), platform(), { browsers: 'any' })).toBeNull();
  });

  it('refuses an insecure page', () => {
    expect(
      refusal(invite(), platform({ environment: { secureContext: false } }), { browsers: 'any' }),
    ).toEqual({ reason: 'unsupported', detail: 'calls need a secure page (HTTPS)' });
  });

  it('refuses an iframe, unless the top frame is not required', () => {
    const framed = platform({ environment: { topFrame: false } });
    expect(refusal(invite(), framed, { browsers: 'any' })).toEqual({
      reason: 'unsupported',
      detail: 'calls must run in the top frame of the page, not in an iframe',
    });
    expect(refusal(invite(), framed, { browsers: 'any', requireTopFrame: false })).toBeNull();
  });

  it('refuses a browser without WebRTC or media devices, every reason in the detail', () => {
    const bare = platform({ RTCPeerConnection: undefined, mediaDevices: undefined });
    expect(refusal(invite(), bare, { browsers: 'any' })).toEqual({
      reason: 'unsupported',
      detail:
        'this browser has no WebRTC (RTCPeerConnection); ' +
        'this browser cannot open a camera or microphone on this page',
    });
  });

  it('refuses a browser older than the policy, and takes it with browsers "any"', () => {
    const old = platform({ environment: { userAgent: CHROME_100 } });
    expect(refusal(invite(), old, {})).toEqual({
      reason: 'unsupported',
      detail: 'Chrome 100 is too old for calls: version 155 or later is needed',
    });
    expect(refusal(invite(), old, { browsers: 'any' })).toBeNull();
  });

  it('refuses media the site disabled, and takes the media it allows', () => {
    const options = { browsers: 'any', allowedMedia: ['voice'] } as const;
    expect(refusal(invite({ media: 'video' }), platform(), options)).toEqual({
      reason: 'disabled',
      detail: 'video calls are disabled on this site',
    });
    expect(refusal(invite({ media: 'voice' }), platform(), options)).toBeNull();
  });

  it('names the page before the media: an unsupported page is refused unsupported', () => {
    expect(
      refusal(invite({ media: 'video' }), platform({ environment: { secureContext: false } }), {
        browsers: 'any',
        allowedMedia: ['voice'],
      }),
    ).toMatchObject({ reason: 'unsupported' });
  });

  describe('forced relay', () => {
    const noTurn = {
      reason: 'unsupported',
      detail: 'relay is forced but no TURN server is configured',
    };

    it('is refused without any server, forced by the invitation or by the options', () => {
      expect(
        refusal(invite({ policy: { forceRelay: true } }), platform(), { browsers: 'any' }),
      ).toEqual(noTurn);
      expect(refusal(invite(), platform(), { browsers: 'any', forceRelay: true })).toEqual(noTurn);
    });

    it('is refused with only a STUN server', () => {
      expect(
        refusal(invite({ policy: { forceRelay: true }, iceServers: [STUN] }), platform(), {
          browsers: 'any',
        }),
      ).toEqual(noTurn);
      expect(
        refusal(invite(), platform(), { browsers: 'any', forceRelay: true, iceServers: [STUN] }),
      ).toEqual(noTurn);
    });

    it('is taken with a turn: or turns: server, from the invitation or the options', () => {
      expect(
        refusal(invite({ policy: { forceRelay: true }, iceServers: [STUN, TURN] }), platform(), {
          browsers: 'any',
        }),
      ).toBeNull();
      expect(
        refusal(invite({ policy: { forceRelay: true }, iceServers: [TURNS] }), platform(), {
          browsers: 'any',
        }),
      ).toBeNull();
      expect(
        refusal(invite(), platform(), { browsers: 'any', forceRelay: true, iceServers: [TURN] }),
      ).toBeNull();
    });

    it("reads the invitation's servers before the options' (as the peer does)", () => {
      expect(
        refusal(invite({ iceServers: [STUN] }), platform(), {
          browsers: 'any',
          forceRelay: true,
          iceServers: [TURN],
        }),
      ).toEqual(noTurn);
    });

    it('does not ask for TURN when relay is not forced', () => {
      expect(refusal(invite({ iceServers: [STUN] }), platform(), { browsers: 'any' })).toBeNull();
    });
  });
});

// ---- inbox: readMessage ---------------------------------------------------------

describe('readMessage', () => {
  function reader() {
    const warnings: { code: string; message: string }[] = [];
    const warn = (code: string, message: string) => warnings.push({ code, message });
    return { warnings, warn };
  }

  const hangup = {
    v: PROTOCOL_VERSION,
    id: 'm1',
    callId: 'call-1',
    from: 'agent',
    type: 'hangup',
    reason: 'normal',
  };

  it('drops a malformed message with an invalid-message warning', () => {
    const r = reader();
    expect(readMessage('{not json', 'agent', r.warn)).toBeNull();
    expect(readMessage({ ...hangup, reason: 'bored' }, 'agent', r.warn)).toBeNull();
    expect(r.warnings).toHaveLength(2);
    for (const w of r.warnings) {
      expect(w.code).toBe('invalid-message');
      expect(w.message).toMatch(/^signaling message dropped: \S/);
    }
  });

  it('drops a message from the wrong role with an unexpected-message warning', () => {
    const r = reader();
    expect(readMessage({ ...hangup, from: 'consumer' }, 'agent', r.warn)).toBeNull();
    expect(r.warnings).toEqual([
      { code: 'unexpected-message', message: 'ignored a hangup sent as consumer' },
    ]);
  });

  it('returns a valid message clean (unknown fields dropped), with no warning', () => {
    const r = reader();
    expect(readMessage({ ...hangup, extra: 'x' }, 'agent', r.warn)).toEqual(hangup);
    expect(readMessage(JSON.stringify(hangup), 'agent', r.warn)).toEqual(hangup);
    expect(r.warnings).toEqual([]);
  });
});
