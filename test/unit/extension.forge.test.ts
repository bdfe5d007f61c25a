/**
 * A client's events are facts about its call. Whoever holds the client (an
 * extension through `ctx.client`, or any script on the page) must not be able
 * to make the page's listeners hear a forged ending or state through the
 * public `emit`; an extension emits only the events it owns, through `ctx.emit`.
 * Public API only.
 */
import { AgentCall } from '../../src/agent/AgentCall';
import { CallClient } from '../../src/call/CallClient';
import type { CallEvents } from '../../src/call/events';
import type { MediaStreamConstructor } from '../../src/env/platform';
import {
  FakeMediaDevices,
  FakeMediaStream,
  ManualTransport,
  SUPPORTED_UA,
  fakePeerConnectionClass,
  fromAgent,
} from '../support/fakePlatform';

type Extension = NonNullable<ConstructorParameters<typeof CallClient>[0]['extensions']>[number];
type Context = Parameters<Extension>[0];

/** Every event of the client; `satisfies` keeps the list complete as events are added. */
const CLIENT_EVENTS = Object.keys({
  statechange: true,
  invitation: true,
  localstream: true,
  remotestream: true,
  localmediastate: true,
  remotemediastate: true,
  devicechange: true,
  quality: true,
  bandwidth: true,
  resumed: true,
  'share-request': true,
  screen: true,
  ended: true,
  warning: true,
} satisfies Record<keyof CallEvents, true>) as (keyof CallEvents)[];

const SAMPLE = { level: 4, rttMs: 40, packetLoss: 0 } as CallEvents['quality'][0];

interface Page {
  client: CallClient;
  transport: ManualTransport;
  /** The context handed to the one extension. */
  ctx: Context;
  /** What the page's listeners heard, as `event` or `event:detail`. */
  heard: string[];
}

/** A client on a fake platform with one extension that keeps its context, and a page listening to every event. */
function page(): Page {
  const transport = new ManualTransport();
  let ctx: Context | undefined;
  const client = new CallClient({
    transport,
    platform: {
      RTCPeerConnection: fakePeerConnectionClass([]),
      mediaDevices: new FakeMediaDevices() as unknown as MediaDevices,
      MediaStream: FakeMediaStream as unknown as MediaStreamConstructor,
      environment: { secureContext: true, topFrame: true, userAgent: SUPPORTED_UA },
    },
    extensions: [
      (context) => {
        ctx = context;
      },
    ],
  });
  const heard: string[] = [];
  for (const event of CLIENT_EVENTS) client.on(event, () => heard.push(event));
  client.on('statechange', ({ state }) => heard.push(`statechange:${state}`));
  client.on('ended', ({ reason }) => heard.push(`ended:${reason}`));
  return { client, transport, ctx: ctx!, heard };
}

/** Emits through the client's public emit, as a script that ignores the types would. */
function forge(client: CallClient, event: string, ...args: unknown[]): unknown {
  return (client.emit as (event: string, ...args: unknown[]) => unknown)(event, ...args);
}

describe('forged events through the public emit', () => {
  test("an extension's ctx.client.emit('ended') reaches no listener, and the call goes on", () => {
    const p = page();
    const callId = 'call-forged';
    p.transport.deliver(fromAgent(callId, { type: 'invite', media: 'voice' }));
    expect(p.client.state).toBe('invited');
    p.heard.length = 0;

    const result = forge(p.ctx.client, 'ended', { callId, reason: 'normal', by: 'remote' });

    expect(result).toBe(false);
    expect(p.heard).toEqual([]);
    expect(p.client.state).toBe('invited');
    // The real ending is still heard, once.
    p.client.reject();
    expect(p.heard.filter((e) => e.startsWith('ended:'))).toEqual(['ended:declined']);
  });

  test("an extension's ctx.client.emit('statechange') reaches no listener", () => {
    const p = page();
    const result = forge(p.ctx.client, 'statechange', { state: 'connected', previous: 'idle' });
    expect(result).toBe(false);
    expect(p.heard).toEqual([]);
    expect(p.client.state).toBe('idle');
  });

  test.each(CLIENT_EVENTS)("page code calling client.emit('%s') reaches no listener", (event) => {
    const p = page();
    expect(forge(p.client, event, {})).toBe(false);
    expect(p.heard).toEqual([]);
  });

  test('an AgentCall cannot be made to emit from outside either', () => {
    const agent = new AgentCall({ transport: new ManualTransport(), media: 'voice' });
    const heard: string[] = [];
    agent.on('ended', () => heard.push('ended'));
    agent.on('statechange', () => heard.push('statechange'));
    const emit = agent.emit as (event: string, ...args: unknown[]) => unknown;
    expect(emit.call(agent, 'ended', { reason: 'normal', by: 'local' })).toBe(false);
    expect(emit.call(agent, 'statechange', { state: 'connected', previous: 'idle' })).toBe(false);
    expect(heard).toEqual([]);
    agent.destroy();
  });
});

describe('the events an extension owns, through ctx.emit', () => {
  test("ctx.emit('quality') reaches the page's quality listeners", () => {
    const p = page();
    const samples: unknown[] = [];
    p.client.on('quality', (sample) => samples.push(sample));
    p.ctx.emit('quality', SAMPLE);
    expect(samples).toEqual([SAMPLE]);
    expect(p.heard).toEqual(['quality']);
  });

  test("ctx.emit('bandwidth') and ctx.emit('warning') reach the page's listeners", () => {
    const p = page();
    const change = { tier: 'reduced', previous: 'full', availableKbps: 300 } as const;
    const warnings: unknown[] = [];
    p.client.on('warning', (w) => warnings.push(w));
    p.ctx.emit('bandwidth', change);
    p.ctx.emit('warning', { code: 'listener-error', message: 'from an extension' });
    expect(p.heard).toEqual(['bandwidth', 'warning']);
    expect(warnings).toEqual([{ code: 'listener-error', message: 'from an extension' }]);
  });

  test("ctx.emit refuses the client's own events: 'ended' and 'statechange' reach no listener", () => {
    const p = page();
    const emit = p.ctx.emit as (event: string, ...args: unknown[]) => void;
    emit('ended', { reason: 'normal', by: 'remote' });
    emit('statechange', { state: 'ended', previous: 'idle' });
    expect(p.heard).toEqual([]);
    expect(p.client.state).toBe('idle');
  });
});
