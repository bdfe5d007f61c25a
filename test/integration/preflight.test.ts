import wrtc from 'wrtc';
import { preflight } from '../../src/diagnostics/preflight';
import { createNodePlatform } from '../../src/testing';
import { startTurn } from '../support/turn';
import type { TurnServer } from '../support/turn';

jest.setTimeout(30_000);

let turn: TurnServer;
const platform = createNodePlatform(wrtc);

beforeAll(async () => {
  turn = await startTurn();
});
afterAll(async () => {
  await turn?.stop();
  platform.mediaDevices.stopAll();
});

test('reports support, devices and a reachable relay with working credentials', async () => {
  const report = await preflight({ platform, iceServers: turn.iceServers() });
  expect(report.support.supported).toBe(true);
  expect(report.devices).toEqual({ microphones: 1, cameras: 2, speakers: 1 });
  expect(report.permissions).toEqual({ microphone: 'unknown', camera: 'unknown' });
  expect(report.turn).toEqual({ tested: true, reachable: true, ms: expect.any(Number) });
  expect(report.stun.tested).toBe(false);
  expect(report.ok).toBe(true);
  // It opened nothing.
  expect(platform.mediaDevices.getUserMediaCalls).toHaveLength(0);
});

test('reports the relay unreachable with refused credentials, and why', async () => {
  const report = await preflight({
    platform,
    iceServers: turn.iceServers({ credential: 'wrong' }),
    timeoutMs: 5_000,
  });
  expect(report.turn).toMatchObject({ tested: true, reachable: false });
  expect(report.turn.detail).toMatch(/^no relay candidate/);
  expect(report.ok).toBe(false);
  // The credential never appears in the report.
  expect(JSON.stringify(report)).not.toContain('wrong');
});

test('reports the relay unreachable when the TURN server is down', async () => {
  const servers = turn.iceServers();
  const down = await startTurn();
  const downServers = down.iceServers();
  await down.stop();
  const report = await preflight({
    platform,
    iceServers: downServers,
    timeoutMs: 2_000,
  });
  expect(report.turn).toMatchObject({ tested: true, reachable: false });
  expect(report.ok).toBe(false);
  expect(servers).not.toEqual(downServers);
});
