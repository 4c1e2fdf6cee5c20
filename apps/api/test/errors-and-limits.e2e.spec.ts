import { randomBytes } from 'node:crypto';
import { CLOSE_CODES, PROTOCOL_VERSION, type ErrorResponseMessage } from '@confer/signaling-contracts';
import { SignJWT } from 'jose';
import { backends, backendsBanner, type Backend } from './support/backends';
import { sendRtpParameters } from './support/rtp';
import { joinRoom, produce } from './support/scenario';
import { TestClient } from './support/test-client';
import { TestServer } from './support/test-server';

beforeAll(() => console.log(backendsBanner));

describe.each(backends.map((b) => [b.name, b] as const))('errors and limits against the %s', (_name, backend: Backend) => {
  let server: TestServer;
  const clients: TestClient[] = [];
  const keep = <T extends TestClient>(c: T): T => (clients.push(c), c);

  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    await server.stop();
  });

  describe('with default limits', () => {
    beforeEach(async () => {
      server = await TestServer.start(backend, { AUTH_TIMEOUT_MS: '300' });
    });

    it('serves nothing before authenticate, and closes sockets that never authenticate', async () => {
      const c = keep(await TestClient.connect(server.url));
      expect((await c.requestError('join', { roomId: 'r', displayName: 'x', device: { flag: 'x', name: 'x' } })).code).toBe('unauthenticated');
      const closed = await c.closed;
      expect(closed.code).toBe(CLOSE_CODES.authTimeout);
      expect(closed.reason).toMatch(/not authenticated within 300 ms/);
    });

    it('refuses bad tokens, a protocol version mismatch and a second authenticate', async () => {
      const c = keep(await TestClient.connect(server.url));
      expect((await c.requestError('authenticate', { token: 'not-a-jwt', protocolVersion: PROTOCOL_VERSION })).code).toBe('unauthenticated');
      const wrongKey = await new SignJWT({ sub: 'x' }).setProtectedHeader({ alg: 'HS256' }).setExpirationTime('1h').sign(new TextEncoder().encode('another-secret-0123456789'));
      expect((await c.requestError('authenticate', { token: wrongKey, protocolVersion: PROTOCOL_VERSION })).code).toBe('unauthenticated');
      const expired = await server.token({ sub: 'x', exp: Math.floor(Date.now() / 1000) - 60 });
      const expiredError = await c.requestError('authenticate', { token: expired, protocolVersion: PROTOCOL_VERSION });
      expect(expiredError.code).toBe('unauthenticated');
      const good = await server.token({ sub: 'alice' });
      const version = await c.requestError('authenticate', { token: good, protocolVersion: PROTOCOL_VERSION + 1 });
      expect(version.code).toBe('unsupported_version');
      expect(version.reason).toContain(`protocol version ${PROTOCOL_VERSION}`);
      await c.request('authenticate', { token: good, protocolVersion: PROTOCOL_VERSION });
      expect((await c.requestError('authenticate', { token: good, protocolVersion: PROTOCOL_VERSION })).code).toBe('invalid_state');
    });

    it('enforces the token: rooms and grants', async () => {
      const c = keep(await server.client('limited', { rooms: ['allowed'], grants: { canPublish: false, canSubscribe: false, canPublishData: false } }));
      expect((await c.requestError('getRouterRtpCapabilities', { roomId: 'other' })).code).toBe('forbidden');
      await c.request('getRouterRtpCapabilities', { roomId: 'allowed' });
      expect((await c.requestError('createWebRtcTransport', { direction: 'send' })).code).toBe('forbidden');
      expect((await c.requestError('createWebRtcTransport', { direction: 'recv' })).code).toBe('forbidden');
    });

    it('answers malformed and random messages with errors and keeps serving', async () => {
      const c = keep(await server.client('alice'));
      c.sendText('{not json');
      c.sendText('[1,2,3]');
      c.sendText('"just a string"');
      c.sendText(JSON.stringify({ type: 'request', method: 'join' }));
      c.socket.send(randomBytes(64));
      await c.until(() => c.orphanErrors.length === 5, 'five id-less errors');
      expect(c.orphanErrors.every((e) => !e.ok && e.id === null && (e as ErrorResponseMessage).error.code === 'invalid_request')).toBe(true);

      const unknown = (await c.requestRaw({ type: 'request', id: c.nextRequestId(), method: 'selfDestruct', data: {} }).catch((e) => e)) as { code: string };
      expect(unknown.code).toBe('unknown_method');
      const badType = (await c.requestRaw({ type: 'gossip', id: c.nextRequestId() }).catch((e) => e)) as { code: string };
      expect(badType.code).toBe('invalid_request');

      const invalid = await c.requestError('join', { roomId: 'bad room!', displayName: '', device: { flag: 1 }, extra: true });
      expect(invalid.code).toBe('invalid_request');
      expect(Object.keys(invalid.details?.['fields'] as object).sort()).toEqual(['device.flag', 'device.name', 'displayName', 'extra', 'roomId']);
      expect((await c.requestError('leave', { unexpected: 1 })).code).toBe('invalid_request');
      expect((await c.requestError('chatMessage', 'text')).code).toBe('invalid_request');

      // Random fuzz: every message gets an answer or an id-less error; the server stays up.
      for (let i = 0; i < 50; i++) {
        const method = ['join', 'produce', 'fileChunk', 'createWebRtcTransport', 'connectWebRtcTransport', 'consume'][i % 6];
        const data = JSON.parse(JSON.stringify({ x: randomBytes(4).toString('hex'), transportId: i % 2 ? 5 : 'x', kind: i, rtpParameters: i % 3 ? null : {} }));
        await c.requestRaw({ type: 'request', id: c.nextRequestId(), method, data }).catch(() => undefined);
      }
      await joinRoom(c, 'still-works');
      expect(server.rooms.get('still-works')?.peers.size).toBe(1);
    });

    it('turns mediasoup exceptions into typed errors', async () => {
      const c = keep(await server.client('alice'));
      const j = await joinRoom(c, 'r');
      const badRtp = await c.requestError('produce', { transportId: j.sendTransportId, kind: 'audio', rtpParameters: { codecs: 'nope' }, appData: { source: 'mic' } });
      expect(badRtp.code).toBe('invalid_request');
      const unsupported = await c.requestError('produce', {
        transportId: j.sendTransportId,
        kind: 'audio',
        rtpParameters: { codecs: [{ mimeType: 'audio/G729', payloadType: 18, clockRate: 8000 }], encodings: [{ ssrc: 1 }] },
        appData: { source: 'mic' },
      });
      expect(unsupported.code).toBe('invalid_request');
      const badCaps = await (await keep(await server.client('bob'))).requestError('join', {
        roomId: 'r',
        displayName: 'bob',
        device: { flag: 'x', name: 'x' },
        rtpCapabilities: { codecs: [{ kind: 'audio' }] },
      });
      expect(badCaps.code).toBe('invalid_request');
      const recvProduce = await c.requestError('produce', { transportId: j.recvTransportId, kind: 'audio', rtpParameters: sendRtpParameters('audio', j.caps), appData: { source: 'mic' } });
      expect(recvProduce.code).toBe('invalid_state');
      expect((await c.requestError('produce', { transportId: j.sendTransportId, kind: 'audio', rtpParameters: {}, appData: { source: 'tv' } })).code).toBe('invalid_request');
    });

    it('requires join before producing or chatting, and one room at a time', async () => {
      const c = keep(await server.client('alice'));
      expect((await c.requestError('chatMessage', { text: 'hi' })).code).toBe('invalid_state');
      expect((await c.requestError('createWebRtcTransport', { direction: 'send' })).code).toBe('invalid_state');
      await joinRoom(c, 'one', { send: false, recv: false });
      expect((await c.requestError('join', { roomId: 'one', displayName: 'a', device: { flag: 'x', name: 'x' } })).code).toBe('invalid_state');
      expect((await c.requestError('getRouterRtpCapabilities', { roomId: 'two' })).code).toBe('invalid_state');
      await c.request('leave', {});
      expect((await c.requestError('leave', {})).code).toBe('invalid_state');
      await joinRoom(c, 'two', { send: false, recv: false });
    });

    it('a client refusing newConsumer gets the consumer closed', async () => {
      const alice = keep(await server.client('alice'));
      const bob = keep(await server.client('bob'));
      const a = await joinRoom(alice, 'r');
      await joinRoom(bob, 'r');
      bob.onServerRequest('newConsumer', () => {
        throw new Error('cannot');
      });
      await produce(a, 'audio');
      await bob.waitForNotification('consumerClosed');
      expect(server.peers.get('bob')?.consumers.size).toBe(0);
    });
  });

  describe('with tight limits', () => {
    beforeEach(async () => {
      server = await TestServer.start(backend, {
        MAX_MESSAGE_BYTES: '8192',
        FILE_CHUNK_BYTES: '1024',
        REQUESTS_PER_SECOND: '20',
        MAX_PEERS_PER_ROOM: '2',
        MAX_PRODUCERS_PER_PEER: '1',
        MAX_TRANSPORTS_PER_PEER: '2',
        MAX_CHAT_LENGTH: '10',
      });
    });

    it('message size', async () => {
      const c = keep(await server.client('alice'));
      const error = await c.requestError('chatMessage', { text: 'x'.repeat(9000) });
      expect(error.code).toBe('limit_exceeded');
      expect(error.reason).toMatch(/exceeds the limit of 8192/);
      await c.request('getRouterRtpCapabilities', { roomId: 'r' });
    });

    it('requests per second', async () => {
      const c = keep(await server.client('alice'));
      const results = await Promise.all(Array.from({ length: 30 }, () => c.request('getRouterRtpCapabilities', { roomId: 'r' }).then(() => 'ok', (e: { code: string }) => e.code)));
      expect(results.filter((r) => r === 'limit_exceeded').length).toBeGreaterThanOrEqual(9);
      await new Promise((r) => setTimeout(r, 1100));
      await c.request('getRouterRtpCapabilities', { roomId: 'r' });
    });

    it('peers per room, producers and transports per peer, chat length', async () => {
      const a = keep(await server.client('a'));
      const b = keep(await server.client('b'));
      const c = keep(await server.client('c'));
      const ja = await joinRoom(a, 'r');
      await joinRoom(b, 'r', { send: false, recv: false });
      const full = await c.requestError('getRouterRtpCapabilities', { roomId: 'r' });
      expect(full.code).toBe('limit_exceeded');
      expect(full.reason).toMatch(/full/);
      expect((await a.requestError('createWebRtcTransport', { direction: 'send' })).code).toBe('limit_exceeded');
      await produce(ja, 'audio');
      expect((await a.requestError('produce', { transportId: ja.sendTransportId, kind: 'video', rtpParameters: sendRtpParameters('video', ja.caps), appData: { source: 'webcam' } })).code).toBe('limit_exceeded');
      expect((await a.requestError('chatMessage', { text: 'x'.repeat(11) })).code).toBe('limit_exceeded');
      await a.request('chatMessage', { text: 'x'.repeat(10) });
    });
  });
});

describe('without a mediasoup worker', () => {
  let server: TestServer;
  const clients: TestClient[] = [];

  beforeAll(async () => {
    server = await TestServer.start(null);
  });
  afterAll(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    await server.stop();
  });

  it('says so at authenticate, answers media requests media_unavailable with advice, and still does chat', async () => {
    const alice = await server.client('alice');
    const bob = await server.client('bob');
    clients.push(alice, bob);
    expect(alice.auth?.mediaAvailable).toBe(false);
    expect(alice.auth?.mediaUnavailableReason).toMatch(/no mediasoup media worker/);
    const error = await alice.requestError('getRouterRtpCapabilities', { roomId: 'r' });
    expect(error.code).toBe('media_unavailable');
    expect(error.reason).toMatch(/no mediasoup media worker installed/);
    // The server's file system and its fix are the operator's business, not a client's.
    expect(error.reason).not.toMatch(/\/|MEDIASOUP_WORKER_BIN/);
    const health = (await (await fetch(`${server.httpUrl}/health`)).json()) as { media: string };
    expect(health.media).not.toMatch(/\//);
    for (const c of [alice, bob]) await c.request('join', { roomId: 'r', displayName: c.peerId, device: { flag: 'x', name: 'x' } });
    expect((await alice.requestError('createWebRtcTransport', { direction: 'send' })).code).toBe('media_unavailable');
    const opus = { codecs: [{ mimeType: 'audio/opus', payloadType: 100, clockRate: 48000, channels: 2 }], encodings: [{ ssrc: 1111 }] };
    expect((await alice.requestError('produce', { transportId: 'x', kind: 'audio', rtpParameters: opus, appData: { source: 'mic' } })).code).toBe('media_unavailable');
    await alice.request('chatMessage', { text: 'no media, still chatting' });
    await bob.waitForNotification('chatMessage');
  });
});

describe('without a mediasoup worker, in development (NODE_ENV=development)', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await TestServer.start(null, { NODE_ENV: 'development' });
  });
  afterAll(() => server.stop());

  it('tells the developer how to give the server a worker', async () => {
    const alice = await server.client('alice');
    try {
      expect(alice.auth?.mediaUnavailableReason).toMatch(/MEDIASOUP_WORKER_BIN/);
      expect((await alice.requestError('getRouterRtpCapabilities', { roomId: 'r' })).reason).toMatch(/MEDIASOUP_WORKER_BIN/);
    } finally {
      await alice.close();
    }
  });
});
