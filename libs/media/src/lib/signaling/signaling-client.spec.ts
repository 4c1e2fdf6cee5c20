import { TestBed } from '@angular/core/testing';
import { SignalingError } from '@confer/signaling-contracts';
import { ConnectionError, InvalidStateError, RequestTimeoutError } from '../errors';
import { FakeSignalingServer, NO_ANSWER, settle, until } from '../../testing/fake-signaling-server';
import { SIGNALING_OPTIONS, SIGNALING_URL, WEB_SOCKET_FACTORY } from '../tokens';
import { SignalingClient } from './signaling-client';
import type { SignalingState } from './signaling-client.types';

describe('SignalingClient', () => {
  let server: FakeSignalingServer;
  let client: SignalingClient;

  beforeEach(() => {
    server = new FakeSignalingServer();
    TestBed.configureTestingModule({
      providers: [
        { provide: WEB_SOCKET_FACTORY, useValue: server.factory },
        { provide: SIGNALING_URL, useValue: 'ws://test/ws' },
        { provide: SIGNALING_OPTIONS, useValue: { requestTimeoutMs: 200, reconnectBaseDelayMs: 5, reconnectMaxDelayMs: 20, maxReconnectAttempts: 50 } },
      ],
    });
    client = TestBed.inject(SignalingClient);
  });

  afterEach(() => client.close());

  it('authenticates with the protocol version and exposes the session', async () => {
    const states: SignalingState[] = [];
    client.state$.subscribe((s) => states.push(s));
    const session = await client.connect('tok');
    expect(session.peerId).toBe('me');
    expect(server.requests('authenticate')[0]).toEqual({ token: 'tok', protocolVersion: 1 });
    expect(client.state()).toBe('open');
    expect(client.session()?.sessionId).toBe('session-1');
    expect(states).toEqual(['idle', 'connecting', 'open']);
  });

  it('resolves typed results and rejects with the wire error', async () => {
    await client.connect('tok');
    await expect(client.request('chatMessage', { text: 'hi' })).resolves.toMatchObject({ messageId: expect.any(String) });
    server.on('closeProducer', () => {
      throw new SignalingError('not_found', 'producer p1 does not exist');
    });
    const error = await client.request('closeProducer', { producerId: 'p1' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SignalingError);
    expect(error).toMatchObject({ code: 'not_found', reason: 'producer p1 does not exist' });
  });

  it('rejects a request the server does not answer in time with a RequestTimeoutError (not a wire error)', async () => {
    await client.connect('tok');
    server.on('leave', () => NO_ANSWER);
    const error = await client.request('leave', {}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RequestTimeoutError);
    expect(error).not.toBeInstanceOf(SignalingError);
    expect(error).toMatchObject({ name: 'RequestTimeoutError', method: 'leave', timeoutMs: 200 });
  });

  it('rejects requests and connect() in the wrong state with InvalidStateError', async () => {
    await expect(client.request('leave', {})).rejects.toBeInstanceOf(InvalidStateError);
    const connecting = client.connect('tok');
    await expect(client.connect('tok')).rejects.toMatchObject({ name: 'InvalidStateError' });
    await connecting;
    expect(() => client.handle('newConsumer', () => ({}))).not.toThrow();
    expect(() => client.handle('newConsumer', () => ({}))).toThrow(InvalidStateError);
    client.close();
    await expect(client.request('leave', {})).rejects.toBeInstanceOf(InvalidStateError);
    expect(client.closeError).toMatchObject({ name: 'ConnectionError', reason: 'closed' });
  });

  it('fails connect() with ConnectionError(unreachable) when the socket cannot open', async () => {
    server.accepting = false;
    const error = await client.connect('tok').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConnectionError);
    expect(error).toMatchObject({ reason: 'unreachable' });
  });

  it('narrows notifications by method', async () => {
    await client.connect('tok');
    const joined: string[] = [];
    client.on('peerJoined').subscribe((peer) => joined.push(peer.displayName));
    server.notify('activeSpeaker', { peerId: 'x' });
    server.notify('peerJoined', { id: 'p2', displayName: 'Bob', device: { flag: 'chrome', name: 'Chrome' }, role: 'participant' });
    await until(() => joined.length === 1);
    expect(joined).toEqual(['Bob']);
  });

  it('answers server requests with the handler result, an error, or invalid_state when unhandled', async () => {
    await client.connect('tok');
    const off = client.handle('newDataConsumer', () => ({}));
    await expect(server.request('newDataConsumer', {} as never)).resolves.toMatchObject({ ok: true, data: {} });
    off();
    await expect(server.request('newDataConsumer', {} as never)).resolves.toMatchObject({ ok: false, error: { code: 'invalid_state' } });
    client.handle('fileChunk', () => {
      throw new SignalingError('invalid_state', 'not receiving');
    });
    await expect(server.request('fileChunk', { transferId: 't', seq: 0, data: '' })).resolves.toMatchObject({
      ok: false,
      error: { code: 'invalid_state', reason: 'not receiving' },
    });
  });

  it('queues requests made while reconnecting and sends them after re-authenticating with resumeSessionId', async () => {
    await client.connect('tok');
    const reconnected: boolean[] = [];
    client.reconnected$.subscribe((e) => reconnected.push(e.resumed));
    server.accepting = false;
    server.socket.drop(1006, 'network');
    await until(() => client.state() === 'reconnecting');

    const answer = client.request('chatMessage', { text: 'queued while offline' });
    await settle(20);
    expect(server.requests('chatMessage')).toHaveLength(0);
    expect(server.sockets.length).toBeGreaterThan(2); // backoff retried while refused

    server.accepting = true;
    await expect(answer).resolves.toMatchObject({ messageId: expect.any(String) });
    expect(client.state()).toBe('open');
    const methods = server.received.map((r) => r.method);
    expect(methods.lastIndexOf('authenticate')).toBeLessThan(methods.indexOf('chatMessage'));
    expect(server.requests('authenticate').at(-1)).toMatchObject({ resumeSessionId: 'session-1' });
    expect(reconnected).toEqual([true]);
  });

  it('runs reconnect hooks (with urgent requests) before sending the queue', async () => {
    await client.connect('tok');
    const order: string[] = [];
    client.onReconnect(async ({ resumed }) => {
      order.push(`hook resumed=${resumed}`);
      await client.request('join', { roomId: 'r', displayName: 'Me', device: { flag: 'x', name: 'x' } }, { urgent: true });
      order.push('joined again');
    });
    server.on('authenticate', () => server.session(false));
    server.socket.drop();
    await until(() => client.state() === 'reconnecting');
    const queued = client.request('chatMessage', { text: 'after rejoin' }).then(() => order.push('chat sent'));
    await queued;
    expect(order).toEqual(['hook resumed=false', 'joined again', 'chat sent']);
    const methods = server.received.map((r) => r.method);
    expect(methods.indexOf('join')).toBeLessThan(methods.indexOf('chatMessage'));
  });

  it('re-sends a request in flight at a drop once the session is resumed, with the same key: carried out once', async () => {
    await client.connect('tok');
    let open = (): void => undefined;
    const gate = new Promise<void>((r) => (open = r));
    server.on('produce', async () => {
      await gate;
      return { producerId: 'p-1' };
    });
    const inFlight = client.request('produce', { transportId: 't', kind: 'audio', rtpParameters: { codecs: [] }, appData: { source: 'mic' } });
    await until(() => server.requests('produce').length === 1);
    server.socket.drop(1006, 'network');
    // The server finishes the original after the socket went; its answer is lost with it.
    open();
    await expect(inFlight).resolves.toEqual({ producerId: 'p-1' });
    const sent = server.received.filter((r) => r.method === 'produce');
    expect(sent).toHaveLength(2);
    expect(sent[0].key).toBeDefined();
    expect(sent[1].key).toBe(sent[0].key);
    expect(server.executed('produce')).toBe(1);
    expect(server.requests('authenticate').at(-1)).toMatchObject({ resumeSessionId: 'session-1' });
  });

  it('fails requests in flight at a drop when the session was not kept, and everything on close()', async () => {
    await client.connect('tok');
    server.on('leave', () => NO_ANSWER);
    const inFlight = client.request('leave', {});
    await settle();
    server.on('authenticate', () => server.session(false));
    server.socket.drop();
    await expect(inFlight).rejects.toMatchObject({ name: 'ConnectionError', reason: 'session_lost', message: expect.stringContaining('did not keep the session') });
    server.accepting = false;
    server.socket.drop();
    await until(() => client.state() === 'reconnecting');
    const queued = client.request('chatMessage', { text: 'x' });
    client.close();
    await expect(queued).rejects.toMatchObject({ name: 'ConnectionError', reason: 'closed' });
    expect(client.state()).toBe('closed');
  });

  it('every request carries its own idempotency key', async () => {
    await client.connect('tok');
    await client.request('chatMessage', { text: 'a' });
    await client.request('chatMessage', { text: 'b' });
    const keys = server.received.filter((r) => r.method === 'chatMessage').map((r) => r.key);
    expect(new Set(keys).size).toBe(2);
    expect(server.received.find((r) => r.method === 'authenticate')?.key).toBeUndefined();
  });

  it("reconnects at once on the browser's online event instead of waiting out the backoff", async () => {
    TestBed.resetTestingModule();
    TestBed.configureTestingModule({
      providers: [
        { provide: WEB_SOCKET_FACTORY, useValue: server.factory },
        { provide: SIGNALING_URL, useValue: 'ws://test/ws' },
        // A long backoff: only the online event can bring it back within the test.
        { provide: SIGNALING_OPTIONS, useValue: { requestTimeoutMs: 200, reconnectBaseDelayMs: 60_000, reconnectMaxDelayMs: 60_000, maxReconnectAttempts: 5 } },
      ],
    });
    const slow = TestBed.inject(SignalingClient);
    try {
      await slow.connect('tok');
      server.socket.drop(1006, 'network');
      await until(() => slow.state() === 'reconnecting');
      const sockets = server.sockets.length;
      await settle(5);
      expect(server.sockets.length).toBe(sockets);
      globalThis.dispatchEvent(new Event('online'));
      await until(() => slow.state() === 'open');
      expect(server.sockets.length).toBe(sockets + 1);
    } finally {
      slow.close();
    }
  });

  it('keeps retrying when re-authentication fails transiently (server draining)', async () => {
    await client.connect('tok');
    let refusals = 2;
    server.on('authenticate', () => {
      if (refusals-- > 0) throw new SignalingError('invalid_state', 'server draining');
      return server.session(false);
    });
    server.socket.drop();
    await until(() => client.state() === 'open' && refusals < 0);
    expect(server.requests('authenticate')).toHaveLength(4);
  });

  it('does not reconnect when replaced by a newer connection of the same identity', async () => {
    await client.connect('tok');
    server.socket.drop(4409, 'replaced');
    await until(() => client.state() === 'closed');
    await settle(10);
    expect(server.sockets).toHaveLength(1);
    expect(client.closeError).toMatchObject({ name: 'ConnectionError', reason: 'replaced' });
  });

  it('fails connect() when the token is refused and does not reconnect', async () => {
    server.on('authenticate', () => {
      throw new SignalingError('unauthenticated', 'token expired');
    });
    await expect(client.connect('bad')).rejects.toMatchObject({ code: 'unauthenticated' });
    expect(client.state()).toBe('closed');
    await settle(10);
    expect(server.sockets).toHaveLength(1);
  });
});
