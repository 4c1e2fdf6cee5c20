import { Inject, Logger, type BeforeApplicationShutdown, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { WebSocketGateway, type OnGatewayConnection } from '@nestjs/websockets';
import type { WebSocket } from 'ws';
import { CLOSE_CODES, SIGNALING_PATH } from '@confer/signaling-contracts';
import { RoomHandoverService } from '../cluster/room-handover.service';
import { RoomHomeService } from '../cluster/room-home.service';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { ShutdownState } from '../lifecycle/shutdown-state';
import { MetricsService } from '../metrics/metrics.service';
import { SessionsService } from '../sessions/sessions.service';
import { SignalingConnection } from './signaling-connection';
import { SignalingDispatcher } from './signaling-dispatcher';


/** Sockets are pinged this often; one that has not answered the previous ping is dropped. */
const HEARTBEAT_MS = 15_000;

/**
 * The signaling WebSocket. The contract's envelope is not Nest's `{event, data}`,
 * so messages are read here and handed to the dispatcher rather than routed
 * with `@SubscribeMessage`.
 */
@WebSocketGateway({ path: SIGNALING_PATH })
export class SignalingGateway implements OnGatewayConnection<WebSocket>, BeforeApplicationShutdown, OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(SignalingGateway.name);
  private readonly connections = new Map<WebSocket, SignalingConnection>();
  private readonly alive = new WeakSet<WebSocket>();
  private heartbeat: NodeJS.Timeout | null = null;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly dispatcher: SignalingDispatcher,
    private readonly sessions: SessionsService,
    private readonly shutdown: ShutdownState,
    private readonly metrics: MetricsService,
    private readonly handover: RoomHandoverService,
    private readonly home: RoomHomeService,
  ) {}

  /**
   * A socket whose network vanished stays OPEN until TCP gives up; pinging finds
   * it, so its peer moves to the resume grace period (or is cleaned up) promptly.
   */
  onModuleInit(): void {
    this.heartbeat = setInterval(() => {
      for (const socket of this.connections.keys()) {
        if (!this.alive.has(socket)) {
          socket.terminate();
          continue;
        }
        this.alive.delete(socket);
        socket.ping();
      }
    }, HEARTBEAT_MS);
    this.heartbeat.unref();
  }

  onModuleDestroy(): void {
    if (this.heartbeat) clearInterval(this.heartbeat);
  }

  handleConnection(socket: WebSocket): void {
    this.alive.add(socket);
    socket.on('pong', () => this.alive.add(socket));
    const conn = new SignalingConnection(socket, this.config.requestTimeoutMs, (bytes) => this.metrics.signalingBytes('out', bytes));
    this.connections.set(socket, conn);
    conn.authTimer = setTimeout(() => {
      this.logger.warn(`closing unauthenticated connection | conn=${conn.id}`);
      conn.close(CLOSE_CODES.authTimeout, `not authenticated within ${this.config.auth.timeoutMs} ms`);
    }, this.config.auth.timeoutMs);
    socket.on('message', (data: Buffer, isBinary: boolean) => {
      this.metrics.signalingBytes('in', Buffer.isBuffer(data) ? data.length : 0);
      this.dispatcher.onMessage(conn, data, isBinary).catch((e: Error) => this.logger.error(`dispatch crashed | conn=${conn.id} error=${e.stack}`));
    });
    socket.on('error', (e) => this.logger.warn(`socket error | conn=${conn.id} error=${e.message}`));
    socket.once('close', (code: number) => {
      this.connections.delete(socket);
      // Whatever one peer's clean-up throws stays with it: never another peer, never the process.
      try {
        conn.failPending();
        if (conn.peer) this.sessions.connectionLost(conn.peer, conn, code);
      } catch (error) {
        this.logger.error({ conn: conn.id, peer: conn.peer?.id }, `clean-up after close failed | conn=${conn.id} error=${(error as Error).stack}`);
      }
      this.logger.debug({ conn: conn.id, peer: conn.peer?.id, code }, `disconnected | conn=${conn.id} peer=${conn.peer?.id ?? '-'} code=${code}`);
    });
    this.logger.debug({ conn: conn.id }, `connected | conn=${conn.id}`);
  }

  /**
   * Graceful drain (SIGTERM): refuse new sessions and joins (readiness goes
   * false), tell every client how long it has (`serverShutdown` with
   * SHUTDOWN_DRAIN_MS), wait until no peer is in a room or the time is up, then
   * close the remaining sockets with 1001. The caller closes the app (workers).
   * On a cluster node the rooms are first handed to live nodes and each peer's
   * `serverShutdown` carries `moveTo`, so clients move before the close.
   */
  async drain(signal: string): Promise<{ waitedMs: number; peersLeft: number }> {
    const started = Date.now();
    if (!this.shutdown.startDraining()) return { waitedMs: 0, peersLeft: this.peersInRooms() };
    const drainMs = this.config.shutdownDrainMs;
    const reason = `server shutting down (${signal})`;
    this.logger.warn(`drain() | start | signal=${signal} drainMs=${drainMs} connections=${this.connections.size} peersInRooms=${this.peersInRooms()}`);
    const movedRooms = await this.handover.handOverAll();
    for (const conn of this.connections.values()) {
      const peer = conn.peer;
      const to = peer?.roomId ? movedRooms.get(peer.roomId) : undefined;
      const moveTo = peer?.roomId && to ? await this.home.redirectTo(peer, to, peer.roomId).catch(() => undefined) : undefined;
      conn.notify('serverShutdown', { reason, drainMs, ...(moveTo ? { moveTo } : {}) });
    }
    while (Date.now() - started < drainMs && this.peersInRooms() > 0) await new Promise((r) => setTimeout(r, 100));
    const peersLeft = this.peersInRooms();
    for (const conn of this.connections.values()) conn.close(1001, reason);
    this.logger.warn(`drain() | done | waitedMs=${Date.now() - started} peersStillInRooms=${peersLeft}`);
    return { waitedMs: Date.now() - started, peersLeft };
  }

  /** Without a drain (SIGINT, tests): tell every client before the sockets go, so they reconnect later instead of failing. */
  beforeApplicationShutdown(signal?: string): void {
    if (!this.shutdown.startDraining()) return;
    for (const conn of this.connections.values()) conn.notify('serverShutdown', { reason: `server shutting down${signal ? ` (${signal})` : ''}`, drainMs: 0 });
  }

  private peersInRooms(): number {
    return this.sessions.all().filter((p) => !p.closed && p.roomId !== null).length;
  }

  /** Open connections (health output, tests). */
  get connectionCount(): number {
    return this.connections.size;
  }
}
