import { DestroyRef, Injectable, inject } from '@angular/core';
import {
  CLOSE_CODES,
  PROTOCOL_VERSION,
  SignalingError,
  type AuthenticateResult,
  type ClientRequestMethod,
  type ClientRequestParams,
  type ClientRequestResult,
  type ServerNotificationMethod,
  type ServerNotifications,
  type ServerRequestMethod,
  type SignalingMessage,
} from '@confer/signaling-contracts';
import { Observable, Subject, defer, filter, map } from 'rxjs';
import { ConnectionError, InvalidStateError, RequestTimeoutError } from '../errors';
import { SIGNALING_OPTIONS, SIGNALING_URL, WEB_SOCKET_FACTORY, type WebSocketLike } from '../tokens';
import { Logger } from '../util/logger';
import { State } from '../util/state';
import { ReconnectBackoff } from './reconnect-backoff';
import { RequestBacklog, type Queued } from './request-backlog';
import type {
  ConnectOptions,
  ReconnectHook,
  ReconnectedEvent,
  RequestOptions,
  ServerNotification,
  ServerRequestHandler,
  SignalingState,
} from './signaling-client.types';


/**
 * The typed signaling channel: requests with timeouts, notifications, answers to
 * server requests, and reconnection with exponential backoff (at once when the
 * browser reports it is back `online`). Requests made while (re)connecting are
 * queued and sent, in order, once the socket re-authenticated (with
 * `resumeSessionId`, so the server can keep the peer's media alive). Every
 * request carries an idempotency key; one in flight when the socket drops is
 * sent again with the same key once the session is resumed, so the server
 * carries it out exactly once (a `produce` never makes two producers). When the
 * server did not keep the session, those requests fail with `ConnectionError('session_lost')`.
 *
 * In a cluster the client keeps two addresses: the **entry** URL the app gave
 * (`SIGNALING_URL`, a load balancer) and the **current** node's, which
 * {@link moveTo} changes (a `redirect` answer, `serverShutdown.moveTo`). A drop
 * resumes on the current node first; when that node cannot be reached (the socket
 * does not open, or not within `connectTimeoutMs`) or refuses the resume, the client
 * falls back to the entry URL with the app's token (asking the token provider again
 * when there is one) as a new session, and the reconnect hooks rebuild there.
 *
 * Errors: the server's answers reject with `SignalingError` (wire code); local
 * failures with `RequestTimeoutError`, `ConnectionError` (with a reason) or
 * `InvalidStateError` (a request after `close()`).
 */
@Injectable({ providedIn: 'root' })
export class SignalingClient {
  private readonly socketFactory = inject(WEB_SOCKET_FACTORY);
  /** Where the app enters (in a cluster: the load balancer); fallbacks go back here. */
  private readonly entryUrl = inject(SIGNALING_URL);
  private readonly options = inject(SIGNALING_OPTIONS);
  private readonly logger = new Logger('SignalingClient');

  private readonly stateCell = new State<SignalingState>('idle');
  private readonly sessionCell = new State<AuthenticateResult | null>(null);
  private readonly notificationsSubject = new Subject<ServerNotification>();
  private readonly binarySubject = new Subject<Uint8Array>();
  private readonly reconnectedSubject = new Subject<ReconnectedEvent>();
  private readonly handlers = new Map<ServerRequestMethod, ServerRequestHandler<ServerRequestMethod>>();
  private readonly backlog = new RequestBacklog(this.options.requestTimeoutMs);
  private readonly reconnectHooks = new Set<ReconnectHook>();
  /** The current socket passed `authenticate` (it may still be running reconnect hooks). */
  private authenticated = false;
  private closeErrorValue: Error | null = null;
  /** Keys are `<this prefix>-<counter>`: unique per client instance, hence per session. */
  private readonly keyPrefix = randomKeyPrefix();
  private nextKey = 1;

  private socket: WebSocketLike | null = null;
  /** The node this client talks to: the entry URL, or where a redirect sent it. */
  private url = this.entryUrl;
  /** The token for `url` (the app's, or a redirect's short-lived one). */
  private token: string | null = null;
  /** The app's token, for the entry URL. */
  private entryToken: string | null = null;
  private tokenProvider: (() => Promise<string>) | null = null;
  /** The next `authenticate` starts a new session (another node): no `resumeSessionId`. */
  private fresh = false;
  /** Ask the token provider before the next `authenticate` (falling back to the entry URL). */
  private refreshToken = false;
  /** A {@link moveTo} waiting for the new node's `authenticate`. */
  private move: { resolve: (r: AuthenticateResult) => void; reject: (e: Error) => void } | null = null;
  private connectTimer: ReturnType<typeof setTimeout> | null = null;
  private nextId = 1;
  private readonly backoff = new ReconnectBackoff(this.options, this.logger);
  private firstConnect: { resolve: (r: AuthenticateResult) => void; reject: (e: Error) => void } | null = null;

  /** Connection state as a signal. */
  readonly state = this.stateCell.signal;
  /** Connection state: current value, then every change. */
  readonly state$ = this.stateCell.changes$;
  /** Result of the latest successful `authenticate` (peer id, limits, grants…); null before. */
  readonly session = this.sessionCell.signal;
  /** Every server notification, narrowed by `method`. */
  readonly notifications$: Observable<ServerNotification> = this.notificationsSubject.asObservable();
  /** Binary frames from the server (file frames: libs/signaling-contracts file-frames.ts), each its own bytes. */
  readonly binary$: Observable<Uint8Array> = this.binarySubject.asObservable();
  /** The socket came back; `resumed` false means the server forgot this peer (join again). */
  readonly reconnected$: Observable<ReconnectedEvent> = this.reconnectedSubject.asObservable();

  /** The signaling URL of the node this client talks to now (the entry URL unless redirected). */
  get serverUrl(): string {
    return this.url;
  }

  /** Why the client is `closed` (refused, replaced, gave up, closed on purpose); null otherwise. */
  get closeError(): Error | null {
    return this.stateCell.value === 'closed' ? this.closeErrorValue : null;
  }

  constructor() {
    // The network is back: try now rather than at the end of the current backoff.
    const onOnline = (): void => this.reconnectNow('the browser is online again');
    globalThis.addEventListener?.('online', onOnline);
    // A client provided in a component (one per session) closes its socket with it.
    inject(DestroyRef).onDestroy(() => {
      globalThis.removeEventListener?.('online', onOnline);
      this.close();
    });
  }

  /**
   * Opens the socket and authenticates. Resolves with the server's session; rejects
   * with the server's `SignalingError` (e.g. `unauthenticated`), `ConnectionError('unreachable')`
   * when the socket could not open, `InvalidStateError` unless `idle` or `closed`.
   * Later drops reconnect on their own. `options.tokenProvider` is asked for a fresh
   * token when the client falls back to the entry URL (the app's token may have expired).
   */
  connect(token: string, options: ConnectOptions = {}): Promise<AuthenticateResult> {
    const state = this.stateCell.value;
    if (state !== 'idle' && state !== 'closed') return Promise.reject(new InvalidStateError(`connect() while ${state}`));
    if (!token) return Promise.reject(new TypeError('missing token'));
    this.token = this.entryToken = token;
    this.tokenProvider = options.tokenProvider ?? null;
    this.url = this.entryUrl;
    this.fresh = this.refreshToken = false;
    this.sessionCell.set(null);
    this.closeErrorValue = null;
    this.backoff.reset();
    this.stateCell.set('connecting');
    return new Promise<AuthenticateResult>((resolve, reject) => {
      this.firstConnect = { resolve, reject };
      this.openSocket();
    });
  }

  /**
   * Sends a request and resolves with its typed result. Rejects with the server's
   * `SignalingError`, `RequestTimeoutError` when unanswered in time, `ConnectionError`
   * when the connection ends first, `InvalidStateError` when `idle` or `closed`.
   * While connecting or reconnecting the request waits in a queue.
   */
  request<M extends ClientRequestMethod>(method: M, data: ClientRequestParams<M>, options: RequestOptions = {}): Promise<ClientRequestResult<M>> {
    return new Promise<ClientRequestResult<M>>((resolve, reject) => {
      const state = this.stateCell.value;
      const entry: Queued = { method, data, key: `${this.keyPrefix}-${this.nextKey++}`, resolve: resolve as (d: unknown) => void, reject };
      if (state === 'open' || (options.urgent && this.authenticated)) this.send(entry);
      else if (state === 'connecting' || state === 'reconnecting') this.backlog.enqueue(entry);
      else reject(new InvalidStateError(`request(${method}) while ${state}`));
    });
  }

  /** Cold observable form of {@link request}: sends on subscribe. */
  request$<M extends ClientRequestMethod>(method: M, data: ClientRequestParams<M>): Observable<ClientRequestResult<M>> {
    return defer(() => this.request(method, data));
  }

  /**
   * Sends a binary frame (a file frame) on the open socket. False when there is
   * no open, authenticated socket: frames are never queued across a drop.
   */
  sendBinary(frame: Uint8Array): boolean {
    const socket = this.socket;
    if (!socket || this.stateCell.value !== 'open' || socket.readyState !== 1) return false;
    socket.send(frame);
    return true;
  }

  /** Notifications of one method, as their data. */
  on<M extends ServerNotificationMethod>(method: M): Observable<ServerNotifications[M]> {
    return this.notifications$.pipe(
      filter((n): n is Extract<ServerNotification, { method: M }> => n.method === method),
      map((n) => n.data as ServerNotifications[M]),
    );
  }

  /**
   * Answers server requests of `method` (one handler per method). Returns the
   * function that removes it; unhandled server requests are answered `invalid_state`.
   */
  handle<M extends ServerRequestMethod>(method: M, handler: ServerRequestHandler<M>): () => void {
    if (this.handlers.has(method)) throw new InvalidStateError(`a handler for ${method} is already registered`);
    this.handlers.set(method, handler as unknown as ServerRequestHandler<ServerRequestMethod>);
    return () => {
      if (this.handlers.get(method) === (handler as unknown)) this.handlers.delete(method);
    };
  }

  /**
   * Registers a hook that runs after a reconnection re-authenticated and before the
   * queue is flushed, e.g. to join the room again when the session was not resumed.
   * Requests the hook makes must pass `{ urgent: true }`. Returns the remover.
   */
  onReconnect(hook: ReconnectHook): () => void {
    this.reconnectHooks.add(hook);
    return () => {
      this.reconnectHooks.delete(hook);
    };
  }

  /**
   * Moves this session to another node (cluster: the room's owner, from a `redirect`
   * answer or `serverShutdown.moveTo`): closes the current socket on purpose (1000),
   * connects to `url` and authenticates with `token` (that node's short-lived token)
   * as a new session; state is `reconnecting` meanwhile and requests made meanwhile are
   * queued. Requests in flight on the old socket fail with `ConnectionError('session_lost')`;
   * reconnect hooks do not run (the caller rebuilds). Resolves with the new node's session.
   * Rejects with `ConnectionError('unreachable')` when that node cannot be reached or
   * refuses the token; the client then falls back to the entry URL as after a drop.
   * `InvalidStateError` when `idle` or `closed`.
   */
  moveTo(url: string, token: string): Promise<AuthenticateResult> {
    const state = this.stateCell.value;
    if (state === 'idle' || state === 'closed') return Promise.reject(new InvalidStateError(`moveTo() while ${state}`));
    this.logger.debug(`moveTo() | url=${url}`);
    this.backoff.cancel();
    this.dropSocket();
    this.backlog.interrupt(new ConnectionError('lost', 'moved to another server before the answer arrived'));
    this.move?.reject(new ConnectionError('unreachable', 'superseded by another move'));
    this.url = url;
    this.token = token;
    this.fresh = true;
    if (state === 'open') this.stateCell.set('reconnecting');
    return new Promise<AuthenticateResult>((resolve, reject) => {
      this.move = { resolve, reject };
      this.openSocket();
    });
  }

  /** Closes for good: no reconnection; pending and queued requests fail with `ConnectionError('closed')`. */
  close(): void {
    if (this.stateCell.value === 'idle' || this.stateCell.value === 'closed') return;
    this.logger.debug('close()');
    this.shutdown(new ConnectionError('closed', 'signaling closed'));
  }

  // ---- internals --------------------------------------------------------------

  private openSocket(): void {
    const socket = this.socketFactory(this.url);
    socket.binaryType = 'arraybuffer';
    this.socket = socket;
    let opened = false;
    this.clearConnectTimer();
    // A node that died without a reset (host down) never answers: give up on it in time.
    this.connectTimer = setTimeout(() => {
      this.connectTimer = null;
      if (socket !== this.socket || opened) return;
      socket.onopen = socket.onmessage = socket.onerror = socket.onclose = null;
      try {
        socket.close();
      } catch {
        // not open yet
      }
      this.onClose(1006, 'connect timeout', false);
    }, this.options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS);
    socket.onopen = () => {
      opened = true;
      this.clearConnectTimer();
      if (socket === this.socket) void this.authenticate(socket);
    };
    socket.onmessage = (event) => {
      if (socket === this.socket) this.onMessage(event.data);
    };
    socket.onerror = () => {
      // A close event always follows; that is where we act.
    };
    socket.onclose = (event) => {
      if (socket === this.socket) this.onClose(event.code, event.reason, opened);
    };
  }

  private clearConnectTimer(): void {
    if (this.connectTimer) clearTimeout(this.connectTimer);
    this.connectTimer = null;
  }

  /**
   * The current node is gone or refused us: go back to the entry URL (the load
   * balancer picks a live node) with the app's token, as a new session.
   */
  private fallBackToEntry(why: string): void {
    this.logger.warn(`falling back to the entry URL | ${why}`);
    this.url = this.entryUrl;
    this.token = this.entryToken;
    this.fresh = true;
    this.refreshToken = this.tokenProvider !== null;
  }

  private async authenticate(socket: WebSocketLike): Promise<void> {
    const previous = this.fresh ? null : this.sessionCell.value;
    const reconnecting = this.stateCell.value === 'reconnecting';
    const move = this.move;
    try {
      if (this.refreshToken && this.tokenProvider) {
        this.refreshToken = false;
        const fresh = await this.tokenProvider().catch((error: unknown) => {
          this.logger.warn(`token provider failed, using the app's token | ${(error as Error)?.message}`);
          return null;
        });
        if (socket !== this.socket) return;
        if (fresh) this.token = this.entryToken = fresh;
      }
      const session = await new Promise<AuthenticateResult>((resolve, reject) =>
        this.send({
          method: 'authenticate',
          data: {
            token: this.token,
            protocolVersion: PROTOCOL_VERSION,
            ...(previous ? { resumeSessionId: previous.sessionId } : {}),
          },
          resolve: resolve as (d: unknown) => void,
          reject,
        }),
      );
      if (socket !== this.socket) return;
      this.backoff.reset();
      this.fresh = false;
      this.authenticated = true;
      this.sessionCell.set(session);
      // Cluster: came in through the entry (a load balancer)? A drop resumes on this node, where the session lives.
      if (session.nodeUrl && this.url === this.entryUrl && /^wss?:\/\//.test(session.nodeUrl)) this.url = session.nodeUrl;
      this.logger.debug(`authenticated | peer=${session.peerId} resumed=${session.resumed}`);
      const event: ReconnectedEvent = { resumed: session.resumed, session };
      // Requests interrupted by the drop go again at once (same keys: the server runs each
      // once), before the hooks, which may be waiting for them. Without the session they
      // referred to objects the server no longer has: they fail, before the hooks rebuild.
      const interrupted = this.backlog.takeInterrupted();
      if (session.resumed) for (const entry of interrupted) this.send(entry);
      else for (const entry of interrupted) entry.reject(new ConnectionError('session_lost', `${entry.method}: the connection was lost and the server did not keep the session`));
      // A move's caller rebuilds by itself (and may be a hook waiting for this very move).
      if (reconnecting && !move) {
        for (const hook of [...this.reconnectHooks]) {
          await hook(event).catch((error: unknown) => this.logger.warn('reconnect hook failed', error));
          if (socket !== this.socket) return;
        }
      }
      this.stateCell.set('open');
      // Queued requests go out after authenticate (and the hooks), in the order they were made.
      for (const entry of this.backlog.takeQueued()) this.send(entry);
      if (this.firstConnect) {
        this.firstConnect.resolve(session);
        this.firstConnect = null;
      } else if (move) {
        if (this.move === move) this.move = null;
        move.resolve(session);
      } else if (reconnecting) {
        this.reconnectedSubject.next(event);
      }
    } catch (error) {
      if (socket !== this.socket) return;
      if (move && this.move === move) {
        this.move = null;
        move.reject(new ConnectionError('unreachable', `the node at ${this.url} refused this session: ${(error as Error).message}`));
      }
      if ((reconnecting || move) && this.url !== this.entryUrl) {
        // The node refused the resume (or a redirect's token expired): the entry URL takes us in.
        this.fallBackToEntry(`authenticate refused by ${this.url}: ${(error as Error).message}`);
        this.dropSocket();
        this.stateCell.set('reconnecting');
        this.scheduleReconnect(move ? 'backoff' : 'now');
        return;
      }
      if (reconnecting && isTransient(error)) {
        // E.g. the server is draining before a restart: try again later.
        this.logger.warn(`authenticate failed, retrying | ${(error as Error).message}`);
        this.dropSocket();
        this.scheduleReconnect();
        return;
      }
      // Refused (bad token, wrong version): retrying would not help.
      this.logger.warn(`authenticate refused | ${(error as Error).message}`);
      this.shutdown(error as Error);
    }
  }

  private send(entry: Queued): void {
    const socket = this.socket;
    if (!socket) {
      entry.reject(new ConnectionError('lost', `${entry.method}: no socket`));
      return;
    }
    const id = this.nextId++;
    this.backlog.sent(id, entry);
    try {
      socket.send(JSON.stringify({ type: 'request', id, method: entry.method, data: entry.data, ...(entry.key ? { key: entry.key } : {}) }));
    } catch (error) {
      this.backlog.unsent(id);
      entry.reject(error as Error);
    }
  }

  private onMessage(raw: unknown): void {
    if (raw instanceof ArrayBuffer || ArrayBuffer.isView(raw)) {
      const view = raw instanceof ArrayBuffer ? new Uint8Array(raw) : new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength);
      this.binarySubject.next(view);
      return;
    }
    let message: SignalingMessage;
    try {
      message = JSON.parse(String(raw)) as SignalingMessage;
    } catch {
      this.logger.warn('invalid JSON from server, ignored');
      return;
    }
    switch (message.type) {
      case 'response': {
        if (typeof message.id !== 'number') {
          this.logger.warn(`server could not read a request: ${message.ok ? '' : message.error.reason}`);
          return;
        }
        this.backlog.answer(message.id, message.ok ? { ok: true, data: message.data } : { ok: false, error: SignalingError.fromWire(message.error) });
        return;
      }
      case 'notification':
        this.notificationsSubject.next(message as ServerNotification);
        return;
      case 'request':
        void this.answer(message.id, message.method as ServerRequestMethod, message.data);
        return;
    }
  }

  private async answer(id: number, method: ServerRequestMethod, data: unknown): Promise<void> {
    const socket = this.socket;
    const handler = this.handlers.get(method);
    let reply: object;
    if (!handler) {
      reply = { type: 'response', id, ok: false, error: { code: 'invalid_state', reason: `no handler for ${method}` } };
    } else {
      try {
        const result = await handler(data as never);
        reply = { type: 'response', id, ok: true, data: result ?? {} };
      } catch (error) {
        const wire =
          error instanceof SignalingError ? error.toWire() : { code: 'internal', reason: (error as Error)?.message ?? String(error) };
        this.logger.warn(`${method} answered with error | ${wire.reason}`);
        reply = { type: 'response', id, ok: false, error: wire };
      }
    }
    // An answer meant for a socket that has since dropped is meaningless to the new one.
    if (socket && socket === this.socket && socket.readyState === 1) socket.send(JSON.stringify(reply));
  }

  private onClose(code: number, reason: string, opened: boolean): void {
    this.socket = null;
    this.authenticated = false;
    this.clearConnectTimer();
    // Keep the requests in flight (not authenticate: that one is redone anyway) for a re-send after a resume.
    this.backlog.interrupt(new ConnectionError('lost', `connection lost before the answer arrived (code ${code})`));
    const state = this.stateCell.value;
    if (state === 'closed' || state === 'idle') return;
    if (this.firstConnect) {
      this.shutdown(new ConnectionError('unreachable', `could not connect to the signaling server (code ${code}${reason ? `: ${reason}` : ''})`));
      return;
    }
    if (code === CLOSE_CODES.replaced) {
      // Reconnecting would take the session back from the newer connection, and so on forever.
      this.logger.warn('replaced by a newer connection of the same identity; not reconnecting');
      this.shutdown(new ConnectionError('replaced', 'You joined this meeting from another tab or window, so this one was disconnected.'));
      return;
    }
    const move = this.move;
    this.move = null;
    move?.reject(new ConnectionError('unreachable', `could not reach ${this.url} (code ${code}${reason ? `: ${reason}` : ''})`));
    this.stateCell.set('reconnecting');
    if ((move || !opened) && this.url !== this.entryUrl) {
      // The node is gone (refused, or it never answered): the entry URL knows where to go.
      // After a failed move through the backoff (the entry may still point at that node).
      this.fallBackToEntry(`${this.url} cannot be reached (code ${code}${reason ? `: ${reason}` : ''})`);
      this.scheduleReconnect(move ? 'backoff' : 'now');
      return;
    }
    this.logger.warn(`socket closed | code=${code} reason=${reason || '-'}; reconnecting`);
    this.scheduleReconnect();
  }

  private scheduleReconnect(when: 'backoff' | 'now' = 'backoff'): void {
    if (when === 'now') {
      this.backoff.cancel();
      this.openSocket();
      return;
    }
    if (this.backoff.schedule(() => this.openSocket())) return;
    this.shutdown(new ConnectionError('gave_up', `gave up reconnecting after ${this.options.maxReconnectAttempts} attempts`));
  }

  private reconnectNow(why: string): void {
    if (this.stateCell.value !== 'reconnecting' || !this.backoff.waiting) return;
    this.logger.debug(`reconnecting now: ${why}`);
    this.backoff.now(() => this.openSocket());
  }

  /** Detaches and closes the current socket without triggering reconnection logic. */
  private dropSocket(): void {
    const socket = this.socket;
    this.socket = null;
    this.authenticated = false;
    this.clearConnectTimer();
    if (!socket) return;
    socket.onopen = socket.onmessage = socket.onerror = socket.onclose = null;
    try {
      socket.close(1000, 'client closed');
    } catch {
      // already closed
    }
  }

  private shutdown(error: Error): void {
    this.backoff.cancel();
    this.clearConnectTimer();
    this.dropSocket();
    this.move?.reject(error);
    this.move = null;
    this.backlog.rejectAll(error);
    this.closeErrorValue = error;
    this.firstConnect?.reject(error);
    this.firstConnect = null;
    this.stateCell.set('closed');
  }
}

/** How long a socket may take to open when `SignalingOptions.connectTimeoutMs` is not set. */
const DEFAULT_CONNECT_TIMEOUT_MS = 3000;

function randomKeyPrefix(): string {
  const c = globalThis.crypto as Crypto | undefined;
  return c?.randomUUID ? c.randomUUID().slice(0, 18) : Math.random().toString(36).slice(2, 14);
}

/** Errors after which re-authenticating later may succeed (not a bad token or version). */
function isTransient(error: unknown): boolean {
  if (error instanceof RequestTimeoutError) return true;
  if (!(error instanceof SignalingError)) return false;
  return error.code !== 'unauthenticated' && error.code !== 'unsupported_version' && error.code !== 'forbidden';
}
