import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { ERROR_CODES, SignalingError, type ErrorCode, type WireError } from '@confer/signaling-contracts';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { ClusterRedisService, KEY_PREFIX } from './cluster-redis.service';
import { NodeRegistryService } from './node-registry.service';
import {
  NodeBusError,
  type NodeBusContext,
  type NodeBusMessageMethod,
  type NodeBusMessages,
  type NodeBusRequestMethod,
  type NodeBusRequests,
} from './node-bus.types';

/** The pub/sub channel a node listens on. */
export const busChannel = (nodeId: string): string => `${KEY_PREFIX}bus:${nodeId}`;

/** How long a request waits for its answer unless told otherwise. */
export const DEFAULT_BUS_TIMEOUT_MS = 5000;
/** A message older (or further in the future) than this is refused: nodes' clocks must agree within it. */
export const BUS_MAX_AGE_MS = 30_000;
/** Largest message sent or accepted (a pipe's RTP parameters are a few KB). */
export const MAX_BUS_MESSAGE_BYTES = 256 * 1024;

type Envelope =
  | { k: 'req'; id: string; from: string; to: string; ts: number; method: string; data: unknown }
  | { k: 'msg'; id: string; from: string; to: string; ts: number; method: string; data: unknown }
  | { k: 'res'; id: string; from: string; to: string; ts: number; ok: true; data: unknown }
  | { k: 'res'; id: string; from: string; to: string; ts: number; ok: false; error: WireError };

interface Pending {
  to: string;
  method: string;
  timer: NodeJS.Timeout;
  resolve(data: unknown): void;
  reject(error: NodeBusError): void;
}

type RequestHandler = (params: unknown, context: NodeBusContext) => unknown;
type MessageHandler = (data: unknown, context: NodeBusContext) => void;

/** What the bus refused and why, for tests and metrics. */
export interface NodeBusStats {
  sent: number;
  received: number;
  /** Bad HMAC, malformed, stale, replayed or addressed to another node. */
  rejected: number;
  pending: number;
}

/**
 * Typed request/response and one-way messages between the nodes of a cluster
 * over Redis pub/sub: each node subscribes to `confer:bus:<its id>`. Every
 * message is `<hex HMAC-SHA256 over CLUSTER_SECRET>.<JSON>`, the JSON naming
 * sender, receiver, a timestamp and a unique id; anything whose HMAC does not
 * verify, addressed to another node, older than {@link BUS_MAX_AGE_MS} or seen
 * before (a replay) is dropped and counted. Requests fail with a typed
 * {@link NodeBusError} when the target is not live, on timeout, or when the
 * handler throws (its `SignalingError` code travels back).
 */
@Injectable()
export class NodeBusService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(NodeBusService.name);
  private readonly requestHandlers = new Map<string, RequestHandler>();
  private readonly messageHandlers = new Map<string, Set<MessageHandler>>();
  private readonly pending = new Map<string, Pending>();
  /** Ids of messages accepted within the last BUS_MAX_AGE_MS (insertion order = arrival order), against replays. */
  private readonly seen = new Map<string, number>();
  /** Nodes found live in the registry, until when (one registry read per heartbeat period, not per request). */
  private readonly liveUntil = new Map<string, number>();
  private readonly counters = { sent: 0, received: 0, rejected: 0 };
  private subscribed = false;
  private closed = false;
  private readonly onMessage = (channel: string, message: string): void => {
    if (channel === this.channel) this.receive(message);
  };

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly redis: ClusterRedisService,
    private readonly registry: NodeRegistryService,
  ) {
    this.handle('bus.ping', () => ({ at: Date.now() }));
  }

  /** REDIS_URL and CLUSTER_SECRET are set. */
  get enabled(): boolean {
    return this.redis.enabled && this.config.cluster.secret !== null;
  }

  get selfId(): string {
    return this.registry.selfId;
  }

  private get channel(): string {
    return busChannel(this.selfId);
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.start();
  }

  /** Subscribes to this node's channel (done at bootstrap; idempotent). */
  async start(): Promise<void> {
    if (!this.enabled || this.subscribed || this.closed) return;
    this.subscribed = true;
    const subscriber = this.redis.subscriber;
    subscriber.on('message', this.onMessage);
    // ioredis subscribes again by itself after a reconnection (autoResubscribe).
    await subscriber.subscribe(this.channel);
    this.logger.log(`start() | node=${this.selfId} channel=${this.channel}`);
  }

  async onModuleDestroy(): Promise<void> {
    await this.close();
  }

  /** Stops listening, fails every pending request with `closed`; nothing stays behind (timers, listeners). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(new NodeBusError('closed', `${p.method} to ${p.to}: the node bus closed`, p.to, p.method));
      this.pending.delete(id);
    }
    this.seen.clear();
    this.liveUntil.clear();
    if (!this.subscribed) return;
    // Never a new connection at shutdown (the Redis service may be closed already).
    const subscriber = this.redis.openSubscriber;
    if (!subscriber) return;
    subscriber.removeListener('message', this.onMessage);
    if (subscriber.status === 'ready') await subscriber.unsubscribe(this.channel).catch(() => undefined);
  }

  /**
   * Serves `method` on this node: `fn` gets the (unvalidated) params and the
   * sender, and returns the result or throws (a `SignalingError` keeps its
   * code; anything else is answered `internal`). Returns the unregister function.
   */
  handle<M extends NodeBusRequestMethod>(method: M, fn: (params: unknown, context: NodeBusContext) => NodeBusRequests[M]['result'] | Promise<NodeBusRequests[M]['result']>): () => void {
    if (this.requestHandlers.has(method)) throw new TypeError(`a handler for "${method}" is already registered`);
    this.requestHandlers.set(method, fn);
    return () => {
      if (this.requestHandlers.get(method) === fn) this.requestHandlers.delete(method);
    };
  }

  /** Listens to one-way `method` messages; returns the unsubscribe function. */
  on<M extends NodeBusMessageMethod>(method: M, fn: (data: unknown, context: NodeBusContext) => void): () => void {
    let set = this.messageHandlers.get(method);
    if (!set) this.messageHandlers.set(method, (set = new Set()));
    set.add(fn);
    return () => set.delete(fn);
  }

  /**
   * Sends `method` to node `to` and resolves with its handler's result.
   * Rejects with {@link NodeBusError}: `node_unavailable` at once when the node
   * is not live (or nobody listens on its channel), `timeout` after
   * `timeoutMs`, `remote` when the handler threw, `closed` when this bus closes
   * first. A Redis outage surfaces as `cluster_unavailable` (SignalingError).
   */
  async request<M extends NodeBusRequestMethod>(to: string, method: M, params: NodeBusRequests[M]['params'], options: { timeoutMs?: number } = {}): Promise<NodeBusRequests[M]['result']> {
    this.assertOpen(to, method);
    if (!(await this.isLive(to))) throw new NodeBusError('node_unavailable', `${method}: node ${to} is not live`, to, method);
    const id = randomUUID();
    const timeoutMs = options.timeoutMs ?? DEFAULT_BUS_TIMEOUT_MS;
    const answer = new Promise<unknown>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        this.liveUntil.delete(to);
        reject(new NodeBusError('timeout', `${method} to ${to}: no answer within ${timeoutMs} ms`, to, method));
      }, timeoutMs);
      this.pending.set(id, { to, method, timer, resolve, reject });
    });
    try {
      const receivers = await this.publish({ k: 'req', id, from: this.selfId, to, ts: Date.now(), method, data: params });
      if (receivers === 0) throw new NodeBusError('node_unavailable', `${method}: nobody listens on node ${to}'s channel`, to, method);
    } catch (error) {
      this.settle(id);
      throw error instanceof SignalingError || error instanceof NodeBusError ? error : new NodeBusError('invalid', `${method} to ${to}: ${(error as Error).message}`, to, method);
    }
    return (await answer) as NodeBusRequests[M]['result'];
  }

  /** Sends a one-way message; resolves true when a node listening on `to`'s channel got it. */
  async send<M extends NodeBusMessageMethod>(to: string, method: M, data: NodeBusMessages[M]): Promise<boolean> {
    this.assertOpen(to, method);
    return (await this.publish({ k: 'msg', id: randomUUID(), from: this.selfId, to, ts: Date.now(), method, data })) > 0;
  }

  /** Counters since start. */
  stats(): NodeBusStats {
    return { ...this.counters, pending: this.pending.size };
  }

  private assertOpen(to: string, method: string): void {
    if (this.closed) throw new NodeBusError('closed', `${method}: the node bus is closed`, to, method);
    if (!this.enabled) throw new NodeBusError('invalid', `${method}: the cluster is not configured (REDIS_URL and CLUSTER_SECRET)`, to, method);
  }

  private async isLive(node: string): Promise<boolean> {
    const until = this.liveUntil.get(node);
    if (until !== undefined && until > Date.now()) return true;
    const entry = await this.registry.node(node);
    if (!entry) return false;
    this.liveUntil.set(node, Date.now() + this.config.cluster.heartbeatMs);
    return true;
  }

  private async publish(envelope: Envelope): Promise<number> {
    const json = JSON.stringify(envelope);
    if (json.length > MAX_BUS_MESSAGE_BYTES) throw new Error(`message of ${json.length} bytes is over ${MAX_BUS_MESSAGE_BYTES}`);
    const receivers = await this.redis.client.publish(busChannel(envelope.to), `${this.sign(json)}.${json}`);
    this.counters.sent++;
    return receivers;
  }

  private sign(json: string): string {
    return createHmac('sha256', this.config.cluster.secret as Uint8Array)
      .update(json)
      .digest('hex');
  }

  /** Verifies, decodes and dispatches one message from this node's channel. */
  private receive(message: string): void {
    if (this.closed) return;
    const envelope = this.verify(message);
    if (!envelope) {
      this.counters.rejected++;
      return;
    }
    this.counters.received++;
    if (envelope.k === 'res') return this.answered(envelope);
    const context: NodeBusContext = { from: envelope.from };
    if (envelope.k === 'msg') {
      for (const fn of [...(this.messageHandlers.get(envelope.method) ?? [])]) {
        try {
          fn(envelope.data, context);
        } catch (error) {
          this.logger.error(`message handler failed | method=${envelope.method} from=${envelope.from} | ${(error as Error).message}`);
        }
      }
      return;
    }
    void this.serve(envelope, context);
  }

  /** The envelope when the HMAC verifies and it is fresh, for this node and not seen before; else null. */
  private verify(message: string): Envelope | null {
    if (typeof message !== 'string' || message.length > MAX_BUS_MESSAGE_BYTES + 80) return null;
    const dot = message.indexOf('.');
    if (dot !== 64) return null;
    const given = Buffer.from(message.slice(0, 64), 'hex');
    const json = message.slice(65);
    const expected = Buffer.from(this.sign(json), 'hex');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
    let envelope: Envelope;
    try {
      envelope = JSON.parse(json) as Envelope;
    } catch {
      return null;
    }
    if (typeof envelope !== 'object' || envelope === null) return null;
    const { k, id, from, to, ts } = envelope;
    if (k !== 'req' && k !== 'res' && k !== 'msg') return null;
    if (typeof id !== 'string' || id.length > 64 || typeof from !== 'string' || from.length > 64 || to !== this.selfId || typeof ts !== 'number') return null;
    if (k !== 'res' && typeof envelope.method !== 'string') return null;
    const now = Date.now();
    if (Math.abs(now - ts) > BUS_MAX_AGE_MS) return null;
    this.forgetOldIds(now);
    const key = `${from}/${id}/${k}`;
    if (this.seen.has(key)) return null;
    this.seen.set(key, now + BUS_MAX_AGE_MS * 2);
    return envelope;
  }

  private forgetOldIds(now: number): void {
    for (const [key, until] of this.seen) {
      if (until > now) break;
      this.seen.delete(key);
    }
  }

  private answered(envelope: Extract<Envelope, { k: 'res' }>): void {
    const pending = this.pending.get(envelope.id);
    // Only the node asked may answer.
    if (!pending || pending.to !== envelope.from) return;
    this.settle(envelope.id);
    if (envelope.ok) return pending.resolve(envelope.data);
    const error = sanitizeWireError(envelope.error);
    pending.reject(new NodeBusError('remote', `${pending.method} on ${pending.to}: ${error.code}: ${error.reason}`, pending.to, pending.method, error));
  }

  private settle(id: string): void {
    const pending = this.pending.get(id);
    if (!pending) return;
    clearTimeout(pending.timer);
    this.pending.delete(id);
  }

  private async serve(envelope: Extract<Envelope, { k: 'req' }>, context: NodeBusContext): Promise<void> {
    const handler = this.requestHandlers.get(envelope.method);
    const reply = { k: 'res' as const, id: envelope.id, from: this.selfId, to: envelope.from };
    let answer: Envelope;
    try {
      if (!handler) throw new SignalingError('unknown_method', `no handler for "${envelope.method.slice(0, 64)}" on node ${this.selfId}`);
      const data = await handler(envelope.data, context);
      answer = { ...reply, ts: Date.now(), ok: true, data: data ?? null };
    } catch (error) {
      const wire: WireError =
        error instanceof SignalingError ? { code: error.code, reason: error.message, ...(error.details ? { details: error.details } : {}) } : { code: 'internal', reason: (error as Error)?.message ?? String(error) };
      if (!(error instanceof SignalingError)) this.logger.error(`handler failed | method=${envelope.method} from=${envelope.from} | ${wire.reason}`);
      answer = { ...reply, ts: Date.now(), ok: false, error: wire };
    }
    if (this.closed) return;
    try {
      await this.publish(answer);
    } catch (error) {
      this.logger.warn(`answer not sent | method=${envelope.method} to=${envelope.from} | ${(error as Error).message}`);
    }
  }
}

/** A remote error with a known code and a bounded reason (it came from another process). */
function sanitizeWireError(error: unknown): WireError {
  const e = (typeof error === 'object' && error !== null ? error : {}) as Record<string, unknown>;
  const code = (ERROR_CODES as readonly string[]).includes(e['code'] as string) ? (e['code'] as ErrorCode) : 'internal';
  const reason = typeof e['reason'] === 'string' ? e['reason'].slice(0, 500) : 'no reason given';
  return { code, reason };
}
