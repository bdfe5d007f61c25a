import { setupCall } from '../support/harness';
import { verificationCode } from '../../src/peer/verification';
import type { CallSetup } from '../support/harness';
import { reachState } from '../support/wait';

jest.setTimeout(30_000);

const setups: CallSetup[] = [];
afterEach(async () => {
  for (const s of setups.splice(0)) await s.cleanup();
});

async function connected(): Promise<CallSetup> {
  const s = await setupCall({ agent: { media: 'voice' } });
  setups.push(s);
  s.client.once('invitation', () => void s.client.accept());
  s.agent.invite();
  await Promise.all([reachState(s.client, 'connected'), reachState(s.agent, 'connected')]);
  return s;
}

test('both sides of a real call derive the same verification code', async () => {
  const s = await connected();
  const [consumer, agent] = await Promise.all([
    verificationCode(s.client),
    s.agent.verificationCode(),
  ]);
  expect(consumer).toMatch(/^\d{3} \d{3}$/);
  expect(agent).toBe(consumer);
});

test('another call (new certificates) has another code, and none is given before a call', async () => {
  const first = await connected();
  const second = await connected();
  expect(await verificationCode(first.client)).not.toBe(await verificationCode(second.client));
  first.client.hangup();
  expect(await verificationCode(first.client)).toBeNull();
});
