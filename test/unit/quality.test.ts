import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { qualityLevel, selectedPair, summarizeStats } from '../../src/quality/stats';
import type { StatsEntry } from '../../src/quality/stats';

function fixture(name: string): StatsEntry[][] {
  const file = join(__dirname, '..', 'fixtures', 'stats', name);
  return (JSON.parse(readFileSync(file, 'utf8')) as { reports: StatsEntry[][] }).reports;
}

describe('summarizeStats on a recorded wrtc video call', () => {
  const [first, second] = fixture('wrtc-video.json') as [StatsEntry[], StatsEntry[]];

  test('finds the nominated pair when the transport names none', () => {
    expect(selectedPair(second)?.nominated).toBe(true);
  });

  test('reports bitrates, video sizes, candidate type and a top level on loopback', () => {
    const q = summarizeStats(first, second);
    expect(q.level).toBe(5);
    expect(q.candidateType).toBe('host');
    expect(q.sendKbps).toBeGreaterThan(0);
    expect(q.receiveKbps).toBeGreaterThan(0);
    expect(q.sendVideo).toEqual({ width: 320, height: 240, fps: expect.any(Number) });
    expect(q.receiveVideo).toEqual({ width: 320, height: 240, fps: expect.any(Number) });
    expect(q.packetLoss).toBe(0);
    expect(q.availableSendKbps).toBeGreaterThan(0);
  });

  test('the first report alone gives zero rates but the instant facts', () => {
    const q = summarizeStats(null, second);
    expect(q.sendKbps).toBe(0);
    expect(q.receiveKbps).toBe(0);
    expect(q.candidateType).toBe('host');
    expect(q.level).toBe(5);
  });
});

describe('summarizeStats on hand-made reports', () => {
  const at = (t: number, extra: Partial<Record<string, number>> = {}): StatsEntry[] => [
    { id: 'T', type: 'transport', timestamp: t, selectedCandidatePairId: 'P' },
    {
      id: 'P',
      type: 'candidate-pair',
      timestamp: t,
      state: 'succeeded',
      nominated: true,
      localCandidateId: 'L',
      currentRoundTripTime: (extra.rtt ?? 40) / 1000,
      availableOutgoingBitrate: 1_200_000,
    },
    { id: 'L', type: 'local-candidate', timestamp: t, candidateType: 'relay' },
    {
      id: 'IA',
      type: 'inbound-rtp',
      kind: 'audio',
      timestamp: t,
      packetsReceived: extra.received ?? 0,
      packetsLost: extra.lost ?? 0,
      bytesReceived: (extra.received ?? 0) * 100,
      jitter: (extra.jitter ?? 10) / 1000,
    },
    { id: 'OV', type: 'outbound-rtp', kind: 'video', timestamp: t, bytesSent: extra.sent ?? 0 },
  ];

  test('rates are bits per second over the interval between the pair timestamps', () => {
    const q = summarizeStats(at(0, { sent: 0 }), at(2000, { sent: 250_000, received: 100 }));
    expect(q.sendKbps).toBe(1000); // 250,000 bytes in 2 s
    expect(q.receiveKbps).toBe(40); // 10,000 bytes in 2 s
    expect(q.candidateType).toBe('relay');
    expect(q.availableSendKbps).toBe(1200);
  });

  test('loss in the interval lowers the level', () => {
    const q = summarizeStats(
      at(0, { received: 1000, lost: 0 }),
      at(1000, { received: 1900, lost: 100 }),
    );
    expect(q.packetLoss).toBeCloseTo(0.1);
    expect(q.level).toBe(1);
  });

  test('nothing received in the interval is level 0', () => {
    const q = summarizeStats(at(0, { received: 500 }), at(1000, { received: 500 }));
    expect(q.level).toBe(0);
  });

  test('high round-trip time and jitter lower the level', () => {
    const q = summarizeStats(at(0), at(1000, { received: 50, rtt: 400, jitter: 60 }));
    expect(q.rttMs).toBe(400);
    expect(q.jitterMs).toBe(60);
    expect(q.level).toBe(3);
  });
});

describe('qualityLevel', () => {
  test.each([
    [20, 0, 5, 5],
    [200, 0.02, 20, 4],
    [400, 0.04, 80, 3],
    [800, 0.08, 200, 2],
    [1500, 0.2, 300, 1],
  ])('rtt %i ms, loss %f, jitter %i ms → %i', (rtt, loss, jitter, level) => {
    expect(qualityLevel(rtt, loss, jitter, true)).toBe(level);
  });
});

describe('loss of what this side sends', () => {
  const report = (t: number, sent: number, lostRemote: number, fraction: number): StatsEntry[] => [
    { id: 'T', type: 'transport', timestamp: t, selectedCandidatePairId: 'P' },
    { id: 'P', type: 'candidate-pair', timestamp: t, state: 'succeeded', nominated: true },
    { id: 'I', type: 'inbound-rtp', kind: 'audio', timestamp: t, packetsReceived: t },
    { id: 'O', type: 'outbound-rtp', kind: 'audio', timestamp: t, packetsSent: sent },
    {
      id: 'R',
      type: 'remote-inbound-rtp',
      kind: 'audio',
      timestamp: t,
      packetsLost: lostRemote,
      fractionLost: fraction,
    },
  ];

  test('is measured over the interval from the counters, not from the last RTCP fraction', () => {
    // 50 of 1,000 packets lost in the interval (5 %), while the last report said 38 %.
    const q = summarizeStats(report(1000, 1000, 10, 0.38), report(2000, 2000, 60, 0.38));
    expect(q.packetLoss).toBeCloseTo(0.05);
  });

  test('the first sample falls back to the reported fraction', () => {
    expect(summarizeStats(null, report(1000, 1000, 10, 0.02)).packetLoss).toBeCloseTo(0.02);
  });
});

describe('summarizeStats on a recorded Chromium video call', () => {
  const [first, second] = fixture('chromium-video.json') as [StatsEntry[], StatsEntry[]];

  test('uses the pair the transport names', () => {
    const transport = second.find((e) => e.type === 'transport');
    expect(selectedPair(second)?.id).toBe(transport?.selectedCandidatePairId);
  });

  test('reports rates, both video sizes, the candidate type and what limits the encoder', () => {
    const q = summarizeStats(first, second);
    expect(q.candidateType).toBe('host');
    expect(q.sendKbps).toBeGreaterThan(100);
    expect(q.receiveKbps).toBeGreaterThan(50);
    expect(q.sendVideo).toMatchObject({ width: expect.any(Number), height: expect.any(Number) });
    expect(q.receiveVideo?.width).toBeGreaterThan(0);
    expect(q.videoLimitation).toEqual(expect.stringMatching(/^(none|bandwidth|cpu|other)$/));
    expect(q.rttMs).toEqual(expect.any(Number));
    expect(q.level).toBeGreaterThanOrEqual(4);
  });
});
