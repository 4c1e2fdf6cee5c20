import { Inject, Logger, type BeforeApplicationShutdown, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { WebSocketGateway, type OnGatewayConnection } from '@nestjs/websockets';
import type { WebSocket } from 'ws';
import { CLOSE_CODES, SIGNALING_PATH } from '@confer/signaling-contracts';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { PeersService } from '../peers/peers.service';
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
    private readonly peers: PeersService,
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
    const conn = new SignalingConnection(socket, this.config.requestTimeoutMs);
    this.connections.set(socket, conn);
    conn.authTimer = setTimeout(() => {
      this.logger.warn(`closing unauthenticated connection | conn=${conn.id}`);
      conn.close(CLOSE_CODES.authTimeout, `not authenticated within ${this.config.auth.timeoutMs} ms`);
    }, this.config.auth.timeoutMs);
    socket.on('message', (data: Buffer, isBinary: boolean) => {
      this.dispatcher.onMessage(conn, data, isBinary).catch((e: Error) => this.logger.error(`dispatch crashed | conn=${conn.id} error=${e.stack}`));
    });
    socket.on('error', (e) => this.logger.warn(`socket error | conn=${conn.id} error=${e.message}`));
    socket.once('close', (code: number) => {
      this.connections.delete(socket);
      conn.failPending();
      if (conn.peer) this.peers.connectionLost(conn.peer, conn, code);
      this.logger.debug(`disconnected | conn=${conn.id} peer=${conn.peer?.id ?? '-'} code=${code}`);
    });
    this.logger.debug(`connected | conn=${conn.id}`);
  }

  /** Tells every client before the sockets go, so they reconnect later instead of failing. */
  beforeApplicationShutdown(signal?: string): void {
    for (const conn of this.connections.values()) conn.notify('serverShutdown', { reason: `server shutting down${signal ? ` (${signal})` : ''}`, drainMs: 0 });
  }

  /** Open connections (health output, tests). */
  get connectionCount(): number {
    return this.connections.size;
  }
}
