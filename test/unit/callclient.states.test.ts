/**
 * CallClient against its state table (src/call/states.ts): every allowed
 * transition is reached by a real path through the client, every statechange
 * seen is in the table, and every method called in a state that does not
 * allow it throws `invalid-state` synchronously.
 */
import { CallError } from '../../src/foundation/errors';
import type { CallErrorCode } from '../../src/foundation/errors';
import { CALL_STATES, TRANSITIONS } from '../../src/call/states';
import type { CallState } from '../../src/call/states';
import type { CallClient } from '../../src/call/CallClient';
import {
  answer,
  connectCall,
  expectReleased,
  fromAgent,
  pageHide,
  pageShow,
  settle,
  setup,
  startCall,
} from '../support/fakePlatform';
import type { Setup } from '../support/fakePlatform';

jest.useFakeTimers();
beforeEach(() => jest.clearAllTimers());

type Transition = `${CallState} -> ${CallState}`;
type Path = (s: Setup) => Promise<void>;

const TABLE: Transition[] = [...TRANSITIONS].flatMap(([from, tos]) =>
  tos.map((to): Transition => `${from} -> ${to}`),
);

/** Every statechange is in the table, and each starts where the previous one ended. */
function expectTransitionsFollowTheTable(s: Setup): void {
  let current: CallState = 'idle';
  for (const { previous, state } of s.transitions) {
    expect(TABLE).toContain(`${previous} -> ${state}`);
    expect(previous).toBe(current);
    current = state;
  }
  expect(s.client.state).toBe(current);
}

function invite(s: Setup, media: 'voice' | 'video' = 'voice'): void {
  s.agent({ type: 'invite', media });
}

async function holdPermissionPrompt(s: Setup): Promise<void> {
  s.devices.hold = true;
  s.agent({ type: 'invite', media: 'video' });
  void s.client.accept();
  await settle();
  expect(s.client.state).toBe('media-permission');
}

async function reconnecting(s: Setup): Promise<void> {
  await connectCall(s);
  s.pc().setConnectionState('disconnected');
}

/** An invitation that names resume (protocol 1.1). */
function inviteResumable(s: Setup, media: 'voice' | 'video' = 'voice'): void {
  s.agent({ type: 'invite', media, features: ['instances', 'resume'] });
}

/** A resumable call brought to a state by `reach`, then its page goes into the cache and back. */
function backFromCache(reach: (s: Setup) => Promise<void>): Path {
  return async (s) => {
    await reach(s);
    pageHide(s.page, true);
    pageShow(s.page, true);
    await settle();
  };
}

async function connectResumable(s: Setup): Promise<void> {
  inviteResumable(s);
  await s.client.accept();
  await answer(s);
  s.pc().setConnectionState('connected');
  expect(s.client.state).toBe('connected');
}

/** Back from the cache, the call resumes on a new peer connection. */
async function resumed(s: Setup): Promise<void> {
  await backFromCache(connectResumable)(s);
  expect(s.client.state).toBe('resuming');
}

/** At least one real path through the client for every transition of the table. */
const PATHS: Partial<Record<Transition, [string, Path][]>> = {
  'idle -> invited': [['an invitation arrives', async (s) => invite(s)]],
  'invited -> accepted': [
    [
      'accept()',
      async (s) => {
        invite(s);
        void s.client.accept();
      },
    ],
  ],
  'invited -> ended': [
    [
      'reject()',
      async (s) => {
        invite(s);
        s.client.reject();
      },
    ],
    [
      'the agent cancels',
      async (s) => {
        invite(s);
        s.agent({ type: 'cancel' });
      },
    ],
    [
      'the invitation expires',
      async (s) => {
        invite(s);
        jest.advanceTimersByTime(60_000);
      },
    ],
    [
      'the transport closes',
      async (s) => {
        invite(s);
        s.transport.close();
      },
    ],
    [
      'destroy()',
      async (s) => {
        invite(s);
        s.client.destroy();
      },
    ],
  ],
  'accepted -> media-permission': [
    [
      'the camera/microphone is asked for',
      async (s) => {
        invite(s);
        await s.client.accept();
      },
    ],
  ],
  'accepted -> ended': [
    [
      'hangup() before the media request starts',
      async (s) => {
        invite(s);
        const accepting = s.client.accept();
        s.client.hangup();
        await accepting;
      },
    ],
  ],
  'media-permission -> connecting': [['the microphone is granted', (s) => startCall(s)]],
  'media-permission -> ended': [
    [
      'the microphone is denied',
      async (s) => {
        s.devices.fail.audio = 'NotAllowedError';
        invite(s);
        await s.client.accept();
      },
    ],
    [
      'hangup() while the prompt is open',
      async (s) => {
        await holdPermissionPrompt(s);
        s.client.hangup();
        s.devices.release();
        await settle();
      },
    ],
    [
      'the prompt is not answered in time',
      async (s) => {
        await holdPermissionPrompt(s);
        jest.advanceTimersByTime(60_000);
        s.devices.release();
        await settle();
      },
    ],
  ],
  'connecting -> connected': [['ICE connects', (s) => connectCall(s)]],
  'connecting -> ended': [
    [
      'the call does not connect in time',
      async (s) => {
        await startCall(s);
        jest.advanceTimersByTime(30_000);
      },
    ],
    [
      'the agent hangs up',
      async (s) => {
        await startCall(s);
        s.agent({ type: 'hangup', reason: 'normal' });
      },
    ],
    [
      'the answer cannot be applied',
      async (s) => {
        await startCall(s);
        s.agent({ type: 'sdp', description: { type: 'answer', sdp: 'not sdp' } });
        await settle();
      },
    ],
  ],
  'connected -> reconnecting': [
    ['ICE disconnects', reconnecting],
    [
      'ICE fails',
      async (s) => {
        await connectCall(s);
        s.pc().setConnectionState('failed');
      },
    ],
  ],
  'connected -> ended': [
    [
      'hangup()',
      async (s) => {
        await connectCall(s);
        s.client.hangup();
      },
    ],
    [
      'the agent hangs up',
      async (s) => {
        await connectCall(s);
        s.agent({ type: 'hangup', reason: 'normal' });
      },
    ],
    [
      'the transport closes',
      async (s) => {
        await connectCall(s);
        s.transport.close();
      },
    ],
  ],
  'reconnecting -> connected': [
    [
      'ICE connects again',
      async (s) => {
        await reconnecting(s);
        s.pc().setConnectionState('connected');
      },
    ],
  ],
  'reconnecting -> ended': [
    [
      'the connection is not back in time',
      async (s) => {
        await reconnecting(s);
        jest.advanceTimersByTime(30_000);
      },
    ],
    [
      'hangup()',
      async (s) => {
        await reconnecting(s);
        s.client.hangup();
      },
    ],
  ],
  'idle -> resuming': [
    [
      'the previous page of the tab left a call',
      async (s) => {
        const previous = setup({}, { sessionStorage: s.storage });
        await connectResumable(previous);
        pageHide(previous.page);
        expect(s.storage.items.size).toBe(1);
        pageShow(s.page); // a page back from the cache reads the record as a new one does
        await settle();
      },
    ],
  ],
  'media-permission -> resuming': [
    [
      'the page went into the cache during the prompt',
      backFromCache(async (s) => {
        s.devices.hold = true;
        inviteResumable(s);
        void s.client.accept();
        await settle();
        expect(s.client.state).toBe('media-permission');
      }),
    ],
  ],
  'connecting -> resuming': [
    [
      'the page went into the cache while connecting',
      backFromCache(async (s) => {
        inviteResumable(s);
        await s.client.accept();
      }),
    ],
  ],
  'connected -> resuming': [['the page went into the cache', backFromCache(connectResumable)]],
  'reconnecting -> resuming': [
    [
      'the page went into the cache while reconnecting',
      backFromCache(async (s) => {
        await connectResumable(s);
        s.pc().setConnectionState('disconnected');
      }),
    ],
  ],
  'resuming -> connected': [
    [
      'the new connection connects',
      async (s) => {
        await resumed(s);
        s.agent({ type: 'sdp', description: { type: 'answer', sdp: 'v=0 agent-answer' } });
        await settle();
        s.peers[1]?.setConnectionState('connected');
      },
    ],
  ],
  'resuming -> ended': [
    [
      'hangup()',
      async (s) => {
        await resumed(s);
        s.client.hangup();
      },
    ],
    [
      'the agent refuses the resume',
      async (s) => {
        await resumed(s);
        const refused = { type: 'hangup', reason: 'error', detail: 'resume refused' } as const;
        s.transport.deliver(fromAgent(s.callId, refused, s.client.instanceId));
      },
    ],
  ],
  'ended -> invited': [
    [
      'a new invitation after a call',
      async (s) => {
        await connectCall(s);
        s.client.hangup();
        s.transport.deliver(fromAgent('the-next-call', { type: 'invite', media: 'voice' }));
      },
    ],
  ],
};

test('every transition of the table has a path, and nothing else does', () => {
  expect(Object.keys(PATHS).sort()).toEqual([...TABLE].sort());
});

describe.each(TABLE)('%s', (transition) => {
  const [from, to] = transition.split(' -> ') as [CallState, CallState];
  test.each(PATHS[transition] ?? [])('is reached when %s', async (_name, path) => {
    const s = setup();
    await path(s);
    await settle();
    expect(s.transitions).toContainEqual({ previous: from, state: to });
    expectTransitionsFollowTheTable(s);
    if (to === 'ended') expectReleased(s);
  });
});

// ---- methods × states ------------------------------------------------------------

type Method = 'accept' | 'reject' | 'hangup' | 'setAudioMuted' | 'setVideoEnabled' | 'switchCamera';

const CALLS: Record<Method, (c: CallClient) => unknown> = {
  accept: (c) => c.accept(),
  reject: (c) => c.reject(),
  hangup: (c) => c.hangup(),
  setAudioMuted: (c) => c.setAudioMuted(true),
  setVideoEnabled: (c) => c.setVideoEnabled(false),
  switchCamera: (c) => c.switchCamera(),
};

const IN_CALL: CallState[] = [
  'accepted',
  'media-permission',
  'connecting',
  'connected',
  'reconnecting',
  'resuming',
];

/** Where each method is allowed, on a video call with the camera on (the public contract). */
const ALLOWED: Record<Method, CallState[]> = {
  accept: ['invited'],
  reject: ['invited'],
  hangup: IN_CALL,
  setAudioMuted: IN_CALL,
  setVideoEnabled: IN_CALL,
  switchCamera: IN_CALL,
};

/**
 * Brings a fresh client to each state on a video invitation. `accepted` lasts
 * only until the next microtask, so reaching it is synchronous.
 */
const REACH: Record<CallState, (s: Setup) => void | Promise<void>> = {
  idle: () => undefined,
  invited: (s) => invite(s, 'video'),
  accepted: (s) => {
    invite(s, 'video');
    void s.client.accept();
  },
  'media-permission': holdPermissionPrompt,
  connecting: (s) => startCall(s, 'video'),
  connected: (s) => connectCall(s, 'video'),
  reconnecting: async (s) => {
    await connectCall(s, 'video');
    s.pc().setConnectionState('disconnected');
  },
  resuming: async (s) => {
    s.agent({ type: 'invite', media: 'video', features: ['resume'] });
    await s.client.accept();
    pageHide(s.page, true);
    pageShow(s.page, true);
    await settle();
  },
  ended: (s) => {
    invite(s, 'video');
    s.client.reject();
  },
};

/** Calls `fn` and returns what it threw synchronously (undefined if nothing). */
function thrownBy(fn: () => unknown): unknown {
  try {
    const result = fn();
    // An allowed async method may still reject later; that is not this table's business.
    if (result instanceof Promise) result.catch(() => undefined);
  } catch (error) {
    return error;
  }
  return undefined;
}

function expectCallError(error: unknown, code: CallErrorCode): void {
  expect(error).toBeInstanceOf(CallError);
  expect((error as CallError).code).toBe(code);
}

const PAIRS = CALL_STATES.flatMap((state) =>
  (Object.keys(CALLS) as Method[]).map((method) => [state, method] as const),
);

describe.each(PAIRS)('in state %s, %s()', (state, method) => {
  const allowed = ALLOWED[method].includes(state);

  test(
    allowed ? 'is allowed' : 'throws invalid-state synchronously and changes nothing',
    async () => {
      const s = setup();
      const reaching = REACH[state](s);
      if (reaching) await reaching;
      expect(s.client.state).toBe(state);
      const sentBefore = s.transport.sent.length;
      const transitionsBefore = s.transitions.length;

      const error = thrownBy(() => CALLS[method](s.client));

      if (allowed) {
        expect(error).toBeUndefined();
      } else {
        expectCallError(error, 'invalid-state');
        expect(s.client.state).toBe(state);
        expect(s.transport.sent).toHaveLength(sentBefore);
        expect(s.transitions).toHaveLength(transitionsBefore);
      }
    },
  );
});

describe('after destroy()', () => {
  test.each(Object.keys(CALLS) as Method[])('%s() throws destroyed', async (method) => {
    const s = setup();
    await connectCall(s, 'video');
    s.client.destroy();
    expectCallError(
      thrownBy(() => CALLS[method](s.client)),
      'destroyed',
    );
  });

  test('destroy() ends a connected call once, says hangup, and stops listening', async () => {
    const s = setup();
    await connectCall(s, 'video');
    s.client.destroy();
    s.client.destroy();
    expect(s.transport.sentOf('hangup')).toEqual([
      expect.objectContaining({ reason: 'normal', callId: s.callId }),
    ]);
    expectReleased(s);
    expect(s.transport.listenerCount).toBe(0);
  });

  test('an invitation after destroy() is not answered', () => {
    const s = setup();
    s.client.destroy();
    s.agent({ type: 'invite', media: 'voice' });
    expect(s.client.state).toBe('idle');
    expect(s.transport.sent).toEqual([]);
  });
});

describe('argument checks', () => {
  test('a voice invitation cannot be accepted as video', () => {
    const s = setup();
    s.agent({ type: 'invite', media: 'voice' });
    expectCallError(
      thrownBy(() => s.client.accept({ media: 'video' })),
      'invalid-argument',
    );
    expect(s.client.state).toBe('invited');
    expect(s.transport.sent).toEqual([]);
  });

  test('setVideoEnabled() on a voice call throws invalid-state', async () => {
    const s = setup();
    await connectCall(s, 'voice');
    expectCallError(
      thrownBy(() => s.client.setVideoEnabled(true)),
      'invalid-state',
    );
  });

  test('switchCamera() on a voice call throws invalid-state', async () => {
    const s = setup();
    await connectCall(s, 'voice');
    expectCallError(
      thrownBy(() => s.client.switchCamera()),
      'invalid-state',
    );
  });

  test('the constructor refuses options without a transport', () => {
    expectCallError(
      thrownBy(() => setup({ transport: undefined })),
      'invalid-argument',
    );
  });
});
