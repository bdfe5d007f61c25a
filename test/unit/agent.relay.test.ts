/**
 * The agent's side and the signaling relay's refusal: an invitation the
 * relay did not forward (the agent may not start calls of its media) ends
 * `not-permitted`, and the relay's frame is never taken for signaling.
 */
import { AgentCall } from '../../src/agent/AgentCall';
import type { AgentEndedEvent } from '../../src/agent/AgentCall';
import type { CallWarning } from '../../src/call/events';
import type { Transport, TransportListener } from '../../src/transport/types';

function agentOn(): { agent: AgentCall; deliver(data: unknown): void; sent: unknown[] } {
  let listener: TransportListener | null = null;
  const sent: unknown[] = [];
  const transport: Transport = {
    send: (message) => void sent.push(message),
    listen: (l) => {
      listener = l;
      return () => (listener = null);
    },
    close: () => undefined,
  };
  const agent = new AgentCall({ transport, media: 'video', platform: {} });
  return { agent, sent, deliver: (data) => listener?.message(data) };
}

test('a refused invitation ends not-permitted, with nothing sent and no warning', () => {
  const { agent, deliver, sent } = agentOn();
  const ended: AgentEndedEvent[] = [];
  const warnings: CallWarning[] = [];
  agent.on('ended', (e) => ended.push(e));
  agent.on('warning', (w) => warnings.push(w));
  agent.invite();
  const invite = sent[0] as { id: string };
  deliver(JSON.stringify({ relay: 'refused', reason: 'not-permitted', id: invite.id }));
  expect(agent.state).toBe('ended');
  expect(ended).toEqual([
    expect.objectContaining({ reason: 'not-permitted', by: 'system', callId: agent.callId }),
  ]);
  expect(sent).toHaveLength(1);
  expect(warnings).toEqual([]);
});

test('a relay frame outside an invitation, or one that is not a refusal, changes nothing', () => {
  const { agent, deliver } = agentOn();
  const warnings: CallWarning[] = [];
  agent.on('warning', (w) => warnings.push(w));
  deliver({ relay: 'refused', reason: 'not-permitted', id: 'x' });
  expect(agent.state).toBe('idle');
  agent.invite();
  deliver('{"relay":"hello"}');
  deliver('{"relay": not json');
  expect(agent.state).toBe('inviting');
  // Not refusals: the validator drops them with its warning, as any bad frame.
  expect(warnings.map((w) => w.code)).toEqual(['invalid-message', 'invalid-message']);
  agent.destroy();
});
