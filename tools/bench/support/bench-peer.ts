import WebSocket from 'ws';
// eslint-disable-next-line @nx/enforce-module-boundaries -- tools (scope:tools) speaks the shared protocol; the root lint config has no scope:tools constraint
import { PROTOCOL_VERSION, type ClientRequestMethod, type ClientRequestParams, type ClientRequestResult } from '@confer/signaling-contracts';

interface Pending {
  method: string;
  sent: number;
  resolve(v: unknown): void;
  reject(e: Error): void;
  timer: NodeJS.Timeout;
}

/** One round trip as the load generator saw it. */
export interface Sample {
  method: string;
  ms: number;
  ok: boolean;
}

/**
 * A lean signaling client for load generation: one `ws` socket, requests timed
 * from send to response, every server request (newConsumer…) answered at once
 * with success, notifications counted and dropped.
 */
export class BenchPeer {
  notifications = 0;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();

  private constructor(
    private readonly socket: WebSocket,
    private readonly record: (s: Sample) => void,
  ) {
    socket.on('message', (raw) => this.onMessage(raw.toString()));
    socket.on('close', () => {
      for (const p of this.pending.values()) p.reject(new Error('socket closed'));
      this.pending.clear();
    });
  }

  static async connect(url: string, token: string, record: (s: Sample) => void): Promise<BenchPeer> {
    const socket = new WebSocket(url, { perMessageDeflate: false });
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
    });
    const peer = new BenchPeer(socket, record);
    await peer.request('authenticate', { token, protocolVersion: PROTOCOL_VERSION });
    return peer;
  }

  request<M extends ClientRequestMethod>(method: M, data: ClientRequestParams<M>, timeoutMs = 15_000): Promise<ClientRequestResult<M>> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        this.record({ method, ms: timeoutMs, ok: false });
        reject(new Error(`${method} timed out`));
      }, timeoutMs);
      this.pending.set(id, { method, sent: performance.now(), resolve: resolve as (v: unknown) => void, reject, timer });
      this.socket.send(JSON.stringify({ type: 'request', id, method, data }));
    });
  }

  close(): void {
    this.socket.terminate();
  }

  private onMessage(text: string): void {
    const msg = JSON.parse(text) as { type: string; id?: number; ok?: boolean; data?: unknown; error?: { code: string; reason: string } };
    if (msg.type === 'response' && typeof msg.id === 'number') {
      const p = this.pending.get(msg.id);
      if (!p) return;
      this.pending.delete(msg.id);
      clearTimeout(p.timer);
      this.record({ method: p.method, ms: performance.now() - p.sent, ok: msg.ok === true });
      if (msg.ok) p.resolve(msg.data);
      else p.reject(new Error(`${p.method}: ${msg.error?.code} ${msg.error?.reason}`));
    } else if (msg.type === 'request') {
      this.socket.send(JSON.stringify({ type: 'response', id: msg.id, ok: true, data: {} }));
    } else {
      this.notifications++;
    }
  }
}
