import fc from 'fast-check';
import { CallClient } from '../../src/call/CallClient';
import type { CallState } from '../../src/call/states';
import type { Message } from '../../src/protocol/messages';
import { envelope } from '../../src/protocol/envelope';
import { parseMessage } from '../../src/protocol/validate';
import type { Transport, TransportListener } from '../../src/transport/types';

/** A transport the test drives by hand: synchronous delivery, a record of what was sent. */
function manualTransport() {
  const sent: Message[] = [];
  let listener: TransportListener | null = null;
  const transport: Transport = {
    send: (m) => sent.push(m),
    listen: (l) => {
      listener = l;
      return () => (listener = null);
    },
    close: () => undefined,
  };
  return { transport, sent, deliver: (data: unknown) => listener?.message(data) };
}

// Values that are never valid messages: arbitrary JSON and JS values, and
// valid-looking envelopes with one field broken.
const invalidInput = fc.oneof(
  fc.anything(),
  fc.json(),
  fc.string(),
  fc.record({
    v: fc.oneof(fc.constant(2), fc.constant('1'), fc.constant(null)),
    id: fc.string(),
    callId: fc.constant('call-1'),
    from: fc.constant('agent'),
    type: fc.constantFrom('invite', 'hangup', 'cancel', 'sdp', 'ice', 'media-state'),
  }),
  fc.record({
    v: fc.constant(1),
    id: fc.constantFrom('a', 'b'),
    callId: fc.constant('call-1'),
    from: fc.constant('agent'),
    type: fc.constantFrom('hangup', 'media-state', 'sdp', 'ice'),
    reason: fc.anything(),
    description: fc.anything(),
  }),
);

test.each<CallState>(['idle', 'invited'])(
  'in state %s, 10,000 invalid messages change nothing, send nothing and never throw',
  (state) => {
    const { transport, sent, deliver } = manualTransport();
    // A platform that has the APIs, so invitations are not refused as unsupported.
    const platform = {
      RTCPeerConnection: class {} as unknown as typeof RTCPeerConnection,
      mediaDevices: { getUserMedia: () => Promise.reject(new Error('not used')) },
      environment: { secureContext: true, topFrame: true, userAgent: undefined },
    };
    const client = new CallClient({ transport, platform });
    if (state === 'invited') {
      deliver(JSON.stringify(envelope({ type: 'invite', media: 'video' }, 'call-1', 'agent')));
    }
    expect(client.state).toBe(state);
    const sentBefore = sent.length;
    const transitions: unknown[] = [];
    let warnings = 0;
    client.on('statechange', (e) => transitions.push(e));
    client.on('warning', () => warnings++);
    let delivered = 0;

    fc.assert(
      fc.property(invalidInput, (input) => {
        // Keep only what the validator rejects: this test is about invalid input.
        fc.pre(!parseMessage(input).ok);
        delivered++;
        expect(() => deliver(input)).not.toThrow();
        expect(client.state).toBe(state);
      }),
      { numRuns: 10_000 },
    );

    expect(delivered).toBeGreaterThan(9_000);
    expect(transitions).toEqual([]);
    expect(sent.length).toBe(sentBefore);
    expect(warnings).toBe(delivered);
    client.destroy();
  },
);
