import type { AddressInfo } from 'node:net';
import type { SignalingMessage } from '@confer/signaling-contracts';
import { WebSocket, WebSocketServer } from 'ws';
import type { WebSocketFactory, WebSocketLike } from '../lib/tokens';
import { FakeSignalingServer, type FakeSocket } from './fake-signaling-server';

/**
 * A {@link FakeSignalingServer} behind a real `ws` server on 127.0.0.1 (a random
 * port): the client's sockets are real TCP connections, so closing codes, refused
 * connections and a killed node behave as they do in a browser. Scripted the same
 * way (`fake.on(method, handler)`, `fake.notify`, `fake.requests`).
 */
export class WsSignalingServer {
  readonly fake = new FakeSignalingServer();
  /** Close codes of the client sockets, as this server saw them, in closing order. */
  readonly closeCodes: number[] = [];
  private readonly clients = new Set<WebSocket>();
  private wss: WebSocketServer | null = null;
  private port = 0;

  /** Starts listening (again, on the same port after {@link kill}). */
  async start(): Promise<this> {
    const wss = new WebSocketServer({ host: '127.0.0.1', port: this.port, path: '/ws' });
    await new Promise<void>((resolve, reject) => {
      wss.once('listening', resolve);
      wss.once('error', reject);
    });
    this.port = (wss.address() as AddressInfo).port;
    wss.on('connection', (ws) => this.accept(ws));
    this.wss = wss;
    return this;
  }

  get url(): string {
    return `ws://127.0.0.1:${this.port}/ws`;
  }

  /** Like a SIGKILLed node: every connection reset, new ones refused. */
  async kill(): Promise<void> {
    for (const ws of this.clients) ws.terminate();
    this.clients.clear();
    const wss = this.wss;
    this.wss = null;
    if (wss) await new Promise<void>((resolve) => wss.close(() => resolve()));
  }

  private accept(ws: WebSocket): void {
    this.clients.add(ws);
    // The fake server talks to FakeSockets: this adapter gives it the same two calls.
    const adapter = {
      readyState: 1,
      deliver: (message: SignalingMessage) => {
        if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(message));
      },
      drop: (code = 1006, reason = '') => {
        if (code === 1006) ws.terminate();
        else ws.close(code, reason);
      },
    } as unknown as FakeSocket;
    this.fake.sockets.push(adapter);
    ws.on('message', (data, isBinary) => {
      if (isBinary) return;
      void this.fake.receive(adapter, JSON.parse(String(data)) as SignalingMessage);
    });
    ws.on('close', (code) => {
      (adapter as { readyState: number }).readyState = 3;
      this.clients.delete(ws);
      this.closeCodes.push(code);
    });
  }
}

/** Opens real `ws` client sockets (what the browser's WebSocket is to the SDK). */
export const wsSocketFactory: WebSocketFactory = (url: string) => new WebSocket(url) as unknown as WebSocketLike;
