/**
 * Type-level tests of the public API, checked by the compiler and never run:
 * `npx tsc --noEmit -p tsconfig.types.json`.
 *
 * The first half must compile. In the second half every line after a
 * `@ts-expect-error` is a misuse the types must reject: if one ever compiles,
 * its directive is unused and tsc fails, so each one proves a check.
 */
import { CallClient } from '../../src/index';
import { WebSocketTransport, createMemoryTransportPair } from '../../src/transport/index';
import { qualityMonitor } from '../../src/monitor/index';
import type { BandwidthEvent } from '../../src/monitor/index';
import { preflight, verificationCode } from '../../src/diagnostics';
import type {
  CallState,
  EndReason,
  EndedEvent,
  MediaState,
  QualitySample,
  SupportReasonCode,
  Transport,
  WarningCode,
} from '../../src/index';
import { AgentCall } from '../../src/agent/index';
import type { AgentEndReason } from '../../src/agent/index';

/** True when A and B are the same type (not merely assignable). */
type Equal<A, B> =
  (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;

/** Compiles only when given a value of type `true`. */
function expectTrue<T extends true>(_value: T): void {}

/** `exactly<T>()(value)` is of type `true` only when `value` is exactly of type T. */
const exactly =
  <T>() =>
  <V>(_value: V): Equal<V, T> =>
    true as Equal<V, T>;

export function compiles(transport: Transport): void {
  const client = new CallClient({ transport, iceServers: [{ urls: 'stun:stun.example.com' }] });

  client.on('ended', (e) => {
    expectTrue(exactly<EndReason>()(e.reason));
    expectTrue(exactly<EndedEvent>()(e));
    const by: 'local' | 'remote' | 'system' = e.by;
    const detail: string | undefined = e.detail;
    void [by, detail];
  });
  client.on('quality', (sample) => {
    expectTrue(exactly<QualitySample>()(sample));
    const level: number = sample.level;
    void level;
  });
  client.on('statechange', ({ state, previous }) => {
    expectTrue(exactly<CallState>()(state));
    expectTrue(exactly<CallState>()(previous));
  });
  client.on('warning', (w) => expectTrue(exactly<WarningCode>()(w.code)));
  client.on('remotemediastate', (m) => expectTrue(exactly<MediaState>()(m)));
  client.on('remotestream', (stream) => expectTrue(exactly<MediaStream>()(stream)));

  void client.accept({ media: 'voice' });
  void client.accept();
  client.setAudioMuted(true);
  void client.setVideoEnabled(false);

  const monitored = new CallClient({
    transport,
    videoMaxKbps: 2_000,
    extensions: [qualityMonitor({ intervalMs: 500, bandwidth: { autoAudioOnly: true } })],
  });
  monitored.on('bandwidth', (e) => expectTrue(exactly<BandwidthEvent>()(e)));
  void preflight({ iceServers: [] }).then((r) => r.turn.reachable);
  void verificationCode(monitored).then((code) => expectTrue(exactly<string | null>()(code)));

  const ws = new WebSocketTransport('wss://x');
  const [one, two] = createMemoryTransportPair();
  void [ws, one, two];

  const code = CallClient.checkSupport().reasons[0]?.code;
  expectTrue(exactly<SupportReasonCode | undefined>()(code));

  const agent = new AgentCall({ transport, media: 'video', iceServers: [{ urls: 'turn:x' }] });
  agent.on('ended', (e) => expectTrue(exactly<AgentEndReason>()(e.reason)));
  agent.invite();
}

export function misuses(transport: Transport): void {
  const client = new CallClient({ transport });

  client.on('ended', (e) => {
    // @ts-expect-error -- Equal is strict: EndReason is not string.
    expectTrue(exactly<string>()(e.reason));
  });

  // @ts-expect-error -- an unknown event name.
  client.on('hangup', () => undefined);

  // @ts-expect-error -- a listener whose argument has the wrong type.
  client.on('ended', (e: string) => e.length);

  // @ts-expect-error -- 'screen' is not a call media.
  void client.accept({ media: 'screen' });

  // @ts-expect-error -- setAudioMuted takes a boolean.
  client.setAudioMuted('yes');

  // @ts-expect-error -- a misspelt option (iceServer for iceServers).
  void new CallClient({ transport, iceServer: [] });

  // @ts-expect-error -- end() is private (arguments of the right types): use hangup() or reject().
  client.end(undefined as never, 'normal', 'local');

  // @ts-expect-error -- EndedEvent has no `cause`.
  client.on('ended', (e) => e.cause);

  // @ts-expect-error -- a quality sample has no `bitrate`.
  client.on('quality', (sample) => sample.bitrate);

  // @ts-expect-error -- the state is read-only.
  client.state = 'idle';

  // @ts-expect-error -- safeEmit is protected: the application cannot fake events through it.
  client.safeEmit('ended', { callId: 'x', reason: 'normal', by: 'local', durationMs: 0 });

  // @ts-expect-error -- qualityMonitor is a factory: the extension is qualityMonitor().
  void new CallClient({ transport, extensions: [qualityMonitor] });

  // @ts-expect-error -- an extension gets a context, not the client.
  void new CallClient({ transport, extensions: [(c: CallClient) => c.hangup()] });

  // @ts-expect-error -- the transport is required.
  void new CallClient({});

  // @ts-expect-error -- the agent's media is voice or video.
  void new AgentCall({ transport, media: 'screen' });

  const agent = new AgentCall({ transport, media: 'voice' });
  // @ts-expect-error -- not a hangup reason.
  agent.hangup('bored');
}
