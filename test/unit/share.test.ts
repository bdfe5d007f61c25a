/**
 * Screen share on the agent's request (protocol 1.1), on the consumer's
 * side against the fake platform: the request and its one reply, the
 * shared track on the video sender without a new offer (a voice call adds
 * a video transceiver), the camera back when sharing stops, the browser's
 * own stop, and nothing left when the call ends.
 */
import { CallError } from '../../src/foundation/errors';
import { answer, connectCall, fromAgent, settle, setup } from '../support/fakePlatform';
import type { Setup } from '../support/fakePlatform';

jest.useFakeTimers();
const clients: Setup[] = [];
afterEach(() => {
  for (const s of clients.splice(0)) s.client.destroy();
  jest.clearAllTimers();
});

async function connected(media: 'voice' | 'video' = 'video'): Promise<Setup> {
  const s = setup();
  clients.push(s);
  s.agent({ type: 'invite', media, features: ['screen-share'] });
  await s.client.accept();
  await answer(s);
  s.pc().setConnectionState('connected');
  return s;
}

const replies = (s: Setup) =>
  s.transport
    .sentOf('share-reply')
    .map(({ accepted, reason }) => ({ accepted, ...(reason ? { reason } : {}) }));
const lastState = (s: Setup) => s.transport.sentOf('media-state').at(-1);
const videoSender = (s: Setup) =>
  s
    .pc()
    .getTransceivers()
    .find((t) => t.receiver.track.kind === 'video')?.sender;

test('the request reaches the page with its reason; sharing replaces the camera, no new offer', async () => {
  const s = await connected();
  const requests: unknown[] = [];
  const screens: unknown[] = [];
  s.client.on('share-request', (r) => requests.push(r));
  s.client.on('screen', (stream) => screens.push(stream));
  s.agent({ type: 'share-request', reason: 'to see the error' });
  expect(requests).toEqual([{ reason: 'to see the error' }]);
  const offers = s.transport.sentOf('sdp').length;
  const camera = videoSender(s)?.track;

  await s.client.startScreenShare();
  const screen = s.devices.screens[0];
  expect(videoSender(s)?.track).toBe(screen);
  expect(replies(s)).toEqual([{ accepted: true }]);
  expect(lastState(s)).toMatchObject({ screen: true, videoEnabled: true });
  expect(s.client.localMediaState?.screen).toBe(true);
  expect(screens).toHaveLength(1);
  expect(s.transport.sentOf('sdp')).toHaveLength(offers);
  // The camera stays open, not sent, and comes back at the stop.
  expect(camera?.readyState).toBe('live');
  s.client.stopScreenShare();
  await settle();
  expect(screen?.readyState).toBe('ended');
  expect(videoSender(s)?.track).toBe(camera);
  expect(lastState(s)).toMatchObject({ screen: false, videoEnabled: true });
  expect(screens).toEqual([expect.anything(), null]);
});

test('camera changes while sharing wait for the stop: the sender keeps the screen', async () => {
  const s = await connected();
  await s.client.startScreenShare();
  const screen = s.devices.screens[0];
  await s.client.setVideoEnabled(false);
  expect(videoSender(s)?.track).toBe(screen);
  s.client.stopScreenShare();
  await settle();
  expect(videoSender(s)?.track).toBeNull();
});

test('a voice call adds a video transceiver and offers once; stopping sends nothing on it', async () => {
  const s = await connected('voice');
  const offers = s.transport.sentOf('sdp').length;
  await s.client.startScreenShare();
  await settle();
  expect(videoSender(s)?.track).toBe(s.devices.screens[0]);
  expect(s.transport.sentOf('sdp')).toHaveLength(offers + 1);
  s.client.stopScreenShare();
  await settle();
  expect(videoSender(s)?.track).toBeNull();
  expect(s.transport.sentOf('sdp')).toHaveLength(offers + 1);
});

test('the browser\'s own "Stop sharing" brings the camera back', async () => {
  const s = await connected();
  const camera = videoSender(s)?.track;
  await s.client.startScreenShare();
  s.devices.screens[0]?.end();
  await settle();
  expect(videoSender(s)?.track).toBe(camera);
  expect(s.client.localMediaState?.screen).toBe(false);
});

test('declined, refused by the browser, or unsupported: one reply each', async () => {
  const s = await connected();
  s.agent({ type: 'share-request' });
  s.client.declineShare();
  s.client.declineShare(); // answered already
  s.agent({ type: 'share-request' });
  s.devices.displayFailure = 'NotAllowedError';
  await expect(s.client.startScreenShare()).rejects.toMatchObject({ code: 'permission-denied' });
  s.agent({ type: 'share-request' });
  s.devices.displayFailure = 'NotReadableError';
  await expect(s.client.startScreenShare()).rejects.toBeInstanceOf(CallError);
  expect(replies(s)).toEqual([
    { accepted: false, reason: 'declined' },
    { accepted: false, reason: 'declined' },
    { accepted: false, reason: 'permission-denied' },
  ]);
  expect(s.client.state).toBe('connected');
});

test('without getDisplayMedia (a phone) the request is answered unsupported at once, unseen', async () => {
  const s = await connected();
  s.devices.getDisplayMedia = undefined;
  const requests: unknown[] = [];
  s.client.on('share-request', (r) => requests.push(r));
  expect(s.client.canShareScreen).toBe(false);
  s.agent({ type: 'share-request', reason: 'x' });
  expect(requests).toEqual([]);
  expect(replies(s)).toEqual([{ accepted: false, reason: 'unsupported' }]);
});

test('a request while sharing is answered accepted at once', async () => {
  const s = await connected();
  await s.client.startScreenShare();
  s.agent({ type: 'share-request' });
  expect(replies(s)).toEqual([{ accepted: true }]);
});

test('the end of the call stops the shared screen', async () => {
  const s = await connected();
  await s.client.startScreenShare();
  s.agent({ type: 'hangup', reason: 'normal' });
  expect(s.devices.liveTracks()).toEqual([]);
});

test('startScreenShare outside a connected call throws invalid-state', async () => {
  const s = setup();
  clients.push(s);
  expect(() => s.client.startScreenShare()).toThrow(
    expect.objectContaining({ code: 'invalid-state' }),
  );
  await connectCall(s);
  s.transport.deliver(fromAgent(s.callId, { type: 'hangup', reason: 'normal' }));
  expect(() => s.client.startScreenShare()).toThrow(
    expect.objectContaining({ code: 'invalid-state' }),
  );
});
