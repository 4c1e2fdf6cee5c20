import { CLOSE_CODES, PROTOCOL_VERSION } from '@confer/signaling-contracts';
import { backends, backendsBanner, fakeBackend, type Backend } from './support/backends';
import { CLIENT_DTLS, sendRtpParameters } from './support/rtp';
import { joinRoom, produce } from './support/scenario';
import { TestClient } from './support/test-client';
import { TestServer } from './support/test-server';
import { freePortRange } from './support/free-ports';

beforeAll(() => console.log(backendsBanner));

describe('with the test double only', () => {
  let server: TestServer;
  beforeEach(async () => {
    server = await TestServer.start(fakeBackend);
  });
  afterEach(() => server.stop());

  it('announces the active speaker', async () => {
    const alice = await server.client('alice');
    const bob = await server.client('bob');
    const a = await joinRoom(alice, 'r');
    await joinRoom(bob, 'r');
    const producerId = await produce(a, 'audio');
    const observer = server.fake?.speakerObservers()[0];
    await bob.until(() => observer?.producerIds.has(producerId) === true, 'producer observed');
    observer?.speak(producerId);
    expect(await bob.waitForNotification('activeSpeaker')).toEqual({ peerId: 'alice' });
    await Promise.all([alice.close(), bob.close()]);
  });

  it('a dying worker resets its rooms with mediaReset, and the room can be set up again', async () => {
    const alice = await server.client('alice');
    const a = await joinRoom(alice, 'r');
    await produce(a, 'audio');
    const worker = [...(server.fake?.live.worker ?? [])][0] as unknown as { die(): void };
    worker.die();
    expect(await alice.waitForNotification('mediaReset')).toEqual({ reason: expect.any(String) });
    expect(server.rooms.all()).toHaveLength(0);
    expect(server.peers.get('alice')?.producers.size).toBe(0);
    await alice.close();
  });
});

describe.each(backends.map((b) => [b.name, b] as const))('signaling scenarios against the %s', (_name, backend: Backend) => {
  let server: TestServer;
  const clients: TestClient[] = [];
  const track = async (c: Promise<TestClient>): Promise<TestClient> => {
    const client = await c;
    clients.push(client);
    return client;
  };

  beforeEach(async () => {
    server = await TestServer.start(backend);
  });

  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    await server.stop();
  });

  it('authenticates and reports the protocol, limits and media availability', async () => {
    const alice = await track(server.client('alice', { name: 'Alice' }));
    expect(alice.auth).toMatchObject({
      peerId: 'alice',
      displayName: 'Alice',
      protocolVersion: PROTOCOL_VERSION,
      mediaAvailable: true,
      resumed: false,
      limits: server.config.limits,
    });
  });

  it('two peers produce audio and video and consume each other: paused until the client answers', async () => {
    const alice = await track(server.client('alice'));
    const bob = await track(server.client('bob'));
    const a = await joinRoom(alice, 'room1');
    const b = await joinRoom(bob, 'room1');
    expect(alice.notificationsOf('peerJoined').map((p) => p.id)).toEqual(['bob']);

    // The server-side consumer must still be paused when the client is asked.
    const pausedWhenAsked: boolean[] = [];
    bob.onServerRequest('newConsumer', (data) => {
      const consumer = server.peers.get('bob')?.consumers.get(data.id);
      pausedWhenAsked.push(consumer?.paused === true);
    });
    const audio = await produce(a, 'audio');
    const video = await produce(a, 'video');
    await bob.until(() => bob.serverRequestsOf('newConsumer').length === 2, 'two newConsumer requests');
    const requests = bob.serverRequestsOf('newConsumer');
    expect(requests.map((r) => r.producerId).sort()).toEqual([audio, video].sort());
    expect(requests.every((r) => r.peerId === 'alice' && r.rtpParameters.codecs.length > 0)).toBe(true);
    expect(pausedWhenAsked).toEqual([true, true]);
    // ...and resumed once answered.
    await bob.until(() => [...(server.peers.get('bob')?.consumers.values() ?? [])].filter((c) => !c.paused).length === 2, 'consumers resumed');

    // Bob's media reaches Alice too.
    await produce(b, 'audio');
    await alice.until(() => alice.serverRequestsOf('newConsumer').length === 1, 'alice newConsumer');
  });

  it('a peer joining later consumes what is already produced', async () => {
    const alice = await track(server.client('alice'));
    const a = await joinRoom(alice, 'r');
    await produce(a, 'audio');
    await produce(a, 'video');
    const carol = await track(server.client('carol'));
    const joined = await joinRoom(carol, 'r');
    expect(joined).toBeTruthy();
    await carol.until(() => carol.serverRequestsOf('newConsumer').length === 2, 'carol consumes both');
  });

  it('three peers: everyone consumes everyone else, and leaving cleans up', async () => {
    const names = ['p1', 'p2', 'p3'];
    const clientsIn = await Promise.all(names.map((n) => track(server.client(n))));
    const joined = [];
    for (const c of clientsIn) joined.push(await joinRoom(c, 'trio'));
    for (const j of joined) {
      await produce(j, 'audio');
      await produce(j, 'video');
    }
    for (const c of clientsIn) await c.until(() => c.serverRequestsOf('newConsumer').length === 4, `${c.peerId} consumes 4`);
    expect(server.rooms.all()).toHaveLength(1);

    await clientsIn[0].request('leave', {});
    for (const c of clientsIn.slice(1)) {
      await c.waitForNotification('peerLeft', (n) => n.peerId === 'p1');
      await c.until(() => c.notificationsOf('consumerClosed').length === 2, 'consumers of p1 closed');
    }
    await clientsIn[1].close();
    await clientsIn[2].waitForNotification('peerLeft', (n) => n.peerId === 'p2');
    await clientsIn[2].close();
    await clientsIn[0].close();
    await server.expectClean();
  });

  it('closing a producer closes its consumers and tells their owners', async () => {
    const alice = await track(server.client('alice'));
    const bob = await track(server.client('bob'));
    const a = await joinRoom(alice, 'r');
    await joinRoom(bob, 'r');
    const producerId = await produce(a, 'video');
    await bob.until(() => bob.serverRequestsOf('newConsumer').length === 1, 'newConsumer');
    const consumerId = bob.serverRequestsOf('newConsumer')[0].id;
    await alice.request('pauseProducer', { producerId });
    await bob.waitForNotification('consumerPaused', (n) => n.consumerId === consumerId);
    await alice.request('resumeProducer', { producerId });
    await bob.waitForNotification('consumerResumed', (n) => n.consumerId === consumerId);
    await alice.request('closeProducer', { producerId });
    await bob.waitForNotification('consumerClosed', (n) => n.consumerId === consumerId);
    expect(server.peers.get('bob')?.consumers.size).toBe(0);
  });

  it("refuses to act on another peer's objects", async () => {
    const alice = await track(server.client('alice'));
    const bob = await track(server.client('bob'));
    const a = await joinRoom(alice, 'r');
    const b = await joinRoom(bob, 'r');
    const producerId = await produce(a, 'audio');
    await bob.until(() => bob.serverRequestsOf('newConsumer').length === 1, 'newConsumer');
    const consumerId = bob.serverRequestsOf('newConsumer')[0].id;

    const attempts: [TestClient, string, unknown][] = [
      [bob, 'pauseProducer', { producerId }],
      [bob, 'closeProducer', { producerId }],
      [bob, 'getProducerStats', { producerId }],
      [alice, 'connectWebRtcTransport', { transportId: b.sendTransportId, dtlsParameters: CLIENT_DTLS }],
      [alice, 'restartIce', { transportId: b.recvTransportId }],
      [alice, 'pauseConsumer', { consumerId }],
      [alice, 'resumeConsumer', { consumerId }],
      [alice, 'setConsumerPriority', { consumerId, priority: 3 }],
      [alice, 'getConsumerStats', { consumerId }],
    ];
    for (const [client, method, data] of attempts) {
      const error = await client.requestError(method as 'leave', data);
      expect([method, error.code]).toEqual([method, 'forbidden']);
    }
    expect(server.peers.get('alice')?.producers.get(producerId)?.closed).toBe(false);
    const produceOnOthers = await bob.requestError('produce', {
      transportId: a.sendTransportId,
      kind: 'audio',
      rtpParameters: sendRtpParameters('audio', a.caps),
      appData: { source: 'mic' },
    });
    expect(produceOnOthers.code).toBe('forbidden');
    expect((await alice.requestError('pauseConsumer', { consumerId: 'nope' })).code).toBe('not_found');
    // Bob's own consumer still works.
    await bob.request('pauseConsumer', { consumerId });
    await bob.request('resumeConsumer', { consumerId });
  });

  it('disconnect cleans up everything and tells the others', async () => {
    const alice = await track(server.client('alice'));
    const bob = await track(server.client('bob'));
    const a = await joinRoom(alice, 'r');
    const b = await joinRoom(bob, 'r');
    await produce(a, 'audio');
    await produce(b, 'video');
    await alice.until(() => alice.serverRequestsOf('newConsumer').length === 1, 'alice consumes');
    await bob.until(() => bob.serverRequestsOf('newConsumer').length === 1, 'bob consumes');
    alice.socket.terminate();
    await bob.waitForNotification('peerLeft', (n) => n.peerId === 'alice');
    await bob.waitForNotification('consumerClosed');
    await bob.close();
    await server.expectClean();
  });

  it('the same identity connecting again replaces the old connection', async () => {
    const first = await track(server.client('alice'));
    const bob = await track(server.client('bob'));
    await joinRoom(first, 'r');
    await joinRoom(bob, 'r');
    const second = await track(server.client('alice'));
    const closed = await first.closed;
    expect(closed.code).toBe(CLOSE_CODES.replaced);
    await bob.waitForNotification('peerLeft', (n) => n.peerId === 'alice');
    await joinRoom(second, 'r');
    await bob.waitForNotification('peerJoined', (p) => p.id === 'alice');
    expect(server.rooms.get('r')?.peers.size).toBe(2);
  });

  describe('session resume', () => {
    const resume = async (sub: string, sessionId: string): Promise<TestClient> => {
      const c = await track(TestClient.connect(server.url));
      c.auth = await c.request('authenticate', { token: await server.token({ sub }), protocolVersion: PROTOCOL_VERSION, resumeSessionId: sessionId });
      return c;
    };

    it('a dropped socket resumes within the grace period: media kept, missed messages delivered, others see nothing', async () => {
      await server.stop();
      server = await TestServer.start(backend, { RESUME_GRACE_MS: '3000' });
      const alice = await track(server.client('alice'));
      const bob = await track(server.client('bob'));
      const a = await joinRoom(alice, 'r');
      const b = await joinRoom(bob, 'r');
      const producerId = await produce(a, 'audio');
      await bob.until(() => bob.serverRequestsOf('newConsumer').length === 1, 'bob consumes');
      alice.socket.terminate();
      await bob.until(() => server.peers.get('alice')?.channel.connection === null, 'alice detached');
      await bob.request('chatMessage', { text: 'while you were away' });
      await produce(b, 'video');

      const back = await resume('alice', alice.auth?.sessionId ?? '');
      expect(back.auth).toMatchObject({ peerId: 'alice', resumed: true, sessionId: alice.auth?.sessionId });
      await back.waitForNotification('chatMessage', (m) => m.text === 'while you were away');
      await back.until(() => back.serverRequestsOf('newConsumer').length === 1, 'missed newConsumer delivered');
      await back.until(() => [...(server.peers.get('alice')?.consumers.values() ?? [])].some((c) => !c.paused), 'consumer resumed after the answer');
      expect(bob.notificationsOf('peerLeft')).toHaveLength(0);
      await back.request('pauseProducer', { producerId });
      await bob.waitForNotification('consumerPaused');
    });

    it('a session not resumed in time is cleaned up, and its id no longer resumes', async () => {
      await server.stop();
      server = await TestServer.start(backend, { RESUME_GRACE_MS: '300' });
      const alice = await track(server.client('alice'));
      const bob = await track(server.client('bob'));
      await produce(await joinRoom(alice, 'r'), 'audio');
      await joinRoom(bob, 'r');
      alice.socket.terminate();
      await bob.waitForNotification('peerLeft', (n) => n.peerId === 'alice');
      await bob.waitForNotification('consumerClosed');
      const late = await resume('alice', alice.auth?.sessionId ?? '');
      expect(late.auth?.resumed).toBe(false);
    });

    it('after a network change the resumed session restarts ICE on the transports it kept', async () => {
      await server.stop();
      server = await TestServer.start(backend, { RESUME_GRACE_MS: '3000' });
      const alice = await track(server.client('alice'));
      const a = await joinRoom(alice, 'r');
      const producerId = await produce(a, 'video');
      const sendId = a.sendTransportId ?? '';
      const before = await alice.request('getTransportStats', { transportId: sendId });
      expect(before.stats.length).toBeGreaterThan(0);
      alice.socket.terminate();
      await new Promise((r) => setTimeout(r, 100));
      const back = await resume('alice', alice.auth?.sessionId ?? '');
      expect(back.auth?.resumed).toBe(true);
      const first = await back.request('restartIce', { transportId: sendId });
      const second = await back.request('restartIce', { transportId: a.recvTransportId ?? '' });
      expect(first.iceParameters.usernameFragment).toEqual(expect.any(String));
      expect(second.iceParameters.password).toEqual(expect.any(String));
      const again = await back.request('restartIce', { transportId: sendId });
      expect(again.iceParameters.usernameFragment).not.toBe(first.iceParameters.usernameFragment);
      expect(server.peers.get('alice')?.producers.has(producerId)).toBe(true);
    });

    it('a normal close does not wait for a resume', async () => {
      await server.stop();
      server = await TestServer.start(backend, { RESUME_GRACE_MS: '10000' });
      const alice = await track(server.client('alice'));
      const bob = await track(server.client('bob'));
      await joinRoom(alice, 'r');
      await joinRoom(bob, 'r');
      await alice.close();
      await bob.waitForNotification('peerLeft', (n) => n.peerId === 'alice', 1000);
    });
  });

  it('chat is broadcast to the room, sender included, and bounded', async () => {
    const alice = await track(server.client('alice'));
    const bob = await track(server.client('bob'));
    await joinRoom(alice, 'r', { send: false, recv: false });
    await joinRoom(bob, 'r', { send: false, recv: false });
    const { messageId } = await alice.request('chatMessage', { text: 'hello' });
    for (const c of [alice, bob]) {
      const m = await c.waitForNotification('chatMessage', (n) => n.messageId === messageId);
      expect(m).toMatchObject({ peerId: 'alice', text: 'hello' });
    }
    const tooLong = await alice.requestError('chatMessage', { text: 'x'.repeat(server.config.limits.maxChatLength + 1) });
    expect(tooLong.code).toBe('limit_exceeded');
    expect((await alice.requestError('chatMessage', { text: '' })).code).toBe('invalid_request');
  });

  it('serves the remaining media methods on own objects: stats, ICE restart, layers, priority, key frame, display name', async () => {
    const alice = await track(server.client('alice'));
    const bob = await track(server.client('bob'));
    const a = await joinRoom(alice, 'r');
    await joinRoom(bob, 'r');
    const producerId = await produce(a, 'video');
    await bob.until(() => bob.serverRequestsOf('newConsumer').length === 1, 'newConsumer');
    const consumerId = bob.serverRequestsOf('newConsumer')[0].id;
    const transportId = a.sendTransportId ?? '';
    expect((await alice.request('getTransportStats', { transportId })).stats.length).toBeGreaterThan(0);
    expect(Array.isArray((await alice.request('getProducerStats', { producerId })).stats)).toBe(true);
    expect(Array.isArray((await bob.request('getConsumerStats', { consumerId })).stats)).toBe(true);
    const { iceParameters } = await alice.request('restartIce', { transportId });
    expect(iceParameters.usernameFragment).toEqual(expect.any(String));
    await bob.request('setConsumerPreferredLayers', { consumerId, spatialLayer: 0, temporalLayer: 0 });
    await bob.request('setConsumerPriority', { consumerId, priority: 2 });
    await bob.request('requestConsumerKeyFrame', { consumerId });
    await alice.request('changeDisplayName', { displayName: 'Alice L.' });
    expect(await bob.waitForNotification('peerDisplayNameChanged')).toEqual({ peerId: 'alice', displayName: 'Alice L.', oldDisplayName: 'alice' });
  });

  it('a recv transport created after join receives the room’s media', async () => {
    const alice = await track(server.client('alice'));
    const bob = await track(server.client('bob'));
    const a = await joinRoom(alice, 'r');
    await produce(a, 'audio');
    await joinRoom(bob, 'r', { recv: false });
    expect(bob.serverRequestsOf('newConsumer')).toHaveLength(0);
    await bob.request('createWebRtcTransport', { direction: 'recv' });
    await bob.until(() => bob.serverRequestsOf('newConsumer').length === 1, 'newConsumer after recv transport');
  });

  it('uses a WebRtcServer per worker when WEBRTC_SERVER_PORT is set', async () => {
    await server.stop();
    const port = await freePortRange(4);
    server = await TestServer.start(backend, { WEBRTC_SERVER_PORT: String(port) });
    const alice = await track(server.client('alice'));
    await alice.request('getRouterRtpCapabilities', { roomId: 'r' });
    const t = await alice.request('createWebRtcTransport', { direction: 'send' });
    expect(t.iceCandidates.map((c) => [c.address, c.port])).toContainEqual(['127.0.0.1', port]);
  });

  it('simultaneous first joins create one router', async () => {
    const cs = await Promise.all(['a', 'b', 'c', 'd'].map((n) => track(server.client(n))));
    await Promise.all(cs.map((c) => c.request('getRouterRtpCapabilities', { roomId: 'race' })));
    const left = await server.leftovers();
    expect(left.rooms).toBe(1);
    expect(left.routers).toBe(1);
  });
});
