import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { SignalingError } from '@confer/signaling-contracts';
import type { Consumer, PipeTransport, Producer, Router, TransportListenInfo } from 'mediasoup/types';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { RoomsService } from '../rooms/rooms.service';
import { WorkerHealthService } from '../workers/worker-health.service';
import { NodeBusService } from './node-bus.service';
import { NodeBusError } from './node-bus.types';
import { NodeRegistryService } from './node-registry.service';
import { checkedPipeOpenParams, checkedPipeOpenResult, checkedPipeRef, portableAppData, type PipeOpenParams, type PipeOpenResult, type PipeRef } from './remote-pipe.values';

declare module './node-bus.types' {
  interface NodeBusRequests {
    /** Receiver → owner: pipe `producerId` of `roomId` to the receiver's PipeTransport at ip:port. */
    'pipe.open': { params: PipeOpenParams; result: PipeOpenResult };
  }
  interface NodeBusMessages {
    /** Either side → the other: this pipe is closed here (source producer closed, router closed, given up). */
    'pipe.close': PipeRef;
    /** Owner → receiver: the source producer paused / resumed. */
    'pipe.pause': PipeRef;
    'pipe.resume': PipeRef;
  }
}

/** How long the receiver waits for the owner's `pipe.open` answer. */
export const PIPE_OPEN_TIMEOUT_MS = 5000;
/** Pipes one node may hold open from another on this node (each is a PipeTransport and a UDP port). */
export const MAX_PIPES_PER_PEER_NODE = 2000;

/** One end of a cross-node pipe, as {@link RemotePipeService.pipes} lists it. */
export interface RemotePipeInfo {
  pipeId: string;
  /** `owner`: this node has the source producer and a pipe consumer; `receiver`: a producer with the same id. */
  role: 'owner' | 'receiver';
  /** The node at the other end. */
  peerNode: string;
  roomId: string;
  producerId: string;
  transportId: string;
}

interface PipeEnd extends RemotePipeInfo {
  transport: PipeTransport | null;
  /** Receiver: the piped producer; owner: the pipe consumer. */
  media: Producer | Consumer | null;
  closed: boolean;
  /** Receiver: the source's pause state as last told by the owner (applied once the producer exists). */
  sourcePaused: boolean;
  /** The peer node's start time when first seen live: a restart with the same NODE_ID is a death too. */
  peerStartedAt?: number;
  createdAt: number;
}

/**
 * Producers piped between nodes with mediasoup PipeTransports, signaled over
 * the {@link NodeBusService}: how a room's audience spans nodes. The receiving
 * node asks with {@link pipe}: it creates a PipeTransport on its router (RTC
 * listen IP / announced address, SRTP with CLUSTER_PIPE_SRTP) and sends
 * `pipe.open`; the owner creates its own PipeTransport on the room's main
 * router, connects it, consumes the producer and answers the consumer's RTP
 * parameters; the receiver connects and produces with the same producer id,
 * so its consumers see the original id. Each pipe has its own transport pair
 * (closing one pipe never touches another).
 *
 * Afterwards: the source's pause/resume/close reach the receiver as one-way
 * bus messages; either side closing its end tells the other; a peer node that
 * leaves the registry (or restarts) has its pipes closed here within a
 * heartbeat period. Everything from the bus is validated (remote-pipe.values.ts)
 * before it reaches mediasoup.
 */
@Injectable()
export class RemotePipeService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(RemotePipeService.name);
  /** Receiver ends by `<router id>:<producer id>` (one pipe per producer and router), settled or in the making. */
  private readonly received = new Map<string, Promise<Producer>>();
  /** Every live end, by `<peer node>/<pipe id>`. */
  private readonly ends = new Map<string, PipeEnd>();
  private readonly unsubscribe: (() => void)[] = [];
  private sweeping = false;
  private sweepTimer: NodeJS.Timeout | null = null;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly bus: NodeBusService,
    private readonly registry: NodeRegistryService,
    private readonly rooms: RoomsService,
    private readonly health: WorkerHealthService,
  ) {}

  onModuleInit(): void {
    this.unsubscribe.push(
      this.bus.handle('pipe.open', (params, { from }) => this.open(params, from)),
      this.bus.on('pipe.close', (data, { from }) => this.remoteClosed(data, from)),
      this.bus.on('pipe.pause', (data, { from }) => this.remotePaused(data, from, true)),
      this.bus.on('pipe.resume', (data, { from }) => this.remotePaused(data, from, false)),
    );
    // Its own timer at the heartbeat's pace rather than the registry's beat listeners: a pipe sweep must not wait on (or be skipped by) another listener.
    if (this.bus.enabled) {
      this.sweepTimer = setInterval(() => void this.sweep(), this.config.cluster.heartbeatMs);
      this.sweepTimer.unref();
    }
  }

  /** Closes every end here and tells the other nodes (best effort); unregisters the bus handlers. */
  async onModuleDestroy(): Promise<void> {
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    this.sweepTimer = null;
    for (const stop of this.unsubscribe.splice(0)) stop();
    const ends = [...this.ends.values()];
    await Promise.all(ends.map((end) => this.closeEnd(end, { tell: true })));
    this.received.clear();
  }

  /**
   * Makes producer `producerId` of room `roomId`, owned by node `ownerNodeId`,
   * available on `router` (a router of this node): resolves with the piped
   * producer (same id), on which local consumers are made as on any producer.
   * Once per producer and router; a concurrent or later call gets the same
   * producer while it is open. Rejects with the owner's typed error
   * (`NodeBusError` `remote` with `not_found` when the producer is gone),
   * `node_unavailable` / `timeout` when the owner is not there, or
   * `invalid_request` when its answer does not validate.
   */
  pipe(options: { ownerNodeId: string; roomId: string; producerId: string; router: Router; timeoutMs?: number }): Promise<Producer> {
    const key = `${options.router.id}:${options.producerId}`;
    let pending = this.received.get(key);
    if (!pending) {
      pending = this.receive(options);
      this.received.set(key, pending);
      pending.then(
        (producer) => producer.observer.once('close', () => this.received.get(key) === pending && this.received.delete(key)),
        () => this.received.get(key) === pending && this.received.delete(key),
      );
    }
    return pending;
  }

  /** Open ends on this node (both roles). */
  pipes(): RemotePipeInfo[] {
    return [...this.ends.values()].map(({ pipeId, role, peerNode, roomId, producerId, transportId }) => ({ pipeId, role, peerNode, roomId, producerId, transportId }));
  }

  /** Closes every end whose other side is on `nodeId` (it is gone); nothing is sent to it. */
  closePipesWith(nodeId: string, reason = 'node gone'): number {
    let n = 0;
    for (const end of [...this.ends.values()]) {
      if (end.peerNode !== nodeId) continue;
      n++;
      this.logger.log(`closePipesWith() | node=${nodeId} pipe=${end.pipeId} role=${end.role} producer=${end.producerId} reason=${reason}`);
      void this.closeEnd(end, { tell: false });
    }
    return n;
  }

  private listenInfo(): TransportListenInfo {
    const { listenIp, announcedAddress, minPort, maxPort } = this.config.media;
    return { protocol: 'udp', ip: listenIp, announcedAddress, portRange: { min: minPort, max: maxPort } };
  }

  // ---- receiver side ----

  private async receive({ ownerNodeId, roomId, producerId, router, timeoutMs = PIPE_OPEN_TIMEOUT_MS }: { ownerNodeId: string; roomId: string; producerId: string; router: Router; timeoutMs?: number }): Promise<Producer> {
    if (ownerNodeId === this.bus.selfId) throw new TypeError('pipe(): the owner is this node (use pipeToRouter)');
    const srtp = this.config.cluster.pipeSrtp;
    const transport = await router.createPipeTransport({ listenInfo: this.listenInfo(), enableSrtp: srtp, appData: { remotePipe: true, roomId, producerId, ownerNodeId } });
    const end: PipeEnd = { pipeId: randomUUID(), role: 'receiver', peerNode: ownerNodeId, roomId, producerId, transportId: transport.id, transport, media: null, closed: false, sourcePaused: false, createdAt: Date.now() };
    this.track(end);
    try {
      const { localAddress, localPort } = transport.tuple;
      const answer = await this.bus.request(
        ownerNodeId,
        'pipe.open',
        { pipeId: end.pipeId, roomId, producerId, ip: localAddress, port: localPort, ...(transport.srtpParameters ? { srtpParameters: transport.srtpParameters } : {}) },
        { timeoutMs },
      );
      const remote = checkedPipeOpenResult(answer, srtp, router.rtpCapabilities);
      this.assertOpen(end);
      await transport.connect({ ip: remote.ip, port: remote.port, srtpParameters: remote.srtpParameters });
      this.assertOpen(end);
      // The owner may have said pause / resume between its answer and now: the last word wins.
      end.sourcePaused = end.sourcePaused || remote.paused;
      const producer = await transport.produce({ id: producerId, kind: remote.kind, rtpParameters: remote.rtpParameters, paused: remote.paused, appData: { ...remote.appData, remotePipe: true, ownerNodeId } });
      end.media = producer;
      producer.observer.once('close', () => void this.closeEnd(end, { tell: true }));
      this.assertOpen(end);
      await this.applyPause(end);
      this.logger.debug(`pipe() | room=${roomId} producer=${producerId} owner=${ownerNodeId} pipe=${end.pipeId} kind=${remote.kind} srtp=${srtp}`);
      return producer;
    } catch (error) {
      // Tell the owner unless it refused (then it has nothing open) or is gone.
      const ownerHasNothing = error instanceof NodeBusError && error.code !== 'timeout';
      await this.closeEnd(end, { tell: !ownerHasNothing });
      throw error;
    }
  }

  private assertOpen(end: PipeEnd): void {
    if (end.closed) throw new SignalingError('not_found', `pipe of producer ${end.producerId} closed while it was being made`);
  }

  private async applyPause(end: PipeEnd): Promise<void> {
    const producer = end.media as Producer | null;
    if (!producer || producer.closed || producer.paused === end.sourcePaused) return;
    try {
      if (end.sourcePaused) await producer.pause();
      else await producer.resume();
    } catch (error) {
      if (!producer.closed) this.logger.warn(`applyPause() | pipe=${end.pipeId} | ${(error as Error).message}`);
    }
    // Told again while that ran.
    if (!producer.closed && producer.paused !== end.sourcePaused) await this.applyPause(end);
  }

  private remotePaused(data: unknown, from: string, paused: boolean): void {
    const end = this.endOf(data, from);
    if (!end || end.role !== 'receiver') return;
    end.sourcePaused = paused;
    void this.applyPause(end);
  }

  // ---- owner side ----

  /** `pipe.open` handler: the owner's end of a new pipe; answers what the receiver needs to produce. */
  private async open(params: unknown, from: string): Promise<PipeOpenResult> {
    const srtp = this.config.cluster.pipeSrtp;
    const p = checkedPipeOpenParams(params, srtp);
    if (this.ends.has(`${from}/${p.pipeId}`)) throw new SignalingError('conflict', `pipe ${p.pipeId} exists`);
    if ([...this.ends.values()].filter((e) => e.peerNode === from).length >= MAX_PIPES_PER_PEER_NODE) throw new SignalingError('limit_exceeded', `node ${from} has ${MAX_PIPES_PER_PEER_NODE} pipes from this node`);
    const room = this.rooms.get(p.roomId);
    const router = room?.media?.router;
    if (!room || !router || room.closed) throw new SignalingError('not_found', `room ${p.roomId} has no media on node ${this.bus.selfId}`);
    const source = [...room.peers.values()].map((peer) => peer.producers.get(p.producerId)).find((x) => x !== undefined);
    if (!source || source.closed) throw new SignalingError('not_found', `producer ${p.producerId} is not in room ${p.roomId} on node ${this.bus.selfId}`);

    const transport = await router.createPipeTransport({ listenInfo: this.listenInfo(), enableSrtp: srtp, appData: { remotePipe: true, roomId: p.roomId, producerId: p.producerId, receiverNodeId: from } });
    const end: PipeEnd = { pipeId: p.pipeId, role: 'owner', peerNode: from, roomId: p.roomId, producerId: p.producerId, transportId: transport.id, transport, media: null, closed: false, sourcePaused: false, createdAt: Date.now() };
    this.track(end);
    try {
      await transport.connect({ ip: p.ip, port: p.port, srtpParameters: p.srtpParameters });
      this.assertOpen(end);
      const consumer = await transport.consume({ producerId: p.producerId });
      end.media = consumer;
      // The pipe consumer follows its producer: its observer reports the producer's pause, resume and close.
      consumer.observer.once('close', () => void this.closeEnd(end, { tell: true }));
      consumer.observer.on('pause', () => void this.tell(end, 'pipe.pause'));
      consumer.observer.on('resume', () => void this.tell(end, 'pipe.resume'));
      this.assertOpen(end);
      const { localAddress, localPort } = transport.tuple;
      this.logger.debug(`open() | room=${p.roomId} producer=${p.producerId} receiver=${from} pipe=${p.pipeId}`);
      return {
        ip: localAddress,
        port: localPort,
        ...(transport.srtpParameters ? { srtpParameters: transport.srtpParameters } : {}),
        kind: consumer.kind,
        rtpParameters: consumer.rtpParameters,
        paused: consumer.producerPaused,
        appData: portableAppData(source.appData),
      };
    } catch (error) {
      await this.closeEnd(end, { tell: false });
      throw error;
    }
  }

  // ---- both sides ----

  private track(end: PipeEnd): void {
    this.ends.set(`${end.peerNode}/${end.pipeId}`, end);
    // The router closed (room closed, worker died) or someone closed the transport: the pipe is over.
    end.transport?.observer.once('close', () => void this.closeEnd(end, { tell: true }));
  }

  private endOf(data: unknown, from: string): PipeEnd | undefined {
    let ref: PipeRef;
    try {
      ref = checkedPipeRef(data);
    } catch {
      return undefined;
    }
    return this.ends.get(`${from}/${ref.pipeId}`);
  }

  private remoteClosed(data: unknown, from: string): void {
    const end = this.endOf(data, from);
    if (end) void this.closeEnd(end, { tell: false });
  }

  /** Closes this end once (its transport, which closes the producer or consumer on it) and, with `tell`, the other end. */
  private async closeEnd(end: PipeEnd, { tell }: { tell: boolean }): Promise<void> {
    if (end.closed) return;
    end.closed = true;
    this.ends.delete(`${end.peerNode}/${end.pipeId}`);
    if (end.transport) this.health.closeQuietly(end.transport);
    if (tell) await this.tell(end, 'pipe.close');
  }

  private async tell(end: PipeEnd, method: 'pipe.close' | 'pipe.pause' | 'pipe.resume'): Promise<void> {
    try {
      await this.bus.send(end.peerNode, method, { pipeId: end.pipeId });
    } catch (error) {
      // The other node is gone or Redis is away: its end closes by the registry sweep there or here.
      this.logger.debug(`tell() | ${method} pipe=${end.pipeId} node=${end.peerNode} not sent | ${(error as Error).message}`);
    }
  }

  /** Every CLUSTER_HEARTBEAT_MS: closes the ends whose other node left the registry or restarted. */
  private async sweep(): Promise<void> {
    if (this.ends.size === 0 || this.sweeping) return;
    this.sweeping = true;
    try {
      const asked = Date.now();
      const live = new Map((await this.registry.liveNodes()).map((n) => [n.id, n.startedAt]));
      for (const end of [...this.ends.values()]) {
        // Made after the registry was read: its peer was live when the bus checked it.
        if (end.createdAt >= asked) continue;
        const startedAt = live.get(end.peerNode);
        if (startedAt === undefined) this.closePipesWith(end.peerNode, 'left the registry');
        else if (end.peerStartedAt === undefined) end.peerStartedAt = startedAt;
        else if (end.peerStartedAt !== startedAt) this.closePipesWith(end.peerNode, 'restarted');
      }
    } catch (error) {
      // Redis away: try again at the next beat.
      this.logger.debug(`sweep() | ${(error as Error).message}`);
    } finally {
      this.sweeping = false;
    }
  }
}
