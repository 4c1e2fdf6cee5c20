import { Inject, Logger, type BeforeApplicationShutdown } from '@nestjs/common';
import { WebSocketGateway, type OnGatewayConnection, type OnGatewayDisconnect } from '@nestjs/websockets';
import type { WebSocket } from 'ws';
import { SIGNALING_PATH } from '@confer/signaling-contracts';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { PeersService } from '../peers/peers.service';
import { SignalingConnection } from './signaling-connection';
import { SignalingDispatcher } from './signaling-dispatcher';

/** WebSocket close code for a socket that did not authenticate in time. */
export const CLOSE_AUTH_TIMEOUT = 4401;

/**
 * The signaling WebSocket. The contract's envelope is not Nest's `{event, data}`,
 * so messages are read here and handed to the dispatcher rather than routed
 * with `@SubscribeMessage`.
 */
@WebSocketGateway({ path: SIGNALING_PATH })
export class SignalingGateway implements OnGatewayConnection<WebSocket>, OnGatewayDisconnect<WebSocket>, BeforeApplicationShutdown {
  private readonly logger = new Logger(SignalingGateway.name);
  private readonly connections = new Map<WebSocket, SignalingConnection>();

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly dispatcher: SignalingDispatcher,
    private readonly peers: PeersService,
  ) {}

  handleConnection(socket: WebSocket): void {
    const conn = new SignalingConnection(socket, this.config.requestTimeoutMs);
    this.connections.set(socket, conn);
    conn.authTimer = setTimeout(() => {
      this.logger.warn(`closing unauthenticated connection | conn=${conn.id}`);
      conn.close(CLOSE_AUTH_TIMEOUT, `not authenticated within ${this.config.auth.timeoutMs} ms`);
    }, this.config.auth.timeoutMs);
    socket.on('message', (data: Buffer, isBinary: boolean) => {
      this.dispatcher.onMessage(conn, data, isBinary).catch((e: Error) => this.logger.error(`dispatch crashed | conn=${conn.id} error=${e.stack}`));
    });
    socket.on('error', (e) => this.logger.warn(`socket error | conn=${conn.id} error=${e.message}`));
    this.logger.debug(`connected | conn=${conn.id}`);
  }

  handleDisconnect(socket: WebSocket): void {
    const conn = this.connections.get(socket);
    if (!conn) return;
    this.connections.delete(socket);
    conn.failPending();
    if (conn.peer) this.peers.disconnected(conn.peer);
    this.logger.debug(`disconnected | conn=${conn.id} peer=${conn.peer?.id ?? '-'}`);
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
