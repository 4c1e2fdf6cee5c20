import type { WebSocket } from 'ws';
import { PROTOCOL_VERSION, SignalingError, type ResponseMessage } from '@confer/signaling-contracts';
import { AuthService } from '../auth/auth.service';
import { RoomsService } from '../rooms/rooms.service';
import { SessionsService } from '../sessions/sessions.service';
import { createApiTesting, type ApiTesting } from '../testing/api-testing-module';
import { WorkerHealthService } from '../workers/worker-health.service';
import { SignalingConnection } from './signaling-connection';
import { SignalingDispatcher } from './signaling-dispatcher';

const REQUESTS_PER_SECOND = 10;

/** The socket end of a connection: records what the server sends. */
class StubSocket {
  readonly CONNECTING = 0;
  readonly OPEN = 1;
  readyState = 1;
  readonly sent: Record<string, unknown>[] = [];
  send(text: string): void {
    this.sent.push(JSON.parse(text));
  }
  close(): void {
    this.readyState = 3;
  }
}

describe('SignalingDispatcher', () => {
  let api: ApiTesting;
  let dispatcher: SignalingDispatcher;
  let sessions: SessionsService;
  let n = 0;
  const open: SignalingConnection[] = [];

  beforeAll(async () => {
    api = await createApiTesting({ env: { REQUESTS_PER_SECOND: String(REQUESTS_PER_SECOND), ROOM_DEFAULT_LOBBY: 'false' } });
    dispatcher = api.get(SignalingDispatcher);
    sessions = api.get(SessionsService);
  });

  afterAll(() => api?.close());

  afterEach(() => {
    jest.restoreAllMocks();
    for (const conn of open.splice(0)) {
      conn.failPending();
      if (conn.peer) sessions.connectionLost(conn.peer, conn, 1000);
    }
    expect(sessions.all()).toEqual([]);
    expect(api.get(RoomsService).all()).toEqual([]);
  });

  function connection(): { conn: SignalingConnection; socket: StubSocket } {
    const socket = new StubSocket();
    const conn = new SignalingConnection(socket as unknown as WebSocket, 1000);
    open.push(conn);
    return { conn, socket };
  }

  /** Delivers one text (or binary) frame and returns what the server sent in answer. */
  async function deliver(conn: SignalingConnection, message: unknown, isBinary = false): Promise<Record<string, unknown>[]> {
    const socket = conn.socket as unknown as StubSocket;
    const before = socket.sent.length;
    const text = typeof message === 'string' ? message : JSON.stringify(message);
    await dispatcher.onMessage(conn, Buffer.from(text), isBinary);
    return socket.sent.slice(before);
  }

  /** The one response to a request (fails when there is not exactly one). */
  async function answer(conn: SignalingConnection, message: unknown, isBinary = false): Promise<ResponseMessage> {
    const sent = await deliver(conn, message, isBinary);
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({ type: 'response' });
    return sent[0] as unknown as ResponseMessage;
  }

  const errorOf = (response: ResponseMessage) => (response.ok ? null : response.error);

  let nextId = 1;
  const request = (method: string, data?: unknown, extra: Record<string, unknown> = {}) => ({ type: 'request', id: nextId++, method, ...(data === undefined ? {} : { data }), ...extra });

  async function token(subject: string): Promise<string> {
    return api.get(AuthService).sign({ sub: subject, rooms: ['*'], grants: { canPublish: true, canSubscribe: true, canPublishData: true, roomAdmin: false } });
  }

  /** A connection that authenticated through the dispatcher. */
  async function authenticated(): Promise<SignalingConnection> {
    const { conn } = connection();
    const response = await answer(conn, request('authenticate', { token: await token(`user-${++n}`), protocolVersion: PROTOCOL_VERSION }));
    expect(response.ok).toBe(true);
    expect(conn.peer).not.toBeNull();
    return conn;
  }

  describe('messages it cannot read', () => {
    it('answers text that is not JSON with one invalid_request, id null', async () => {
      const { conn } = connection();
      const response = await answer(conn, '{"type":"request","id":1,');
      expect(response).toMatchObject({ id: null, ok: false, error: { code: 'invalid_request' } });
    });

    it('answers a binary frame (file frames only) with one error, id null, and does not act on it, even when it holds a valid request', async () => {
      const { conn } = connection();
      const response = await answer(conn, request('authenticate', { token: await token(`user-${++n}`), protocolVersion: PROTOCOL_VERSION }), true);
      expect(response).toMatchObject({ id: null, ok: false, error: { code: 'unauthenticated' } });
      expect(conn.peer).toBeNull();
      const peer = await authenticated();
      expect(await answer(peer, request('leave'), true)).toMatchObject({ id: null, ok: false, error: { code: 'invalid_request' } });
    });

    it.each([['an array', '[1,2]'], ['a number', '42'], ['null', 'null']])('answers JSON that is %s with invalid_request', async (_what, text) => {
      const { conn } = connection();
      expect(await answer(conn, text)).toMatchObject({ id: null, ok: false, error: { code: 'invalid_request' } });
    });

    it('answers a request without a usable id with invalid_request, echoing what can be echoed', async () => {
      const { conn } = connection();
      expect(await answer(conn, { type: 'request', method: 'leave' })).toMatchObject({ id: null, error: { code: 'invalid_request' } });
      expect(await answer(conn, { type: 'request', id: 'seven', method: 'leave' })).toMatchObject({ id: 'seven', error: { code: 'invalid_request' } });
      expect(await answer(conn, { type: 'request', id: -1, method: 'leave' })).toMatchObject({ id: -1, error: { code: 'invalid_request' } });
    });

    it('answers an unknown message type with invalid_request', async () => {
      const { conn } = connection();
      expect(await answer(conn, { type: 'notification', id: 3, method: 'hello' })).toMatchObject({ id: 3, error: { code: 'invalid_request' } });
    });

    it('answers a message over the size limit with limit_exceeded and the request id', async () => {
      const { conn } = connection();
      const huge = request('chatMessage', { text: 'x'.repeat(200_000) });
      expect(await answer(conn, huge)).toMatchObject({ id: huge.id, ok: false, error: { code: 'limit_exceeded' } });
    });

    it('refuses keys that could reach a prototype, with the request id', async () => {
      const { conn } = connection();
      const sneaky = `{"type":"request","id":77,"method":"authenticate","data":{"__proto__":{"admin":true}}}`;
      expect(await answer(conn, sneaky)).toMatchObject({ id: 77, error: { code: 'invalid_request' } });
    });
  });

  describe('requests', () => {
    it('answers an unknown method with unknown_method and the request id', async () => {
      const { conn } = connection();
      const r = request('teleport', {});
      expect(await answer(conn, r)).toMatchObject({ id: r.id, ok: false, error: { code: 'unknown_method' } });
    });

    it('answers invalid parameters with invalid_request naming each field', async () => {
      const { conn } = connection();
      const r = request('authenticate', { token: 42 });
      const response = await answer(conn, r);
      expect(response).toMatchObject({ id: r.id, ok: false, error: { code: 'invalid_request' } });
      expect(Object.keys((errorOf(response)?.details as { fields: object }).fields)).toEqual(expect.arrayContaining(['token', 'protocolVersion']));
      expect(conn.peer).toBeNull();
    });

    it('refuses parameters a method does not take', async () => {
      const conn = await authenticated();
      const r = request('leave', { roomId: 'x' });
      expect(await answer(conn, r)).toMatchObject({ id: r.id, error: { code: 'invalid_request' } });
    });

    it('refuses every method but authenticate before authentication, with unauthenticated', async () => {
      const { conn } = connection();
      for (const [method, data] of [['join', { roomId: 'r', displayName: 'x', device: { flag: 'x', name: 'y' } }], ['getRouterRtpCapabilities', { roomId: 'r' }], ['leave', undefined]] as const) {
        const r = request(method, data);
        expect(await answer(conn, r)).toMatchObject({ id: r.id, ok: false, error: { code: 'unauthenticated' } });
      }
      expect(api.get(RoomsService).all()).toEqual([]);
    });

    it('answers a second authenticate on the same connection with invalid_state', async () => {
      const conn = await authenticated();
      const peer = conn.peer;
      const r = request('authenticate', { token: await token(`user-${++n}`), protocolVersion: PROTOCOL_VERSION });
      expect(await answer(conn, r)).toMatchObject({ id: r.id, error: { code: 'invalid_state' } });
      expect(conn.peer).toBe(peer);
    });

    it('refuses an authenticate sent while the first is still being verified', async () => {
      const { conn, socket } = connection();
      const t = await token(`user-${++n}`);
      const first = request('authenticate', { token: t, protocolVersion: PROTOCOL_VERSION });
      const second = request('authenticate', { token: t, protocolVersion: PROTOCOL_VERSION });
      await Promise.all([dispatcher.onMessage(conn, Buffer.from(JSON.stringify(first)), false), dispatcher.onMessage(conn, Buffer.from(JSON.stringify(second)), false)]);
      expect(socket.sent).toHaveLength(2);
      expect(socket.sent.find((m) => m['id'] === first.id)).toMatchObject({ ok: true });
      expect(socket.sent.find((m) => m['id'] === second.id)).toMatchObject({ ok: false, error: { code: 'invalid_state' } });
    });

    it('does not keep the peer of a connection that closed while it authenticated', async () => {
      const { conn, socket } = connection();
      const subject = `user-${++n}`;
      const pending = dispatcher.onMessage(conn, Buffer.from(JSON.stringify(request('authenticate', { token: await token(subject), protocolVersion: PROTOCOL_VERSION }))), false);
      socket.readyState = 3;
      await pending;
      expect(conn.peer).toBeNull();
      expect(sessions.get(subject)).toBeUndefined();
    });
  });

  describe('idempotency keys', () => {
    it('answers a replayed key with the first outcome without running the request again', async () => {
      const conn = await authenticated();
      expect(await answer(conn, request('getRouterRtpCapabilities', { roomId: `room-${++n}` }))).toMatchObject({ ok: true });
      // leave succeeds once; run again it would be invalid_state (not in a room).
      const first = await answer(conn, request('leave', undefined, { key: 'leave-1' }));
      expect(first).toMatchObject({ ok: true, data: {} });
      const replay = request('leave', undefined, { key: 'leave-1' });
      expect(await answer(conn, replay)).toMatchObject({ id: replay.id, ok: true, data: {} });
      expect(await answer(conn, request('leave', undefined, { key: 'leave-2' }))).toMatchObject({ ok: false, error: { code: 'invalid_state' } });
    });

    it('replays a failure as a failure, and refuses a key reused for another method', async () => {
      const conn = await authenticated();
      const spy = jest.spyOn(sessions, 'leave');
      expect(await answer(conn, request('leave', undefined, { key: 'k' }))).toMatchObject({ ok: false, error: { code: 'invalid_state' } });
      expect(await answer(conn, request('leave', undefined, { key: 'k' }))).toMatchObject({ ok: false, error: { code: 'invalid_state' } });
      expect(spy).toHaveBeenCalledTimes(1);
      expect(await answer(conn, request('getRouterRtpCapabilities', { roomId: 'r' }, { key: 'k' }))).toMatchObject({ ok: false, error: { code: 'invalid_request' } });
    });

    it('refuses a key that is not a string of 1 to 64 characters', async () => {
      const conn = await authenticated();
      for (const key of ['', 'k'.repeat(65), 12]) {
        expect(await answer(conn, request('leave', undefined, { key }))).toMatchObject({ ok: false, error: { code: 'invalid_request' } });
      }
    });
  });

  it(`answers requests past ${REQUESTS_PER_SECOND} per second with limit_exceeded, each request exactly once`, async () => {
    const { conn, socket } = connection();
    const burst = Array.from({ length: REQUESTS_PER_SECOND + 3 }, () => request('leave'));
    await Promise.all(burst.map((r) => dispatcher.onMessage(conn, Buffer.from(JSON.stringify(r)), false)));
    expect(socket.sent.map((m) => m['id']).sort((a, b) => Number(a) - Number(b))).toEqual(burst.map((r) => r.id));
    const codes = socket.sent.map((m) => (m['error'] as { code: string }).code);
    expect(codes.filter((c) => c === 'unauthenticated')).toHaveLength(REQUESTS_PER_SECOND);
    expect(codes.filter((c) => c === 'limit_exceeded')).toHaveLength(3);
  });

  it('answers internal when a handler fails unexpectedly, probes the workers, and serves the next request', async () => {
    const conn = await authenticated();
    const probe = jest.spyOn(api.get(WorkerHealthService), 'probeWorkers').mockResolvedValue(undefined as never);
    jest.spyOn(sessions, 'getRouterRtpCapabilities').mockRejectedValueOnce(new TypeError('cannot read properties of undefined'));
    const failing = request('getRouterRtpCapabilities', { roomId: `room-${++n}` });
    const response = await answer(conn, failing);
    expect(response).toMatchObject({ id: failing.id, ok: false, error: { code: 'internal' } });
    // The wire says which request failed, never the internals.
    expect(errorOf(response)?.reason).not.toContain('cannot read');
    expect(probe).toHaveBeenCalledTimes(1);

    const next = request('getRouterRtpCapabilities', { roomId: `room-${n}` });
    const ok = await answer(conn, next);
    expect(ok).toMatchObject({ id: next.id, ok: true });
    expect((ok as { data: { rtpCapabilities: { codecs: unknown[] } } }).data.rtpCapabilities.codecs.length).toBeGreaterThan(0);
  });

  it('passes a SignalingError from a handler through with its own code, without probing', async () => {
    const conn = await authenticated();
    const probe = jest.spyOn(api.get(WorkerHealthService), 'probeWorkers');
    jest.spyOn(sessions, 'changeDisplayName').mockImplementationOnce(() => {
      throw new SignalingError('forbidden', 'not now');
    });
    const r = request('changeDisplayName', { displayName: 'Al' });
    expect(await answer(conn, r)).toMatchObject({ id: r.id, ok: false, error: { code: 'forbidden', reason: 'not now' } });
    expect(probe).not.toHaveBeenCalled();
  });

  describe('responses from the client', () => {
    const offer = { peerId: 'bob', producerId: 'p', id: 'c', kind: 'audio' as const, rtpParameters: { codecs: [] }, type: 'simple', appData: { source: 'mic' as const }, producerPaused: false };

    it('settle the server request they answer, and get no answer themselves', async () => {
      const { conn, socket } = connection();
      const accepted = conn.request('newConsumer', offer);
      const refused = conn.request('newConsumer', offer);
      const [a, b] = socket.sent.map((m) => m['id'] as number);
      expect(await deliver(conn, { type: 'response', id: a, ok: true, data: {} })).toEqual([]);
      expect(await deliver(conn, { type: 'response', id: b, ok: false, error: { code: 'invalid_request', reason: 'no' } })).toEqual([]);
      await expect(accepted).resolves.toEqual({});
      await expect(refused).rejects.toMatchObject({ code: 'invalid_request', reason: 'no' });
    });

    it('to no pending request are ignored', async () => {
      const { conn } = connection();
      expect(await deliver(conn, { type: 'response', id: 999, ok: true, data: {} })).toEqual([]);
    });
  });
});
