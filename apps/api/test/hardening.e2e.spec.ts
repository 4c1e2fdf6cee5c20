import { PROTOCOL_VERSION, type ErrorResponseMessage, type RtpParameters } from '@confer/signaling-contracts';
import { SignJWT } from 'jose';
import type { WebRtcTransport } from 'mediasoup/types';
import { WorkerHealthService } from '../src/workers/worker-health.service';
import { WorkerPoolService } from '../src/workers/worker-pool.service';
import { backends, backendsBanner, type Backend } from './support/backends';
import { CLIENT_DTLS, SCTP_CAPABILITIES, sendRtpParameters } from './support/rtp';
import { joinRoom, produce } from './support/scenario';
import { TestClient } from './support/test-client';
import { TEST_SECRET, TestServer } from './support/test-server';

beforeAll(() => console.log(backendsBanner));

/** Everything the server answered with `id` (responses only). */
function answersTo(c: TestClient, id: unknown): ErrorResponseMessage[] {
  return c.orphanErrors.filter((e) => e.id === id) as ErrorResponseMessage[];
}

/**
 * A fresh server per test (`env` on top of the test defaults), whose clients are
 * closed after it and which must then be clean (nothing of anyone left).
 */
function serverPerTest(backend: Backend, env: Record<string, string>): { server(): TestServer; keep<T extends TestClient>(c: T): T } {
  let current: TestServer | undefined;
  const clients: TestClient[] = [];
  beforeEach(async () => {
    current = await TestServer.start(backend, env);
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    try {
      await current?.expectClean();
    } finally {
      await current?.stop();
    }
  });
  return {
    server: () => current as TestServer,
    keep: <T extends TestClient>(c: T): T => (clients.push(c), c),
  };
}

describe.each(backends.map((b) => [b.name, b] as const))('hardening against the %s', (_name, backend: Backend) => {
  const ctx = serverPerTest(backend, { MEDIASOUP_NUM_WORKERS: '1' });
  const keep = ctx.keep;
  let server: TestServer;
  beforeEach(() => (server = ctx.server()));

  it('a produce mediasoup could not serialize (maxBitrate 1.5) is invalid_request naming the field; nobody else notices', async () => {
    const alice = keep(await server.client('alice'));
    const bob = keep(await server.client('bob'));
    const a = await joinRoom(alice, 'r');
    const b = await joinRoom(bob, 'r');
    const bad = sendRtpParameters('video', a.caps);
    (bad.encodings as NonNullable<RtpParameters['encodings']>)[0].maxBitrate = 1.5;
    const error = await alice.requestError('produce', { transportId: a.sendTransportId, kind: 'video', rtpParameters: bad, appData: { source: 'webcam' } });
    expect(error.code).toBe('invalid_request');
    expect(error.reason).toContain('rtpParameters.encodings[0].maxBitrate must be an integer');
    // Every peer's media requests still work, and normal closes are clean.
    await produce(b, 'audio');
    await produce(a, 'video');
    await bob.until(() => bob.serverRequestsOf('newConsumer').length === 1, 'bob consumes alice');
    await bob.close();
    await alice.request('getTransportStats', { transportId: a.sendTransportId as string });
    expect(server.app.get(WorkerHealthService).workersKilled).toBe(0);
    expect(server.app.get(WorkerPoolService).liveWorkerCount).toBe(1);
  });

  it('a worker whose channel got poisoned anyway is killed and replaced, its rooms reset; closes afterwards are harmless', async () => {
    const alice = keep(await server.client('alice'));
    const bob = keep(await server.client('bob'));
    const a = await joinRoom(alice, 'r');
    await joinRoom(bob, 'r');
    // Bypass the server's validation: straight into mediasoup, as a bug elsewhere could.
    const transport = server.peers.get('alice')?.transports.get(a.sendTransportId as string) as WebRtcTransport;
    const bad = sendRtpParameters('audio', a.caps);
    (bad.encodings as NonNullable<RtpParameters['encodings']>)[0].maxBitrate = 1.5;
    await expect(transport.produce({ kind: 'audio', rtpParameters: bad as never })).rejects.toThrow();
    // The next request finds the channel unusable: the worker is probed and killed, rooms reset.
    await bob.request('getTransportStats', { transportId: a.sendTransportId as string }).catch(() => undefined);
    await alice.waitForNotification('mediaReset', () => true, 8000);
    await bob.waitForNotification('mediaReset', () => true, 8000);
    const pool = server.app.get(WorkerPoolService);
    expect(server.app.get(WorkerHealthService).workersKilled).toBe(1);
    await alice.until(() => pool.liveWorkerCount === 1, 'a replacement worker', 8000);
    expect((await fetch(`${server.httpUrl}/health/ready`)).status).toBe(200);
    // Both start again on the new worker; media works; a close is clean.
    const a2 = await joinRoom(alice, 'r');
    const b2 = await joinRoom(bob, 'r');
    await produce(a2, 'audio');
    await bob.until(() => bob.serverRequestsOf('newConsumer').length >= 1, 'bob consumes alice again');
    await bob.close();
    await alice.request('getTransportStats', { transportId: a2.sendTransportId as string });
    expect(b2.recvTransportId).toBeDefined();
  });

  it("client mistakes are answered as the client's: second connect, SSRC, MID and SCTP stream reuse", async () => {
    const alice = keep(await server.client('alice'));
    const a = await joinRoom(alice, 'r', { data: true });
    const again = await alice.requestError('connectWebRtcTransport', { transportId: a.sendTransportId, dtlsParameters: CLIENT_DTLS });
    expect([again.code, again.reason]).toEqual(['invalid_state', `transport ${a.sendTransportId} is already connected`]);

    const first = sendRtpParameters('audio', a.caps);
    await alice.request('produce', { transportId: a.sendTransportId as string, kind: 'audio', rtpParameters: first, appData: { source: 'mic' } });
    const sameSsrc = { ...sendRtpParameters('audio', a.caps), mid: '7', encodings: first.encodings };
    const ssrc = await alice.requestError('produce', { transportId: a.sendTransportId, kind: 'audio', rtpParameters: sameSsrc, appData: { source: 'mic' } });
    expect(ssrc.code).toBe('invalid_request');
    expect(ssrc.reason).toMatch(/SSRC \d+ is already used on this transport/);
    const sameMid = sendRtpParameters('audio', a.caps);
    const mid = await alice.requestError('produce', { transportId: a.sendTransportId, kind: 'audio', rtpParameters: sameMid, appData: { source: 'mic' } });
    expect([mid.code, mid.reason]).toEqual(['invalid_request', 'MID "0" is already used on this transport']);
    const twice = { ...sendRtpParameters('video', a.caps), mid: '9' };
    const rtx = (twice.encodings as NonNullable<RtpParameters['encodings']>)[0];
    rtx.rtx = { ssrc: rtx.ssrc as number };
    expect((await alice.requestError('produce', { transportId: a.sendTransportId, kind: 'video', rtpParameters: twice, appData: { source: 'webcam' } })).code).toBe('invalid_request');

    await alice.request('produceData', { transportId: a.sendTransportId as string, sctpStreamParameters: { streamId: 3, ordered: true }, label: 'x' });
    const stream = await alice.requestError('produceData', { transportId: a.sendTransportId, sctpStreamParameters: { streamId: 3, ordered: true }, label: 'y' });
    expect([stream.code, stream.reason]).toEqual(['invalid_request', 'SCTP stream 3 is already used on this transport']);
    // A freed SSRC and stream can be used again.
    const producerId = [...(server.peers.get('alice')?.producers.keys() ?? [])][0];
    await alice.request('closeProducer', { producerId });
    await alice.request('produce', { transportId: a.sendTransportId as string, kind: 'audio', rtpParameters: first, appData: { source: 'mic' } });
    expect(server.app.get(WorkerHealthService).workersKilled).toBe(0);
  });

  it('the envelope: ids echoed as sent, depth and prototype keys refused before any parsing work, each answered once', async () => {
    const c = keep(await server.client('alice'));
    for (const id of [-1, 1.5, '7']) c.sendText(JSON.stringify({ type: 'request', id, method: 'leave', data: {} }));
    await c.until(() => c.orphanErrors.length === 3, 'three answers');
    for (const id of [-1, 1.5, '7']) {
      expect(answersTo(c, id)).toHaveLength(1);
      expect(answersTo(c, id)[0].error).toMatchObject({ code: 'invalid_request', reason: expect.stringContaining('non-negative integer') });
    }
    const deep = (n: number): unknown => (n === 0 ? 1 : { a: deep(n - 1) });
    const probes: [string, unknown][] = [
      ['deep', { roomId: 'r', displayName: 'x', device: deep(1500) }],
      ['proto', JSON.parse('{"transportId":{"__proto__":{"x":1}}}')],
      ['nested constructor', { transportId: { constructor: 'x' } }],
      ['top-level constructor', { transportId: 't', constructor: 'x' }],
    ];
    for (const [what, data] of probes) {
      const started = performance.now();
      const error = await c.requestError(what === 'deep' ? 'join' : 'restartIce', data);
      expect([what, error.code]).toEqual([what, 'invalid_request']);
      expect(performance.now() - started).toBeLessThan(200);
    }
    // 3000 levels in raw JSON: refused before class-transformer runs (no stack overflow, no internal).
    const id = c.nextRequestId();
    c.sendText(`{"type":"request","id":${id},"method":"join","data":${'{"a":'.repeat(3000)}1${'}'.repeat(3000)}}`);
    await c.until(() => answersTo(c, id).length === 1, 'the deep request answered');
    expect(answersTo(c, id)[0].error).toMatchObject({ code: 'invalid_request', reason: expect.stringContaining('nested more than 16 levels') });
    await c.request('getRouterRtpCapabilities', { roomId: 'r' });
  });

  it('two authenticate back to back on one socket: one succeeds, the other is invalid_state, the socket stays', async () => {
    const c = keep(await TestClient.connect(server.url));
    const token = await server.token({ sub: 'alice' });
    const [one, two] = await Promise.allSettled([
      c.request('authenticate', { token, protocolVersion: PROTOCOL_VERSION }),
      c.request('authenticate', { token, protocolVersion: PROTOCOL_VERSION }),
    ]);
    expect(one.status).toBe('fulfilled');
    expect(two.status === 'rejected' && (two.reason as { code: string }).code).toBe('invalid_state');
    await c.request('join', { roomId: 'r', displayName: 'alice', device: { flag: 'x', name: 'x' } });
    expect(c.socket.readyState).toBe(c.socket.OPEN);
  });

  it('a token issued in the future is refused; within the clock skew it is accepted', async () => {
    const sign = (iatOffset: number): Promise<string> =>
      new SignJWT({ rooms: ['*'] })
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject('future')
        .setIssuedAt(Math.floor(Date.now() / 1000) + iatOffset)
        .setExpirationTime('1h')
        .sign(new TextEncoder().encode(TEST_SECRET));
    const c = keep(await TestClient.connect(server.url));
    const error = await c.requestError('authenticate', { token: await sign(3600), protocolVersion: PROTOCOL_VERSION });
    expect(error.code).toBe('unauthenticated');
    expect(error.reason).toMatch(/issued in the future/);
    await c.request('authenticate', { token: await sign(20), protocolVersion: PROTOCOL_VERSION });
    const noExp = await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject('x').sign(new TextEncoder().encode(TEST_SECRET));
    const c2 = keep(await TestClient.connect(server.url));
    expect((await c2.requestError('authenticate', { token: noExp, protocolVersion: PROTOCOL_VERSION })).code).toBe('unauthenticated');
  });

  it('SCTP: wire rules on data producers (stream id range, integer limits)', async () => {
    const alice = keep(await server.client('alice'));
    const a = await joinRoom(alice, 'r', { data: true });
    for (const sctpStreamParameters of [{ streamId: 65535 }, { streamId: 1.5 }, { streamId: 1, maxRetransmits: 2.5 }, { streamId: -1 }]) {
      const e = await alice.requestError('produceData', { transportId: a.sendTransportId, sctpStreamParameters, label: 'x' });
      expect([sctpStreamParameters, e.code]).toEqual([sctpStreamParameters, 'invalid_request']);
    }
    expect((await alice.requestError('createWebRtcTransport', { direction: 'send', sctpCapabilities: { numStreams: { OS: 1.5, MIS: 1 } } })).code).toBe('invalid_request');
    expect(SCTP_CAPABILITIES.numStreams.OS).toBe(1024);
  });
});

describe('chat length counts characters as people do', () => {
  it('100 emoji fit MAX_CHAT_LENGTH=100; 101 do not', async () => {
    const server = await TestServer.start(null, { MAX_CHAT_LENGTH: '100' });
    const c = await server.client('alice');
    try {
      await c.request('join', { roomId: 'r', displayName: 'alice', device: { flag: 'x', name: 'x' } });
      await c.request('chatMessage', { text: '👍'.repeat(100) });
      await c.request('chatMessage', { text: '🇪🇺'.repeat(100) });
      const error = await c.requestError('chatMessage', { text: '👍'.repeat(101) });
      expect([error.code, error.reason]).toEqual(['limit_exceeded', 'chat messages are at most 100 characters (got 101)']);
    } finally {
      await c.close();
      await server.stop();
    }
  });
});

describe.each(backends.map((b) => [b.name, b] as const))('exactly once across socket drops against the %s', (_name, backend: Backend) => {
  const ctx = serverPerTest(backend, { RESUME_GRACE_MS: '5000' });
  const keep = ctx.keep;
  let server: TestServer;
  beforeEach(() => (server = ctx.server()));
  const resume = async (sub: string, sessionId: string): Promise<TestClient> => {
    const c = keep(await TestClient.connect(server.url));
    c.onServerRequest('newConsumer', () => ({}));
    c.auth = await c.request('authenticate', { token: await server.token({ sub }), protocolVersion: PROTOCOL_VERSION, resumeSessionId: sessionId });
    return c;
  };
  /** A keyed request sent as the SDK sends it. */
  const keyed = (c: TestClient, method: string, data: unknown, key: string): Promise<unknown> =>
    c.requestRaw({ type: 'request', id: c.nextRequestId(), method, data, key });

  it('a produce re-sent with its key after a drop returns the original producer; nothing is created twice', async () => {
    const alice = keep(await server.client('alice'));
    const a = await joinRoom(alice, 'r');
    const params = { transportId: a.sendTransportId, kind: 'audio', rtpParameters: sendRtpParameters('audio', a.caps), appData: { source: 'mic' } };
    // Sent, then the socket drops before the answer can arrive.
    void keyed(alice, 'produce', params, 'k-produce-1').catch(() => undefined);
    alice.socket.terminate();
    await alice.closed;
    const back = await resume('alice', alice.auth?.sessionId ?? '');
    const first = (await keyed(back, 'produce', params, 'k-produce-1')) as { producerId: string };
    const again = (await keyed(back, 'produce', params, 'k-produce-1')) as { producerId: string };
    expect(again.producerId).toBe(first.producerId);
    expect(server.peers.get('alice')?.producers.size).toBe(1);
    expect((await server.mediaObjects()).producers).toBe(1);
    // A key is bound to its method; a new key is a new request (here refused: same MID).
    await expect(keyed(back, 'closeProducer', { producerId: first.producerId }, 'k-produce-1')).rejects.toMatchObject({ code: 'invalid_request' });
    await expect(keyed(back, 'produce', params, 'k-produce-2')).rejects.toMatchObject({ code: 'invalid_request' });
    // Outcomes that were errors are replayed as the same error.
    await expect(keyed(back, 'produce', params, 'k-produce-2')).rejects.toMatchObject({ code: 'invalid_request' });
  });

  it('a newConsumer lost with the socket is offered again after the resume: the peer converges to consuming every producer once', async () => {
    const alice = keep(await server.client('alice'));
    const bob = keep(await server.client('bob'));
    const a = await joinRoom(alice, 'r');
    // Bob never answers his first newConsumer: it is in flight when his socket drops.
    bob.onServerRequest('newConsumer', () => new Promise(() => undefined));
    await joinRoom(bob, 'r');
    await produce(a, 'audio');
    await bob.until(() => bob.serverRequestsOf('newConsumer').length === 1, 'the newConsumer in flight');
    bob.socket.terminate();
    await bob.closed;
    const back = await resume('bob', bob.auth?.sessionId ?? '');
    await back.until(() => back.serverRequestsOf('newConsumer').length === 1, 'the producer offered again');
    const peer = server.peers.get('bob');
    await back.until(() => peer?.consumers.size === 1 && [...peer.consumers.values()].every((c) => !c.paused), 'one resumed consumer');
    await new Promise((r) => setTimeout(r, 200));
    expect(peer?.consumers.size).toBe(1);
    expect(back.serverRequestsOf('newConsumer')).toHaveLength(1);
  });
});
