/**
 * The timers of PROTOCOL.md ("Timers"), driven by Jest's fake clock: each one
 * fires at its time and not a millisecond before, does what the table says,
 * and is cleared when what it waits for happens.
 */
import { CallClient, DEFAULT_TIMEOUTS } from '../../src/call/CallClient';
import { CallError } from '../../src/foundation/errors';
import type { CallExtension, CallExtensionContext } from '../../src/call/CallClient';
import type { CallTimeouts } from '../../src/call/CallClient';
import type { Clock } from '../../src/foundation/timers';
import { qualityMonitor } from '../../src/monitor/qualityMonitor';
import {
  answer,
  connectCall,
  expectReleased,
  settle,
  setup,
  startCall,
} from '../support/fakePlatform';
import type { FakeRTCPeerConnection, Setup } from '../support/fakePlatform';

jest.useFakeTimers();
beforeEach(() => jest.clearAllTimers());

/** Moves the fake clock on and lets what the timers started run. */
async function advance(ms: number): Promise<void> {
  jest.advanceTimersByTime(ms);
  await settle();
}

function iceRestarts(pc: FakeRTCPeerConnection): number {
  return pc.calls.filter(
    (c) => c.method === 'createOffer' && (c.arg as RTCOfferOptions | undefined)?.iceRestart,
  ).length;
}

function expectEndedBySystem(s: Setup, reason: string, sent: 'hangup' | 'reject'): void {
  expect(s.transport.sentOf(sent)).toEqual([expect.objectContaining({ callId: s.callId, reason })]);
  expect(s.ended).toEqual([expect.objectContaining({ reason, by: 'system' })]);
  expectReleased(s);
}

describe('invitation not answered', () => {
  test("expires at the invite's ttlMs, not a millisecond before, with reject expired", async () => {
    const s = setup();
    const expiresAt: number[] = [];
    s.client.on('invitation', (i) => expiresAt.push(i.expiresAt));
    s.agent({ type: 'invite', media: 'video', ttlMs: 5_000 });
    expect(expiresAt).toEqual([Date.now() + 5_000]);

    await advance(4_999);
    expect(s.client.state).toBe('invited');
    expect(s.transport.sent).toEqual([]);

    await advance(1);
    expect(s.transport.sentOf('reject')).toEqual([
      expect.objectContaining({ callId: s.callId, reason: 'expired' }),
    ]);
    expect(s.ended).toEqual([expect.objectContaining({ reason: 'expired', by: 'system' })]);
    expectReleased(s);
  });

  test('expires after 60 s without ttlMs', async () => {
    const s = setup();
    s.agent({ type: 'invite', media: 'voice' });
    await advance(59_999);
    expect(s.client.state).toBe('invited');
    await advance(1);
    expectEndedBySystem(s, 'expired', 'reject');
  });

  test('the timeouts.invite option replaces the default, and ttlMs still takes precedence', async () => {
    const s = setup({ timeouts: { invite: 10_000 } });
    s.agent({ type: 'invite', media: 'voice' });
    await advance(9_999);
    expect(s.client.state).toBe('invited');
    await advance(1);
    expect(s.client.state).toBe('ended');

    const t = setup({ timeouts: { invite: 10_000 } });
    t.agent({ type: 'invite', media: 'voice', ttlMs: 20_000 });
    await advance(19_999);
    expect(t.client.state).toBe('invited');
    await advance(1);
    expect(t.client.state).toBe('ended');
  });

  test('accepting stops the invitation timer', async () => {
    const s = setup();
    s.agent({ type: 'invite', media: 'voice', ttlMs: 5_000 });
    await advance(4_000);
    await s.client.accept();
    await answer(s);
    s.pc().setConnectionState('connected');
    await advance(10_000);
    expect(s.client.state).toBe('connected');
    expect(s.transport.sentOf('reject')).toEqual([]);
  });
});

describe('permission prompt', () => {
  test('unanswered for 60 s ends the call with hangup timeout, and tracks granted later stop', async () => {
    const s = setup();
    s.devices.hold = true;
    s.agent({ type: 'invite', media: 'video' });
    const accepting = s.client.accept();
    await settle();
    expect(s.client.state).toBe('media-permission');
    await advance(59_999);
    expect(s.client.state).toBe('media-permission');
    await advance(1);
    expectEndedBySystem(s, 'timeout', 'hangup');

    s.devices.release();
    await accepting;
    expect(s.devices.tracks).toHaveLength(2);
    expectReleased(s);
    expect(s.peers).toEqual([]);
  });

  test('answered in time, its timer is gone', async () => {
    const s = setup();
    s.devices.hold = true;
    s.agent({ type: 'invite', media: 'voice' });
    const accepting = s.client.accept();
    await settle();
    await advance(59_999);
    s.devices.release();
    await accepting;
    await advance(1);
    expect(s.client.state).toBe('connecting');
  });
});

describe('accepted but not connected', () => {
  test('30 s after the offer without a connection ends with hangup timeout', async () => {
    const s = setup();
    await startCall(s);
    expect(s.transport.sentOf('sdp')).toHaveLength(1);
    await answer(s);
    await advance(29_999);
    expect(s.client.state).toBe('connecting');
    await advance(1);
    expectEndedBySystem(s, 'timeout', 'hangup');
    expect(s.ended[0]?.durationMs).toBe(0);
  });

  test('a connected call holds no timer', async () => {
    const s = setup();
    await connectCall(s, 'video');
    expect(jest.getTimerCount()).toBe(0);
    await advance(10 * 60_000);
    expect(s.client.state).toBe('connected');
  });
});

describe('connection interrupted', () => {
  test("'disconnected' moves to reconnecting at once and restarts ICE after 2 s, not before", async () => {
    const s = setup();
    await connectCall(s);
    const pc = s.pc();
    pc.setConnectionState('disconnected');
    expect(s.client.state).toBe('reconnecting');

    await advance(1_999);
    expect(iceRestarts(pc)).toBe(0);
    await advance(1);
    expect(iceRestarts(pc)).toBe(1);
    expect(s.transport.sentOf('sdp').map((m) => m.description.type)).toEqual(['offer', 'offer']);
  });

  test("'failed' restarts ICE at once", async () => {
    const s = setup();
    await connectCall(s);
    const pc = s.pc();
    pc.setConnectionState('failed');
    expect(s.client.state).toBe('reconnecting');
    await settle();
    expect(iceRestarts(pc)).toBe(1);
  });

  test('while still reconnecting, ICE restart is tried again every 5 s', async () => {
    const s = setup();
    await connectCall(s);
    const pc = s.pc();
    pc.setConnectionState('failed');
    await settle();
    await answer(s);
    await advance(4_999);
    expect(iceRestarts(pc)).toBe(1);
    await advance(1);
    expect(iceRestarts(pc)).toBe(2);
  });

  test('reconnecting for 30 s ends the call with hangup network', async () => {
    const s = setup();
    await connectCall(s);
    await advance(5_000);
    s.pc().setConnectionState('disconnected');
    await advance(29_999);
    expect(s.client.state).toBe('reconnecting');
    await advance(1);
    expectEndedBySystem(s, 'network', 'hangup');
    expect(s.ended[0]?.durationMs).toBe(35_000);
  });

  test('recovering within the window clears the give-up and restart timers', async () => {
    const s = setup();
    await connectCall(s);
    const pc = s.pc();
    pc.setConnectionState('disconnected');
    await advance(1_000);
    pc.setConnectionState('connected');
    expect(s.client.state).toBe('connected');
    expect(jest.getTimerCount()).toBe(0);
    await advance(60_000);
    expect(s.client.state).toBe('connected');
    expect(iceRestarts(pc)).toBe(0);
    expect(s.transport.sentOf('hangup')).toEqual([]);
  });
});

describe('custom timeouts', () => {
  const custom: Partial<CallTimeouts> = {
    permission: 1_000,
    connect: 2_000,
    disconnectGrace: 300,
    restartRetry: 1_000,
    reconnect: 4_000,
  };

  test('permission', async () => {
    const s = setup({ timeouts: custom });
    s.devices.hold = true;
    s.agent({ type: 'invite', media: 'voice' });
    void s.client.accept();
    await settle();
    await advance(999);
    expect(s.client.state).toBe('media-permission');
    await advance(1);
    expectEndedBySystem(s, 'timeout', 'hangup');
  });

  test('connect', async () => {
    const s = setup({ timeouts: custom });
    await startCall(s);
    await advance(1_999);
    expect(s.client.state).toBe('connecting');
    await advance(1);
    expectEndedBySystem(s, 'timeout', 'hangup');
  });

  test('disconnect grace, restart retry and reconnect', async () => {
    const s = setup({ timeouts: custom });
    await connectCall(s);
    const pc = s.pc();
    pc.setConnectionState('disconnected');
    await advance(299);
    expect(iceRestarts(pc)).toBe(0);
    await advance(1);
    expect(iceRestarts(pc)).toBe(1);
    await answer(s);
    await advance(999);
    expect(iceRestarts(pc)).toBe(1);
    await advance(1);
    expect(iceRestarts(pc)).toBe(2);
    await advance(4_000 - 1_300 - 1);
    expect(s.client.state).toBe('reconnecting');
    await advance(1);
    expectEndedBySystem(s, 'network', 'hangup');
  });
});

describe('an injected clock', () => {
  /** A clock the test moves by hand; nothing of Jest's. */
  function manualClock(): Clock & { advance(ms: number): void; pending(): number } {
    let now = 1_000_000;
    let timers: { at: number; fn: () => void }[] = [];
    return {
      now: () => now,
      setTimeout: (fn, ms) => {
        const timer = { at: now + ms, fn };
        timers.push(timer);
        return timer;
      },
      clearTimeout: (handle) => {
        timers = timers.filter((t) => t !== handle);
      },
      advance(ms) {
        now += ms;
        const due = timers.filter((t) => t.at <= now).sort((a, b) => a.at - b.at);
        timers = timers.filter((t) => t.at > now);
        for (const t of due) t.fn();
      },
      pending: () => timers.length,
    };
  }

  test('runs the timers and measures the call', async () => {
    const clock = manualClock();
    const s = setup({ clock });
    const expiresAt: number[] = [];
    s.client.on('invitation', (i) => expiresAt.push(i.expiresAt));
    await connectCall(s);
    expect(expiresAt).toEqual([1_000_000 + DEFAULT_TIMEOUTS.invite]);
    expect(clock.pending()).toBe(0);

    clock.advance(7_000);
    s.pc().setConnectionState('disconnected');
    clock.advance(DEFAULT_TIMEOUTS.reconnect);
    expect(s.ended).toEqual([
      expect.objectContaining({ reason: 'network', by: 'system', durationMs: 37_000 }),
    ]);
    expect(clock.pending()).toBe(0);
    expect(jest.getTimerCount()).toBe(0);
  });
});

/** A transport that records calls and delivers nothing. */
const bareTransport = () => ({
  send: jest.fn(),
  close: jest.fn(),
  listen: jest.fn(() => jest.fn()),
});

describe('quality sampling', () => {
  test("goes on after the page clears the client's listeners", async () => {
    const s = setup({ extensions: [qualityMonitor({ intervalMs: 1_000 })] });
    s.client.removeAllListeners();
    const samples: unknown[] = [];
    s.client.on('quality', (q) => samples.push(q));
    await connectCall(s, 'video');
    await advance(1_000);
    await advance(1_000);
    expect(samples).toHaveLength(2);
    s.client.hangup();
    expect(jest.getTimerCount()).toBe(0);
  });

  test('an extension that throws at construction leaves nothing behind, and the error reaches the caller', () => {
    const torn: string[] = [];
    const transport = bareTransport();
    expect(
      () =>
        new CallClient({
          transport,
          extensions: [
            () => () => torn.push('first'),
            () => {
              throw new Error('broken extension');
            },
          ],
        }),
    ).toThrow('broken extension');
    expect(torn).toEqual(['first']);
    expect(transport.listen).not.toHaveBeenCalled();
  });

  test('qualityMonitor given as the extension itself (no call) is a clear error', () => {
    const transport = bareTransport();
    const asGiven = [qualityMonitor] as unknown as CallExtension[];
    expect(() => new CallClient({ transport, extensions: asGiven })).toThrow(
      'use extensions: [qualityMonitor()]',
    );
    expect(() => new CallClient({ transport, extensions: [42] as never })).toThrow(CallError);
    expect(transport.listen).not.toHaveBeenCalled();
  });

  test('an extension whose state hook throws is reported, and the call goes on', async () => {
    const s = setup({
      extensions: [
        (ctx) =>
          ctx.onStateChange((state) => {
            if (state === 'connected') throw new Error('extension bug');
          }),
      ],
    });
    const warnings: string[] = [];
    s.client.on('warning', (w) => warnings.push(w.code));
    await connectCall(s, 'video');
    await advance(0);
    expect(s.client.state).toBe('connected');
    expect(warnings).toContain('listener-error');
    s.client.hangup();
  });

  test('emits a quality sample every interval while connected, and stops at the end', async () => {
    const s = setup({ extensions: [qualityMonitor({ intervalMs: 1_000 })] });
    const samples: unknown[] = [];
    s.client.on('quality', (q) => samples.push(q));
    await connectCall(s, 'video');
    await advance(999);
    expect(samples).toHaveLength(0);
    await advance(1);
    await advance(1_000);
    await advance(1_000);
    expect(samples).toHaveLength(3);
    expect(samples[0]).toEqual(expect.objectContaining({ level: expect.any(Number) }));
    s.client.hangup();
    expect(jest.getTimerCount()).toBe(0);
    await advance(5_000);
    expect(samples).toHaveLength(3);
  });
});

describe('extensions and hostile pages', () => {
  test('a teardown that throws does not stop destroy(): the others run, listeners go', () => {
    const torn: string[] = [];
    const s = setup({
      extensions: [
        () => () => {
          throw new Error('bad teardown');
        },
        () => () => torn.push('second'),
      ],
    });
    s.client.on('statechange', () => undefined);
    expect(() => s.client.destroy()).not.toThrow();
    expect(torn).toEqual(['second']);
    expect(s.client.listenerCount('statechange')).toBe(0);
  });

  test('an extension cannot forge the state, an ending or an invitation', async () => {
    let ctx: CallExtensionContext | undefined;
    const s = setup({ extensions: [(c) => void (ctx = c)] });
    const seen: string[] = [];
    for (const name of ['ended', 'statechange', 'invitation', 'quality'] as const) {
      s.client.on(name, () => seen.push(name));
    }
    (ctx!.emit as (event: string, ...args: unknown[]) => void)('ended', { reason: 'normal' });
    (ctx!.emit as (event: string, ...args: unknown[]) => void)('statechange', { state: 'ended' });
    (ctx!.emit as (event: string, ...args: unknown[]) => void)('invitation', {});
    ctx!.emit('quality', {} as never);
    expect(seen).toEqual(['quality']);
    expect(s.client.state).toBe('idle');
  });

  test('a hook that ends the call at connected: listeners never hear of connected', async () => {
    const s = setup({
      extensions: [
        (ctx) =>
          ctx.onStateChange((state) => {
            if (state === 'connected') ctx.client.hangup();
          }),
      ],
    });
    const states: string[] = [];
    s.client.on('statechange', ({ state }) => states.push(state));
    await startCall(s, 'video');
    await answer(s);
    s.pc().setConnectionState('connected');
    expect(states).not.toContain('connected');
    expect(states.at(-1)).toBe('ended');
    expect(s.client.state).toBe('ended');
    expectReleased(s);
  });

  test('an extension that destroys the client while it is built leaves no transport listener', () => {
    const transport = bareTransport();
    const client = new CallClient({ transport, extensions: [(ctx) => ctx.client.destroy()] });
    const stop = transport.listen.mock.results[0]?.value as jest.Mock;
    expect(stop).toHaveBeenCalledTimes(1);
    expect(() => client.reject()).toThrow(CallError);
  });

  test('videoMaxKbps must be a positive number', () => {
    for (const videoMaxKbps of [0, -1, NaN, Infinity, '900' as unknown as number]) {
      expect(() => new CallClient({ transport: bareTransport(), videoMaxKbps })).toThrow(
        'videoMaxKbps',
      );
    }
  });

  test('a document whose listener methods throw: the call runs and ends, and nothing is left on', async () => {
    const broken = {
      visibilityState: 'visible',
      addEventListener: () => {
        throw new Error('page replaced addEventListener');
      },
      removeEventListener: () => {
        throw new Error('page replaced removeEventListener');
      },
    };
    const s = setup({}, { document: broken });
    await connectCall(s, 'video');
    expect(s.client.state).toBe('connected');
    s.client.hangup();
    expect(s.client.state).toBe('ended');
    expectReleased(s);
  });
});
