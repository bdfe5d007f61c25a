import { setupCall } from '../support/harness';
import type { CallSetup } from '../support/harness';
import { nextEvent, reachState, until } from '../support/wait';
import type { QualitySample } from '../../src/quality/stats';
import { qualityMonitor } from '../../src/monitor/qualityMonitor';

jest.setTimeout(30_000);

let setup: CallSetup;
afterEach(async () => {
  await setup.cleanup();
});

async function samplesOf(media: 'voice' | 'video', count: number): Promise<QualitySample[]> {
  setup = await setupCall({
    agent: { media },
    client: { extensions: [qualityMonitor({ intervalMs: 500 })] },
  });
  const samples: QualitySample[] = [];
  setup.client.on('quality', (q) => samples.push(q));
  setup.client.once('invitation', () => void setup.client.accept());
  setup.agent.invite();
  await reachState(setup.client, 'connected');
  await until(() => samples.length >= count, `${count} quality samples`, 15_000);
  return samples;
}

test('a voice call reports its quality and stays far under 600 kbit/s', async () => {
  const samples = await samplesOf('voice', 5);
  const later = samples.slice(1);
  for (const q of later) {
    expect(q.sendKbps).toBeGreaterThan(0);
    expect(q.sendKbps).toBeLessThan(600);
    expect(q.receiveKbps).toBeLessThan(600);
    expect(q.candidateType).toBe('host');
    expect(q.level).toBeGreaterThanOrEqual(4);
    expect(q.sendVideo).toBeNull();
  }
});

test('a video call reports video sizes both ways', async () => {
  const samples = await samplesOf('video', 4);
  const last = samples[samples.length - 1] as QualitySample;
  expect(last.sendVideo).toMatchObject({ width: 320, height: 240 });
  expect(last.receiveVideo).toMatchObject({ width: 320, height: 240 });
  expect(last.level).toBeGreaterThanOrEqual(4);
  // That sampling stops with the call is proven with fake timers (callclient.timers).
  const ended = nextEvent(setup.client, 'ended');
  setup.client.hangup();
  await ended;
});
