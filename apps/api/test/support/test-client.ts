import WebSocket from 'ws';
import {
  PROTOCOL_VERSION,
  SignalingError,
  type AuthenticateResult,
  type ClientRequestMethod,
  type ClientRequestParams,
  type ClientRequestResult,
  type NotificationMessage,
  type RequestMessage,
  type ResponseMessage,
  type ServerNotifications,
  type ServerRequestMethod,
  type ServerRequests,
} from '@confer/signaling-contracts';

type ServerRequestHandler = (data: unknown, request: RequestMessage) => Promise<unknown> | unknown;

/**
 * A signaling client for protocol tests: a real `ws` socket, requests with a
 * timeout, server requests answered by configurable handlers (success by
 * default), and every notification and server request recorded.
 */
export class TestClient {
  readonly notifications: NotificationMessage[] = [];
  readonly serverRequests: RequestMessage[] = [];
  /** Error responses with `id: null` (unreadable messages). */
  readonly orphanErrors: ResponseMessage[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  auth?: AuthenticateResult;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve(v: unknown): void; reject(e: unknown): void }>();
  private readonly handlers = new Map<string, ServerRequestHandler>();
  private readonly waiters = new Set<() => void>();

  private constructor(readonly socket: WebSocket) {
    this.closed = new Promise((resolve) =>
      socket.once('close', (code, reason) => {
        // Requests still waiting will never be answered on this socket.
        for (const p of this.pending.values()) p.reject(new Error(`socket closed (${code}) before the answer`));
        this.pending.clear();
        resolve({ code, reason: reason.toString() });
      }),
    );
    socket.on('message', (raw: Buffer, isBinary: boolean) => (isBinary ? this.binaryHandler(raw) : this.onMessage(JSON.parse(raw.toString()))));
  }

  /** Binary frames (file frames) from the server; dropped unless a test sets a handler. */
  private binaryHandler: (frame: Buffer) => void = () => undefined;

  /** Handles every binary frame the server sends. */
  onBinary(handler: (frame: Buffer) => void): void {
    this.binaryHandler = handler;
  }

  /** Sends a binary frame. */
  sendBinary(frame: Uint8Array): void {
    this.socket.send(frame, { binary: true });
  }

  static async connect(url: string): Promise<TestClient> {
    const socket = new WebSocket(url);
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
    });
    return new TestClient(socket);
  }

  /** Connects and authenticates with `token`. */
  static async authenticated(url: string, token: string): Promise<TestClient> {
    const client = await TestClient.connect(url);
    client.auth = await client.request('authenticate', { token, protocolVersion: PROTOCOL_VERSION });
    return client;
  }

  get peerId(): string {
    if (!this.auth) throw new Error('not authenticated');
    return this.auth.peerId;
  }

  request<M extends ClientRequestMethod>(method: M, data: ClientRequestParams<M>, timeoutMs = 5000): Promise<ClientRequestResult<M>> {
    return this.requestRaw({ type: 'request', id: this.nextId++, method, data }, timeoutMs) as Promise<ClientRequestResult<M>>;
  }

  /** Sends any object as a request (for malformed-message tests); resolves with the response data. */
  requestRaw(message: Record<string, unknown> & { id: number }, timeoutMs = 5000): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(message.id);
        reject(new Error(`no response to ${String(message['method'])} #${message.id} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(message.id, {
        resolve: (v) => (clearTimeout(timer), resolve(v)),
        reject: (e) => (clearTimeout(timer), reject(e)),
      });
      this.socket.send(JSON.stringify(message));
    });
  }

  /** The error a request fails with (fails the test if it succeeds). */
  async requestError<M extends ClientRequestMethod>(method: M, data: unknown): Promise<SignalingError> {
    try {
      await this.request(method, data as ClientRequestParams<M>);
    } catch (error) {
      if (error instanceof SignalingError) return error;
      throw error;
    }
    throw new Error(`${method} unexpectedly succeeded`);
  }

  sendText(text: string): void {
    this.socket.send(text);
  }

  nextRequestId(): number {
    return this.nextId++;
  }

  /** Answers the server's `method` requests with `handler` (throw a SignalingError to refuse). */
  onServerRequest<M extends ServerRequestMethod>(method: M, handler: (data: ServerRequests[M]['params']) => Promise<unknown> | unknown): void {
    this.handlers.set(method, handler as ServerRequestHandler);
  }

  notificationsOf<M extends keyof ServerNotifications>(method: M): ServerNotifications[M][] {
    return this.notifications.filter((n) => n.method === method).map((n) => n.data as ServerNotifications[M]);
  }

  serverRequestsOf<M extends ServerRequestMethod>(method: M): ServerRequests[M]['params'][] {
    return this.serverRequests.filter((r) => r.method === method).map((r) => r.data as ServerRequests[M]['params']);
  }

  /** Resolves once `predicate` holds (checked on every incoming message). */
  async until(predicate: () => boolean, what = 'condition', timeoutMs = 5000): Promise<void> {
    if (predicate()) return;
    await new Promise<void>((resolve, reject) => {
      const check = (): void => {
        if (predicate()) {
          cleanup();
          resolve();
        }
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`timed out waiting for ${what}`));
      }, timeoutMs);
      // Server-side state changes without a message to this client, so poll too.
      const poll = setInterval(check, 20);
      const cleanup = (): void => {
        clearTimeout(timer);
        clearInterval(poll);
        this.waiters.delete(check);
      };
      this.waiters.add(check);
    });
  }

  /** Waits for the `count`-th notification `method` matching `match`, and returns it. */
  async waitForNotification<M extends keyof ServerNotifications>(
    method: M,
    match: (data: ServerNotifications[M]) => boolean = () => true,
    timeoutMs = 5000,
  ): Promise<ServerNotifications[M]> {
    await this.until(() => this.notificationsOf(method).some(match), `notification ${method}`, timeoutMs);
    return this.notificationsOf(method).find(match) as ServerNotifications[M];
  }

  close(): Promise<{ code: number; reason: string }> {
    this.socket.close();
    return this.closed;
  }

  private onMessage(message: RequestMessage | ResponseMessage | NotificationMessage): void {
    if (message.type === 'response') {
      const pending = typeof message.id === 'number' ? this.pending.get(message.id) : undefined;
      if (!pending) {
        this.orphanErrors.push(message);
      } else {
        this.pending.delete(message.id as number);
        if (message.ok) pending.resolve(message.data);
        else pending.reject(SignalingError.fromWire(message.error));
      }
    } else if (message.type === 'notification') {
      this.notifications.push(message);
    } else if (message.type === 'request') {
      this.serverRequests.push(message);
      void this.answer(message);
    }
    for (const waiter of [...this.waiters]) waiter();
  }

  private async answer(request: RequestMessage): Promise<void> {
    const handler = this.handlers.get(request.method);
    try {
      const data = handler ? await handler(request.data, request) : {};
      this.send({ type: 'response', id: request.id, ok: true, data: data ?? {} });
    } catch (error) {
      const e = error instanceof SignalingError ? error : new SignalingError('internal', String(error));
      this.send({ type: 'response', id: request.id, ok: false, error: e.toWire() });
    }
    for (const waiter of [...this.waiters]) waiter();
  }

  private send(message: unknown): void {
    if (this.socket.readyState === WebSocket.OPEN) this.socket.send(JSON.stringify(message));
  }
}
