import { PROTOCOL_VERSION, type RtpCapabilities } from '@confer/signaling-contracts';
import { backends, backendsBanner, type Backend } from './support/backends';
import { CLIENT_DTLS, SCTP_CAPABILITIES, sendRtpParameters } from './support/rtp';
import { joinRoom, produce } from './support/scenario';
import { TestClient } from './support/test-client';
import { TestServer } from './support/test-server';

beforeAll(() => console.log(backendsBanner));

/** What one step of the join flow needs from the earlier ones. */
interface Flow {
  client: TestClient;
  token: string;
  caps?: RtpCapabilities;
  send?: string;
  recv?: string;
}

/** The join flow of a publishing, subscribing, data-channel client, one request per step. */
const STEPS: { name: string; run(f: Flow): Promise<unknown> }[] = [
  { name: 'authenticate', run: (f) => f.client.request('authenticate', { token: f.token, protocolVersion: PROTOCOL_VERSION }) },
  { name: 'getRouterRtpCapabilities', run: async (f) => (f.caps = (await f.client.request('getRouterRtpCapabilities', { roomId: 'r' })).rtpCapabilities) },
  { name: 'createWebRtcTransport (send)', run: async (f) => (f.send = (await f.client.request('createWebRtcTransport', { direction: 'send', sctpCapabilities: SCTP_CAPABILITIES })).transportId) },
  { name: 'connectWebRtcTransport (send)', run: (f) => f.client.request('connectWebRtcTransport', { transportId: f.send as string, dtlsParameters: CLIENT_DTLS }) },
  { name: 'createWebRtcTransport (recv)', run: async (f) => (f.recv = (await f.client.request('createWebRtcTransport', { direction: 'recv', sctpCapabilities: SCTP_CAPABILITIES })).transportId) },
  { name: 'connectWebRtcTransport (recv)', run: (f) => f.client.request('connectWebRtcTransport', { transportId: f.recv as string, dtlsParameters: CLIENT_DTLS }) },
  {
    name: 'join',
    run: (f) => f.client.request('join', { roomId: 'r', displayName: 'racer', device: { flag: 'test', name: 'jest' }, rtpCapabilities: f.caps, sctpCapabilities: SCTP_CAPABILITIES }),
  },
  { name: 'produce (audio)', run: (f) => f.client.request('produce', { transportId: f.send as string, kind: 'audio', rtpParameters: sendRtpParameters('audio', f.caps as RtpCapabilities), appData: { source: 'mic' } }) },
  { name: 'produce (video)', run: (f) => f.client.request('produce', { transportId: f.send as string, kind: 'video', rtpParameters: sendRtpParameters('video', f.caps as RtpCapabilities), appData: { source: 'webcam' } }) },
  { name: 'produceData', run: (f) => f.client.request('produceData', { transportId: f.send as string, sctpStreamParameters: { streamId: 1, ordered: true }, label: 'chat' }) },
];

type When = 'in flight' | 'answered';
type How = 'close (1000)' | 'drop (no close frame)';
const CASES: [string, number, When, How][] = STEPS.flatMap((step, i) =>
  (['in flight', 'answered'] as When[]).flatMap((when) => (['close (1000)', 'drop (no close frame)'] as How[]).map((how) => [step.name, i, when, how] as [string, number, When, How])),
);

describe.each(backends.map((b) => [b.name, b] as const))('close races against the %s', (_name, backend: Backend) => {
  let server: TestServer;
  let observer: TestClient;

  beforeAll(async () => {
    // RESUME_GRACE_MS=0: a dropped peer is cleaned up at once, so every case can be checked right away.
    server = await TestServer.start(backend, { RESUME_GRACE_MS: '0', REQUESTS_PER_SECOND: '10000' });
    // Someone already in the room, publishing: the racer gets newConsumer requests in flight too.
    observer = await server.client('observer');
    const o = await joinRoom(observer, 'r', { data: true });
    await produce(o, 'audio');
    await produce(o, 'video');
    await observer.request('produceData', { transportId: o.sendTransportId as string, sctpStreamParameters: { streamId: 1, ordered: true }, label: 'chat' });
  });
  afterAll(async () => {
    await observer.close();
    try {
      await server.expectClean();
    } finally {
      await server.stop();
    }
  });

  it.each(CASES)('socket closed after "%s" (step %i) is %s, by %s: nothing of the racer is left', async (_step, index, when, how) => {
    const baseline = await server.mediaObjects();
    const client = await TestClient.connect(server.url);
    client.onServerRequest('newConsumer', () => ({}));
    client.onServerRequest('newDataConsumer', () => ({}));
    const flow: Flow = { client, token: await server.token({ sub: 'racer' }) };
    for (let i = 0; i < index; i++) await STEPS[i].run(flow);
    const last = STEPS[index].run(flow).catch(() => undefined);
    if (when === 'answered') await last;
    if (how === 'close (1000)') client.socket.close(1000);
    else client.socket.terminate();
    await client.closed;
    // Converges: the racer's peer, objects and consumers are all gone; the observer's remain as they were.
    await observer.until(() => server.peers.get('racer') === undefined, 'the racer is gone');
    const deadline = Date.now() + 3000;
    let now = await server.mediaObjects();
    while (Date.now() < deadline && JSON.stringify(now) !== JSON.stringify(baseline)) {
      await new Promise((r) => setTimeout(r, 20));
      now = await server.mediaObjects();
    }
    expect(now).toEqual(baseline);
    expect(server.rooms.all().map((r) => [r.id, r.peers.size])).toEqual([['r', 1]]);
  });

  it('getRouterRtpCapabilities for two rooms back to back, then a close: both rooms are freed', async () => {
    const client = await server.client('racer');
    const x = client.request('getRouterRtpCapabilities', { roomId: 'x' }).catch((e: unknown) => e);
    const y = client.request('getRouterRtpCapabilities', { roomId: 'y' }).catch((e: unknown) => e);
    await Promise.all([x, y]);
    await client.close();
    await observer.until(() => server.rooms.all().length === 1, 'only room r left');
    expect(server.rooms.all().map((r) => r.id)).toEqual(['r']);
  });
});

describe('close races without a mediasoup worker', () => {
  it('joins for two rooms back to back, 50 times, then a close: no room is left', async () => {
    const server = await TestServer.start(null, { RESUME_GRACE_MS: '0', REQUESTS_PER_SECOND: '1000' });
    try {
      const client = await server.client('racer');
      const device = { flag: 'x', name: 'x' };
      for (let i = 0; i < 50; i++) {
        await Promise.allSettled([client.request('join', { roomId: `a${i}`, displayName: 'r', device }), client.request('join', { roomId: `b${i}`, displayName: 'r', device })]);
        await client.request('leave', {});
      }
      expect(server.rooms.all()).toEqual([]);
      await client.close();
      await server.expectClean();
    } finally {
      await server.stop();
    }
  });
});
